"""Reading long lists from a project's database quickly, for `Project` (studio.core.store),
which has these methods: rows as plain tuples, IN lists in chunks, and the library's assets
picked out by their metadata's role in SQL, a page at a time, so that a project with
thousands of versions and assets lists them without decoding what is not shown.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from typing import Any

from studio.core.records import ASSET_COLUMNS, Asset, asset_from_row

# Values bound at once in an IN (...) list: well below SQLite's limit on variables.
_IN_LIMIT = 500


class ListQueries:
    """Queries over many rows; the project's connection, lock and open check are Project's."""

    _conn: sqlite3.Connection
    _lock: threading.RLock

    def _check_open(self) -> None:
        raise NotImplementedError

    def _tuples(self, sql: str, args: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows as plain tuples: for long lists, where sqlite3.Row's lookups by name cost."""
        with self._lock:
            self._check_open()
            cursor = self._conn.cursor()
            cursor.row_factory = None
            return cursor.execute(sql, tuple(args)).fetchall()

    def _tuples_in(self, sql: str, values: Iterable[Any]) -> list[tuple[Any, ...]]:
        """`sql` with its `{}` filled by an IN list of `values` (each once), in chunks."""
        wanted = list(dict.fromkeys(values))
        rows: list[tuple[Any, ...]] = []
        for at in range(0, len(wanted), _IN_LIMIT):
            chunk = wanted[at : at + _IN_LIMIT]
            rows += self._tuples(sql.format(_marks(chunk)), chunk)
        return rows

    def assets_with_role(
        self,
        roles: Iterable[str],
        *,
        bare_kind: str | None = None,
        newest_first: bool = False,
        start: int = 0,
        count: int | None = None,
    ) -> list[Asset]:
        """Assets whose meta `role` is one of `roles` (and, with `bare_kind`, assets of that
        kind with no role at all), in the library's order (`assets()`'s, or its reverse),
        `count` of them from `start`. SQLite picks them out of the JSON, so only the rows
        returned are decoded: a page of a long library costs what the page holds."""
        where, args = _role_filter(list(roles), bare_kind)
        order = "created DESC, name DESC" if newest_first else "created, name"
        sql = f"SELECT {ASSET_COLUMNS} FROM assets WHERE {where} ORDER BY {order}"
        sql += " LIMIT ? OFFSET ?"
        args += [-1 if count is None else max(0, count), max(0, start)]
        return [asset_from_row(r) for r in self._tuples(sql, args)]

    def count_assets_with_role(self, roles: Iterable[str], *, bare_kind: str | None = None) -> int:
        """How many assets `assets_with_role` would list in all."""
        where, args = _role_filter(list(roles), bare_kind)
        return int(self._tuples(f"SELECT count(*) FROM assets WHERE {where}", args)[0][0])

    def asset_position(
        self, name: str, roles: Iterable[str], *, bare_kind: str | None = None
    ) -> int | None:
        """Where `name` stands in `assets_with_role(..., newest_first=True)` (None: it is not
        one of them), counted in SQL: a view selects a row it has not read yet."""
        where, args = _role_filter(list(roles), bare_kind)
        found = self._tuples(
            f"SELECT created FROM assets WHERE name = ? AND {where}", [name, *args]
        )
        if not found:
            return None
        created = found[0][0]
        newer = "(created > ? OR (created = ? AND name > ?))"
        sql = f"SELECT count(*) FROM assets WHERE {where} AND {newer}"
        return int(self._tuples(sql, [*args, created, created, name])[0][0])

    def asset_names(self) -> set[str]:
        """The names in the library (no metadata read: choosing a free name needs no more)."""
        return {r[0] for r in self._tuples("SELECT name FROM assets")}

    def blobs_of_assets(self) -> set[str]:
        """Every blob an asset of the library names."""
        return {r[0] for r in self._tuples("SELECT DISTINCT blob FROM assets")}

    def asset_blobs(self, names: Iterable[str]) -> dict[str, str]:
        """The blob of each named asset that exists (thumbnails for a page of clips)."""
        rows = self._tuples_in("SELECT name, blob FROM assets WHERE name IN ({})", names)
        return {name: blob for name, blob in rows}


def _marks(values: list[Any]) -> str:
    return ",".join("?" * len(values))


def _role_filter(roles: list[str], bare_kind: str | None) -> tuple[str, list[Any]]:
    """SQL for "meta.role is one of `roles`, or kind is `bare_kind` and meta has no role"."""
    where = f"json_extract(meta, '$.role') IN ({_marks(roles)})" if roles else "0"
    args: list[Any] = list(roles)
    if bare_kind is not None:
        where = f"({where} OR (kind = ? AND json_type(meta, '$.role') IS NULL))"
        args.append(bare_kind)
    return where, args
