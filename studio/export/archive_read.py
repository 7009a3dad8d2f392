"""Reading a project archive someone else made (`.studioproj`, see `archive_format`).

An archive comes from someone else, so importing one trusts nothing in it. Before a byte
is written at the destination every entry is checked (no absolute paths, nothing outside
the project, no links, only the names an archive has, declared sizes within bounds); each
entry is then streamed with a hard cap at its declared size, every blob's SHA-256 must
equal its name, and the database must be a sound Studio project that names only blobs the
archive holds. Everything lands in a temporary folder beside the destination, which is
renamed at the end; a refusal leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from studio.core.schema import APP_ID, FORMAT_VERSION, REQUIRED_TABLES
from studio.core.store import BLOB_DIR, DB_NAME, Project, project_path
from studio.errors import StudioError
from studio.export.archive_format import (
    ARCHIVE_FORMAT,
    BLOB_PREFIX,
    CHUNK,
    DB_ENTRY,
    HEX64,
    MANIFEST,
    SUFFIX,
    ArchiveError,
    ArchiveSummary,
    AssetSummary,
)
from studio.export.base import (
    Progress,
    ProgressCallback,
    human_size,
    temp_sibling,
)

# Bounds on what an archive may declare, far above any real project.
MAX_MANIFEST = 1 << 20
MAX_DB = 4 << 30
MAX_BLOB = 16 << 30
MAX_TOTAL = 64 << 30
MAX_ENTRIES = 1_000_000
# Deflate cannot shrink data more than about 1032:1; a larger claimed ratio is a lie.
MAX_DEFLATE_RATIO = 1100
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")


def _entry_kind(info: zipfile.ZipInfo) -> str:
    """Check one entry's name and attributes; return 'manifest', 'db', 'blob' or 'dir'."""
    name = info.filename
    shown = name if len(name) < 80 else name[:77] + "…"
    if "\0" in name:
        raise ArchiveError(f"refused: entry {shown!r} has a NUL in its name")
    slashed = name.replace("\\", "/")
    if slashed.startswith("/") or re.match(r"^[A-Za-z]:", slashed):
        raise ArchiveError(f"refused: entry {shown!r} has an absolute path")
    if ".." in slashed.split("/"):
        raise ArchiveError(f"refused: entry {shown!r} points outside the project (zip slip)")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise ArchiveError(f"refused: entry {shown!r} is a symbolic link")
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise ArchiveError(f"refused: entry {shown!r} is not a plain file")
    if info.flag_bits & 0x1:
        raise ArchiveError(f"refused: entry {shown!r} is encrypted")
    if "\\" in name:
        raise ArchiveError(f"refused: unexpected entry {shown!r}")
    if name in ("blobs/",):
        return "dir"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ArchiveError(f"refused: entry {shown!r} uses an unsupported compression")
    if name == MANIFEST:
        return "manifest"
    if name == DB_ENTRY:
        return "db"
    if name.startswith(BLOB_PREFIX) and HEX64.match(name[len(BLOB_PREFIX) :]):
        return "blob"
    raise ArchiveError(f"refused: unexpected entry {shown!r} (not part of a Studio archive)")


@dataclass
class _Entries:
    manifest: zipfile.ZipInfo
    db: zipfile.ZipInfo
    blobs: dict[str, zipfile.ZipInfo]

    @property
    def declared(self) -> int:
        return self.db.file_size + sum(i.file_size for i in self.blobs.values())


def _check_entries(zf: zipfile.ZipFile) -> _Entries:
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ArchiveError(f"refused: the archive has too many entries ({len(infos)})")
    seen: set[str] = set()
    manifest = db = None
    blobs: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        kind = _entry_kind(info)
        if info.filename in seen:
            raise ArchiveError(f"refused: entry {info.filename!r} appears twice")
        seen.add(info.filename)
        if kind == "dir":
            continue
        if info.header_offset < 0:  # the end record lies about where the directory starts
            raise ArchiveError(f"refused: the archive is damaged (entry {info.filename!r})")
        limit = {"manifest": MAX_MANIFEST, "db": MAX_DB, "blob": MAX_BLOB}[kind]
        if info.file_size > limit:
            raise ArchiveError(
                f"refused: entry {info.filename!r} declares {human_size(info.file_size)}, "
                f"more than the {human_size(limit)} allowed"
            )
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise ArchiveError(f"refused: entry {info.filename!r} declares inconsistent sizes")
        if info.file_size > max(info.compress_size, 1) * MAX_DEFLATE_RATIO:
            raise ArchiveError(
                f"refused: entry {info.filename!r} claims to expand "
                f"{human_size(info.compress_size)} into {human_size(info.file_size)}, "
                "which deflate cannot do (zip bomb?)"
            )
        total += info.file_size
        if kind == "manifest":
            manifest = info
        elif kind == "db":
            db = info
        else:
            blobs[info.filename[len(BLOB_PREFIX) :]] = info
    if total > MAX_TOTAL:
        raise ArchiveError(f"refused: the archive would unpack to {human_size(total)}")
    if manifest is None or db is None:
        raise ArchiveError(
            "refused: this is not a Studio project archive (no manifest or database)"
        )
    return _Entries(manifest, db, blobs)


