"""Studio's icons: one set of line icons drawn alike (resources/icons/ui/*.svg, 24 px, 2 px
strokes), so toolbars and buttons do not mix the platform's pictures with others."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from studio.config.resources import resource_path

NAMES = (
    "compare", "muted", "new", "open", "pause", "record", "reload", "run", "screenshot",
    "sound", "start", "stop",
)  # fmt: skip


@cache
def icon(name: str) -> QIcon:
    """The icon `name` (one of NAMES)."""
    if name not in NAMES:
        raise KeyError(f"no icon named {name!r}")
    return QIcon(str(resource_path("icons", "ui", f"{name}.svg")))
