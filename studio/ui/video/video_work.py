"""The Video pane's bar for long media work (import, trim, export, the clip after a
recording): what is being done, how far it is, and Cancel.

Several operations may run at once; the bar shows the newest, and Cancel stops that one
(cancelling its task ends its ffmpeg process; `studio.core.assets` takes back anything half
stored). When it ends, the one before it shows again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QToolButton, QWidget

Progress = Callable[[float], None]
STEPS = 1000  # progress bar resolution


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