def _stream_entry(f: IO[bytes], info: zipfile.ZipInfo, write: Callable[[bytes], Any]) -> None:
    """Decompress one entry ourselves, never producing more than it declares.

    zipfile would stop quietly at the declared size; here an entry that keeps going is
    named for what it is, and one that stops short or fails its CRC is refused.
    """
    name = info.filename
    f.seek(info.header_offset)
    header = f.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        raise ArchiveError(f"refused: the archive is cut short (entry {name!r})")
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != b"PK\x03\x04":
        raise ArchiveError(f"refused: the archive is damaged (entry {name!r})")
    f.seek(info.header_offset + _LOCAL_HEADER.size + fields[10] + fields[11])
    remaining = info.compress_size
    produced = 0
    crc = 0
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None

    def emit(data: bytes) -> None:
        nonlocal produced, crc
        produced += len(data)
        if produced > info.file_size:
            raise ArchiveError(
                f"refused: entry {name!r} expands beyond its declared size of "
                f"{human_size(info.file_size)} (zip bomb?)"
            )
        crc = zlib.crc32(data, crc)
        write(data)

    try:
        while remaining > 0:
            chunk = f.read(min(CHUNK, remaining))
            if not chunk:
                raise ArchiveError(f"refused: the archive is cut short (entry {name!r})")
            remaining -= len(chunk)
            if inflater is None:
                emit(chunk)
                continue
            # Bounded output per step: a tiny chunk cannot blow up in memory.
            data = inflater.decompress(chunk, CHUNK)
            emit(data)
            while inflater.unconsumed_tail:
                emit(inflater.decompress(inflater.unconsumed_tail, CHUNK))
        if inflater is not None:
            # All input went through bounded steps; whatever zlib still holds is small.
            emit(inflater.flush())
            if not inflater.eof:
                raise ArchiveError(f"refused: entry {name!r} is damaged (incomplete data)")
    except zlib.error as exc:
        raise ArchiveError(f"refused: entry {name!r} is damaged ({exc})") from None
    if produced != info.file_size:
        raise ArchiveError(
            f"refused: entry {name!r} holds {produced} bytes but declares {info.file_size}"
        )
    if crc != info.CRC:
        raise ArchiveError(f"refused: entry {name!r} is damaged (checksum mismatch)")


def _read_small(f: IO[bytes], info: zipfile.ZipInfo) -> bytes:
    parts: list[bytes] = []
    _stream_entry(f, info, parts.append)
    return b"".join(parts)


def _extract(f: IO[bytes], info: zipfile.ZipInfo, dest: Path, sha: str | None = None) -> None:
    digest = hashlib.sha256()
    with dest.open("xb") as out:

        def write(data: bytes) -> None:
            digest.update(data)
            out.write(data)

        _stream_entry(f, info, write)
        out.flush()
        os.fsync(out.fileno())
    if sha is not None and digest.hexdigest() != sha:
        raise ArchiveError(
            f"refused: blob {sha[:12]}… does not match its hash (damaged or altered)"
        )


