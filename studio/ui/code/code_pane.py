"""The Code pane: the game's files in an editor with Run, and tabs for Chat and History.
In a story project the story (graph, scene editor, cast, Make clips) has a tab of its own
beside the files, with the whole width of the pane. After each version the editor marks
the lines that changed since the version it was made from."""

from __future__ import annotations

import contextlib
from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.core.diff import changed_lines
from studio.ui.code.editor import EditorWithFind
from studio.ui.code.history_panel import HistoryPanel
from studio.ui.icons import icon
from studio.ui.session import ProjectSession
from studio.ui.story.story_graph import StoryPanel

_MARKING = ThreadPoolExecutor(1, thread_name_prefix="studio-marks")  # one thread, kept
STORY_SHARE = 0.64  # of the pane's height, for the Story tab when a story opens
TEXT_SUFFIXES = (".html", ".htm", ".js", ".mjs", ".css", ".json", ".txt", ".md", ".svg")


def _one_line_end(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def is_text_file(path: str) -> bool:
    return path.lower().endswith(TEXT_SUFFIXES)


class CodePane(QWidget):
    run_requested = Signal()
    marks_found = Signal(int, str, object)  # version, file, its changed lines (a worker's)

    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._buffers: dict[str, str] = {}  # path -> text, for every text file shown
        self._current: str | None = None
        self.file_box = QComboBox()
        self.file_box.setMinimumWidth(160)
        self.file_box.currentTextChanged.connect(self._switch_file)
        self.run_btn = QPushButton(icon("run"), "Run")
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
        files = QWidget()
        files_layout = QVBoxLayout(files)
        files_layout.setContentsMargins(0, 0, 0, 0)
        files_layout.addLayout(bar)
        files_layout.addWidget(self.editor_box, 1)
        self.editor_box.setMinimumWidth(160)
        # A story project gets a Story tab (first) beside the files; other projects show
        # the files alone, with no tab bar.
        self.story = StoryPanel(session)
        self.story.code = self
        self.story.presence_changed.connect(self._story_present)
        self._story_room = False  # a story arrived: give it room once the pane has a size
        self.top_tabs = QTabWidget()
        self.top_tabs.setDocumentMode(True)
        self.top_tabs.addTab(self.story, "Story")
        self.top_tabs.addTab(files, "Files")
        self._story_present(False)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.top_tabs)
        self.splitter.addWidget(self.tabs)
        # The editor is what a person works in; History and the other tabs get a third.
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([600, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        session.version_shown.connect(self.load_version)
        session.project_changed.connect(lambda p: p is None and self.clear())
        self._loading = False
        self.marks_found.connect(self._show_marks)
        self._marking_for: tuple[int | None, str | None] = (None, None)
        self._stream_path: str | None = None  # the file code is streaming into, if any
        self.streaming = False  # generated code is being written into the editor

    def _story_present(self, present: bool) -> None:
        """A story project opened (the Story tab comes first) or closed (the files alone)."""
        was = self.top_tabs.isTabVisible(0)
        self.top_tabs.setTabVisible(0, present)
        self.top_tabs.tabBar().setVisible(present)
        # A hidden tab's page still counts in the tabs' least height: with no story, the
        # Story panel's would keep the editor from giving way (to a review's diff).
        policy = QSizePolicy.Policy.Preferred if present else QSizePolicy.Policy.Ignored
        self.story.setSizePolicy(policy, policy)
        if present and not was:
            self.top_tabs.setCurrentIndex(0)
            self._story_room = True
            self._give_story_room()
        elif not present:
            self.top_tabs.setCurrentIndex(1)

    def _give_story_room(self) -> None:
        """The story (graph and scene editor) gets most of the pane's height, once laid out."""
        total = sum(self.splitter.sizes()) if hasattr(self, "splitter") else 0
        if self._story_room and total > 0 and self.isVisible():
            self._story_room = False
            self.splitter.setSizes([int(total * STORY_SHARE), total - int(total * STORY_SHARE)])

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._give_story_room()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        QTimer.singleShot(0, self, self._give_story_room)  # once the window has its size

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
        # Forget the shown file first: filling the list switches files, and a switch saves
        # the editor's (old) text into the current file's (new) buffer.
        self._current = None
        self.file_box.clear()
        self.file_box.addItems(list(self._buffers))
        # A story is written in story.json (index.html is its player): show that first.
        first = "story.json" if "story.json" in self._buffers else "index.html"
        target = keep or (first if first in self._buffers else next(iter(self._buffers), None))
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
        text = self._buffers.get(path, "")
        # A file that was just streamed in already shows this very text, highlighted:
        # setting it again would only flash and cost a frame on a long file.
        if path != self._stream_path or self.editor.toPlainText() != text:
            self.editor.set_file(path, text)
        if path == self._stream_path:
            self._stream_path = None
        self._loading = was_loading
        self._mark_changes()

    def _mark_changes(self) -> None:
        """Mark the lines of the file shown that its version changed (on a worker thread:
        comparing a long file is more than a frame's work)."""
        self.editor.set_marks(frozenset())
        project, version, path = self.session.project, self.session.shown, self._current
        if project is None or version is None or path is None or self.streaming:
            return
        parent = project.version(version).parent
        if parent is None:
            return  # the first version: everything is new, nothing to point out
        sha, new = project.file_hashes(parent).get(path), self._buffers.get(path, "")

        def compare(_report: object) -> set[int]:
            old = project.blobs.read(sha).decode("utf-8", errors="replace") if sha else ""
            return changed_lines(old, new)

        def found(future: Future) -> None:  # on the worker thread: a queued signal
            if future.exception() is None:
                with contextlib.suppress(RuntimeError):  # the pane is gone: nobody to tell
                    self.marks_found.emit(version, path, future.result())

        self._marking_for = (version, path)
        _MARKING.submit(compare, None).add_done_callback(found)

    def _show_marks(self, version: int, path: str, lines: set[int]) -> None:
        if (version, path) == self._marking_for == (self.session.shown, self._current):
            self.editor.set_marks(lines)

    def _text_changed(self) -> None:
        if not self._loading and self._current is not None:
            text = self.editor.toPlainText()
            self._buffers[self._current] = text
            self._update_modified()
            # Typed over, the marks no longer line up. (The highlighter's later passes over
            # a long file say the text changed too: those leave it as it was.)
            if self.editor.marks and self._edited(self._current, text):
                self.editor.set_marks(frozenset())

    def _update_modified(self) -> None:
        changed = self.is_modified()
        self.modified_label.setText("● edited, not run" if changed else "")

    def is_modified(self) -> bool:
        return any(self._edited(p, t) for p, t in self._buffers.items())

    def _edited(self, path: str, text: str) -> bool:
        """Whether `text` differs from the file as loaded, line ends aside (the editor shows
        Windows line ends as its own)."""
        saved = getattr(self, "_saved", {}).get(path)
        return saved is None or _one_line_end(saved) != _one_line_end(text)

    def current_files(self) -> dict[str, bytes]:
        """The shown version's files with the editor's text in place of the originals. A
        file not edited keeps its bytes: the editor's text of it may differ (line ends,
        bytes that are not UTF-8), and Run must not make a version of that."""
        files = self.session.files()
        if self._current is not None:
            self._buffers[self._current] = self.editor.toPlainText()
        saved = getattr(self, "_saved", {})
        for path, text in self._buffers.items():
            if self._edited(path, text):  # an edited file keeps its line ends
                crlf = "\r\n" in saved.get(path, "")
                text = _one_line_end(text).replace("\n", "\r\n") if crlf else text
                files[path] = text.encode("utf-8")
        return files

    def save_edits(self) -> None:
        """The editor's unsaved edits become a version, before a panel (Chat, the story
        graph) writes one that builds on them: the new version then does not wipe them out."""
        if self.session.project is not None and not self.streaming and self.is_modified():
            self.session.save_edit(self.current_files())

    def run(self) -> None:
        if self.session.project is None or self.streaming:
            return  # while code streams in, the editor holds an unfinished answer
        self.session.save_edit(self.current_files())
        self.run_requested.emit()

    # -- streaming: the Chat panel writes generated code here as it arrives --------------

    def begin_stream(self) -> None:
        """Code is about to stream in: the editor follows it, read-only, until end_stream."""
        if self._current is not None and not self._loading:
            self._buffers[self._current] = self.editor.toPlainText()
        self._loading = self.streaming = True
        self.file_box.setEnabled(False)
        self.run_btn.setEnabled(False)
        self.editor.setReadOnly(True)
        self.editor.setUndoRedoEnabled(False)  # a stream is no edit to undo, and costs less

    def stream_file(self, path: str, text: str = "") -> None:
        """Show `path` with `text` (empty for a new file), ready for more."""
        self.file_box.blockSignals(True)
        if self.file_box.findText(path) < 0:
            self.file_box.addItem(path)
        self.file_box.setCurrentText(path)
        self.file_box.blockSignals(False)
        self._stream_path = self._current = path
        self.editor.set_file(path, text)
        self.editor.follow_end()

    def stream_append(self, text: str) -> None:
        self.editor.append_streamed(text)

    def end_stream(self, *, reload: bool) -> None:
        """The stream is over. `reload`: nothing was saved, so show the shown version again
        (a version that was saved is loaded by the session anyway)."""
        self.editor.setUndoRedoEnabled(True)
        self.editor.setReadOnly(False)
        self.file_box.setEnabled(True)
        self.run_btn.setEnabled(True)
        self._loading = self.streaming = False
        if reload:
            self._stream_path = None
            if self.session.shown is not None:
                self.load_version(self.session.shown)
            else:
                self.clear()
