"""Showing a generation while it streams: the conversation view, and a batcher that turns
the generation's events into widget updates every ~30 ms.

Events arrive on the GUI thread (asyncio runs on Qt's loop), as fast as the service sends
tokens: thousands a second. Touching a widget for each would hold the event loop, so
`StreamBatcher.on_event` only queues, and a timer applies what has queued at most every
`INTERVAL` ms, a bounded amount at a time, so no update holds a frame.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QTextBlockFormat, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextEdit, QWidget

from studio.ai.answer import RetryStarted, Waiting
from studio.ai.blocks import (
    EditBlock,
    EditComplete,
    FileComplete,
    FileDelta,
    FileStarted,
    Incomplete,
    MessageText,
)
from studio.core.records import Message
from studio.operations.outcomes import ContextReady

_BLANK_RUNS = re.compile(r"\n\s*\n\s*\n+")

INTERVAL = 30  # ms between updates of the widgets while streaming
TICK_BUDGET = 0.003  # seconds of widget work per update; the rest waits for the next one
PIECE = 4096  # characters inserted at a time, so the budget is checked often enough

LEVEL_COLOURS = {
    "user": "#e5c07b",
    "assistant": "#d7dae0",
    "info": "#9da5b4",
    "ok": "#98c379",
    "warning": "#d19a66",
    "error": "#e06c75",
}


class ConversationView(QTextEdit):
    """The chat: the person's prompts, the assistant's words (streamed), status lines."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setObjectName("conversation")
        self.setUndoRedoEnabled(False)
        self.document().setDocumentMargin(10)
        self._in_answer = False
        self._answer_chars = 0
        self._held = ""  # trailing whitespace of the answer so far, not shown yet

    # -- formats ------------------------------------------------------------------------

    @staticmethod
    def _char(level: str, *, bold: bool = False, italic: bool = False) -> QTextCharFormat:
        fmt = QTextCharFormat()
        fmt.setForeground(QColor(LEVEL_COLOURS.get(level, LEVEL_COLOURS["info"])))
        if bold:
            fmt.setFontWeight(QFont.Weight.Bold)
        fmt.setFontItalic(italic)
        return fmt

    def _new_block(self, top: float = 8.0, indent: int = 0) -> QTextCursor:
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        fmt = QTextBlockFormat()
        fmt.setTopMargin(top)
        fmt.setIndent(indent)
        if self.document().isEmpty():
            cursor.setBlockFormat(fmt)
        else:
            cursor.insertBlock(fmt)
        return cursor

    def _following(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def _follow(self, following: bool) -> None:
        if following:
            bar = self.verticalScrollBar()
            bar.setValue(bar.maximum())

    # -- adding -------------------------------------------------------------------------

    def add_user(self, text: str) -> None:
        following = self._following()
        self._in_answer = False
        cursor = self._new_block(top=14)
        cursor.insertText("You  ", self._char("user", bold=True))
        cursor.insertText(text.strip(), self._char("assistant"))
        self._follow(following or True)

    def begin_answer(self) -> None:
        following = self._following()
        cursor = self._new_block(top=8)
        cursor.insertText("Model  ", self._char("ok", bold=True))
        self._in_answer = True
        self._answer_chars = 0
        self._held = ""
        self._follow(following)

    def append_answer(self, text: str) -> None:
        """More of the assistant's words (streamed). Whitespace at the end is held back
        until more words follow: the blank lines around a code block are not shown, and
        whitespace alone starts no new paragraph."""
        if not text:
            return
        text = (self._held if self._in_answer else "") + text
        words = text.rstrip()
        if not words:
            if self._in_answer:
                self._held = text
            return
        if not self._in_answer:
            self.begin_answer()
        if self._answer_chars == 0:
            words = words.lstrip()
        self._held = text[len(text.rstrip()) :]
        words = _BLANK_RUNS.sub("\n\n", words)
        following = self._following()
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(words, self._char("assistant"))
        self._answer_chars += len(words)
        self._follow(following)

    def end_answer(self) -> None:
        self._in_answer = False
        self._held = ""

    def add_status(self, text: str, level: str = "info") -> None:
        following = self._following()
        self._in_answer = False
        cursor = self._new_block(top=4, indent=0)
        mark = {"ok": "✓ ", "error": "✗ ", "warning": "⚠ "}.get(level, "· ")
        cursor.insertText(mark + text, self._char(level, italic=level == "info"))
        self._follow(following or level != "info")

    def show_messages(self, messages: Sequence[Message]) -> None:
        """The recorded conversation, as it was said."""
        self.clear()
        self._in_answer = False
        for m in messages:
            if m.role == "user":
                self.add_user(m.content)
            elif m.role == "assistant":
                words = m.meta.get("message")
                if words is None:
                    words = m.content
                if m.meta.get("variation"):
                    words = f"(variation {m.meta['variation']}) {words}"
                if words.strip():
                    self.append_answer(words)
                if m.meta.get("partial"):
                    self.add_status(
                        f"unfinished answer ({len(m.content):,} characters arrived)", "warning"
                    )
                self.end_answer()
            elif m.role == "status":
                self.add_status(m.content, str(m.meta.get("level") or "info"))
        self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())

    def scroll_to_end(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def plain_text(self) -> str:
        return self.toPlainText()


class CodeSink(Protocol):
    """Where streamed code goes (the Code pane's editor, or a variation's)."""

    def stream_file(self, path: str, text: str = "") -> None: ...

    def stream_append(self, text: str) -> None: ...


class StreamBatcher(QObject):
    """Queues a generation's events and shows them every `INTERVAL` ms.

    `progress(str)` says what is happening ("Writing index.html · 120 lines · 3.2 s")."""

    progress = Signal(str)

    def __init__(
        self,
        code: CodeSink | None,
        conversation: ConversationView | None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.code = code
        self.conversation = conversation
        self._ops: list[list[Any]] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(INTERVAL)
        self._timer.timeout.connect(self.flush)
        self.reset()

    def reset(self) -> None:
        self._ops.clear()
        self._timer.stop()
        self.started = time.perf_counter()
        self.first_text: float | None = None
        self.chars = 0  # characters of answer received
        self.path: str | None = None  # the file being written
        self.lines = 0
        self.files_done: list[str] = []
        self.edits = 0
        self.waiting = "Waiting for the model…"  # what the request is, once it is built
        self.busiest_flush = 0.0  # seconds: the longest single update, for the benchmark

    @property
    def tokens(self) -> int:
        """About how many tokens arrived (4 characters a token, as the context builder)."""
        return self.chars // 4

    # -- from the generation (any rate) ------------------------------------------------

    def on_event(self, event: Any) -> None:
        if isinstance(event, MessageText):
            self._text(event.text)
            self._queue("prose", event.text)
        elif isinstance(event, FileDelta):
            self._text(event.text)
            self.lines += event.text.count("\n")
            self._queue("code", event.text)
        elif isinstance(event, FileStarted):
            self.path, self.lines = event.path, 0
            self._ops.append(["file", event.path])
        elif isinstance(event, FileComplete):
            self.files_done.append(event.path)  # (the Preview plays it: DraftPreview)
        elif isinstance(event, EditBlock):
            self.edits += 1
            self.chars += len(event.search) + len(event.replace)
            self._ops.append(["status", f"edit {self.edits} to {event.path}", "info"])
        elif isinstance(event, EditComplete) and event.malformed:
            self._ops.append(["status", f"an edit to {event.path} is malformed", "warning"])
        elif isinstance(event, Incomplete):
            self._ops.append(["status", f"{event.path} was left unfinished", "warning"])
        elif isinstance(event, Waiting):
            self._ops.append(
                ["status", f"Rate limited: trying again in {event.seconds:.0f} s…", "warning"]
            )
        elif isinstance(event, RetryStarted):
            self._ops.append(
                ["status", f"{event.blocks} edit(s) did not match: asking the model again…", "info"]
            )
        elif isinstance(event, ContextReady):
            self.waiting = event.waiting()
            if event.left_out:
                said = "; ".join(event.left_out)
                self._ops.append(
                    ["status", f"Left out to fit the model's context: {said}.", "warning"]
                )
        if not self._timer.isActive():
            self._timer.start()

    def _text(self, text: str) -> None:
        if self.first_text is None:
            self.first_text = time.perf_counter()
        self.chars += len(text)

    def _queue(self, kind: str, text: str) -> None:
        if self._ops and self._ops[-1][0] == kind:
            self._ops[-1][1].append(text)
        else:
            self._ops.append([kind, [text]])

    # -- to the widgets (every INTERVAL ms) ---------------------------------------------

    def flush(self, everything: bool = False) -> None:
        started = time.perf_counter()
        deadline = started + TICK_BUDGET
        while self._ops and (everything or time.perf_counter() < deadline):
            op = self._ops[0]
            kind = op[0]
            if kind in ("prose", "code"):
                parts: list[str] = op[1]
                text = "".join(parts)
                if len(text) > PIECE:
                    # Cut at a line end where one is near, so a line is never drawn twice.
                    cut = text.rfind("\n", 0, PIECE) + 1 or PIECE
                    text, rest = text[:cut], text[cut:]
                    op[1] = [rest]
                else:
                    self._ops.pop(0)
                if kind == "prose":
                    if self.conversation is not None:
                        self.conversation.append_answer(text)
                elif self.code is not None:
                    self.code.stream_append(text)
                continue
            self._ops.pop(0)
            if kind == "file" and self.code is not None:
                self.code.stream_file(op[1])
            elif kind == "status" and self.conversation is not None:
                self.conversation.add_status(op[1], op[2])
        self.busiest_flush = max(self.busiest_flush, time.perf_counter() - started)
        self.progress.emit(self.describe())
        if self._ops:
            self._timer.start()

    def finish(self) -> None:
        """The generation is over: show everything that is still queued."""
        self._timer.stop()
        self.flush(everything=True)
        if self.conversation is not None:
            self.conversation.end_answer()

    def describe(self) -> str:
        elapsed = time.perf_counter() - self.started
        if self.first_text is None:
            return f"{self.waiting} {elapsed:.1f} s"
        parts = []
        if self.path and self.path not in self.files_done:
            parts.append(f"Writing {self.path} · {self.lines:,} lines")
        elif self.edits:
            parts.append(f"{self.edits} edit{'s' if self.edits != 1 else ''}")
        else:
            parts.append("Answering")
        parts.append(f"~{self.tokens:,} tokens")
        parts.append(f"{elapsed:.1f} s")
        return " · ".join(parts)
