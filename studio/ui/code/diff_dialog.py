"""Compare two versions: a unified diff, or the two sides next to each other."""

from __future__ import annotations

import difflib
import html

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from studio.core.diff import FileDiff, diff_versions
from studio.core.store import Project

CONTEXT = 3  # unchanged lines shown around a change, in both views

_CSS = """
<style>
table { border-collapse: collapse; width: 100%; font-family: monospace; font-size: 12px; }
td { padding: 0 6px; white-space: pre; vertical-align: top; }
.add { background: #1f3b2a; color: #b8f2c8; } .del { background: #4a2224; color: #f5c2c4; }
.hunk { color: #61afef; } .file { color: #e5c07b; font-weight: bold; padding-top: 8px; }
.num { color: #5c6370; text-align: right; }
</style>
"""


def unified_html(diffs: list[FileDiff]) -> str:
    rows = []
    for d in diffs:
        if d.status == "same":
            continue
        rows.append(f"<tr><td class=file>{html.escape(d.path)} ({d.status})</td></tr>")
        lines = d.unified(CONTEXT).splitlines()
        for line in lines if d.binary else lines[2:]:  # the ---/+++ header is the file row
            cls = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "")
            rows.append(f"<tr><td class='{cls}'>{html.escape(line)}</td></tr>")
    return _CSS + "<table>" + "".join(rows) + "</table>" if rows else "<p>No differences.</p>"


def split_html(diffs: list[FileDiff]) -> str:
    rows = []
    for d in diffs:
        if d.status == "same":
            continue
        rows.append(f"<tr><td class=file colspan=4>{html.escape(d.path)} ({d.status})</td></tr>")
        if d.binary:
            rows.append("<tr><td class=hunk colspan=4>binary file: no text to compare</td></tr>")
            continue
        old, new = d.old_text.splitlines(), d.new_text.splitlines()
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new).get_opcodes():
            if tag == "equal" and i2 - i1 > 2 * CONTEXT:
                # Fold a long unchanged run, keeping CONTEXT lines next to each change as
                # the unified view does.
                head = CONTEXT if i1 > 0 else 0
                tail = CONTEXT if i2 < len(old) else 0
                rows += _split_rows(old, new, tag, i1, i1 + head, j1, j1 + head)
                rows.append("<tr><td class=hunk colspan=4>⋯</td></tr>")
                rows += _split_rows(old, new, tag, i2 - tail, i2, j2 - tail, j2)
                continue
            rows += _split_rows(old, new, tag, i1, i2, j1, j2)
    return _CSS + "<table>" + "".join(rows) + "</table>" if rows else "<p>No differences.</p>"


def _split_rows(
    old: list[str], new: list[str], tag: str, i1: int, i2: int, j1: int, j2: int
) -> list[str]:
    rows = []
    for k in range(max(i2 - i1, j2 - j1)):
        a = old[i1 + k] if i1 + k < i2 else ""
        b = new[j1 + k] if j1 + k < j2 else ""
        ca = "del" if tag != "equal" and i1 + k < i2 else ""
        cb = "add" if tag != "equal" and j1 + k < j2 else ""
        na = str(i1 + k + 1) if i1 + k < i2 else ""
        nb = str(j1 + k + 1) if j1 + k < j2 else ""
        rows.append(
            f"<tr><td class=num>{na}</td><td class='{ca}'>{html.escape(a)}</td>"
            f"<td class=num>{nb}</td><td class='{cb}'>{html.escape(b)}</td></tr>"
        )
    return rows


class DiffDialog(QDialog):
    def __init__(self, project: Project, old: int, new: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Compare v{old} → v{new}")
        self.resize(1000, 700)
        self.diffs = diff_versions(project, old, new)
        self.mode = QComboBox()
        self.mode.addItems(["Unified", "Side by side"])
        self.view = QTextBrowser()
        self.mode.currentIndexChanged.connect(self._render)
        changed = sum(d.status != "same" for d in self.diffs)
        top = QHBoxLayout()
        top.addWidget(QLabel(f"v{old} → v{new}: {changed} file(s) changed"))
        top.addStretch()
        top.addWidget(self.mode)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view)
        self._render()

    def _render(self) -> None:
        render = split_html if self.mode.currentIndex() == 1 else unified_html
        self.view.setHtml(render(self.diffs))