def _check_manifest(data: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ArchiveError("refused: the archive's manifest is damaged") from None
    if not isinstance(manifest, dict) or manifest.get("app") != APP_ID:
        raise ArchiveError("refused: this is not a Studio project archive")
    fmt = manifest.get("archive_format")
    if not isinstance(fmt, int) or fmt > ARCHIVE_FORMAT:
        raise ArchiveError(
            f"this archive was made by a newer Studio (archive format {fmt}); update Studio"
        )
    return manifest


def _safe_relative(path: object) -> bool:
    if not isinstance(path, str) or not path or "\0" in path or "\\" in path:
        return False
    parts = path.split("/")
    return not (path.startswith("/") or re.match(r"^[A-Za-z]:", path)) and all(
        p not in ("", ".", "..") for p in parts
    )


def _check_database(db: Path, blob_names: set[str]) -> dict[str, Any]:
    """Refuse a damaged or foreign database, or one naming blobs the archive lacks.

    Opened read-only and immutable: a hostile file cannot make SQLite write anything.
    """
    with db.open("rb") as f:
        if f.read(16) != b"SQLite format 3\x00":
            raise ArchiveError("refused: the project database in the archive is damaged")
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as exc:
        raise ArchiveError(f"refused: the project database is damaged ({exc})") from None
    try:
        conn.execute("PRAGMA trusted_schema = OFF")
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise ArchiveError(f"refused: the project database is damaged ({check})")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "meta" not in tables:
            raise ArchiveError("refused: the database is not a Studio project")
        app = conn.execute("SELECT value FROM meta WHERE key = 'app'").fetchone()
        if app is None or app[0] != APP_ID:
            raise ArchiveError("refused: the database is not a Studio project")
        found = conn.execute("PRAGMA user_version").fetchone()[0]
        if found > FORMAT_VERSION:
            raise ArchiveError(
                f"this project was saved by a newer Studio (format {found}, this Studio reads "
                f"up to {FORMAT_VERSION}); update Studio to import it"
            )
        if found == FORMAT_VERSION and not tables >= REQUIRED_TABLES:
            missing = ", ".join(sorted(REQUIRED_TABLES - tables))
            raise ArchiveError(f"refused: the project database is damaged (missing {missing})")
        referenced: set[str] = set()
        for path, blob in conn.execute("SELECT path, blob FROM version_files"):
            if not _safe_relative(path):
                raise ArchiveError(f"refused: the project names a file outside it: {path!r}")
            referenced.add(blob)
        for name, blob in conn.execute("SELECT name, blob FROM assets"):
            if not _safe_relative(name) or "/" in name:
                raise ArchiveError(f"refused: the project has a bad asset name: {name!r}")
            referenced.add(blob)
        bad = {b for b in referenced if not isinstance(b, str) or not HEX64.match(b)}
        if bad:
            raise ArchiveError("refused: the project database is damaged (bad blob ids)")
        missing = referenced - blob_names
        if missing:
            raise ArchiveError(
                f"refused: the project uses {len(missing)} blob(s) the archive does not hold, "
                f"e.g. {sorted(missing)[0][:12]}…"
            )
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        head = conn.execute("SELECT value FROM meta WHERE key = 'head'").fetchone()
        assets = tuple(
            AssetSummary(n, k, m, s)
            for n, k, m, s in conn.execute(
                "SELECT name, kind, mime, size FROM assets ORDER BY created, name"
            )
        )
        return {
            "name": (conn.execute("SELECT value FROM meta WHERE key='name'").fetchone() or [""])[0],
            "format": found,
            "versions": one("SELECT count(*) FROM versions"),
            "branches": one(
                "SELECT count(*) FROM versions v WHERE NOT EXISTS "
                "(SELECT 1 FROM versions c WHERE c.parent = v.id)"
            ),
            "head": int(head[0]) if head and str(head[0]).isdigit() else None,
            "assets": assets,
            "messages": one("SELECT count(*) FROM messages"),
            "jobs": one("SELECT count(*) FROM video_jobs"),
        }
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"refused: the project database is damaged ({exc})") from None
    finally:
        conn.close()


@contextlib.contextmanager
def _open_archive(archive: Path) -> Iterator[tuple[IO[bytes], zipfile.ZipFile]]:
    archive = Path(archive).expanduser()
    if not archive.is_file():
        raise ArchiveError(f"{archive} does not exist or is not a file")
    with archive.open("rb") as f:
        try:
            zf = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
            raise ArchiveError(
                f"refused: {archive.name} is not a readable archive ({exc})"
            ) from None
        with zf:
            yield f, zf


def _summary(
    archive: Path, manifest: dict[str, Any], facts: dict[str, Any], entries: _Entries
) -> ArchiveSummary:
    created = manifest.get("created")
    return ArchiveSummary(
        path=archive,
        name=str(facts["name"] or manifest.get("name") or archive.stem),
        project_format=facts["format"],
        created=float(created) if isinstance(created, int | float) else None,
        studio_version=str(manifest.get("studio_version") or ""),
        versions=facts["versions"],
        branches=facts["branches"],
        head=facts["head"],
        assets=facts["assets"],
        messages=facts["messages"],
        jobs=facts["jobs"],
        blobs=len(entries.blobs),
        unpacked_size=entries.declared,
        archive_size=archive.stat().st_size,
    )


