"""Small drawn icons for the Preview's Pick, Annotate and Knobs buttons (the strip under the
game), in a dark ink that reads on the light buttons."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

SIZE = 20
INK = QColor("#4b5263")


def _icon(draw: Callable[[QPainter], None]) -> QIcon:
    pixmap = QPixmap(SIZE * 2, SIZE * 2)  # drawn at twice the size: sharp on HiDPI screens
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(2, 2)
    pen = QPen(INK, 1.6)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    draw(painter)
    painter.end()
    pixmap.setDevicePixelRatio(2)
    return QIcon(pixmap)


def pick_icon() -> QIcon:
    """A target: what is pointed at."""

    def draw(p: QPainter) -> None:
        p.drawEllipse(QPointF(10, 10), 5.5, 5.5)
        for a, b in (((10, 1.5), (10, 5)), ((10, 15), (10, 18.5)),
                     ((1.5, 10), (5, 10)), ((15, 10), (18.5, 10))):  # fmt: skip
            p.drawLine(QPointF(*a), QPointF(*b))
        p.setBrush(INK)
        p.drawEllipse(QPointF(10, 10), 1.3, 1.3)

    return _icon(draw)


def annotate_icon() -> QIcon:
    """A pen over a stroke."""

    def draw(p: QPainter) -> None:
        p.drawLine(QPointF(5, 15), QPointF(15, 5))
        p.drawLine(QPointF(13, 3), QPointF(17, 7))
        p.drawLine(QPointF(5, 15), QPointF(4, 17.5))
        p.drawLine(QPointF(4, 17.5), QPointF(6.5, 16.5))
        p.drawArc(QRectF(8, 13, 9, 6), 180 * 16, 180 * 16)

    return _icon(draw)


def knobs_icon() -> QIcon:
    """Three sliders."""

    def draw(p: QPainter) -> None:
        for y, x in ((5, 7), (10, 13), (15, 9)):
            p.drawLine(QPointF(2.5, y), QPointF(17.5, y))
            p.setBrush(QColor("#e6e8ec"))
            p.drawEllipse(QPointF(x, y), 2.2, 2.2)

    return _icon(draw)
