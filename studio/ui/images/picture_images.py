"""Pictures as Qt shows them: decoded and scaled off the GUI thread, on a checkerboard where
they are see-through, with crisp pixels when a small sprite is shown large.

A 1024 px PNG takes 10-20 ms to decode: more than half a frame, so thumbnails are made on a
worker thread (`thumbnails`), where QImage and a QPainter on a QImage may be used; only
the small results become pixmaps on the GUI thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from studio.errors import StudioError

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


def thumbnail(data: bytes, size: QSize) -> QImage:
    """A thumbnail of `size` on a checkerboard (blocking: call it on a worker thread)."""
    return checkered(fit(decode(data), size), size)


async def thumbnails(
    keys: Iterable[str], read: Callable[[str], bytes], size: QSize
) -> dict[str, QImage]:
    """Thumbnails of several pictures by key (`read(key)` gives the bytes), made on a worker
    thread; a picture that cannot be read gets an empty square."""

    def make() -> dict[str, QImage]:
        made = {}
        for key in keys:
            try:
                data = read(key)
            except (OSError, StudioError):  # gone meanwhile
                data = b""
            made[key] = thumbnail(data, size)
        return made

    return await asyncio.to_thread(make)
