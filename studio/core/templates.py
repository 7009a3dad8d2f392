"""Starter games: a folder with `index.html`, `template.json` and `thumbnail.png`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from studio.errors import StudioError

META_FILES = {"template.json", "thumbnail.png"}


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    description: str
    kind: str
    folder: Path

    @property
    def thumbnail(self) -> Path | None:
        path = self.folder / "thumbnail.png"
        return path if path.is_file() else None

    def files(self) -> dict[str, bytes]:
        """The game's files, without the gallery's metadata."""
        return {
            p.relative_to(self.folder).as_posix(): p.read_bytes()
            for p in sorted(self.folder.rglob("*"))
            if p.is_file()
            and p.relative_to(self.folder).as_posix() not in META_FILES
            and "__pycache__" not in p.parts
        }


def load_template(folder: Path) -> Template:
    meta_path = folder / "template.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StudioError(f"template {folder.name} has no readable template.json: {exc}") from None
    if not isinstance(meta, dict):
        raise StudioError(f"template {folder.name}: template.json is not a JSON object")
    if not (folder / "index.html").is_file():
        raise StudioError(f"template {folder.name} has no index.html")
    return Template(
        name=str(meta.get("name") or "").strip() or folder.name,
        title=str(meta.get("title") or "").strip() or folder.name,
        description=str(meta.get("description") or ""),
        kind=str(meta.get("kind") or ""),
        folder=folder,
    )
