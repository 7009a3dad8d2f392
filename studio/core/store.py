"""The project store: a `NAME.studio/` folder with an SQLite database and a blob store.

Every generation, fix and edit is a version in a tree; files are stored as blobs by hash so
identical content is kept once. Blobs are written (and fsynced) before the version row that
names them is committed, so a crash in between leaves the project as it was.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from studio.core.blobs import BlobStore, os_reason
from studio.core.errors import NotFoundError, ProjectError
from studio.core.records import (
    Asset,
    GenerationInfo,
    Message,
    Version,
    VideoJob,
    asset_from_row,
    asset_kind,
    guess_mime,
    job_from_row,
    message_from_row,
    version_from_row,
)
from studio.core.schema import APP_ID, FORMAT_VERSION, REQUIRED_TABLES, initialise, migrate

DB_NAME = "project.db"


BLOB_DIR = "blobs"


SUFFIX = ".studio"


_SQLITE_MAGIC = b"SQLite format 3\x00"


# SQLite's primary result codes for a database it cannot write: READONLY, IOERR, FULL,
# CANTOPEN. They are the person's to fix (space, permissions), not Studio's bugs.
_DISK_ERRORS = frozenset({8, 10, 13, 14})


VERSION_KINDS = ("template", "generate", "edit", "fix", "manual", "import", "restore", "fork")


def project_path(path: Path | str) -> Path:
    """`game` and `game.studio` name the same project folder."""
    path = Path(path).expanduser()
    return path if path.suffix == SUFFIX else path.with_name(path.name + SUFFIX)


class Project:
    """An open project. Use `Project.create` or `Project.open`; close it when done."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self.closed = False
        self._lock = threading.RLock()
        self.blobs = BlobStore(path / BLOB_DIR)

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path | str,
        *,
        name: str | None = None,
        setup: Callable[[Project], object] | None = None,
    ) -> Project:
        """A new project folder. `setup` (writing the first version, say) runs before it is
        returned; if anything fails, what was made is removed again and a ProjectError (for
        a folder that cannot be written, a full disk) says why."""
        path = project_path(path)
        try:
            if path.exists() and (not path.is_dir() or any(path.iterdir())):
                raise ProjectError(f"{path} already exists and is not an empty folder")
        except OSError as exc:
            raise ProjectError(f"cannot create {path}: {os_reason(exc, path)}") from None
        conn: sqlite3.Connection | None = None
        with _removed_on_failure(path):
            try:
                (path / BLOB_DIR).mkdir(parents=True, exist_ok=True)
                conn = _connect(path / DB_NAME)
                initialise(conn)
                with conn:
                    conn.execute(
                        "INSERT INTO meta(key, value) VALUES ('name', ?)",
                        (name or path.stem,),
                    )
                project = cls(path, conn)
                if setup is not None:
                    setup(project)
            except BaseException as exc:
                if conn is not None:
                    conn.close()
                if isinstance(exc, OSError):
                    raise ProjectError(f"cannot create {path}: {os_reason(exc, path)}") from None
                if isinstance(exc, sqlite3.Error):
                    raise ProjectError(f"cannot create {path}: {exc}") from None
                raise
        return project

    @classmethod
    def open(cls, path: Path | str) -> Project:
        """Open an existing project; a damaged or foreign folder raises and is left untouched."""
        given = Path(path).expanduser()
        path = given
        if not (given / DB_NAME).exists() and given.suffix != SUFFIX:
            # `game` names `game.studio` when that exists; otherwise report on what was given.
            candidate = project_path(given)
            if candidate.is_dir():
                path = candidate
        db = path / DB_NAME
        if not path.is_dir():
            raise ProjectError(f"{given} does not exist or is not a folder")
        if not db.is_file():
            raise ProjectError(f"{path} is not a Studio project (no {DB_NAME})")
        with db.open("rb") as f:
            if f.read(16) != _SQLITE_MAGIC:
                raise ProjectError(f"{path} is damaged: {DB_NAME} is not a database")
        # Check with a plain connection that may only read: switching the journal mode (or
        # migrating) before we know the database is ours would rewrite a foreign file.
        conn = sqlite3.connect(db, check_same_thread=False, isolation_level="DEFERRED")
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("PRAGMA query_only = ON")
            found = _check(conn, path)
            conn.execute("PRAGMA query_only = OFF")
            _configure(conn)
            migrate(conn, found)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise ProjectError(f"{path} is damaged: {exc}") from None
        except BaseException:
            conn.close()
            raise
        project = cls(path, conn)
        (path / BLOB_DIR).mkdir(exist_ok=True)
        project.blobs.remove_temporaries()
        return project

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._conn.close()

    def _check_open(self) -> None:
        # Work started before the project closed (an import on a worker thread) ends with
        # this, not with sqlite's "Cannot operate on a closed database".
        if self.closed:
            raise ProjectError(f"{self.path.name} was closed")

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        try:
            with self._lock:
                self._check_open()
                with self._conn:
                    yield self._conn
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF not in _DISK_ERRORS:
                raise
            raise ProjectError(f"cannot write to {self.path}: {exc}") from None

    def _rows(self, sql: str, args: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            self._check_open()
            return self._conn.execute(sql, tuple(args)).fetchall()

    # -- project settings ----------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        rows = self._rows("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0]["value"] if rows else default

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as c:
            c.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def name(self) -> str:
        return self.get_meta("name") or self.path.stem

    # -- versions ------------------------------------------------------------------------

    @property
    def head(self) -> int | None:
        """The version the person is looking at and building on."""
        value = self.get_meta("head")
        return int(value) if value else None

    def set_head(self, version_id: int) -> None:
        self.version(version_id)
        self.set_meta("head", str(version_id))

    def commit(
        self,
        files: Mapping[str, bytes | str],
        *,
        parent: int | None,
        kind: str,
        prompt: str | None = None,
        info: GenerationInfo | None = None,
        meta: Mapping[str, Any] | None = None,
        move_head: bool = True,
    ) -> Version:
        """Store `files` as a new version, child of `parent`. Blobs first, then the row."""
        if kind not in VERSION_KINDS:
            raise ValueError(f"unknown version kind {kind!r}")
        if parent is not None:
            self.version(parent)
        paths = _clean_paths(files)  # all refused before any blob is written
        hashes = {
            paths[p]: self.blobs.put(d.encode() if isinstance(d, str) else d)
            for p, d in files.items()
        }
        return self._insert_version(hashes, parent, kind, prompt, info, meta, move_head)

    def commit_hashes(
        self,
        hashes: Mapping[str, str],
        *,
        parent: int | None,
        kind: str,
        prompt: str | None = None,
        meta: Mapping[str, Any] | None = None,
        move_head: bool = True,
    ) -> Version:
        """A new version from blobs already in the store (restore, fork, assets)."""
        if kind not in VERSION_KINDS:
            raise ValueError(f"unknown version kind {kind!r}")
        if parent is not None:
            self.version(parent)
        paths = _clean_paths(hashes)
        hashes = {paths[p]: sha for p, sha in hashes.items()}
        for sha in hashes.values():
            if not self.blobs.has(sha):
                raise ProjectError(f"blob {sha[:12]}… is not in the store")
        return self._insert_version(hashes, parent, kind, prompt, None, meta, move_head)

    def _insert_version(
        self,
        hashes: dict[str, str],
        parent: int | None,
        kind: str,
        prompt: str | None,
        info: GenerationInfo | None,
        meta: Mapping[str, Any] | None,
        move_head: bool,
    ) -> Version:
        info = info or GenerationInfo()
        with self._tx() as c:
            cur = c.execute(
                "INSERT INTO versions(parent, created, kind, prompt, provider, model, tokens_in,"
                " tokens_out, ttft, total_time, meta) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    parent,
                    time.time(),
                    kind,
                    prompt,
                    info.provider,
                    info.model,
                    info.tokens_in,
                    info.tokens_out,
                    info.ttft,
                    info.total_time,
                    json.dumps(dict(meta or {})),
                ),
            )
            vid = int(cur.lastrowid)
            c.executemany(
                "INSERT INTO version_files(version, path, blob) VALUES (?, ?, ?)",
                [(vid, p, h) for p, h in sorted(hashes.items())],
            )
            if move_head:
                c.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('head', ?)", (str(vid),))
        return self.version(vid)

    def versions(self) -> list[Version]:
        return [version_from_row(r) for r in self._rows("SELECT * FROM versions ORDER BY id")]

    def version(self, version_id: int) -> Version:
        rows = self._rows("SELECT * FROM versions WHERE id = ?", (version_id,))
        if not rows:
            raise NotFoundError(f"no version {version_id} in {self.name}")
        return version_from_row(rows[0])

    def resolve(self, version_id: int | None) -> int:
        """The given version, or the head when None."""
        if version_id is None:
            if self.head is None:
                raise NotFoundError(f"{self.name} has no versions yet")
            return self.head
        return self.version(version_id).id

    def file_hashes(self, version_id: int | None = None) -> dict[str, str]:
        vid = self.resolve(version_id)
        rows = self._rows("SELECT path, blob FROM version_files WHERE version = ?", (vid,))
        return {r["path"]: r["blob"] for r in rows}

    def files(self, version_id: int | None = None) -> dict[str, bytes]:
        return {p: self.blobs.read(h) for p, h in self.file_hashes(version_id).items()}

    def file_blob(self, version_id: int | None, path: str) -> str:
        vid = self.resolve(version_id)
        rows = self._rows(
            "SELECT blob FROM version_files WHERE version = ? AND path = ?", (vid, path)
        )
        if not rows:
            raise NotFoundError(f"version {vid} has no file {path}")
        return rows[0]["blob"]

    def read_file(self, version_id: int | None, path: str) -> bytes:
        return self.blobs.read(self.file_blob(version_id, path))

    def restore(self, version_id: int) -> Version:
        """Bring an old version back as the newest one on the current line."""
        hashes = self.file_hashes(version_id)
        return self.commit_hashes(
            hashes, parent=self.head, kind="restore", meta={"label": f"restored v{version_id}"}
        )

    def fork(self, version_id: int) -> Version:
        """Start a new line from an old version, leaving the current line as it is."""
        hashes = self.file_hashes(version_id)
        return self.commit_hashes(
            hashes, parent=version_id, kind="fork", meta={"label": f"fork of v{version_id}"}
        )

    # -- assets --------------------------------------------------------------------------

    def add_asset(
        self,
        name: str,
        data: bytes | Path,
        *,
        mime: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> Asset:
        """Add (or replace) a named asset in the project's library."""
        name = _clean_asset_name(name)
        sha = self.blobs.put_file(data) if isinstance(data, Path) else self.blobs.put(data)
        mime = mime or guess_mime(name)
        with self._tx() as c:
            c.execute(
                "INSERT OR REPLACE INTO assets(name, blob, kind, mime, size, created, meta)"
                " VALUES (?,?,?,?,?,?,?)",
                (
                    name,
                    sha,
                    asset_kind(mime),
                    mime,
                    self.blobs.size(sha),
                    time.time(),
                    json.dumps(dict(meta or {})),
                ),
            )
        return self.asset(name)

    def assets(self) -> list[Asset]:
        return [
            asset_from_row(r) for r in self._rows("SELECT * FROM assets ORDER BY created, name")
        ]

    def asset(self, name: str) -> Asset:
        rows = self._rows("SELECT * FROM assets WHERE name = ?", (name,))
        if not rows:
            raise NotFoundError(f"no asset named {name}")
        return asset_from_row(rows[0])

    def remove_asset(self, name: str) -> None:
        """Take an asset out of the library; versions that use it keep their copy."""
        with self._tx() as c:
            c.execute("DELETE FROM assets WHERE name = ?", (name,))

    def unique_asset_name(self, wanted: str) -> str:
        wanted = _clean_asset_name(wanted)
        taken = {a.name for a in self.assets()}
        stem, dot, ext = wanted.rpartition(".")
        if not dot:
            stem, ext = wanted, ""
        candidate, n = wanted, 2
        while candidate in taken:
            candidate = f"{stem}-{n}{dot}{ext}"
            n += 1
        return candidate

    # -- conversation --------------------------------------------------------------------

    def add_message(
        self,
        role: str,
        content: str,
        *,
        version: int | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> Message:
        with self._tx() as c:
            cur = c.execute(
                "INSERT INTO messages(created, role, content, version, meta) VALUES (?,?,?,?,?)",
                (time.time(), role, content, version, json.dumps(dict(meta or {}))),
            )
        return message_from_row(
            self._rows("SELECT * FROM messages WHERE id = ?", (cur.lastrowid,))[0]
        )

    def messages(self, limit: int | None = None) -> list[Message]:
        sql = "SELECT * FROM messages ORDER BY id DESC"
        rows = self._rows(sql + " LIMIT ?", (limit,)) if limit is not None else self._rows(sql)
        return [message_from_row(r) for r in reversed(rows)]

    # -- jobs (video clips and pictures) ---------------------------------------------------

    def add_job(
        self,
        provider: str,
        params: Mapping[str, Any],
        status: str = "queued",
        *,
        kind: str = "video",
    ) -> VideoJob:
        now = time.time()
        with self._tx() as c:
            cur = c.execute(
                "INSERT INTO video_jobs(provider, params, status, created, updated, kind)"
                " VALUES (?,?,?,?,?,?)",
                (provider, json.dumps(dict(params)), status, now, now, kind),
            )
        return self.job(int(cur.lastrowid))

    def update_job(self, job_id: int, **fields: Any) -> VideoJob:
        allowed = {"remote_id", "status", "progress", "error", "result", "params"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"unknown job fields: {sorted(unknown)}")
        values = {k: json.dumps(v) if k in ("result", "params") else v for k, v in fields.items()}
        values["updated"] = time.time()
        assignments = ", ".join(f"{k} = ?" for k in values)
        with self._tx() as c:
            c.execute(
                f"UPDATE video_jobs SET {assignments} WHERE id = ?", (*values.values(), job_id)
            )
        return self.job(job_id)

    def job(self, job_id: int) -> VideoJob:
        rows = self._rows("SELECT * FROM video_jobs WHERE id = ?", (job_id,))
        if not rows:
            raise NotFoundError(f"no job {job_id}")
        return job_from_row(rows[0])

    def jobs(
        self, statuses: Iterable[str] | None = None, kind: str | None = "video"
    ) -> list[VideoJob]:
        """Jobs of `kind` ("video", "image"; None: all), of the given statuses, oldest first."""
        where, args = [], []
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)
        if statuses is not None:
            wanted = list(statuses)
            where.append(f"status IN ({','.join('?' * len(wanted))})")
            args.extend(wanted)
        sql = "SELECT * FROM video_jobs" + (f" WHERE {' AND '.join(where)}" if where else "")
        return [job_from_row(r) for r in self._rows(sql + " ORDER BY id", args)]


@contextmanager
def _removed_on_failure(path: Path) -> Iterator[None]:
    """Undo a failed create: the folders it made go again (new parents too); an empty
    folder that was there already stays, emptied."""
    existed = path.is_dir()
    top = path
    while not top.parent.exists() and top.parent != top:
        top = top.parent
    try:
        yield
    except BaseException:
        if existed:
            with suppress(OSError):  # best effort: the error that got us here matters more
                for child in path.iterdir():
                    if child.is_dir() and not child.is_symlink():
                        shutil.rmtree(child, ignore_errors=True)
                    else:
                        child.unlink(missing_ok=True)
        else:
            shutil.rmtree(top, ignore_errors=True)
        raise


def _connect(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db, check_same_thread=False, isolation_level="DEFERRED")
    conn.row_factory = sqlite3.Row
    _configure(conn)
    return conn


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")


def _check(conn: sqlite3.Connection, path: Path) -> int:
    """Refuse foreign, newer or damaged databases, reading only; return the format found."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if "meta" not in tables:
        raise ProjectError(f"{path} is not a Studio project (foreign database)")
    try:
        app = conn.execute("SELECT value FROM meta WHERE key = 'app'").fetchone()
    except sqlite3.OperationalError:  # a foreign table that happens to be called meta
        app = None
    if app is None or app[0] != APP_ID:
        raise ProjectError(f"{path} is not a Studio project (foreign database)")
    if found > FORMAT_VERSION:
        migrate(conn, found)  # raises with a clear message
    if found == FORMAT_VERSION and not tables >= REQUIRED_TABLES:
        missing = ", ".join(sorted(REQUIRED_TABLES - tables))
        raise ProjectError(f"{path} is damaged: missing tables {missing}")
    result = conn.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise ProjectError(f"{path} is damaged: {result}")
    return found


def _clean_path(path: str) -> str:
    """Project file paths are relative, forward-slashed and stay inside the project."""
    slashed = path.replace("\\", "/")
    parts = [p for p in slashed.split("/") if p not in ("", ".")]
    absolute = slashed.startswith("/") or slashed[1:2] == ":"  # `/etc`, `\\srv`, `C:/x`
    if not parts or ".." in parts or absolute or "\0" in path:
        raise ProjectError(f"bad file path in project: {path!r}")
    return "/".join(parts)


def _clean_paths(paths: Iterable[str]) -> dict[str, str]:
    """Each given path to its clean form; two that name the same file are refused."""
    cleaned = {p: _clean_path(p) for p in paths}
    if len(set(cleaned.values())) != len(cleaned):
        seen: dict[str, str] = {}
        for given, clean in cleaned.items():
            if clean in seen:
                raise ProjectError(f"{seen[clean]!r} and {given!r} name the same file")
            seen[clean] = given
    return cleaned


def _clean_asset_name(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in (".", "..") or name.startswith("."):
        raise ProjectError(f"bad asset name: {name!r}")
    return name
