"""Requests other panes send Chat through the session (`ProjectSession.chat_request`).

A request with a button text is offered: a bar above the prompt box says what it would do,
and the button sends it (the hero dialog offers "Use as the player" this way). A request
without one was already asked for by the person ("Use in game…", "Use as the player" on a
picture) and is sent at once. Either way it goes through the prompt box, as if typed, so
the conversation shows it; when Chat is busy with another answer the request waits in the
bar until the person sends it.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton

from studio.ui.session import ProjectSession

SHOWN = 72  # characters of the request the bar shows (all of it is in its tooltip)


class _Chat(Protocol):
    prompt: object

    def generate(self) -> bool: ...


class OfferBar(QFrame):
    """The bar, shown while a request is on offer."""

    def __init__(self, session: ProjectSession, chat: _Chat) -> None:
        super().__init__()
        self.chat = chat
        self.request = ""
        self.setObjectName("offerBar")
        self.setStyleSheet(
            "#offerBar { background: #1f3147; border-radius: 4px; }"
            "#offerBar QLabel { color: #c8d7ea; }"
        )
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.button = QPushButton()
        self.button.setObjectName("primaryButton")
        self.button.clicked.connect(self.send)
        self.dismiss = QToolButton(text="✕")
        self.dismiss.setToolTip("Not now")
        self.dismiss.clicked.connect(self.withdraw)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        layout.addWidget(self.dismiss)
        self.hide()
        session.chat_request.connect(self.offer)
        session.project_changed.connect(lambda _p: self.withdraw())

    def offer(self, button: str, request: str) -> None:
        self.request = request
        if not button and self._send_now(request):
            return
        self.button.setText(button or "Send")
        first = request.split(". ")[0]
        self.label.setText(first if len(first) <= SHOWN else first[: SHOWN - 1] + "…")
        self.label.setToolTip(request)
        self.button.setToolTip(f"Ask the code model: {request}")
        self.show()

    def send(self) -> bool:
        """Send the request on offer (the bar stays while Chat is busy)."""
        if self.request and self._send_now(self.request):
            self.withdraw()
            return True
        return False

    def withdraw(self) -> None:
        self.request = ""
        self.hide()

    def _send_now(self, request: str) -> bool:
        prompt = self.chat.prompt
        typed = prompt.toPlainText()
        prompt.setPlainText(request)
        if self.chat.generate():
            return True
        prompt.setPlainText(typed)  # busy or no project: what the person typed stays
        return False
