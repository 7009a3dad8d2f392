"""What the parts of the Video pane share: the error and note lines, the bar for long media
work, and the tasks they run (`PaneWork`).

The bar (`WorkBar`) shows import, trim, export and making the clip after a recording: what is
being done, how far it is, and Cancel. Several operations may run at once; the bar shows the
newest, and Cancel stops that one (cancelling its task ends its ffmpeg process;
`studio.core.assets` takes back anything half stored). When it ends, the one before it shows
again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from studio.ai.services import ServiceError
from studio.errors import StudioError
from studio.ui.session import ProjectSession
from studio.ui.widgets.background import Tasks

log = logging.getLogger(__name__)

Progress = Callable[[float], None]
STEPS = 1000  # progress bar resolution


def plain_message(exc: BaseException) -> str:
    """What a person reads: our errors say it already; anything else gets its type."""
    from studio.media import MediaError

    if isinstance(exc, StudioError | ServiceError | MediaError):
        return str(exc)
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return f"Unexpected error: {type(exc).__name__}: {exc}"


@dataclass(eq=False)
class _Work:
    text: str
    fraction: float = 0.0
    task: asyncio.Future | None = field(default=None, repr=False)


class WorkBar(QWidget):
    """`report = bar.start(text)`; `bar.attach(report, task)`; the task's end removes it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setRange(0, STEPS)
        self.bar.setTextVisible(True)
        self.cancel_button = QToolButton(text="Cancel")
        self.cancel_button.setToolTip("Stop this and keep nothing of it")
        self.cancel_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel_button)
        self._works: list[_Work] = []
        self.setVisible(False)

    def start(self, text: str) -> _Work:
        work = _Work(text)
        self._works.append(work)
        self._show()
        return work

    def reporter(self, work: _Work) -> Progress:
        """The `on_progress` callback that moves `work`'s share of the bar."""

        def report(fraction: float) -> None:
            work.fraction = min(max(fraction, 0.0), 1.0)
            if self._works and self._works[-1] is work:
                self._show()

        return report

    def attach(self, work: _Work, task: asyncio.Future) -> None:
        work.task = task
        task.add_done_callback(lambda _t: self._finished(work))

    def _finished(self, work: _Work) -> None:
        if work in self._works:
            self._works.remove(work)
        self._show()

    def cancel(self) -> None:
        if self._works and self._works[-1].task is not None:
            self._works[-1].task.cancel()

    @property
    def text(self) -> str:
        return self._works[-1].text if self._works else ""

    def _show(self) -> None:
        if not self._works:
            self.setVisible(False)
            return
        work = self._works[-1]
        self.bar.setValue(round(work.fraction * STEPS))
        self.bar.setFormat(f"{work.text} %p%")
        self.cancel_button.setEnabled(work.task is not None)
        self.setVisible(True)


class PaneWork(QObject):
    """The error line, the note line and the work bar (the pane lays them out), and the
    pane's tasks: each part runs its work here, so errors show in one place and `idle()`
    waits for all of it."""

    busy_changed = Signal(bool)

    def __init__(self, session: ProjectSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.tasks = Tasks()
        self._busy = 0
        self.error = QLabel()
        self.error.setObjectName("videoError")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setStyleSheet(
            "color: #ffb4b4; background: #3b2326; border-radius: 4px; padding: 6px;"
        )
        self.error.setVisible(False)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #9da5b4;")
        self.note.setVisible(False)
        self.bar = WorkBar()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        if text:
            self.session.status.emit(text)

    def clear_error(self) -> None:
        self.show_error("")

    def show_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))
        if text:
            self.session.status.emit(text)

    def run(self, coro: Awaitable[Any], *, doing: str = "") -> asyncio.Future:
        """Run `coro` on the event loop; its error (if any) is shown in the pane."""
        self.clear_error()
        if doing:
            self.show_note(doing)
        self._busy += 1
        self.busy_changed.emit(True)

        def done(t: asyncio.Future) -> None:
            self._busy -= 1
            self.busy_changed.emit(self._busy > 0)
            if doing and self.note.text() == doing:
                self.show_note("")
            if t.cancelled():
                return
            exc = t.exception()
            if exc is not None:
                if plain_message(exc).startswith("Unexpected error"):
                    log.error("video pane task failed", exc_info=exc)
                self.show_error(plain_message(exc))

        return self.tasks.start(coro, done)

    def run_media(
        self, work: Callable[[Progress], Awaitable[Any]], *, doing: str
    ) -> asyncio.Future:
        """Like `run`, for media work that reports progress: `work(on_progress)` runs with
        the work bar showing `doing`, its progress and a Cancel."""
        entry = self.bar.start(doing)
        task = self.run(work(self.bar.reporter(entry)))
        self.bar.attach(entry, task)
        task.add_done_callback(lambda t: t.cancelled() and self.show_note(f"Cancelled: {doing}"))
        return task
