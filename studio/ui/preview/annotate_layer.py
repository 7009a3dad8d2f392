"""Annotate: the game's frame frozen under a layer the person draws on (arrows, circles, a
few words); Attach sends the marked picture with the next prompt."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QToolButton,
    QWidget,
)

from studio.ui.widgets.png import png_of

INK = QColor("#ff3b4f")
HALO = QColor(0, 0, 0, 170)
WIDTH = 4.0
TOOLS = (("arrow", "Arrow", "Draw an arrow: drag from the tail to the point"),
         ("circle", "Circle", "Circle something: drag across it"),
         ("text", "Words", "Write a few words: click where they go"))  # fmt: skip


@dataclass
class Mark:
    kind: str  # "arrow", "circle" or "text"
    start: QPointF  # layer coordinates
    end: QPointF
    text: str = ""


def _arrow_head(start: QPointF, end: QPointF, size: float) -> QPolygonF:
    angle = math.atan2(end.y() - start.y(), end.x() - start.x())
    left = QPointF(end.x() - size * math.cos(angle - 0.45), end.y() - size * math.sin(angle - 0.45))
    right = QPointF(
        end.x() - size * math.cos(angle + 0.45), end.y() - size * math.sin(angle + 0.45)
    )
    return QPolygonF([end, left, right])


def _pen(colour: QColor, width: float) -> QPen:
    pen = QPen(colour, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def paint_marks(painter: QPainter, marks: list[Mark], scale: float = 1.0) -> None:
    """Draw `marks` (made at scale 1) on `painter`, each with a dark halo to stand out on
    any game."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    width = WIDTH * scale
    for mark in marks:
        a, b = mark.start * scale, mark.end * scale
        if mark.kind == "text":
            font = QFont()
            font.setPixelSize(round(18 * scale))
            font.setBold(True)
            path = QPainterPath()
            path.addText(a, font, mark.text)
            painter.strokePath(path, _pen(HALO, width))
            painter.fillPath(path, INK)
            continue
        for pen_colour, pen_width in ((HALO, width + 3 * scale), (INK, width)):
            painter.setPen(_pen(pen_colour, pen_width))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            if mark.kind == "circle":
                painter.drawEllipse(QRectF(a, b).normalized())
            else:
                painter.drawLine(a, b)
                painter.setBrush(pen_colour)
                painter.drawPolygon(_arrow_head(a, b, 16 * scale))


class AnnotateLayer(QWidget):
    """Over the game's view while Annotate is on. `attached(png)` with the marked frame."""

    attached = Signal(bytes)
    cancelled = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.frame = QImage()
        self.marks: list[Mark] = []
        self._drawing: Mark | None = None
        self.tool = "arrow"
        self.bar = QFrame(self)
        self.bar.setObjectName("annotateBar")
        self.bar.setStyleSheet(
            "QFrame#annotateBar { background: rgba(24, 28, 34, 230); border-radius: 6px; }"
        )
        row = QHBoxLayout(self.bar)
        row.setContentsMargins(6, 4, 6, 4)
        row.setSpacing(4)
        self.tools = QButtonGroup(self)
        for name, text, tip in TOOLS:
            button = QToolButton(text=text, checkable=True, toolTip=tip)
            button.setObjectName(f"annotate_{name}")
            button.setChecked(name == self.tool)
            button.clicked.connect(lambda _c=False, n=name: setattr(self, "tool", n))
            self.tools.addButton(button)
            row.addWidget(button)
        self.undo_button = QToolButton(text="Undo", toolTip="Take back the last mark")
        self.undo_button.clicked.connect(self.undo)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancelled)
        self.attach_button = QPushButton("Attach to prompt")
        self.attach_button.setObjectName("primaryButton")
        self.attach_button.setToolTip("The marked frame goes with the next prompt")
        self.attach_button.clicked.connect(self.attach)
        for w in (self.undo_button, self.cancel_button, self.attach_button):
            row.addWidget(w)
        self.words = QLineEdit(self)
        self.words.setPlaceholderText("a few words, Enter")
        self.words.setMaximumWidth(220)
        self.words.returnPressed.connect(self._words_done)
        self.words.hide()
        self.hide()

    def start(self, frame: QImage, geometry) -> None:
        """Freeze `frame` (the view's picture now) over the view's `geometry`."""
        self.frame = frame
        self.marks = []
        self.setGeometry(geometry)
        self.bar.adjustSize()
        self.bar.move(8, 8)
        self.show()
        self.raise_()
        self.setFocus()
        self._update_buttons()

    def undo(self) -> None:
        if self.marks:
            self.marks.pop()
            self._update_buttons()
            self.update()

    def _update_buttons(self) -> None:
        self.undo_button.setEnabled(bool(self.marks))
        self.attach_button.setEnabled(bool(self.marks))

    # -- drawing ---------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = event.position()
        if self.tool == "text":
            self.words.move(point.toPoint())
            self.words.setProperty("at", point)
            self.words.clear()
            self.words.show()
            self.words.setFocus()
            return
        self._drawing = Mark(self.tool, point, point)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drawing is not None:
            self._drawing.end = event.position()
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        mark, self._drawing = self._drawing, None
        if mark is None:
            return
        mark.end = event.position()
        if (mark.end - mark.start).manhattanLength() > 8:
            self.marks.append(mark)
            self._update_buttons()
        self.update()

    def add_mark(self, mark: Mark) -> None:
        self.marks.append(mark)
        self._update_buttons()
        self.update()

    def _words_done(self) -> None:
        text = " ".join(self.words.text().split())[:80]
        at = self.words.property("at")
        self.words.hide()
        self.setFocus()
        if text and isinstance(at, QPointF):
            self.add_mark(Mark("text", at, at, text))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            if self.words.isVisible():
                self.words.hide()
            else:
                self.cancelled.emit()
            return
        if event.matches(QKeySequence.StandardKey.Undo):
            self.undo()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        if not self.frame.isNull():
            painter.drawImage(self.rect(), self.frame)
        marks = self.marks + ([self._drawing] if self._drawing is not None else [])
        paint_marks(painter, marks)

    # -- the picture -----------------------------------------------------------------------

    def render_png(self) -> bytes:
        """The frozen frame with the marks, at the frame's own pixel size."""
        image = self.frame.convertToFormat(QImage.Format.Format_ARGB32)
        painter = QPainter(image)
        paint_marks(painter, self.marks, image.width() / max(1, self.width()))
        painter.end()
        return png_of(image)

    def attach(self) -> None:
        if self.marks:
            self.attached.emit(self.render_png())
