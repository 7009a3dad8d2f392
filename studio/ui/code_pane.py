"""The Code pane: the game's files in an editor with Run, and tabs for Chat and History."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.ui.editor import EditorWithFind
from studio.ui.history_panel import HistoryPanel
from studio.ui.session import ProjectSession

TEXT_SUFFIXES = (".html", ".htm", ".js", ".mjs", ".css", ".json", ".txt", ".md", ".svg")


def is_text_file(path: str) -> bool:
    return path.lower().endswith(TEXT_SUFFIXES)


class CodePane(QWidget):
    run_requested = Signal()

    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._buffers: dict[str, str] = {}  # path -> text, for every text file shown
        self._current: str | None = None
        self.file_box = QComboBox()
        self.file_box.setMinimumWidth(160)
        self.file_box.currentTextChanged.connect(self._switch_file)
        self.run_btn = QPushButton("▶ Run")
        self.run_btn.setObjectName("runButton")
        self.run_btn.setToolTip("Save the edits as a new version and play it (Ctrl+R, Ctrl+Enter)")
        self.run_btn.clicked.connect(self.run)
        self.modified_label = QLabel()
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 0)
        bar.addWidget(self.file_box)
        bar.addWidget(self.modified_label, 1)
        bar.addWidget(self.run_btn)
        self.editor_box = EditorWithFind()
        self.editor = self.editor_box.editor
        self.editor.textChanged.connect(self._text_changed)
        self.history = HistoryPanel(session)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.history, "History")
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(bar)
        top_layout.addWidget(self.editor_box, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        session.version_shown.connect(self.load_version)
        session.project_changed.connect(lambda p: p is None and self.clear())
        self._loading = False

    def add_tab(self, widget: QWidget, title: str, *, first: bool = False) -> None:
        if first:
            self.tabs.insertTab(0, widget, title)
            self.tabs.setCurrentIndex(0)
        else:
            self.tabs.addTab(widget, title)

    def clear(self) -> None:
        self._loading = True
        self._buffers.clear()
        self._current = None
        self.file_box.clear()
        self.editor.clear()
        self._loading = False

    def load_version(self, version_id: int) -> None:
        """Show a version's text files; edits not yet run are replaced."""
        files = self.session.files()
        self._loading = True
        self._buffers = {
            p: d.decode("utf-8", errors="replace")
            for p, d in sorted(files.items())
            if is_text_file(p)
        }
        keep = self._current if self._current in self._buffers else None
        self.file_box.clear()
        self.file_box.addItems(list(self._buffers))
        self._current = None
        target = keep or (
            "index.html" if "index.html" in self._buffers else next(iter(self._buffers), None)
        )
        if target:
            self.file_box.setCurrentText(target)
            self._switch_file(target)
        self._loading = False
        self._saved = dict(self._buffers)
        self._update_modified()

    def _switch_file(self, path: str) -> None:
        if not path or path == self._current:
            return
        if self._current is not None:
            self._buffers[self._current] = self.editor.toPlainText()
        self._current = path
        was_loading, self._loading = self._loading, True
        self.editor.set_file(path, self._buffers.get(path, ""))
        self._loading = was_loading

    def _text_changed(self) -> None:
        if not self._loading and self._current is not None:
            self._buffers[self._current] = self.editor.toPlainText()
            self._update_modified()

    def _update_modified(self) -> None:
        changed = self.is_modified()
        self.modified_label.setText("● edited, not run" if changed else "")

    def is_modified(self) -> bool:
        return self._buffers != getattr(self, "_saved", {})

    def current_files(self) -> dict[str, bytes]:
        """The shown version's files with the editor's text in place of the originals."""
        files = self.session.files()
        if self._current is not None:
            self._buffers[self._current] = self.editor.toPlainText()
        files.update({p: t.encode("utf-8") for p, t in self._buffers.items()})
        return files

    def run(self) -> None:
        if self.session.project is None:
            return
        self.session.save_edit(self.current_files())
        self.run_requested.emit()