def inspect_archive(archive: Path | str) -> ArchiveSummary:
    """What the archive holds; raises ArchiveError if it would be refused on import.

    Blob contents are checked on import (that reads everything); names, sizes, the
    manifest and the whole database are checked here.
    """
    archive = Path(archive).expanduser()
    with _open_archive(archive) as (f, zf):
        entries = _check_entries(zf)
        manifest = _check_manifest(_read_small(f, entries.manifest))
        with tempfile.TemporaryDirectory(prefix="studio-inspect-") as scratch:
            db = Path(scratch) / DB_NAME
            _extract(f, entries.db, db)
            facts = _check_database(db, set(entries.blobs))
    return _summary(archive, manifest, facts, entries)


def import_archive(
    archive: Path | str,
    dest: Path | str,
    *,
    on_progress: ProgressCallback | None = None,
) -> Project:
    """Unpack an archive as a new project at `dest` (`NAME` or `NAME.studio`) and open it.

    Blocking: the UI runs it in a thread. Refusals raise ArchiveError and leave nothing.
    """
    archive = Path(archive).expanduser()
    dest = project_path(dest)
    if dest.exists() or dest.is_symlink():
        raise ArchiveError(f"{dest} already exists; choose another name or place")
    progress = Progress(on_progress)
    created_parents: list[Path] = []
    tmp: Path | None = None
    try:
        with _open_archive(archive) as (f, zf):
            entries = _check_entries(zf)
            _check_manifest(_read_small(f, entries.manifest))
            for parent in reversed(dest.parents):
                if not parent.exists():
                    parent.mkdir()
                    created_parents.append(parent)
            free = shutil.disk_usage(dest.parent).free
            if entries.declared + (64 << 20) > free:
                raise ArchiveError(
                    f"not enough room: the project needs {human_size(entries.declared)}, "
                    f"{human_size(free)} is free at {dest.parent}"
                )
            tmp = temp_sibling(dest, "import")
            tmp.mkdir()
            (tmp / BLOB_DIR).mkdir()
            db = tmp / DB_NAME
            _extract(f, entries.db, db)
            _check_database(db, set(entries.blobs))
            total = entries.declared or 1
            done = entries.db.file_size
            progress(done / total)
            for sha, info in sorted(entries.blobs.items()):
                _extract(f, info, tmp / BLOB_DIR / sha, sha=sha)
                done += info.file_size
                progress(min(done / total, 0.99))
        _finish_database(db)
        try:
            Project.open(tmp).close()  # the store's own checks, and migration if older
        except StudioError as exc:
            raise ArchiveError(f"refused: {exc}") from None
        for extra in tmp.iterdir():  # WAL files left by the check are not needed
            if extra.name not in (DB_NAME, BLOB_DIR):
                extra.unlink()
        os.rename(tmp, dest)
        tmp = None
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        for parent in reversed(created_parents):
            with contextlib.suppress(OSError):
                parent.rmdir()
        raise
    progress(1.0)
    return Project.open(dest)


def _finish_database(db: Path) -> None:
    """The imported copy gets its own preview origin: two projects must not share storage."""
    conn = sqlite3.connect(db)
    try:
        with conn:
            conn.execute("DELETE FROM meta WHERE key = 'origin'")
    finally:
        conn.close()


def projects_dir() -> Path:
    """The folder new projects go to (as the New dialog's default): STUDIO_PROJECTS_DIR or
    Documents/Studio."""
    override = os.environ.get("STUDIO_PROJECTS_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_documents_dir()) / "Studio"


def default_import_dest(archive: Path) -> Path:
    """Where `studio open ARCHIVE` puts the project: beside the archive, else in the
    projects folder; a free name either way (`game.studio`, `game-2.studio`, ...)."""
    archive = Path(archive).expanduser().resolve()
    stem = archive.name[: -len(SUFFIX)] if archive.name.endswith(SUFFIX) else archive.stem
    folder = archive.parent if os.access(archive.parent, os.W_OK) else projects_dir()
    candidate, n = folder / f"{stem}.studio", 2
    while candidate.exists():
        candidate = folder / f"{stem}-{n}.studio"
        n += 1
    return candidate


async def import_archive_async(
    archive: Path | str, dest: Path | str, on_progress: ProgressCallback | None = None
) -> Project:
    return await asyncio.to_thread(import_archive, archive, dest, on_progress=on_progress)
