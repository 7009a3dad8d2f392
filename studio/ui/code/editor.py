"""The code editor: line numbers, highlighting, find, undo (QPlainTextEdit's own)."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QKeySequence,
    QPainter,
    QShortcut,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.ui.code.highlighter import CodeHighlighter
from studio.ui.code.lexing import language_for

MARK = QColor("#98c379")  # a line the shown version changed


class _LineNumbers(QWidget):
    def __init__(self, editor: CodeEditor) -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event) -> None:  # noqa: N802
        self.editor.paint_gutter(event)


class CodeEditor(QPlainTextEdit):
    """A plain-text editor for HTML/JS/CSS with a line-number gutter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(max(font.pointSize(), 10))
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 2)
        self.setObjectName("codeEditor")
        self._gutter = _LineNumbers(self)
        self.marks: frozenset[int] = frozenset()  # lines (from 1) changed by the last version
        self.highlighter = CodeHighlighter(self.document())
        self.blockCountChanged.connect(lambda _n: self._update_margins())
        self.updateRequest.connect(self._update_gutter)
        self._update_margins()

    def set_file(self, path: str, text: str) -> None:
        """Show a file; its undo history starts fresh."""
        self._replace_text(text, language_for(path))

    def setPlainText(self, text: str) -> None:  # noqa: N802 (Qt API)
        """Replace the whole text (undo history starts fresh), highlighted a slice at a time."""
        self._replace_text(text, self.highlighter.language)

    def _replace_text(self, text: str, language: str | None) -> None:
        # Detached while the text is replaced: the highlighter would otherwise be called for
        # every line inside setPlainText, lexing a long file in one go.
        self.highlighter.setDocument(None)
        super().setPlainText(text)
        self.highlighter.setDocument(self.document())
        self.highlighter.set_language(language)

    def set_marks(self, lines: set[int] | frozenset[int]) -> None:
        """Mark `lines` (numbered from 1) in the gutter: what the version changed."""
        self.marks = frozenset(lines)
        self._gutter.update()

    def gutter_width(self) -> int:
        digits = max(3, len(str(self.blockCount())))
        return 14 + self.fontMetrics().horizontalAdvance("9") * digits

    def _update_margins(self) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _update_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        cr = self.contentsRect()
        self._gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))

    def paint_gutter(self, event) -> None:
        painter = QPainter(self._gutter)
        painter.fillRect(event.rect(), QColor("#1b1f27"))
        block = self.firstVisibleBlock()
        number = block.blockNumber()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        bottom = top + round(self.blockBoundingRect(block).height())
        current = self.textCursor().blockNumber()
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible() and bottom >= event.rect().top():
                if number + 1 in self.marks:  # a bar at the gutter's edge, as editors do
                    painter.fillRect(self._gutter.width() - 3, top, 3, bottom - top, MARK)
                painter.setPen(QColor("#c8ccd4" if number == current else "#5c6370"))
                painter.drawText(
                    0,
                    top,
                    self._gutter.width() - 6,
                    height,
                    Qt.AlignmentFlag.AlignRight,
                    str(number + 1),
                )
            block = block.next()
            top = bottom
            bottom = top + round(self.blockBoundingRect(block).height())
            number += 1

    def follow_end(self) -> None:
        """Keep the newest line in view while code streams in."""
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def append_streamed(self, text: str) -> None:
        """Add streamed text at the end, keeping the newest line in view unless the person
        scrolled up to read."""
        bar = self.verticalScrollBar()
        following = bar.value() >= bar.maximum() - 2
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        if following:
            bar.setValue(bar.maximum())


class FindBar(QWidget):
    """Ctrl+F: find in the editor, Enter for next, Shift+Enter for previous."""

    closed = Signal()

    def __init__(self, editor: CodeEditor) -> None:
        super().__init__(editor.parentWidget())
        self.editor = editor
        self.field = QLineEdit(placeholderText="Find…")
        self.status = QLabel()
        prev_btn, next_btn, close_btn = (
            QToolButton(text="↑"),
            QToolButton(text="↓"),
            QToolButton(text="✕"),
        )
        prev_btn.setToolTip("Previous match (Shift+Enter)")
        next_btn.setToolTip("Next match (Enter)")
        prev_btn.clicked.connect(lambda: self.find(backward=True))
        next_btn.clicked.connect(lambda: self.find())
        close_btn.clicked.connect(self.close_bar)
        self.field.returnPressed.connect(self.find)
        self.field.textEdited.connect(lambda _t: self.find(from_start=True))
        # Only while typing in the field: Shift+Enter in the editor is a new line.
        for keys, slot in (
            ("Shift+Return", lambda: self.find(backward=True)),
            ("Escape", self.close_bar),
        ):
            shortcut = QShortcut(QKeySequence(keys), self.field, slot)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        for w in (self.field, self.status, prev_btn, next_btn, close_btn):
            row.addWidget(w)
        self.hide()

    def open_bar(self) -> None:
        selected = self.editor.textCursor().selectedText()
        if selected and "\u2029" not in selected:
            self.field.setText(selected)
        self.show()
        self.field.setFocus()
        self.field.selectAll()

    def close_bar(self) -> None:
        self.hide()
        self.editor.setFocus()
        self.closed.emit()

    def find(self, backward: bool = False, from_start: bool = False) -> bool:
        text = self.field.text()
        if not text:
            self.status.clear()
            return False
        flags = QTextDocument.FindFlag.FindBackward if backward else QTextDocument.FindFlag(0)
        if from_start:
            cursor = self.editor.textCursor()
            cursor.setPosition(cursor.selectionStart())
            self.editor.setTextCursor(cursor)
        found = self.editor.find(text, flags)
        if not found:  # wrap around
            before = self.editor.textCursor()
            cursor = QTextCursor(before)
            cursor.movePosition(
                cursor.MoveOperation.End if backward else cursor.MoveOperation.Start
            )
            self.editor.setTextCursor(cursor)
            found = self.editor.find(text, flags)
            if not found:  # nowhere: leave the cursor (and selection) where it was
                self.editor.setTextCursor(before)
        self.status.setText("" if found else "not found")
        return found


class EditorWithFind(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.editor = CodeEditor(self)
        self.find_bar = FindBar(self.editor)
        layout.addWidget(self.find_bar)
        layout.addWidget(self.editor)
        QShortcut(QKeySequence.StandardKey.Find, self, self.find_bar.open_bar)
