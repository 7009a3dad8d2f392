"""The Video pane's selected clip and what can be done with it: a player, trim, remix, extend,
continue from its last frame, export, "Use in game" and delete; and importing a video file
as a new clip. Media work shows its progress in the pane's work bar, with Cancel."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.ai.video_provider import VideoCapabilities, VideoError
from studio.core import assets
from studio.core.assets import Clip
from studio.core.records import Version, VideoJob
from studio.errors import StudioError
from studio.operations.video_queue import VideoQueue
from studio.ui.session import ProjectSession
from studio.ui.video.clip_library import ClipLibrary
from studio.ui.video.video_player import ClipPlayer, poster_image
from studio.ui.video.video_work import PaneWork, Progress, plain_message

REMIX_TIP = "The same clip again with a new prompt"
EXTEND_TIP = "Make the clip longer"


class ClipActions(QWidget):
    """The panel under the gallery; hidden while no clip is selected."""

    # "Continue" on a clip (by name): the form continues it as the model best can.
    continue_requested = Signal(str)

    def __init__(
        self,
        session: ProjectSession,
        work: PaneWork,
        library: ClipLibrary,
        capabilities: Callable[[str], VideoCapabilities],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.work = work
        self.library = library
        self.capabilities = capabilities
        self.clip_title = QLabel()
        self.clip_title.setWordWrap(True)
        self.clip_title.setTextFormat(Qt.TextFormat.PlainText)
        self.clip_facts = QLabel()
        self.clip_facts.setStyleSheet("color: #9da5b4;")
        self.player = ClipPlayer()
        self.player.setMinimumHeight(150)
        self.player.setMaximumHeight(260)
        self.player.duration_changed.connect(self._duration_known)

        self.trim_start = QDoubleSpinBox()
        self.trim_end = QDoubleSpinBox()
        for box, tip in ((self.trim_start, "Start (s)"), (self.trim_end, "End (s)")):
            box.setDecimals(2)
            box.setSingleStep(0.1)
            box.setSuffix(" s")
            box.setToolTip(tip)
        self.set_start_button = QToolButton(text="In")
        self.set_start_button.setToolTip("Start the trim at the player's position")
        self.set_start_button.clicked.connect(
            lambda: self.trim_start.setValue(self.player.position)
        )
        self.set_end_button = QToolButton(text="Out")
        self.set_end_button.setToolTip("End the trim at the player's position")
        self.set_end_button.clicked.connect(lambda: self.trim_end.setValue(self.player.position))
        self.trim_button = QPushButton("Trim")
        self.trim_button.setToolTip("Make a new clip from start to end")
        self.trim_button.clicked.connect(self._trim_clicked)
        trim = QHBoxLayout()
        trim.setContentsMargins(0, 0, 0, 0)
        trim.addWidget(self.set_start_button)
        trim.addWidget(self.trim_start, 1)
        trim.addWidget(QLabel("–"))
        trim.addWidget(self.trim_end, 1)
        trim.addWidget(self.set_end_button)
        trim.addWidget(self.trim_button)

        self.use_button = QPushButton("Use in game")
        self.use_button.setObjectName("primaryButton")
        self.use_button.setToolTip("New version with this clip as assets/<name>")
        self.use_button.clicked.connect(self._use_clicked)
        self.remix_button = QPushButton("Remix…")
        self.remix_button.setToolTip(REMIX_TIP)
        self.remix_button.clicked.connect(self._remix_clicked)
        self.extend_button = QPushButton("Extend…")
        self.extend_button.setToolTip(EXTEND_TIP)
        self.extend_button.clicked.connect(self._extend_clicked)
        self.continue_button = QPushButton("Continue")
        self.continue_button.setToolTip(
            "Continue this clip: extend it where the model can, else start from its last frame"
        )
        self.continue_button.clicked.connect(self._continue_clicked)
        self.export_button = QPushButton("Export")
        menu = QMenu(self.export_button)
        for label, suffix in (
            ("MP4 video…", ".mp4"),
            ("Animated GIF…", ".gif"),
            ("WebM…", ".webm"),
        ):
            menu.addAction(label, lambda s=suffix: self._export_dialog(s))
        self.export_button.setMenu(menu)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Remove from the library (versions keep their copy)")
        self.delete_button.clicked.connect(self._delete_clicked)
        actions = QGridLayout()
        actions.setContentsMargins(0, 0, 0, 0)
        actions.setSpacing(4)
        buttons = (
            self.remix_button,
            self.extend_button,
            self.continue_button,
            self.export_button,
            self.delete_button,
        )
        actions.addWidget(self.use_button, 0, 0, 1, 3)
        for i, button in enumerate(buttons[:3]):
            actions.addWidget(button, 1, i)
        actions.addWidget(self.export_button, 2, 0, 1, 2)
        actions.addWidget(self.delete_button, 2, 2)
        for button in (self.use_button, *buttons):
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.clip_title)
        layout.addWidget(self.clip_facts)
        layout.addWidget(self.player, 1)
        layout.addLayout(trim)
        layout.addLayout(actions)
        self.setVisible(False)

    # -- the selected clip -------------------------------------------------------------------

    def enable_for(self, clip: Clip | None) -> None:
        """Shown for a clip; remix and extend only for one a provider generated."""
        self.setVisible(clip is not None)
        if clip is not None:
            generated = bool(clip.meta.get("job"))
            self.remix_button.setEnabled(generated)
            self.extend_button.setEnabled(generated)
            tip = "" if generated else " (only for clips a provider generated)"
            self.remix_button.setToolTip(REMIX_TIP + tip)
            self.extend_button.setToolTip(EXTEND_TIP + tip)

    def show_clip(self, clip: Clip | None) -> None:
        project = self.session.project
        if clip is None or project is None:
            self.player.load(None)
            return
        self.clip_title.setText(clip.title)
        source = {"generated": "generated", "recorded": "gameplay recording"}.get(
            clip.source, clip.source
        )
        self.clip_facts.setText(
            f"{clip.name} · {clip.duration:.1f} s · {clip.width}×{clip.height} · {source}"
        )
        poster = None
        if clip.thumbnail:
            with contextlib.suppress(StudioError):
                poster = poster_image(project.blobs.read(project.asset(clip.thumbnail).blob))
        path = project.blobs.path(project.asset(clip.name).blob)
        self.player.load(path, poster)
        for box in (self.trim_start, self.trim_end):
            box.setRange(0.0, max(0.01, clip.duration))
        self.trim_start.setValue(0.0)
        self.trim_end.setValue(clip.duration)

    def _duration_known(self, seconds: float) -> None:
        if seconds > 0 and self.trim_end.value() == 0:
            self.trim_end.setValue(seconds)

    def _need_clip(self) -> Clip | None:
        clip = self.library.selected_clip()
        if clip is None:
            self.work.show_error("Choose a clip in the gallery first.")
        return clip

    # -- into the game ---------------------------------------------------------------------

    def use_in_game(self, name: str | None = None) -> Version | None:
        """A new version whose game has the clip as `assets/<name>`; returns it."""
        name = name or self.library.selected_name()
        project = self.session.project
        if name is None or project is None:
            return None
        shown = self.session.shown
        try:
            before = shown if shown is not None else project.head
            version = assets.use_in_game(project, name, version_id=before)
        except StudioError as exc:
            self.work.show_error(str(exc))
            return None
        if version.id == before:
            self.work.show_note(f"Version {version.id} already has assets/{name}.")
            return version
        self.session.add_version(version)
        self.session.status.emit(f"Version {version.id}: the game can load assets/{name}")
        self.work.show_note(
            f"Version {version.id} has assets/{name}: ask for it in the Code pane, e.g. "
            f"“play assets/{name} as the background”."
        )
        return version

    def _use_clicked(self) -> None:
        if self._need_clip() is not None:
            self.use_in_game()

    # -- more clips from this one ----------------------------------------------------------

    def remix(self, name: str, prompt: str) -> VideoJob | None:
        return self._queue_job(lambda queue: queue.remix(name, prompt))

    def extend(self, name: str, prompt: str, seconds: int) -> VideoJob | None:
        return self._queue_job(lambda queue: queue.extend(name, prompt, seconds))

    def _queue_job(self, add: Callable[[VideoQueue], VideoJob]) -> VideoJob | None:
        queue = self.session.video_queue
        if queue is None:
            return None
        try:
            return add(queue)
        except (StudioError, VideoError) as exc:
            self.work.show_error(plain_message(exc))
            return None

    def _remix_clicked(self) -> None:
        clip = self._need_clip()
        if clip is None:
            return
        prompt, ok = QInputDialog.getMultiLineText(
            self, "Remix", "New prompt for this clip:", clip.prompt or ""
        )
        if ok and prompt.strip():
            self.remix(clip.name, prompt)

    def _extend_clicked(self) -> None:
        clip = self._need_clip()
        if clip is None:
            return
        caps = self.capabilities(str(clip.meta.get("provider") or ""))
        choices = [f"{s} s" for s in (caps.extend_durations or caps.durations)]
        seconds, ok = QInputDialog.getItem(self, "Extend", "Add how long?", choices, 0, False)
        if not ok:
            return
        prompt, ok = QInputDialog.getMultiLineText(
            self, "Extend", "What happens next?", clip.prompt or ""
        )
        if ok and prompt.strip():
            self.extend(clip.name, prompt, int(seconds.split()[0]))

    def _continue_clicked(self) -> None:
        clip = self._need_clip()
        if clip is not None:
            self.continue_requested.emit(clip.name)

    # -- media work ------------------------------------------------------------------------

    def trim(self, name: str, start: float, end: float) -> asyncio.Future | None:
        project = self.session.project
        if project is None:
            return None

        async def work(on_progress: Progress) -> None:
            clip = await assets.trim_clip(project, name, start, end, on_progress=on_progress)
            self.library.show_new(clip.name)
            self.work.show_note(f"Trimmed into a new clip: {clip.name}")

        return self.work.run_media(work, doing=f"Trimming {name}")

    def _trim_clicked(self) -> None:
        clip = self._need_clip()
        if clip is not None:
            self.trim(clip.name, self.trim_start.value(), self.trim_end.value())

    def export(self, name: str, dest: Path) -> asyncio.Future | None:
        project = self.session.project
        if project is None:
            return None

        async def work(on_progress: Progress) -> None:
            path = await assets.export_clip(project, name, dest, on_progress=on_progress)
            self.work.show_note(f"Exported {path}")

        return self.work.run_media(work, doing=f"Exporting {dest.name}")

    def _export_dialog(self, suffix: str) -> None:
        clip = self._need_clip()
        if clip is None:
            return
        kinds = {".mp4": "MP4 video (*.mp4)", ".gif": "GIF (*.gif)", ".webm": "WebM (*.webm)"}
        path, _ = QFileDialog.getSaveFileName(
            self, "Export clip", f"{Path(clip.name).stem}{suffix}", kinds[suffix]
        )
        if path:
            dest = Path(path)
            self.export(clip.name, dest if dest.suffix else dest.with_suffix(suffix))

    def import_file(self, path: Path) -> asyncio.Future | None:
        project = self.session.project
        if project is None:
            return None

        async def work(on_progress: Progress) -> None:
            clip = await assets.import_video(project, path, on_progress=on_progress)
            self.library.show_new(clip.name)
            self.work.show_note(f"Imported {path.name} as {clip.name}")

        return self.work.run_media(work, doing=f"Importing {path.name}")

    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import a video", "", "Videos (*.mp4 *.m4v *.mov *.webm *.mkv);;All files (*)"
        )
        if path:
            self.import_file(Path(path))

    # -- deleting --------------------------------------------------------------------------

    def delete_clip(self, name: str | None = None, *, confirm: bool = True) -> bool:
        name = name or self.library.selected_name()
        project = self.session.project
        if name is None or project is None:
            return False
        if confirm:
            answer = QMessageBox.question(
                self,
                "Delete clip",
                f"Remove {name} from the library? Versions that use it keep their copy.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        try:
            assets.delete_clip(project, name)
        except StudioError as exc:
            self.work.show_error(str(exc))
            return False
        self.player.load(None)
        self.library.refresh_gallery()
        self.session.assets_changed.emit()
        return True

    def _delete_clicked(self) -> None:
        if self._need_clip() is not None:
            self.delete_clip()
