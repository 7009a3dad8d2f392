"""The story panel beside the editor of a story project: the scene graph
(`studio.ui.story.graph_view`), the scene editor, the cast editor
(`studio.ui.story.cast_editor`) and Make clips.

`StoryPanel` follows the session: it shows the story of the version on screen, and hides
itself for projects without `story.json`. Clicking a scene opens its title, text and prompt
for editing; Apply commits a new version through the session (so the editor, the Preview and
History follow). "Make clips" runs a `studio.operations.story_clips.ClipBatch` on the
session's video queue (so the Video pane lists the jobs too) and shows each scene's progress
on its node; each clip lands as a version as it arrives, so the Preview plays it in place of
the title card. "Re-make clip" does it for one scene. Before a batch starts, its plan says
what it makes and about what it costs; a batch that costs money asks once (a question that
does not block the event loop). Each node's tooltip says how its clip joins the others
(continuity), planned or made. Whatever the panel writes builds on
the editor's unsaved edits (saved first, as the Chat panel does), so nothing typed is lost.
The panel holds no story logic: layout aside, everything is `studio.story`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.errors import StudioError
from studio.story.model import STORY_FILE, Scene, Story, parse_story, update_scene
from studio.story.validate import Problem, check_files
from studio.ui.session import ProjectSession
from studio.ui.story.cast_editor import CastEditor
from studio.ui.story.graph_view import BAD, MUTED, StoryGraphView
from studio.ui.widgets.background import Tasks
from studio.ui.widgets.provider_combo import chosen_name, follow_providers, shrink_to_fit

log = logging.getLogger(__name__)


class SceneEditor(QWidget):
    """Title, text and prompt of the scene clicked in the graph."""

    apply_requested = Signal(str, dict)  # scene id, changed fields
    remake_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene_id: str | None = None
        self.heading = QLabel("Click a scene to edit it")
        self.heading.setObjectName("sceneHeading")
        self.title = QLineEdit()
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("Narration, shown as subtitles")
        self.prompt = QPlainTextEdit()
        self.prompt.setPlaceholderText("What the scene's clip shows")
        for box in (self.text, self.prompt):
            box.setTabChangesFocus(True)
            box.setMinimumHeight(44)
            box.setMaximumHeight(90)
            box.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.apply_btn = QPushButton("Apply")
        self.apply_btn.setObjectName("primaryButton")
        self.apply_btn.setToolTip("Save the scene as a new version")
        self.apply_btn.clicked.connect(self._apply)
        self.remake_btn = QPushButton("Re-make clip")
        self.remake_btn.setToolTip("Make this scene's clip again with the chosen provider")
        self.remake_btn.clicked.connect(
            lambda: self.scene_id and self.remake_requested.emit(self.scene_id)
        )
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Title", self.title)
        form.addRow("Text", self.text)
        form.addRow("Prompt", self.prompt)
        self.choices = QLabel()
        self.choices.setWordWrap(True)
        self.choices.setStyleSheet(f"color: {MUTED.name()};")
        form.addRow("Choices", self.choices)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.remake_btn)
        buttons.addWidget(self.apply_btn)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.heading)
        layout.addLayout(form, 1)
        layout.addLayout(buttons)
        self._original: dict[str, str] = {}
        self.show_scene(None)

    def show_scene(self, scene: Scene | None, *, keep_edits: bool = False) -> None:
        """Show `scene`; with `keep_edits`, fields changed and not applied stay as typed when
        it is the same scene (a new version arrived meanwhile)."""
        same = scene is not None and scene.id == self.scene_id
        pending = self.changes() if keep_edits and same else {}
        self.scene_id = scene.id if scene else None
        self._original = (
            {"title": scene.title, "text": scene.text, "prompt": scene.prompt} if scene else {}
        )
        self.heading.setText(f"<b>Scene “{scene.id}”</b>" if scene else "")
        self.title.setText(scene.title if scene else "")
        self.text.setPlainText(scene.text if scene else "")
        self.prompt.setPlainText(scene.prompt if scene else "")
        if scene is None:
            self.choices.setText("")
        elif scene.choices:
            self.choices.setText(
                "\n".join(f"{i + 1}. {c.label} → {c.next}" for i, c in enumerate(scene.choices))
            )
        else:
            self.choices.setText("an ending" if scene.ending else "none (a dead end)")
        if "title" in pending:
            self.title.setText(pending["title"])
        if "text" in pending:
            self.text.setPlainText(pending["text"])
        if "prompt" in pending:
            self.prompt.setPlainText(pending["prompt"])
        for w in (self.title, self.text, self.prompt, self.apply_btn, self.remake_btn):
            w.setEnabled(scene is not None)
        self.setVisible(scene is not None)  # the graph gets the room until a scene is chosen

    def changes(self) -> dict[str, str]:
        now = {
            "title": self.title.text(),
            "text": self.text.toPlainText(),
            "prompt": self.prompt.toPlainText(),
        }
        return {k: v for k, v in now.items() if v != self._original.get(k)}

    def _apply(self) -> None:
        if self.scene_id and self.changes():
            self.apply_requested.emit(self.scene_id, self.changes())


class StoryPanel(QWidget):
    """The graph, the scene editor and Make clips, for the version the session shows."""

    clips_finished = Signal(object)  # a ClipsOutcome

    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.story: Story | None = None
        self.problems: list[Problem] = []
        # The Code pane this panel sits in (it sets this): its unsaved edits are saved
        # before the panel writes a version.
        self.code: Any = None
        self._tasks = Tasks()
        self._batch: Any = None  # the ClipBatch running, if any
        self._node_progress: dict[str, tuple[float, str]] = {}  # kept across graph rebuilds
        self._node_continuity: dict[str, str] = {}  # planned, while a batch runs
        self.consent: QMessageBox | None = None  # the question before a batch that costs
        self.heading = QLabel()
        self.heading.setObjectName("storyHeading")
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(f"color: {BAD.name()};")
        self.hint = QLabel("Click a scene to edit it · drag to pan · wheel to zoom")
        self.hint.setStyleSheet(f"color: {MUTED.name()};")
        self.provider_box = QComboBox()
        self.provider_box.setToolTip("The video provider that makes the clips")
        self.continuity_box = QCheckBox("Continuity")
        self.continuity_box.setToolTip(
            "Join each clip to the previous scene's with the best the model offers: extend "
            "it, start on its last frame, send the cast's pictures, or end on the next clip"
        )
        self.cast_btn = QPushButton("Cast…")
        self.cast_btn.setCheckable(True)
        self.cast_btn.setToolTip("The story's characters and their pictures")
        self.make_btn = QPushButton("Make clips")
        self.make_btn.setToolTip("Make a clip for every scene that has none")
        self.make_btn.clicked.connect(lambda: self.make_clips())
        self.status = QLabel()
        self.status.setObjectName("storyStatus")
        self.graph = StoryGraphView()
        self.graph.scene_selected.connect(self._scene_selected)
        self.editor = SceneEditor()
        self.editor.apply_requested.connect(self.apply_edit)
        self.editor.remake_requested.connect(lambda sid: self.make_clips([sid]))
        self.cast = CastEditor(session)
        self.cast.apply_requested.connect(self.apply_cast)
        self.cast.refused.connect(self.status.setText)
        self.cast.setVisible(False)
        self.cast_btn.toggled.connect(self._cast_toggled)
        tools = QHBoxLayout()
        tools.setContentsMargins(6, 0, 6, 0)
        tools.addWidget(QLabel("Clips by"))
        tools.addWidget(self.provider_box, 1)
        tools.addWidget(self.continuity_box)
        tools.addWidget(self.make_btn)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.graph)
        self.splitter.addWidget(self.editor)
        self.splitter.addWidget(self.cast)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setStretchFactor(2, 2)
        self.heading.setContentsMargins(6, 4, 6, 0)
        self.problem_label.setContentsMargins(6, 0, 6, 0)
        self.hint.setContentsMargins(6, 0, 6, 0)
        self.status.setContentsMargins(6, 0, 6, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.heading.setWordWrap(True)  # a long title must not widen the panel
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 6, 0)
        head.addWidget(self.heading, 1)
        head.addWidget(self.cast_btn)
        layout.addLayout(head)
        layout.addLayout(tools)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.hint)
        layout.addWidget(self.status)
        session.version_shown.connect(self.load_version)
        session.project_changed.connect(self._project_changed)
        # Plugins enabled or disabled add or take away video providers. Offline cards
        # first when nothing was chosen: they work without a key.
        shrink_to_fit(self.provider_box, 6)
        follow_providers(self.provider_box, session.host, prefer=("title-cards",))
        self.hide()

    # -- following the session ------------------------------------------------------------

    def _project_changed(self, project: Any) -> None:
        if project is None:
            self.story = None
            self.graph.set_story(None, [], set())
            self.editor.show_scene(None)
            self.hide()
            if self._batch is not None:  # the project closes next: arrived clips go in first
                self._batch.land_now()
            self._tasks.cancel_all()  # jobs stay in the project: they resume with it

    def load_version(self, version_id: int) -> None:
        files = self.session.files()
        if STORY_FILE not in files:
            self.story = None
            self.hide()
            return
        self.problems = check_files(files)
        try:
            self.story = parse_story(files[STORY_FILE])
        except StudioError:
            self.story = None
        self.graph.set_story(self.story, self.problems, set(files))
        for scene_id, (fraction, status) in self._node_progress.items():
            if scene_id in self.graph.nodes:
                self.graph.nodes[scene_id].set_progress(fraction, status)
        self._show_cast_and_continuity(files)
        story = self.story
        if story is not None:
            self.heading.setText(
                f"<b>{story.title or 'Untitled story'}</b> — {len(story.scenes)} scenes, "
                f"{len(story.endings)} endings"
            )
        else:
            self.heading.setText("<b>story.json</b> is not valid JSON")
        count = len(self.problems)
        first = self.problems[0].message if self.problems else ""
        self.problem_label.setText(
            f"⚠ {first}" + (f"  (+{count - 1} more: hover for all)" if count > 1 else "")
        )
        self.problem_label.setToolTip("\n".join(f"⚠ {p.message}" for p in self.problems))
        self.problem_label.setVisible(bool(self.problems))
        selected = self.graph.selected
        self.editor.show_scene(
            story.scene(selected)
            if story is not None and selected and story.has(selected)
            else None,
            keep_edits=True,
        )
        if not self.isVisible():
            self.show()
            self._claim_space()

    def _cast_toggled(self, shown: bool) -> None:
        """Show the cast editor with room for a few characters (the graph gives it up)."""
        self.cast.setVisible(shown)
        if shown:
            graph, editor, _cast = self.splitter.sizes()
            total = graph + editor + _cast
            cast = max(int(total * 0.55), 220)
            self.splitter.setSizes([max(total - cast - editor, 80), editor, cast])

    def _show_cast_and_continuity(self, files: dict[str, bytes]) -> None:
        """The cast in its editor, and in each node's tooltip how its clip joins the
        others: as made (the job that made it), or as planned while a batch runs."""
        from studio.operations.clip_plan import scene_continuity

        story, project = self.story, self.session.project
        if story is None or project is None:
            return
        pictures = {
            path.removeprefix("assets/"): data
            for path, data in files.items()
            if path.startswith("assets/")
        }
        if not self.cast.dirty:
            self.cast.show_cast(story.cast, pictures)
        hashes = project.file_hashes(self.session.shown) if self.session.shown else {}
        made = scene_continuity(project, story, hashes)
        for scene_id, node in self.graph.nodes.items():
            node.set_continuity(self._node_continuity.get(scene_id) or made.get(scene_id, ""))

    def apply_cast(self, cast: list) -> None:
        """Commit the edited cast (pictures kept in the library and in assets/)."""
        from studio.operations.story_cast import cast_files

        project = self.session.project
        self._save_edits_first()
        files = self.session.files()
        if project is None or STORY_FILE not in files:
            return
        try:
            changed = cast_files(project, files, cast)
        except StudioError as exc:
            self.status.setText(str(exc))
            return
        self.cast.dirty = False  # the new version shows the cast as saved
        version = self.session.save_edit(changed)
        if version is not None:
            self.session.assets_changed.emit()
            self.status.setText(f"Cast saved as version {version.id}")

    def _claim_space(self) -> None:
        """Shown again in a splitter that had squeezed it to nothing: take half of it."""
        splitter = self.parentWidget()
        if not isinstance(splitter, QSplitter):
            return
        sizes = splitter.sizes()
        index = splitter.indexOf(self)
        total = sum(sizes)
        if index < 0 or total <= 0 or sizes[index] >= 160:
            return
        share = total * 0.6
        rest = (total - share) / max(1, len(sizes) - 1)
        splitter.setSizes([int(share) if i == index else int(rest) for i in range(len(sizes))])

    def _scene_selected(self, scene_id: str) -> None:
        if self.story is not None and self.story.has(scene_id):
            self.editor.show_scene(self.story.scene(scene_id))

    # -- editing --------------------------------------------------------------------------

    def _save_edits_first(self) -> None:
        if self.code is not None:
            self.code.save_edits()

    def apply_edit(self, scene_id: str, changes: dict[str, str]) -> None:
        """Commit the scene's new title/text/prompt as a version through the session."""
        self._save_edits_first()
        files = self.session.files()
        if STORY_FILE not in files:
            return
        try:
            text = update_scene(files[STORY_FILE], scene_id, **changes)
        except StudioError as exc:
            self.status.setText(str(exc))
            return
        files[STORY_FILE] = text.encode("utf-8")
        version = self.session.save_edit(files)
        if version is not None:
            self.status.setText(f"Scene {scene_id} saved as version {version.id}")

    # -- clips ----------------------------------------------------------------------------

    def busy(self) -> bool:
        return bool(self._tasks)

    def make_clips(self, scenes: list[str] | None = None) -> asyncio.Future | None:
        """Start making clips (all scenes without one, or the given ones)."""
        from studio.operations.story_clips import ClipBatch

        project, queue = self.session.project, self.session.video_queue
        provider = chosen_name(self.provider_box)
        if project is None or queue is None or self.story is None or not provider or self.busy():
            return None
        # The clips are made for the story as typed: the editor's edits and the scene
        # editor's (not applied) are saved first.
        self._save_edits_first()
        if self.editor.scene_id and self.editor.changes():
            self.apply_edit(self.editor.scene_id, self.editor.changes())
        self.session.build_on_shown()  # clips land on the story on screen
        self.make_btn.setEnabled(False)
        self.editor.remake_btn.setEnabled(False)
        self.status.setText("Making clips…")
        self._node_progress.clear()
        for node in self.graph.nodes.values():
            if scenes is None or node.scene_id in scenes:
                node.set_progress(None)
        self._batch = ClipBatch(
            project,
            queue,
            provider,
            scenes=scenes,
            continuity=self.continuity_box.isChecked(),
            on_progress=self._progress,
            on_version=self._clip_landed,
            before_landing=self._before_landing,
        )
        return self._tasks.start(self._plan_then_run(self._batch), self._clips_done)

    async def _plan_then_run(self, batch: Any) -> Any:
        """Plan the batch (what, how, about what cost), ask once if it costs money, run."""
        plan = await batch.plan()
        self._node_continuity = {c.scene: c.continuity.words() for c in plan.clips}
        for scene_id, words in self._node_continuity.items():
            if scene_id in self.graph.nodes:
                self.graph.nodes[scene_id].set_continuity(words)
        self.status.setText(f"Making {plan.summary()}")
        if plan.new and not plan.estimate.free and not await self._agreed(plan):
            return None
        return await batch.run()

    async def _agreed(self, plan: Any) -> bool:
        """Ask whether to make the batch; the answer comes without a nested event loop."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Make clips",
            f"Make {plan.summary()}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setDetailedText("\n".join(c.words() for c in plan.clips))
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        box.finished.connect(
            lambda result: (
                answer.done() or answer.set_result(result == QMessageBox.StandardButton.Yes)
            )
        )
        self.consent = box
        box.open()
        try:
            return await answer
        finally:
            self.consent = None
            box.deleteLater()

    def _before_landing(self) -> None:
        """A clip is about to land on the head: typing on it is saved first."""
        project = self.session.project
        if project is not None and self.session.shown == project.head:
            self._save_edits_first()

    def _clip_landed(self, version: Any) -> None:
        """Show the version with the new clip when the person looks at the one it builds on
        (the Preview plays the clip in place of the title card); else History just gains it."""
        if self.session.project is None:
            return  # landed as the project closes: it shows when the project opens again
        streaming = self.code is not None and self.code.streaming
        if self.session.shown == version.parent and not streaming:
            self.session.add_version(version)
        else:
            self.session.versions_changed.emit()
        self.session.assets_changed.emit()

    def _progress(self, item: Any) -> None:
        fraction = 1.0 if item.status == "completed" else item.progress
        self._node_progress[item.scene] = (fraction, item.status)
        self._node_continuity[item.scene] = item.continuity
        node = self.graph.nodes.get(item.scene)
        if node is not None:
            node.set_progress(fraction, item.status)
            node.set_continuity(item.continuity)
        self.status.setText(
            f"{item.scene}: {item.status.replace('_', ' ')}"
            + (f" {round(item.progress * 100)}%" if item.status == "running" else "")
        )

    def _clips_done(self, task: asyncio.Future) -> None:
        self._batch = None
        self._node_progress.clear()
        self._node_continuity.clear()
        self.make_btn.setEnabled(True)
        self.editor.remake_btn.setEnabled(self.editor.scene_id is not None)
        if task.cancelled():
            self.status.setText("Stopped making clips")
            return
        if task.exception() is None and task.result() is None:
            self.status.setText("Nothing made: the batch was not started")
            return
        exc = task.exception()
        if exc is not None:
            if not isinstance(exc, StudioError):
                log.error("making clips failed", exc_info=exc)
            self.status.setText(f"Could not make clips: {exc}")
            return
        outcome = task.result()
        made, failed = len(outcome.made), len(outcome.failed)
        reused = sum(s.reused for s in outcome.made)
        parts = [f"{made} clip{'s' if made != 1 else ''} made"] if outcome.scenes else []
        if reused:
            parts[0] += f" ({reused} from earlier jobs)"
        if failed:
            parts.append(
                f"{failed} failed ({outcome.failed[0].scene}: "
                f"{outcome.failed[0].error or outcome.failed[0].status})"
            )
        parts += outcome.notes
        self.status.setText("; ".join(parts) or "Nothing to make")
        self.clips_finished.emit(outcome)
