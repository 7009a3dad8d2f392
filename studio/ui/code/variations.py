"""Variations: N generations of one prompt at once, each streamed into its own tab.

Each finished variation is a version whose parent is the base version (the head does not
move). The person plays one in the Preview (Play), and keeps one (Keep: the head moves
there); the others stay in History. Cancelling one tab's generation leaves the others
running.
"""

from __future__ import annotations

import asyncio
import functools

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.core.records import Version
from studio.operations.generator import Generator
from studio.operations.outcomes import Outcome
from studio.operations.variations import VariationRun
from studio.ui.code.editor import CodeEditor
from studio.ui.code.generate_stream import ConversationView, StreamBatcher
from studio.ui.session import ProjectSession
from studio.ui.widgets.background import Tasks


class VariationTab(QWidget):
    """One variation: what the model says, its code as it is written, and its buttons."""

    def __init__(self, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.outcome: Outcome | None = None
        self.status = QLabel("Waiting for the model…")
        self.status.setWordWrap(True)
        self.words = ConversationView()
        self.words.setMaximumHeight(90)
        self.editor = CodeEditor()
        self.editor.setReadOnly(True)
        self.editor.setUndoRedoEnabled(False)
        self.play_btn = QPushButton("▶ Play")
        self.play_btn.setToolTip("Show this variation in the Preview")
        self.keep_btn = QPushButton("Keep this one")
        self.keep_btn.setObjectName("primaryButton")
        self.keep_btn.setToolTip("Make this variation the current version")
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setToolTip("Stop this variation; the others go on")
        for b in (self.play_btn, self.keep_btn):
            b.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        for b in (self.cancel_btn, self.play_btn, self.keep_btn):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.words)
        layout.addWidget(self.editor, 1)
        layout.addLayout(buttons)
        self.batcher = StreamBatcher(self, self.words, self)
        self.batcher.progress.connect(self.status.setText)

    # The batcher writes code here (the CodeSink protocol).
    def stream_file(self, path: str, text: str = "") -> None:
        self.editor.set_file(path, text)

    def stream_append(self, text: str) -> None:
        self.editor.append_streamed(text)

    @property
    def version(self) -> Version | None:
        return self.outcome.version if self.outcome is not None else None

    def finish(self, outcome: Outcome) -> None:
        self.batcher.finish()
        self.outcome = outcome
        self.cancel_btn.setEnabled(False)
        self.status.setText(outcome.notice.removeprefix(f"Variation {self.index + 1}: "))
        self.status.setStyleSheet("color: #98c379;" if outcome.ok else "color: #e06c75;")
        self.play_btn.setEnabled(outcome.ok)
        self.keep_btn.setEnabled(outcome.ok)


class VariationsDialog(QDialog):
    finished_all = Signal(list)  # every Outcome, in order
    kept = Signal(object)  # the Version kept

    def __init__(
        self,
        session: ProjectSession,
        generator: Generator,
        prompt: str,
        n: int,
        *,
        base: int | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.generator = generator
        self.prompt = prompt
        self.n = n
        self.base = base
        self.run: VariationRun | None = None
        self.kept_version: Version | None = None
        self._played = False
        self._tasks = Tasks()
        self.setWindowTitle(f"Variations — {prompt.splitlines()[0][:60]}")
        self.setModal(False)
        self.resize(760, 620)
        heading = QLabel(f"<b>{n} variations</b> of: {_escape(prompt)}")
        heading.setWordWrap(True)
        heading.setTextFormat(Qt.TextFormat.RichText)
        self.tabs = QTabWidget()
        self.tab_list = [VariationTab(i) for i in range(n)]
        for i, tab in enumerate(self.tab_list):
            self.tabs.addTab(tab, f"{i + 1} ⋯")
            tab.cancel_btn.clicked.connect(functools.partial(self.cancel, i))
            tab.play_btn.clicked.connect(functools.partial(self.play, i))
            tab.keep_btn.clicked.connect(functools.partial(self.keep, i))
        self.cancel_all_btn = QPushButton("Cancel all")
        self.cancel_all_btn.clicked.connect(self.cancel_all)
        self.close_btn = QPushButton("Close")
        self.close_btn.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.cancel_all_btn)
        bottom.addWidget(self.close_btn)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)

    def start(self) -> VariationRun:
        self.run = self.generator.start_variations(
            self.prompt,
            self.n,
            base=self.base,
            on_event_for=lambda i: self.tab_list[i].batcher.on_event,
        )
        for i, task in enumerate(self.run.tasks):
            task.add_done_callback(functools.partial(self._one_done, i))
        self._tasks.start(self._wait_all())
        return self.run

    def running(self) -> bool:
        return self.run is not None and any(not t.done() for t in self.run.tasks)

    def _one_done(self, index: int, task: asyncio.Task[Outcome]) -> None:
        tab = self.tab_list[index]
        if task.cancelled():
            outcome = Outcome("generate", "cancelled", "Cancelled.", variation=index + 1)
        elif task.exception() is not None:
            outcome = Outcome(
                "generate", "error", f"Failed: {task.exception()}", variation=index + 1
            )
        else:
            outcome = task.result()
        tab.finish(outcome)
        mark = "✓" if outcome.ok else "✗"
        self.tabs.setTabText(index, f"{index + 1} {mark}")
        if outcome.ok:
            self.session.versions_changed.emit()  # History lists it at once
            if not self._played:  # the first one ready plays, so there is something to see
                self.play(index)

    async def _wait_all(self) -> None:
        assert self.run is not None
        outcomes = await self.run.wait()
        self.cancel_all_btn.setEnabled(False)
        self.finished_all.emit(outcomes)

    def cancel(self, index: int) -> None:
        if self.run is not None:
            self.run.cancel(index)
            self.tab_list[index].status.setText("Cancelling…")

    def cancel_all(self) -> None:
        if self.run is not None:
            self.run.cancel_all()

    def play(self, index: int) -> None:
        version = self.tab_list[index].version
        if version is not None:
            self._played = True
            self.tabs.setCurrentIndex(index)
            self.session.show_version(version.id)

    def keep(self, index: int) -> Version | None:
        version = self.tab_list[index].version
        if version is None:
            return None
        kept = self.generator.keep_variation(version.id)
        self.kept_version = kept
        self.session.add_version(kept)  # History marks the new head; the Preview plays it
        for i, tab in enumerate(self.tab_list):
            tab.keep_btn.setText("Kept ✓" if i == index else "Keep this one")
        self.kept.emit(kept)
        return kept

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        self.cancel_all()
        super().closeEvent(event)

    def reject(self) -> None:  # Esc: the dialog goes, and so do the generations still running
        self.cancel_all()
        super().reject()


def _escape(text: str) -> str:
    import html

    return html.escape(text.splitlines()[0][:200])
