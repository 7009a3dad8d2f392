"""Dragging a project asset's name between widgets: a picture from the Images tab into the
Chat prompt box names it there (`assets/<name>`, the path a game loads it by)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QMimeData

__all__ = ["ASSET_MIME", "asset_mime_data", "asset_paths"]

ASSET_MIME = "application/x-studio-asset"  # asset names, one a line


def asset_mime_data(names: Iterable[str]) -> QMimeData:
    """What a drag of assets `names` carries: their names, and their paths as text for
    widgets that only take text."""
    names = [n for n in names if n]
    data = QMimeData()
    data.setData(ASSET_MIME, "\n".join(names).encode())
    data.setText(" ".join(f"assets/{name}" for name in names))
    return data


def asset_paths(data: QMimeData) -> list[str]:
    """The `assets/<name>` paths a drop carries (empty when it carries no asset)."""
    if not data.hasFormat(ASSET_MIME):
        return []
    names = bytes(data.data(ASSET_MIME)).decode(errors="replace").splitlines()
    return [f"assets/{name.strip()}" for name in names if name.strip()]
