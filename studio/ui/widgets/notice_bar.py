"""A coloured bar of one wrapped sentence and its buttons, above the prompt box or on the
start screen ("Changing v1…", "No code model is set up yet…")."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

WARNING = ("#3a3222", "#e5c07b")  # (background, text)
PROBLEM = ("#3a2a22", "#e5a07b")
NEWS = ("#1f3147", "#c8d7ea")


class NoticeBar(QFrame):
    def __init__(self, name: str, colours: tuple[str, str], *buttons: QWidget) -> None:
        super().__init__()
        self.setObjectName(name)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        for button in buttons:
            layout.addWidget(button)
        self.set_colours(colours)

    def set_colours(self, colours: tuple[str, str]) -> None:
        background, text = colours
        name = self.objectName()
        self.setStyleSheet(
            f"#{name} {{ background: {background}; border-radius: 4px; }}"
            f"#{name} QLabel {{ color: {text}; }}"
        )
