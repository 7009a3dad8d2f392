"""A "Test connection" button and its one line of result, for whichever entry a Settings tab
shows: the test runs on a worker thread (`ThreadJob`), its verdict (`CheckResult`) is kept
per entry and shown in a colour of its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from studio.ai.service_check import CheckResult
from studio.ui.widgets.background import ThreadJob

VERDICT_COLOURS = {"works": "#98c379", "cannot_test": "#9da5b4"}  # the others: red
DIM = "#9da5b4"


class ConnectionTest(QWidget):
    def __init__(self, note: QWidget, tip: str) -> None:
        super().__init__()
        self.button = QPushButton("Test connection")
        self.button.setToolTip(tip)
        self.note = note  # a NoteLabel (settings_video): a wrapped line under the button
        self.shown: str | None = None  # the entry the tab shows
        self.jobs: dict[str, ThreadJob] = {}  # tests running, by entry
        self.results: dict[str, CheckResult] = {}  # the last verdict, by entry
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(note, 1)

    def start(self, name: str, check: Callable[[], Awaitable[CheckResult]]) -> ThreadJob:
        """Run `check()` for entry `name` (once at a time per entry)."""
        if name in self.jobs:
            return self.jobs[name]
        job = ThreadJob(lambda _report: check(), is_async=True, name="studio-test-connection")
        job.succeeded.connect(lambda result: self.done(name, result))
        job.failed.connect(lambda text: self.done(name, CheckResult("failed", text)))
        self.jobs[name] = job
        self.show_entry(name)
        job.start()
        return job

    def done(self, name: str, result: CheckResult) -> None:
        self.jobs.pop(name, None)
        self.results[name] = result
        if name == self.shown:  # else it shows when its entry does
            self.show_entry(name)

    def show_entry(self, name: str | None) -> None:
        """Show `name`'s test (running, its verdict, or nothing yet)."""
        self.shown = name
        testing = name in self.jobs
        self.button.setEnabled(name is not None and not testing)
        result = self.results.get(name or "")
        if testing:
            text, colour = "Testing…", DIM
        elif result is None:
            text, colour = "", DIM
        else:
            text, colour = result.line, VERDICT_COLOURS.get(result.verdict, "#e06c75")
        self.note.setStyleSheet(f"color: {colour};")
        self.note.setText(text)

    def stop(self) -> None:
        for job in self.jobs.values():
            job.cancel()
