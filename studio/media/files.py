"""Input checks and all-or-nothing output files."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from studio.media.errors import MediaError

PathLike = str | os.PathLike[str]


def arg_path(path: PathLike) -> str:
    """A path as an ffmpeg argument: absolute, so a name like ``pipe:1`` or ``-x.mp4`` is not
    taken for a protocol or an option."""
    return str(Path(path).absolute())


def check_input(path: PathLike) -> Path:
    """The input as a Path, or a MediaError that says plainly what is wrong with it."""
    path = Path(path)
    name = path.name or str(path)
    if not path.exists():
        raise MediaError(f"{name} does not exist", path=path)
    if path.is_dir():
        raise MediaError(f"{name} is a folder, not a video file", path=path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise MediaError(f"{name} cannot be read: {exc.strerror or exc}", path=path) from exc
    if size == 0:
        raise MediaError(f"{name} is empty", path=path)
    if not os.access(path, os.R_OK):
        raise MediaError(f"{name} cannot be read (permission denied)", path=path)
    return path


@contextlib.contextmanager
def atomic_output(dest: PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; rename it to ``dest`` only if the block succeeds.

    A failed or cancelled block removes the temporary file, so ``dest`` is never left
    half-written. The temporary name keeps the suffix, so ffmpeg still picks the format.
    """
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MediaError(
            f"Cannot create the folder for {dest.name}: {exc.strerror or exc}", path=dest
        ) from exc
    # Not mkstemp: ffmpeg creates the file itself, with the usual permissions, not 0600.
    tmp = dest.with_name(f".{dest.stem}.{secrets.token_hex(4)}.part{dest.suffix}")
    done = False
    try:
        yield tmp
        if not tmp.is_file():
            raise MediaError(f"ffmpeg wrote no output for {dest.name}", path=dest)
        try:
            os.replace(tmp, dest)
        except OSError as exc:
            raise MediaError(f"Cannot write {dest.name}: {exc.strerror or exc}", path=dest) from exc
        done = True
    finally:
        if not done:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
