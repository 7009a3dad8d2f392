"""Recent projects for the start screen, and the small pictures of versions (History, the
start screen) kept beside a project.

A version's picture is what the Preview showed of it, saved once it first painted:
`<project>/thumbnails/v<id>.png`. They are a cache (an archive leaves them out; a missing one
is made again when the version is shown), written to a temporary file and renamed.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.store import DB_NAME

__all__ = [
    "RecentProject",
    "forget_recent",
    "recent_projects",
    "remember_recent",
    "save_thumbnail",
    "thumbnail_path",
]

SETTING = "recent_projects"
KEPT = 12
THUMBNAILS = "thumbnails"


@dataclass(frozen=True)
class RecentProject:
    path: Path
    name: str
    thumbnail: Path | None  # the newest version's picture, if one was made


def thumbnail_path(project_path: Path, version_id: int) -> Path:
    return Path(project_path) / THUMBNAILS / f"v{version_id}.png"


def save_thumbnail(project_path: Path, version_id: int, png: bytes) -> Path:
    """Keep `png` as version `version_id`'s picture (atomically: a reader never sees half)."""
    target = thumbnail_path(project_path, version_id)
    target.parent.mkdir(exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(png)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target


def _newest_thumbnail(project_path: Path) -> Path | None:
    folder = Path(project_path) / THUMBNAILS
    try:
        pictures = [p for p in folder.glob("v*.png") if p.stem[1:].isdigit()]
    except OSError:
        return None
    return max(pictures, key=lambda p: int(p.stem[1:]), default=None)


def remember_recent(settings: Any, path: Path) -> None:
    """Put `path` first among the recent projects."""
    path = Path(path).resolve()
    kept = [str(path)] + [p for p in _stored(settings) if Path(p) != path]
    settings.set(SETTING, kept[:KEPT])


def forget_recent(settings: Any, path: Path) -> None:
    path = Path(path).resolve()
    settings.set(SETTING, [p for p in _stored(settings) if Path(p) != path])


def _stored(settings: Any) -> list[str]:
    value = settings.get(SETTING) or []
    return [str(p) for p in value if isinstance(p, str)] if isinstance(value, list) else []


def recent_projects(settings: Any) -> list[RecentProject]:
    """The recent projects that still exist, newest first, with their newest picture."""
    found = []
    for text in _stored(settings):
        path = Path(text)
        if (path / DB_NAME).is_file():
            name = path.name.removesuffix(".studio")
            found.append(RecentProject(path, name, _newest_thumbnail(path)))
    return found
