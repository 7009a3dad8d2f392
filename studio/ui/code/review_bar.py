"""Review before keeping, in Chat: an answer waits here, playing as a draft in the Preview,
with each changed file's diff, until the person keeps it (the files ticked) or drops it.
Unticking a file plays the draft without that file's change. `review` is the generator's
`studio.operations.review.Review`."""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Collection, Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from studio.core.diff import FileDiff
from studio.ui.code.diff_html import unified_html
from studio.ui.widgets.elided_label import ElidedLabel


def _counts(old: str, new: str) -> str:
    added = removed = 0
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0):
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return f"+{added} −{removed}"


class ReviewBar(QFrame):
    reviewing = Signal(bool)  # an answer waits for review (shown), or no longer (hidden)

    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewBar")
        self.setStyleSheet(
            "QFrame#reviewBar { background: #22303f; border-radius: 4px; }"
            "QFrame#reviewBar QLabel, QFrame#reviewBar QCheckBox { color: #d7dae0; }"
        )
        self.session = session
        self._waiting: asyncio.Future | None = None
        self._before: dict[str, str] = {}
        self._changed: dict[str, str] = {}
        self.title = ElidedLabel("Review the answer")
        self.title.setToolTip(
            "The answer plays in the Preview as a draft: keep the files you like, or drop it"
        )
        self.files_row = QHBoxLayout()
        self.boxes: dict[str, QCheckBox] = {}
        self.diff = QTextBrowser()
        self.diff.setMinimumHeight(72)  # a few lines of diff to read, on a small screen too
        self.diff.setMaximumHeight(180)
        self.keep_button = QPushButton("Keep")
        self.keep_button.setObjectName("primaryButton")
        self.keep_button.setToolTip("Save the ticked files as a new version")
        self.keep_button.clicked.connect(self.keep)
        self.drop_button = QPushButton("Drop all")
        self.drop_button.setToolTip("Save nothing of this answer (it stays in the chat to read)")
        self.drop_button.clicked.connect(self.drop)
        buttons = QHBoxLayout()  # on the title's row: the bar takes little of a small screen
        buttons.addWidget(self.title, 1)
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.drop_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(buttons)
        layout.addWidget(self.diff)
        layout.addLayout(self.files_row)
        self.hide()

    @property
    def waiting(self) -> bool:
        return self._waiting is not None and not self._waiting.done()

    async def review(
        self, before: Mapping[str, str], changed: Mapping[str, str]
    ) -> Collection[str] | None:
        """Show the changed files and wait for Keep (the ticked paths) or Drop (None)."""
        self._before, self._changed = dict(before), dict(changed)
        for box in self.boxes.values():
            box.deleteLater()
        self.boxes = {}
        box_metrics = self.fontMetrics()
        for path, text in changed.items():
            words = f"{path} ({_counts(before.get(path, ''), text)})"
            box = QCheckBox(box_metrics.elidedText(words, Qt.TextElideMode.ElideMiddle, 220))
            box.setToolTip(words)
            # Many files share the row, shortened, rather than widen the Chat pane.
            box.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            box.setMinimumWidth(48)
            box.setChecked(True)
            box.toggled.connect(self._chosen)
            self.files_row.addWidget(box)
            self.boxes[path] = box
        self._chosen()
        self.show()
        self.reviewing.emit(True)
        self._waiting = asyncio.get_running_loop().create_future()
        try:
            return await self._waiting
        finally:
            self.hide()
            self.reviewing.emit(False)

    def ticked(self) -> list[str]:
        return [path for path, box in self.boxes.items() if box.isChecked()]

    def _chosen(self) -> None:
        """Show the ticked files' diffs, and play them as the draft."""
        ticked = self.ticked()
        diffs = [
            FileDiff(p, "changed" if p in self._before else "added", self._before.get(p, ""), t)
            for p, t in self._changed.items()
            if p in ticked
        ]
        self.diff.setHtml(unified_html(diffs))
        self.keep_button.setEnabled(bool(ticked))
        preview = self.session.preview
        if preview is not None and self.waiting and preview.draft is not None:
            texts = {**self._before, **{p: self._changed[p] for p in ticked}}
            preview.show_draft({p: t.encode() for p, t in texts.items()}, self.session.shown)

    def keep(self) -> None:
        if self.waiting:
            self._waiting.set_result(self.ticked())  # type: ignore[union-attr]

    def drop(self) -> None:
        if self.waiting:
            self._waiting.set_result(None)  # type: ignore[union-attr]

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.key() == Qt.Key.Key_Escape:
            self.drop()
            return
        super().keyPressEvent(event)
