"""What every exporter is, and the small helpers they share."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from studio.core.store import Project
from studio.errors import StudioError

ProgressCallback = Callable[[float], None]

# Above this a single HTML file opens slowly (phones decode the whole file before playing)
# and some hosts and mail refuse it; the zip keeps videos as separate files.
LARGE_SINGLE_FILE = 20 * 1024 * 1024


class ExportError(StudioError):
    """An export could not be made; nothing was written at the destination."""


@runtime_checkable
class Exporter(Protocol):
    """An export format, registered through the plugin hook `register_exporters`.

    `export` writes all or nothing: a failure or cancellation leaves `out_path` as it was.
    `estimate` is quick (no encoding) and is shown before anything is written.
    """

    name: str  # short id used on the command line: "html", "zip", "archive"
    title: str  # shown in the Export dialog
    suffix: str  # file suffix with its dot; "" for an exporter that writes a folder

    def estimate(self, project: Project, version: int | None) -> int: ...

    async def export(
        self,
        project: Project,
        version: int | None,
        out_path: Path,
        on_progress: ProgressCallback | None = None,
    ) -> ExportResult: ...


@dataclass(frozen=True)
class ExportResult:
    path: Path
    size: int  # bytes written (a folder: all its files)
    notes: tuple[str, ...] = ()  # things the person may want to know (a clip without fallback)


def human_size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def size_warning(exporter: Exporter, size: int) -> str | None:
    """A sentence for the person when this export would be awkwardly large, else None."""
    limit = getattr(exporter, "large_size", None)
    if limit is None or size <= limit:
        return None
    return (
        f"This single file would be about {human_size(size)}. Files this large open slowly "
        "(on phones especially) and some sites and mail refuse them; large videos are the "
        "usual cause. The zip (web folder) keeps them as separate files."
    )


def default_file_name(project: Project, version: int | None, exporter: Exporter) -> str:
    """`My-game-v12.html`: the project's name made safe for any file system."""
    vid = project.resolve(version) if exporter.name != "archive" else None
    stem = re.sub(r"[^\w.-]+", "-", project.name, flags=re.UNICODE).strip("-.") or "game"
    return f"{stem}-v{vid}{exporter.suffix}" if vid is not None else f"{stem}{exporter.suffix}"


class Progress:
    """Maps stages onto one 0..1 bar and only ever moves forward."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = callback
        self._last = -1.0

    def __call__(self, fraction: float) -> None:
        fraction = max(0.0, min(fraction, 1.0))
        if self._callback is not None and fraction > self._last:
            self._last = fraction
            self._callback(fraction)

    def part(self, low: float, high: float) -> ProgressCallback:
        return lambda f: self(low + (high - low) * f)


def temp_sibling(dest: Path, tag: str) -> Path:
    """A hidden name beside `dest`, so the final rename stays on one file system."""
    return dest.with_name(f".{dest.name}.{tag}-{secrets.token_hex(4)}")


@contextlib.contextmanager
def atomic_file(dest: Path) -> Iterator[Path]:
    """Yield a temporary path beside `dest`; it becomes `dest` only if the block succeeds."""
    dest = Path(dest)
    if dest.is_dir():
        raise ExportError(f"{dest} is a folder")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(dest, "part")
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_folder(dest: Path) -> Iterator[Path]:
    """Yield a temporary folder beside `dest`; renamed to `dest` only if the block succeeds."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ExportError(f"{dest} already exists")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(dest, "part")
    tmp.mkdir()
    try:
        yield tmp
        if dest.exists():
            dest.rmdir()  # empty, checked above
        os.rename(tmp, dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
