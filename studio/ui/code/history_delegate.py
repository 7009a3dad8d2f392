"""Painting History's first column: the graph (a dot per version, a lane per line of
versions, a curve where a branch leaves), the version's picture, then its text.

The rows' shape comes from `studio.operations.history_graph`; pictures are the ones the
Preview saved (`studio.operations.recent`), read when a row is first painted and kept, so
only rows in view cost anything.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from studio.operations.history_graph import GraphRow

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the GraphRow of an item
PICTURE_ROLE = Qt.ItemDataRole.UserRole + 2  # the path of its picture (may not exist yet)
LANE = 14  # px between lanes
PICTURE = QSize(48, 27)
ROW_HEIGHT = PICTURE.height() + 6
LANE_COLOURS = ("#61afef", "#c678dd", "#98c379", "#e5c07b", "#56b6c2", "#e06c75")
KEPT_PICTURES = 200


class HistoryDelegate(QStyledItemDelegate):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lanes = 1  # how many lanes the graph has (the panel sets it on refresh)
        self._pictures: OrderedDict[str, QPixmap] = OrderedDict()

    def forget(self, path: Path | None = None) -> None:
        """Read a picture (or all of them) again next time: it was made anew."""
        if path is None:
            self._pictures.clear()
        else:
            self._pictures.pop(str(path), None)

    def _picture(self, path: str | None) -> QPixmap | None:
        if not path:
            return None
        if path not in self._pictures:
            pixmap = QPixmap(path)
            if pixmap.isNull():
                return None  # not made yet: asked again on the next paint
            self._pictures[path] = pixmap.scaled(
                PICTURE,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            while len(self._pictures) > KEPT_PICTURES:
                self._pictures.popitem(last=False)
        self._pictures.move_to_end(path)
        return self._pictures[path]

    def graph_width(self) -> int:
        return self.lanes * LANE + 6

    def sizeHint(  # noqa: N802 (Qt API)
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        if index.column() == 0:
            size.setWidth(size.width() + self.graph_width() + PICTURE.width() + 8)
        return QSize(size.width(), max(size.height(), ROW_HEIGHT))

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        row = index.data(ROW_ROLE)
        if index.column() != 0 or not isinstance(row, GraphRow):
            super().paint(painter, option, index)
            return
        style = option.widget.style() if option.widget else None
        if style is not None:  # the selection's background spans the whole cell
            style.drawPrimitive(
                QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget
            )
        rect = QRect(option.rect)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_graph(painter, rect, row)
        picture = self._picture(index.data(PICTURE_ROLE))
        left = rect.left() + self.graph_width()
        frame = QRect(left, rect.top() + (rect.height() - PICTURE.height()) // 2, 0, 0)
        frame.setSize(PICTURE)
        painter.fillRect(frame, QColor("#15181e"))
        if picture is not None:
            painter.drawPixmap(
                frame.left() + (PICTURE.width() - picture.width()) // 2,
                frame.top() + (PICTURE.height() - picture.height()) // 2,
                picture,
            )
        painter.restore()
        text = QStyleOptionViewItem(option)
        text.rect = rect.adjusted(self.graph_width() + PICTURE.width() + 8, 0, 0, 0)
        super().paint(painter, text, index)

    def _paint_graph(self, painter: QPainter, rect: QRect, row: GraphRow) -> None:
        top, bottom = rect.top(), rect.bottom() + 1
        middle = rect.center().y()

        def x(lane: int) -> float:
            return rect.left() + 4 + lane * LANE + LANE / 2

        def pen(lane: int) -> QPen:
            return QPen(QColor(LANE_COLOURS[lane % len(LANE_COLOURS)]), 2)

        for lane in row.up:
            painter.setPen(pen(lane))
            painter.drawLine(QPointF(x(lane), top), QPointF(x(lane), middle))
        for lane in row.down:
            painter.setPen(pen(lane))
            painter.drawLine(QPointF(x(lane), middle), QPointF(x(lane), bottom))
        for lane in row.forks:  # a branch leaves the dot and bends down into its lane
            path = QPainterPath(QPointF(x(row.lane), middle))
            path.cubicTo(
                QPointF(x(lane), middle), QPointF(x(lane), middle), QPointF(x(lane), bottom)
            )
            painter.setPen(pen(lane))
            painter.drawPath(path)
        painter.setPen(QPen(QColor("#21252b"), 2))
        painter.setBrush(QColor(LANE_COLOURS[row.lane % len(LANE_COLOURS)]))
        radius = 5.5 if row.folded else 4.0
        painter.drawEllipse(QPointF(x(row.lane), middle), radius, radius)
