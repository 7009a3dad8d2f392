"""Pick mode's layer over the game: hovering outlines what is under the pointer, a click
picks it, a drag marks a region. The layer takes every mouse event while it is up, so the
game sees none; points come from Qt's own events and questions go to the page through
`studio.sandbox.pick` (an isolated world), never through anything the page can write.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QWidget

from studio.sandbox.pick import ask_hover, ask_pick

ACCENT = QColor("#61afef")
DRAG = 6  # pixels the pointer moves before a press becomes a dragged box
REGION = 120  # CSS pixels: the box a click on a canvas marks


class PickLayer(QWidget):
    """Covers the game's view (same geometry). `picked(kind, data)`: ("element", the page's
    description) or ("region", [x, y, w, h] in CSS pixels, with "on" what was under it)."""

    picked = Signal(str, object)
    cancelled = Signal()

    def __init__(self, view: QWidget, page, parent: QWidget) -> None:
        super().__init__(parent)
        self.view = view
        self.page = page
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self._hover: tuple[QRectF, str, str] | None = None  # widget box, label, TAG
        self._pointer: QPoint | None = None
        self._press: QPoint | None = None
        self._drag: QRect | None = None
        self._asking = False
        self._wanted: QPoint | None = None  # the newest point not asked about yet
        self._asked_at = 0.0
        self.hover_latencies: list[float] = []  # seconds from a move to its outline
        self.hide()

    # -- geometry --------------------------------------------------------------------------

    @property
    def zoom(self) -> float:
        return self.view.zoomFactor() or 1.0

    def css(self, point: QPoint | QPointF) -> tuple[float, float]:
        return point.x() / self.zoom, point.y() / self.zoom

    def start(self) -> None:
        self.setGeometry(self.view.geometry())
        self._hover = self._drag = self._press = None
        self.show()
        self.raise_()
        self.setFocus()

    # -- events ----------------------------------------------------------------------------

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        point = event.position().toPoint()
        self._pointer = point
        if self._press is not None and (point - self._press).manhattanLength() > DRAG:
            corner = QPoint(min(point.x(), self._press.x()), min(point.y(), self._press.y()))
            size = QSize(abs(point.x() - self._press.x()), abs(point.y() - self._press.y()))
            self._drag = QRect(corner, size)
            self.update()
            return
        self._wanted = point
        self._ask_hover()
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
            self._drag = None
        elif event.button() == Qt.MouseButton.RightButton:
            self.cancelled.emit()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or self._press is None:
            return
        point, self._press = event.position().toPoint(), None
        drag, self._drag = self._drag, None
        if drag is not None and drag.width() > DRAG and drag.height() > DRAG:
            x, y = self.css(drag.topLeft())
            self._emit_region([x, y, drag.width() / self.zoom, drag.height() / self.zoom], "")
            return
        x, y = self.css(point)
        ask_pick(self.page, x, y, lambda found: self._picked(found, x, y))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self.cancelled.emit()
            return
        super().keyPressEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._pointer = None
        self._hover = None
        self.update()

    # -- the page's answers ----------------------------------------------------------------

    def _ask_hover(self) -> None:
        if self._asking or self._wanted is None:
            return  # one question at a time: the newest point is asked next
        point, self._wanted = self._wanted, None
        self._asking, self._asked_at = True, time.perf_counter()
        x, y = self.css(point)
        ask_hover(self.page, x, y, self._hovered)

    def _hovered(self, found) -> None:
        self._asking = False
        if not self.isVisible():
            return
        if isinstance(found, list) and len(found) == 6:
            try:
                x, y, w, h = (float(v) * self.zoom for v in found[:4])
            except (TypeError, ValueError):
                x = y = w = h = 0.0
            self._hover = (QRectF(x, y, w, h), str(found[4])[:60], str(found[5]))
        else:
            self._hover = None
        self.update()
        self.hover_latencies.append(time.perf_counter() - self._asked_at)
        self._ask_hover()

    def _canvas_box(self, x: float, y: float) -> list[float]:
        """A REGION-sized box around (x, y), inside the view (CSS pixels)."""
        width, height = self.width() / self.zoom, self.height() / self.zoom
        side_w, side_h = min(REGION, width), min(REGION, height)
        left = min(max(0.0, x - side_w / 2), width - side_w)
        top = min(max(0.0, y - side_h / 2), height - side_h)
        return [left, top, side_w, side_h]

    def _picked(self, found, x: float, y: float) -> None:
        if not self.isVisible():
            return
        tag = str(found.get("tag", "")) if isinstance(found, dict) else ""
        if tag in ("", "canvas", "html", "body"):
            on = "canvas" if tag == "canvas" else ""
            if tag == "canvas" and found.get("id"):
                on += f"#{found['id']}"
            self._emit_region(self._canvas_box(x, y), on)
            return
        self.picked.emit("element", found)

    def _emit_region(self, box: list[float], on: str) -> None:
        self.picked.emit("region", {"box": box, "on": on})

    # -- drawing ---------------------------------------------------------------------------

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fill = QColor(ACCENT)
        fill.setAlpha(40)
        if self._drag is not None:
            painter.setPen(QPen(ACCENT, 2, Qt.PenStyle.DashLine))
            painter.fillRect(self._drag, fill)
            painter.drawRect(self._drag)
            return
        if self._hover is None:
            return
        box, label, tag = self._hover
        if tag == "CANVAS" and self._pointer is not None:
            x, y, w, h = self._canvas_box(*self.css(self._pointer))
            box = QRectF(x * self.zoom, y * self.zoom, w * self.zoom, h * self.zoom)
            label = "click: this part of the canvas · drag: a box"
            painter.setPen(QPen(ACCENT, 2, Qt.PenStyle.DashLine))
        else:
            painter.setPen(QPen(ACCENT, 2))
        painter.fillRect(box, fill)
        painter.drawRect(box.adjusted(1, 1, -1, -1))
        self._tag(painter, box, label)

    def _tag(self, painter: QPainter, box: QRectF, label: str) -> None:
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, font.pointSizeF() - 1))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        text_w, text_h = metrics.horizontalAdvance(label) + 10, metrics.height() + 4
        top = box.top() - text_h if box.top() >= text_h else box.bottom()
        left = min(max(0.0, box.left()), max(0.0, self.width() - text_w))
        tag = QRectF(left, min(top, self.height() - text_h), text_w, text_h)
        painter.fillRect(tag, ACCENT)
        painter.setPen(QColor("#0c0e12"))
        painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)
