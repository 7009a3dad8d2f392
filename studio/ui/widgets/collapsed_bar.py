"""A pane that folds away to a narrow bar with its name written upwards; one click on the
bar opens it again, the "›" in its corner folds it."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QToolButton,
    QWidget,
)

WIDTH = 28
UNLIMITED = 16_777_215  # Qt's QWIDGETSIZE_MAX


class CollapsedBar(QPushButton):
    def __init__(self, title: str, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.setObjectName("collapsedBar")
        self.setToolTip(tip)
        self.setFixedWidth(WIDTH)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(WIDTH, self.fontMetrics().horizontalAdvance(self.title) + 40)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(WIDTH, 60)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#2f3540" if self.underMouse() else "#262b33"))
        painter.setPen(QColor("#d7dae0"))
        painter.translate(0, self.height())
        painter.rotate(-90)  # read from the bottom up, as a book's spine
        painter.drawText(
            QRect(0, 0, self.height(), self.width()), Qt.AlignmentFlag.AlignCenter, self.title
        )
        painter.end()


class FoldingTabs(QWidget):
    """Tabs (a pane) that fold to a `CollapsedBar`: `set_open(bool)`, `opened(bool)`."""

    opened = Signal(bool)

    def __init__(self, tabs: QTabWidget, title: str, tip: str) -> None:
        super().__init__()
        self.tabs = tabs
        self.bar = CollapsedBar(title, tip)
        self.bar.clicked.connect(lambda: self.set_open(True))
        self.fold_button = QToolButton(text="›")
        self.fold_button.setToolTip(f"Fold the {title} pane to a bar")
        self.fold_button.clicked.connect(lambda: self.set_open(False))
        tabs.setCornerWidget(self.fold_button, Qt.Corner.TopRightCorner)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.bar)
        row.addWidget(tabs, 1)
        self.bar.hide()

    @property
    def is_open(self) -> bool:
        return not self.tabs.isHidden()

    def set_open(self, open_: bool) -> None:
        if open_ == self.is_open and self.bar.isHidden() == open_:
            return
        self.tabs.setVisible(open_)
        self.bar.setVisible(not open_)
        self.setMaximumWidth(UNLIMITED if open_ else WIDTH)
        self.opened.emit(open_)
