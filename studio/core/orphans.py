"""Leftovers of work cut off mid-way, found and removed when a project opens.

Blobs are written before the row that names them, and a clip import adds its three assets
one by one (original, thumbnail, then the proxy that makes it a clip): a process killed in
between leaves blobs that no row names, and clip parts whose clip never arrived. Nothing can
reach them; they only take space (and would travel in an archive export).

Kept is everything the database names anywhere: a version's files, an asset, a video job's
reference picture, and any other row holding a blob's hash (a future table included, since
every text value is searched). Only the one process that has the project open cleans (see
`BlobStore.hold`): another may be between writing a blob and committing its row.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from dataclasses import dataclass

from studio.core.blobs import BlobStore

log = logging.getLogger(__name__)

_HEX64 = re.compile(r"[0-9a-f]{64}")
_CLIP_PARTS = ("original", "thumbnail")  # studio.core.assets: stored before their proxy


@dataclass(frozen=True)
class Orphans:
    assets: tuple[str, ...] = ()  # clip parts whose clip (its proxy) is not in the library
    blobs: tuple[str, ...] = ()  # blobs no row names
    size: int = 0  # bytes the blobs took


def find_orphans(conn: sqlite3.Connection, blobs: BlobStore) -> Orphans:
    lost = _lost_clip_parts(conn)
    named = {row[0] for row in conn.execute("SELECT blob FROM version_files")}
    named |= {row[1] for row in conn.execute("SELECT name, blob FROM assets") if row[0] not in lost}
    unnamed = blobs.names() - named
    if unnamed:  # the slow search, only when there is something to look for
        unnamed -= _mentioned(conn, lost)
    found = sorted(unnamed)
    size = sum(blobs.path(sha).stat().st_size for sha in found)
    return Orphans(tuple(sorted(lost)), tuple(found), size)


def _lost_clip_parts(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name, meta FROM assets").fetchall()
    names = {row[0] for row in rows}
    lost = set()
    for name, text in rows:
        try:
            meta = json.loads(text)
        except ValueError:
            continue  # a row Studio cannot read is not Studio's to remove
        if not isinstance(meta, dict) or meta.get("role") not in _CLIP_PARTS:
            continue
        if meta.get("clip") and meta["clip"] not in names:
            lost.add(name)
    return lost


def _mentioned(conn: sqlite3.Connection, lost: set[str]) -> set[str]:
    """Every blob hash any text in the database holds (the lost clip parts' rows left out)."""
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    found: set[str] = set()
    for table in tables:
        cursor = conn.execute(f'SELECT * FROM "{table}"')  # names from sqlite_master itself
        columns = [d[0] for d in cursor.description]
        for row in cursor:
            if table == "assets" and row[columns.index("name")] in lost:
                continue
            for value in row:
                if isinstance(value, str) and len(value) >= 64:
                    found.update(_HEX64.findall(value))
    return found


def remove_orphans(conn: sqlite3.Connection, blobs: BlobStore) -> Orphans:
    """Find the leftovers and remove them: asset rows first (in one transaction), then the
    blobs no row names any more."""
    found = find_orphans(conn, blobs)
    if not (found.assets or found.blobs):
        return found
    if found.assets:
        with conn:
            conn.executemany("DELETE FROM assets WHERE name = ?", [(n,) for n in found.assets])
    for sha in found.blobs:
        blobs.path(sha).unlink(missing_ok=True)
    log.info(
        "removed what cut-off work left: %d asset(s) %s, %d blob(s) (%d bytes)",
        len(found.assets),
        ", ".join(found.assets),
        len(found.blobs),
        found.size,
    )
    return found
