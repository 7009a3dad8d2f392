"""Compare two versions: the two games playing next to each other, and the code of each
changed file in two columns that scroll together (old on the left, new on the right).

The rows come from `studio.core.diff.side_by_side`; the games play in the Preview's sandbox
(same profile, scheme and guard), each page watched for hangs like the Preview's. The
dialog lets go of the project when it closes or when another project opens.
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QColor, QFontDatabase, QTextCharFormat, QTextCursor
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from studio.core.diff import FileDiff, SideRow, diff_versions, side_by_side
from studio.core.store import Project
from studio.sandbox.page import SandboxPage
from studio.sandbox.profile import sandbox_profile
from studio.sandbox.scheme import version_url
from studio.sandbox.watchdog import Watchdog
from studio.ui.session import ProjectSession
from studio.words import plural

CONTEXT = 3  # unchanged lines shown around a change
SIDE_COLOURS = {"removed": "#4a2224", "added": "#1f3b2a", "changed": "#3a3322", "fold": "#262b33"}


def column_text(rows: list[SideRow], side: str) -> str:
    """One column's text: a line per row, numbered, blank where that side has no line."""
    lines = []
    for row in rows:
        number, text = (row.old_no, row.old) if side == "old" else (row.new_no, row.new)
        if row.kind == "fold":
            lines.append(f"      ⋯ {row.old}")
        elif text is None:
            lines.append("")
        else:
            lines.append(f"{number:>5}  {text}")
    return "\n".join(lines)


class GameSide(QWidget):
    """One version playing, with its name above it."""

    def __init__(self, project: Project, version_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.version_id = version_id
        version = project.version(version_id)
        self.label = QLabel(f"<b>v{version_id}</b>  {version.title}")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.view = QWebEngineView()
        self.page = SandboxPage(sandbox_profile("preview"), self.view)
        self.view.setPage(self.page)
        self.view.setMinimumSize(200, 150)
        self.watchdog = Watchdog(self.page, parent=self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.view, 1)
        self.page.load_game(version_url(project, version_id))
        self.watchdog.arm()

    def stop(self) -> None:
        self.watchdog.disarm()
        self.page.clear()


class CompareDialog(QDialog):
    def __init__(
        self, session: ProjectSession, old: int, new: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.session = session
        project = session.project
        assert project is not None
        self.project = project
        self.old, self.new = old, new
        self.setWindowTitle(f"Compare v{old} and v{new}")
        self.resize(1200, 800)
        self.diffs = [d for d in diff_versions(project, old, new) if d.status != "same"]
        sandbox_profile("preview").handler.mount(project)  # let go of in `_let_go`
        self.games = [GameSide(project, old), GameSide(project, new)]
        games = QSplitter(Qt.Orientation.Horizontal)
        for side in self.games:
            games.addWidget(side)

        self.file_box = QComboBox()
        for d in self.diffs:
            self.file_box.addItem(f"{d.path} ({d.status})", d.path)
        self.file_box.currentIndexChanged.connect(lambda _i: self.show_file())
        names = ", ".join(d.path for d in self.diffs[:4]) + (" …" if len(self.diffs) > 4 else "")
        summary = QLabel(
            f"{plural(len(self.diffs), 'file')} changed: {names}" if self.diffs else "No changes"
        )
        self.columns = [self._column(), self._column()]
        for bar in ("verticalScrollBar", "horizontalScrollBar"):  # the columns scroll together
            left, right = (getattr(c, bar)() for c in self.columns)
            left.valueChanged.connect(right.setValue)
            right.valueChanged.connect(left.setValue)
        code = QWidget()
        code_layout = QVBoxLayout(code)
        code_layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(summary, 1)
        top.addWidget(self.file_box)
        code_layout.addLayout(top)
        sides = QSplitter(Qt.Orientation.Horizontal)
        for column in self.columns:
            sides.addWidget(column)
        code_layout.addWidget(sides, 1)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(games)
        splitter.addWidget(code)
        splitter.setSizes([400, 400])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        session.project_changed.connect(self._project_changed)
        self.show_file()

    @staticmethod
    def _column() -> QPlainTextEdit:
        column = QPlainTextEdit()
        column.setReadOnly(True)
        column.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        column.setFont(font)
        return column

    def file_diff(self) -> FileDiff | None:
        path = self.file_box.currentData()
        return next((d for d in self.diffs if d.path == path), None)

    def show_file(self) -> None:
        diff = self.file_diff()
        if diff is None or diff.binary:
            text = "" if diff is None else f"{diff.path}: not text, nothing to show line by line"
            for column in self.columns:
                column.setPlainText(text)
            return
        rows = side_by_side(diff.old_text, diff.new_text, CONTEXT)
        for column, side in zip(self.columns, ("old", "new"), strict=True):
            column.setPlainText(column_text(rows, side))
            column.setExtraSelections(self._marks(column, rows, side))

    @staticmethod
    def _marks(column: QPlainTextEdit, rows: list[SideRow], side: str) -> list:
        marks = []
        for number, row in enumerate(rows):
            own = "removed" if side == "old" else "added"  # what this side shows coloured
            if row.kind not in ("changed", "fold", own):
                continue
            colour = SIDE_COLOURS[row.kind]
            mark = QTextEdit.ExtraSelection()
            fmt = QTextCharFormat()
            fmt.setBackground(QColor(colour))
            fmt.setProperty(QTextCharFormat.Property.FullWidthSelection, True)
            mark.format = fmt
            mark.cursor = QTextCursor(column.document().findBlockByNumber(number))
            marks.append(mark)
        return marks

    def _project_changed(self, _project: object) -> None:
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        self._let_go()
        super().closeEvent(event)

    def done(self, result: int) -> None:
        self._let_go()
        super().done(result)

    def _let_go(self) -> None:
        if not self.games:
            return
        for side in self.games:
            side.stop()
        self.games = []
        sandbox_profile("preview").handler.unmount(self.project)
        with contextlib.suppress(RuntimeError, TypeError):  # disconnected already
            self.session.project_changed.disconnect(self._project_changed)
