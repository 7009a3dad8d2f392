"""Pictures as Qt shows them: decoded and scaled off the GUI thread, on a checkerboard where
they are see-through, with crisp pixels when a small sprite is shown large.

A 1024 px PNG takes 10-20 ms to decode: more than half a frame, so thumbnails are made on a
worker thread (`thumbnails`), where QImage and a QPainter on a QImage may be used; only
the small results become pixmaps on the GUI thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter

__all__ = ["checkered", "decode", "fit", "thumbnail", "thumbnails"]

CHECK = 8  # side of a checkerboard square, in pixels
_LIGHT, _DARK = QColor("#3a3f4b"), QColor("#2c313a")


def decode(data: bytes) -> QImage:
    """The picture (a null QImage when the bytes are not one)."""
    return QImage.fromData(data)


def fit(image: QImage, size: QSize) -> QImage:
    """`image` scaled to fit `size`: smooth when shrinking, blocky when a sprite grows (its
    pixels are the point)."""
    if image.isNull():
        return image
    grows = image.width() < size.width() and image.height() < size.height()
    mode = (
        Qt.TransformationMode.FastTransformation
        if grows
        else (Qt.TransformationMode.SmoothTransformation)
    )
    return image.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, mode)


def checkered(image: QImage, size: QSize | None = None) -> QImage:
    """`image` centred on a checkerboard of `size` (its own size by default), so that what
    is see-through shows as such."""
    size = size or image.size()
    out = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(out)
    for y in range(0, size.height(), CHECK):
        for x in range(0, size.width(), CHECK):
            light = (x // CHECK + y // CHECK) % 2 == 0
            painter.fillRect(QRect(x, y, CHECK, CHECK), _LIGHT if light else _DARK)
    if not image.isNull():
        x = (size.width() - image.width()) // 2
        y = (size.height() - image.height()) // 2
        painter.drawImage(x, y, image)
    painter.end()
    return out


def thumbnail(picture: bytes | Path, size: QSize) -> QImage:
    """A thumbnail of `size` on a checkerboard (blocking: call it on a worker thread)."""
    data = picture if isinstance(picture, bytes) else _read(picture)
    return checkered(fit(decode(data), size), size)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # gone meanwhile: an empty square rather than a failure
        return b""


async def thumbnails(pictures: Mapping[str, bytes | Path], size: QSize) -> dict[str, QImage]:
    """Thumbnails of several pictures (bytes or files) by key, made on a worker thread."""
    items = list(pictures.items())
    return await asyncio.to_thread(lambda: {key: thumbnail(data, size) for key, data in items})
