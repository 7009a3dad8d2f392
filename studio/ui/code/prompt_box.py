"""The Chat panel's prompt box: Enter is a new line, Ctrl+Enter sends; an asset dropped on
it (a picture dragged from the Images tab) is named by its path, `assets/<name>`; a picture
file dropped or a picture pasted goes with the prompt (`pictures_given`)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeData, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from studio.ui.code.attachment_tray import pictures_in
from studio.ui.widgets.asset_drag import asset_paths


class PromptBox(QPlainTextEdit):
    """The prompt: Enter is a new line, Ctrl+Enter sends."""

    submitted = Signal()
    pictures_given = Signal(list)  # [(name, bytes)] dropped or pasted

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("promptBox")
        self.setPlaceholderText("Describe a game, or what to change…   (Ctrl+Enter to generate)")
        self.setTabChangesFocus(True)
        self.setMaximumHeight(76)
        self.setMinimumHeight(48)

    @staticmethod
    def _is_submit(event: QKeyEvent) -> bool:
        return event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and bool(
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        )

    def event(self, event: QEvent) -> bool:
        # Ctrl+Enter is also the window's Run shortcut: here it means Generate.
        if event.type() == QEvent.Type.ShortcutOverride and self._is_submit(event):  # type: ignore[arg-type]
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if self._is_submit(event):
            self.submitted.emit()
            return
        super().keyPressEvent(event)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:  # noqa: N802 (Qt API)
        if asset_paths(source) or source.hasImage() or source.hasUrls():
            return True
        return super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:  # noqa: N802 (Qt API)
        pictures = pictures_in(source)
        if pictures:
            self.pictures_given.emit(pictures)
            return
        paths = asset_paths(source)
        if not paths:
            super().insertFromMimeData(source)
            return
        cursor = self.textCursor()
        before = self.toPlainText()[cursor.position() - 1 : cursor.position()]
        space = " " if before and not before.isspace() else ""
        cursor.insertText(space + " ".join(paths) + " ")
