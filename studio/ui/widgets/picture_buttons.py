"""Buttons that fetch a picture for a form: from a file ("Image…") or from the project's
pictures (an "Asset" menu of the library's images, read when it opens: imported pictures,
pictures an image service made, clip thumbnails, screenshots)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QMenu, QToolButton, QWidget

PICTURE_FILTER = "Pictures (*.png *.jpg *.jpeg *.webp)"

Pick = Callable[[bytes, str], object]  # (the picture's bytes, its name)


def readable(data: bytes) -> bool:
    return not QImage.fromData(data).isNull()


def asset_button(session: Any, pick: Pick, tip: str) -> QToolButton:
    """An "Asset" button: a menu of the project's pictures, read when it opens;
    `pick(bytes, asset name)`."""
    button = QToolButton(text="Asset")
    button.setToolTip(tip)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    menu = QMenu(button)

    def fill() -> None:
        menu.clear()
        project = session.project
        pictures = [a for a in project.assets() if a.kind == "image"] if project else []
        for asset in pictures:
            menu.addAction(asset.name, lambda a=asset: pick(project.blobs.read(a.blob), a.name))
        if not pictures:
            menu.addAction("No pictures in this project").setEnabled(False)

    menu.aboutToShow.connect(fill)
    button.setMenu(menu)
    return button


def file_button(parent: QWidget, text: str, tip: str, pick: Pick) -> QToolButton:
    """A button that asks for a picture file and hands its bytes to `pick`."""
    button = QToolButton(text=text)
    button.setToolTip(tip)

    def ask() -> None:
        path, _ = QFileDialog.getOpenFileName(parent, tip, "", PICTURE_FILTER)
        if path:
            try:
                pick(Path(path).read_bytes(), Path(path).name)
            except OSError as exc:
                pick(b"", f"{Path(path).name}: {exc.strerror or exc}")

    button.clicked.connect(ask)
    return button
