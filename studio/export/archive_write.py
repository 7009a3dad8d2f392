"""Writing a project archive (`.studioproj`, see `archive_format`): a consistent snapshot of
the database, then every blob, each checked against its hash while it is streamed in.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import stat
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from studio import __version__
from studio.core.schema import APP_ID, FORMAT_VERSION
from studio.core.store import DB_NAME, Project
from studio.export.archive_format import (
    ARCHIVE_FORMAT,
    BLOB_PREFIX,
    CHUNK,
    DB_ENTRY,
    HEX64,
    MANIFEST,
    SUFFIX,
    referenced_blobs,
)
from studio.export.base import (
    ExportError,
    ExportResult,
    Progress,
    ProgressCallback,
    atomic_file,
)

# Magic numbers of formats that are compressed already: stored, not deflated again.
_COMPRESSED_MAGIC = (
    b"\x1a\x45\xdf\xa3",  # WebM / Matroska
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"OggS",
    b"ID3",
    b"\xff\xfb",  # MP3
    b"PK\x03\x04",
    b"\x1f\x8b",  # gzip
    b"wOF2",
    b"wOFF",
)


def snapshot_database(project: Project, dest: Path) -> None:
    """A consistent copy of the project's database, even while the app writes to it."""
    source = sqlite3.connect(f"{(project.path / DB_NAME).resolve().as_uri()}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(dest)
        try:
            source.backup(target)
            # A standalone file: no WAL beside it. Opening the project switches WAL back on.
            target.execute("PRAGMA journal_mode = DELETE")
            target.commit()
        finally:
            target.close()
    finally:
        source.close()


def _blob_names(project: Project) -> list[str]:
    return sorted(p.name for p in project.blobs.root.iterdir() if HEX64.match(p.name))


def _looks_compressed(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(12)
    return head.startswith(_COMPRESSED_MAGIC) or head[4:8] == b"ftyp" or head[8:12] == b"WEBP"


def _counts(db: Path) -> dict[str, Any]:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "name": one("SELECT value FROM meta WHERE key = 'name'"),
            "versions": one("SELECT count(*) FROM versions"),
            "assets": one("SELECT count(*) FROM assets"),
            "messages": one("SELECT count(*) FROM messages"),
            "video_jobs": one("SELECT count(*) FROM video_jobs"),
        }
    finally:
        conn.close()


def write_archive(project: Project, out_path: Path, on_progress: ProgressCallback | None = None):
    """Write the archive (blocking; run it in a thread). Returns the bytes written."""
    progress = Progress(on_progress)
    out_path = Path(out_path)
    with tempfile.TemporaryDirectory(prefix="studio-archive-") as scratch:
        db = Path(scratch) / DB_NAME
        snapshot_database(project, db)  # first: every blob it names exists already
        referenced = referenced_blobs(db)
        names = _blob_names(project)
        missing = referenced - set(names)
        if missing:
            raise ExportError(
                f"the project is damaged: it is missing {len(missing)} blob(s), "
                f"e.g. {sorted(missing)[0][:12]}…"
            )
        sizes = {n: project.blobs.path(n).stat().st_size for n in names}
        total = db.stat().st_size + sum(sizes.values()) or 1
        manifest = {
            "app": APP_ID,
            "archive_format": ARCHIVE_FORMAT,
            "project_format": FORMAT_VERSION,
            "studio_version": __version__,
            "created": time.time(),
            "blobs": len(names),
            "blob_bytes": sum(sizes.values()),
            **_counts(db),
        }
        done = 0
        with atomic_file(out_path) as tmp, zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
            zf.writestr(
                _info(MANIFEST, zipfile.ZIP_DEFLATED), json.dumps(manifest, indent=2) + "\n"
            )
            _write_entry(zf, DB_ENTRY, db, zipfile.ZIP_DEFLATED, None)
            done += db.stat().st_size
            progress(done / total)
            for name in names:
                path = project.blobs.path(name)
                kind = zipfile.ZIP_STORED if _looks_compressed(path) else zipfile.ZIP_DEFLATED
                _write_entry(zf, BLOB_PREFIX + name, path, kind, name)
                done += sizes[name]
                progress(done / total)
            zf.close()
            size = tmp.stat().st_size
    progress(1.0)
    return size


def _info(name: str, compress_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = compress_type
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def _write_entry(zf: zipfile.ZipFile, name: str, path: Path, kind: int, sha: str | None) -> None:
    """Stream a file into the zip; a blob whose content no longer matches its name stops it."""
    size = path.stat().st_size
    digest = hashlib.sha256()
    with path.open("rb") as src, zf.open(_info(name, kind), "w", force_zip64=size > 1 << 31) as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
    if sha is not None and digest.hexdigest() != sha:
        raise ExportError(f"the project is damaged: blob {sha[:12]}… does not match its hash")


class ArchiveExporter:
    name = "archive"
    title = "Project archive (.studioproj)"
    suffix = SUFFIX
    description = "The whole project, every version, asset and message, to open elsewhere."

    def estimate(self, project: Project, version: int | None) -> int:
        db = project.path / DB_NAME
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
        try:  # pages in use, WAL included: what the snapshot will hold
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            total = pages * conn.execute("PRAGMA page_size").fetchone()[0] // 3
        finally:
            conn.close()
        for name in _blob_names(project):
            path = project.blobs.path(name)
            size = path.stat().st_size
            total += (size if _looks_compressed(path) else size // 3) + 2 * len(name) + 100
        return total + 1024

    async def export(
        self,
        project: Project,
        version: int | None,
        out_path: Path,
        on_progress: ProgressCallback | None = None,
    ) -> ExportResult:
        # The archive always holds every version; `version` is accepted for the protocol.
        if version is not None:
            project.version(version)
        size = await asyncio.to_thread(write_archive, project, Path(out_path), on_progress)
        return ExportResult(Path(out_path), size)
