"""The game's console below the Preview: logs, warnings and errors with file:line.

Entries go into a bounded `ConsoleBuffer` as they arrive; the list refreshes from it on a
timer (10 times a second), so a page logging thousands of lines a second costs one cheap
append per line and one small model update per tick. Identical lines in a row are folded
("×123"). The header shows an error count badge, a Fix button and Clear.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPainter
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.sandbox.console import ConsoleBuffer, ConsoleEntry
from studio.words import plural

REFRESH_MS = 100
_COLORS = {"log": "#c8ccd4", "warning": "#e5c07b", "error": "#ff6b6b"}
_MARKS = {"log": " ", "warning": "⚠", "error": "✖"}
_BACKGROUNDS = {"warning": "#2e2a1e", "error": "#3a1f24"}


class ConsoleModel(QAbstractListModel):
    """Rows are a snapshot of the buffer taken at each refresh, so paints in between stay
    consistent however fast the buffer moves."""

    def __init__(self, buffer: ConsoleBuffer, parent=None) -> None:
        super().__init__(parent)
        self.buffer = buffer
        self._rows: list[ConsoleEntry] = []
        self._seen_dropped = 0
        self._seen_revision = -1
        self._last_count = 0

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        entry = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return format_entry(entry)
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(_COLORS.get(entry.level, _COLORS["log"]))
        if role == Qt.ItemDataRole.BackgroundRole and entry.level in _BACKGROUNDS:
            return QColor(_BACKGROUNDS[entry.level])
        if role == Qt.ItemDataRole.ToolTipRole:
            return entry.message[:2000]
        if role == Qt.ItemDataRole.UserRole:
            return entry
        return None

    def refresh(self) -> bool:
        """Bring the rows up to the buffer; True when something changed."""
        buffer = self.buffer
        if buffer.revision == self._seen_revision:
            return False
        self._seen_revision = buffer.revision
        entries = buffer.entries
        removed = min(buffer.dropped - self._seen_dropped, len(self._rows))
        self._seen_dropped = buffer.dropped
        if removed < 0 or (
            self._rows
            and removed < len(self._rows)
            and entries
            and self._rows[removed] is not entries[0]
        ):
            self.reset()  # cleared, or out of step: start again
            return True
        if removed:
            self.beginRemoveRows(QModelIndex(), 0, removed - 1)
            del self._rows[:removed]
            self.endRemoveRows()
        have = len(self._rows)
        if have and self._rows[-1].count != self._last_count:
            self.dataChanged.emit(self.index(have - 1), self.index(have - 1))
        if len(entries) > have:
            self.beginInsertRows(QModelIndex(), have, len(entries) - 1)
            self._rows.extend(entries[i] for i in range(have, len(entries)))
            self.endInsertRows()
        self._last_count = self._rows[-1].count if self._rows else 0
        return True

    def reset(self) -> None:
        self.beginResetModel()
        self._rows = list(self.buffer.entries)
        self._seen_dropped = self.buffer.dropped
        self._seen_revision = self.buffer.revision
        self._last_count = self._rows[-1].count if self._rows else 0
        self.endResetModel()


class ConsoleDelegate(QStyledItemDelegate):
    """Message on the left (elided), `×count` and `file:line` right-aligned and dimmed, so
    the place of an error stays readable however long its message is."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        entry = index.data(Qt.ItemDataRole.UserRole)
        if entry is None:
            return super().paint(painter, option, index)
        painter.save()
        rect = option.rect
        selected = option.state & QStyle.StateFlag.State_Selected
        background = index.data(Qt.ItemDataRole.BackgroundRole)
        if selected:
            painter.fillRect(rect, option.palette.highlight())
        elif background is not None:
            painter.fillRect(rect, background)
        metrics = option.fontMetrics
        inner = rect.adjusted(6, 0, -6, 0)
        right = entry.location
        if entry.count > 1:
            right = f"×{entry.count}   {right}".rstrip()
        right_width = metrics.horizontalAdvance(right) + 12 if right else 0
        painter.setPen(
            QColor("#7f8794") if not selected else option.palette.highlightedText().color()
        )
        if right:
            painter.drawText(
                inner, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, right
            )
        text = f"{_MARKS.get(entry.level, ' ')} {_one_line(entry.message)}"
        text = metrics.elidedText(
            text, Qt.TextElideMode.ElideRight, max(0, inner.width() - right_width)
        )
        colour = index.data(Qt.ItemDataRole.ForegroundRole)
        painter.setPen(option.palette.highlightedText().color() if selected else colour)
        painter.drawText(inner, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        painter.restore()


def _one_line(message: str) -> str:
    text = message if len(message) <= 500 else message[:500] + "…"
    return text.replace("\n", " ⏎ ")


def format_entry(entry: ConsoleEntry) -> str:
    text = _one_line(entry.message)
    where = f"   — {entry.location}" if entry.location else ""
    times = f"   ×{entry.count}" if entry.count > 1 else ""
    return f"{_MARKS.get(entry.level, ' ')} {text}{where}{times}"


class ConsolePanel(QWidget):
    fix_requested = Signal()
    errors_changed = Signal(int)  # distinct errors now listed

    def __init__(self, limit: int = 2000, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("consolePanel")
        self.buffer = ConsoleBuffer(limit)
        self.model = ConsoleModel(self.buffer, self)
        self.list = QListView(self)
        self.list.setModel(self.model)
        self.list.setItemDelegate(ConsoleDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setWordWrap(False)
        self.list.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(8.0, font.pointSizeF() - 1))
        self.list.setFont(font)
        self.list.setObjectName("consoleList")

        title = QLabel("Console")
        bold = QFont(title.font())
        bold.setBold(True)
        title.setFont(bold)
        self.badge = QToolButton(self)
        self.badge.setObjectName("errorBadge")
        self.badge.setToolTip("Errors since the game started")
        self.badge.setStyleSheet(
            "QToolButton#errorBadge { background: #c0392b; color: white; border-radius: 8px;"
            " padding: 0px 7px; font-weight: bold; }"
        )
        self.badge.clicked.connect(self._jump_to_error)
        self.badge.hide()
        self.counts = QLabel("")
        self.counts.setObjectName("consoleCounts")
        self.counts.setStyleSheet("color: #7f8794;")
        self.fix_button = QPushButton("Fix")
        self.fix_button.setObjectName("primaryButton")
        self.fix_button.setToolTip("Ask the model to fix these errors")
        self.fix_button.clicked.connect(self.fix_requested)
        self.fix_button.hide()
        clear = QToolButton(text="Clear")
        clear.setToolTip("Clear the console")
        clear.clicked.connect(self.clear)
        self.clear_button = clear
        header = QHBoxLayout()
        header.setContentsMargins(6, 2, 6, 2)
        header.setSpacing(8)
        header.addWidget(title)
        header.addWidget(self.badge)
        header.addWidget(self.counts, 1)
        header.addWidget(self.fix_button)
        header.addWidget(clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.list, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self._shown_errors = -1
        self._fix_offered = False

    # -- feeding -------------------------------------------------------------------------

    def add(self, entry: ConsoleEntry) -> None:
        """Called per console line: only appends; the view catches up on the timer."""
        self.buffer.add(entry)

    def extend(self, entries: list[ConsoleEntry]) -> None:
        self.buffer.extend(entries)

    def clear(self) -> None:
        self.buffer.clear()
        self.model.reset()
        self._fix_offered = False
        self.refresh()

    def offer_fix(self, offered: bool = True) -> None:
        """Show Fix even without console errors (after a hang)."""
        self._fix_offered = offered
        self._update_header()

    # -- the view ------------------------------------------------------------------------

    def refresh(self) -> None:
        bar = self.list.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        if self.model.refresh() and at_bottom:
            self.list.scrollToBottom()
        self._update_header()

    def _update_header(self) -> None:
        errors = len(self.buffer.errors())
        total = self.buffer.error_total
        self.badge.setText(f"{total} error{'' if total == 1 else 's'}")
        self.badge.setVisible(errors > 0)
        self.fix_button.setVisible(errors > 0 or self._fix_offered)
        if errors != self._shown_errors:
            self._shown_errors = errors
            self.errors_changed.emit(errors)
        extra = plural(self.buffer.received, "line") if self.buffer.received else ""
        if self.buffer.dropped:
            extra += f", {self.buffer.dropped} older not kept"
        self.counts.setText(extra)

    def _jump_to_error(self) -> None:
        for row in range(self.model.rowCount() - 1, -1, -1):
            entry = self.model.data(self.model.index(row), Qt.ItemDataRole.UserRole)
            if entry is not None and entry.level == "error":
                self.list.scrollTo(self.model.index(row))
                self.list.setCurrentIndex(self.model.index(row))
                return

    def lines(self) -> list[str]:
        """The rows as shown (for tests and copying)."""
        return [format_entry(e) for e in self.model._rows]
