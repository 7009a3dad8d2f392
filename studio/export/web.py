"""The game as a web folder (or a zip of one): `index.html` at the root, files beside it.

Ready for itch.io ("HTML" project, upload the zip) or any static host. Pages get the
network-forbidding Content-Security-Policy; WebM videos get an MP4 `<source>` after them.
"""

from __future__ import annotations

import asyncio
import json
import stat
import time
import zipfile
from pathlib import Path

from studio.core.records import guess_mime
from studio.core.store import Project
from studio.export.base import (
    ExportResult,
    Progress,
    ProgressCallback,
    atomic_file,
    atomic_folder,
)
from studio.export.bundle import GameBundle, estimate_fallbacks, load_bundle, version_hashes
from studio.export.rewrite import HtmlRewrite, decode_text
from studio.export.shell import (
    FOLDER_BOOTSTRAP,
    LOCAL_FETCH_BOOTSTRAP,
    WEB_FOLDER_CSP,
    csp_meta,
)

HTML_SUFFIXES = (".html", ".htm")
# Already compressed: stored as they are, which is as small and much quicker.
STORED_SUFFIXES = (
    ".webm", ".mp4", ".m4v", ".mov", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif",
    ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".woff", ".woff2", ".zip", ".gz",
)  # fmt: skip
# How much text shrinks in the zip, for the estimate.
TEXT_RATIO = 0.35
# Data files a game fetches, carried in its pages for file:// (see LOCAL_FETCH_BOOTSTRAP);
# larger ones (and anything past the total) are left to a web host.
DATA_SUFFIXES = (".json", ".txt", ".csv", ".tsv", ".xml", ".glsl", ".vert", ".frag", ".md")
DATA_FILE_LIMIT = 512 * 1024
DATA_TOTAL_LIMIT = 2 * 1024 * 1024


def _script_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


def _data_files(files: dict[str, bytes]) -> dict[str, list[str]]:
    """path -> [MIME type, text] of the small text files a game may fetch."""
    out: dict[str, list[str]] = {}
    total = 0
    for path, data in sorted(files.items()):
        if not path.lower().endswith(DATA_SUFFIXES) or len(data) > DATA_FILE_LIMIT:
            continue
        if total + len(data) > DATA_TOTAL_LIMIT:
            break
        try:
            out[path] = [guess_mime(path), data.decode("utf-8")]
        except UnicodeDecodeError:
            continue
        total += len(data)
    return out


def web_files(bundle: GameBundle) -> dict[str, bytes]:
    """The files of the folder: pages rewritten, everything else as it is."""
    head = csp_meta(WEB_FOLDER_CSP)
    if bundle.fallbacks:
        head += FOLDER_BOOTSTRAP.replace("@@FALLBACKS@@", _script_json(bundle.fallbacks))
    data = _data_files(bundle.files)
    out: dict[str, bytes] = {}
    for path, content in bundle.files.items():
        if path.lower().endswith(HTML_SUFFIXES):
            page_head = head
            if data:  # the folder's root, seen from this page
                root = _script_json("../" * path.count("/") or "./")
                page_head += LOCAL_FETCH_BOOTSTRAP.replace("@@ROOT@@", root).replace(
                    "@@DATA@@", _script_json(data)
                )
            rewrite = HtmlRewrite(files=bundle.files, fallbacks=bundle.fallbacks, head=page_head)
            out[path] = rewrite.apply(decode_text(content), path).encode("utf-8")
            bundle.notes.extend(
                f"{path} refers to {m}, which is not in the game" for m in rewrite.missing
            )
        else:
            out[path] = content
    return out


def _estimate(project: Project, version: int | None, *, zipped: bool) -> int:
    _, hashes = version_hashes(project, version)
    total = 0
    for path, sha in hashes.items():
        size = project.blobs.size(sha)
        stored = path.lower().endswith(STORED_SUFFIXES)
        total += size if stored or not zipped else int(size * TEXT_RATIO)
        total += 100 + 2 * len(path) if zipped else 0  # local header + central directory
        total += 1200 if path.lower().endswith(HTML_SUFFIXES) else 0  # CSP and bootstrap
    return total + estimate_fallbacks(project, hashes)


class _WebExporter:
    """The web folder's pages and files, written by `_write` (a zip or a folder)."""

    zipped: bool

    def estimate(self, project: Project, version: int | None) -> int:
        return _estimate(project, version, zipped=self.zipped)

    async def export(
        self,
        project: Project,
        version: int | None,
        out_path: Path,
        on_progress: ProgressCallback | None = None,
    ) -> ExportResult:
        progress = Progress(on_progress)
        bundle = await load_bundle(project, version, on_progress=progress.part(0.0, 0.8))
        out_path = Path(out_path)

        def write() -> int:  # pages rewritten and files written off the GUI thread
            return self._write(web_files(bundle), bundle, out_path, progress)

        size = await asyncio.to_thread(write)
        progress(1.0)
        return ExportResult(out_path, size, tuple(bundle.notes))

    def _write(
        self, files: dict[str, bytes], bundle: GameBundle, out_path: Path, progress: Progress
    ) -> int:
        """Write `files` at `out_path` (on a worker thread); the bytes written."""
        raise NotImplementedError


class ZipExporter(_WebExporter):
    name = "zip"
    title = "Web folder as a zip (itch.io)"
    suffix = ".zip"
    description = "index.html with its files beside it, zipped: upload to itch.io or a web host."
    zipped = True

    def _write(
        self, files: dict[str, bytes], bundle: GameBundle, out_path: Path, progress: Progress
    ) -> int:
        stamp = time.localtime(bundle.created)[:6]
        with atomic_file(out_path) as tmp:
            with zipfile.ZipFile(tmp, "w") as zf:
                for n, (path, data) in enumerate(sorted(files.items())):
                    info = zipfile.ZipInfo(path, date_time=max(stamp, (1980, 1, 1, 0, 0, 0)))
                    info.external_attr = (stat.S_IFREG | 0o644) << 16
                    stored = path.lower().endswith(STORED_SUFFIXES)
                    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                    zf.writestr(info, data, compresslevel=None if stored else 9)
                    progress(0.8 + 0.2 * (n + 1) / len(files))
            return tmp.stat().st_size


class FolderExporter(_WebExporter):
    name = "folder"
    title = "Web folder"
    suffix = ""
    description = "index.html with its files beside it, in a new folder."
    zipped = False

    def _write(
        self, files: dict[str, bytes], bundle: GameBundle, out_path: Path, progress: Progress
    ) -> int:
        with atomic_folder(out_path) as tmp:
            for path, data in files.items():
                target = tmp / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        return sum(len(d) for d in files.values())
