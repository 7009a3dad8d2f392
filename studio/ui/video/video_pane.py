"""The Video pane: generate clips with AI providers, keep them, put them in the game.

From top to bottom: the prompt form (prompt, provider, model when the provider offers a
choice, length, size, an optional reference picture from a file or the Preview's current
frame, Generate), the job queue with progress and Cancel, the gallery of finished clips, and
the selected clip: a player, trim, remix, extend, continue from its last frame, export, "Use
in game" and delete. Import a video file and record gameplay from the Preview from the
buttons at the top. Import, trim, export and making the clip after a recording show their
progress in a bar with Cancel (`studio.ui.video.video_work`).

The pane holds no business logic: it calls `studio.operations.video_queue`, `studio.core.assets`
and `studio.sandbox.recorder`, running async work with `asyncio.ensure_future` on the app's
qasync loop, and shows what they say. Errors appear in plain words in the pane.

Provider options come from settings.json (`video_providers.<name>`: base_url, model...)
merged with `VideoPane.overrides[name]` (`studio.ai.video_sources`). The provider list
follows the plugin host: a plugin switched off or on shows at once, and the queue builds
its providers anew (also after Settings were edited) before the next job uses them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.ai.video_provider import VideoCapabilities, VideoError
from studio.ai.video_sources import HostVideoProviders
from studio.core import assets
from studio.core.assets import Clip
from studio.core.store import Project, VideoJob
from studio.errors import StudioError
from studio.operations.video_queue import VideoQueue
from studio.ui.session import ProjectSession
from studio.ui.video.video_jobs import JobList
from studio.ui.video.video_player import ClipPlayer, poster_image, scaled_thumb, thumb_images
from studio.ui.video.video_work import Progress, WorkBar
from studio.ui.widgets.elided_label import ElidedLabel
from studio.ui.widgets.flow_layout import FlowLayout
from studio.ui.widgets.provider_combo import follow_providers

log = logging.getLogger(__name__)

THUMB = QSize(112, 63)
THUMB_ROLE = Qt.ItemDataRole.UserRole + 1  # a gallery item's thumbnail blob
DEFAULT_CAPS = VideoCapabilities()
REFERENCE_SIDE = 1280  # a Preview frame sent as a reference is scaled to fit this


def _png(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data)


def _message(exc: BaseException) -> str:
    """What a person reads: our errors say it already; anything else gets its type."""
    from studio.media import MediaError

    if isinstance(exc, StudioError | VideoError | MediaError):
        return str(exc)
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return f"Unexpected error: {type(exc).__name__}: {exc}"


class VideoPane(QWidget):
    """`VideoPane(session)`: follows the session's project; see the module docstring."""

    clips_changed = Signal()
    busy_changed = Signal(bool)

    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.host = session.host
        self.overrides: dict[str, dict[str, Any]] = {}
        self.providers = HostVideoProviders(self.host, overrides=self.overrides)
        self.queue: VideoQueue | None = None
        self.reference: bytes | None = None
        self.reference_label_text = ""
        self.recorder = None
        self._tasks: set[asyncio.Future] = set()
        self._busy = 0
        # Gallery icons by thumbnail blob, decoded on a worker thread (a few ms each).
        self._thumbs: dict[str, QIcon] = {}
        self._thumbs_loading: set[str] = set()
        self._build()
        follow_providers(self.provider_box, self.host, on_refill=self._providers_refilled)
        session.project_changed.connect(self._project_changed)
        session.assets_changed.connect(self.refresh_gallery)
        self._project_changed(session.project)

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        title = QLabel("Video")
        title.setObjectName("paneTitle")
        self.import_button = QToolButton(text="Import…")
        self.import_button.setToolTip("Import a video file as a clip")
        self.import_button.clicked.connect(self._import_dialog)
        self.record_button = QToolButton(text="● Record")
        self.record_button.setToolTip("Record gameplay from the Preview")
        self.record_seconds = QSpinBox()
        self.record_seconds.setRange(1, 120)
        self.record_seconds.setValue(5)
        self.record_seconds.setSuffix(" s")
        self.record_seconds.setToolTip("Length of the recording")
        self.record_button.clicked.connect(self._record_clicked)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(title, 1)
        head.addWidget(self.import_button)
        head.addWidget(self.record_seconds)
        head.addWidget(self.record_button)

        self.record_bar = QProgressBar()
        self.record_bar.setFormat("Recording %v / %m s")
        self.record_bar.setVisible(False)

        self.prompt = QPlainTextEdit()
        self.prompt.setPlaceholderText("Describe a clip: a neon city at night, camera flying…")
        self.prompt.setFixedHeight(64)
        self.provider_box = QComboBox()
        self.provider_box.setToolTip("Video provider")
        self.provider_box.currentTextChanged.connect(self._provider_chosen)
        self.seconds_box = QComboBox()
        self.seconds_box.setToolTip("Length in seconds")
        self.size_box = QComboBox()
        self.size_box.setToolTip("Size (width×height)")
        self.model_box = QComboBox()
        self.model_box.setToolTip("Model (or style) of the provider")
        self.model_box.setVisible(False)
        options = QHBoxLayout()
        options.setContentsMargins(0, 0, 0, 0)
        options.addWidget(self.provider_box, 2)
        options.addWidget(self.model_box, 2)
        options.addWidget(self.seconds_box, 1)
        options.addWidget(self.size_box, 2)

        self.reference_thumb = QLabel()
        self.reference_thumb.setFixedSize(48, 27)
        self.reference_thumb.setStyleSheet("background: #0d0f13; border-radius: 2px;")
        self.reference_text = ElidedLabel("No reference picture")
        self.reference_text.setStyleSheet("color: #7f8794;")
        self.image_button = QToolButton(text="Image…")
        self.image_button.setToolTip("Start from a picture file")
        self.image_button.clicked.connect(self._image_dialog)
        self.frame_button = QToolButton(text="Preview frame")
        self.frame_button.setToolTip("Start from what the Preview shows now")
        self.frame_button.clicked.connect(self.use_preview_frame)
        self.clear_reference_button = QToolButton(text="✕")
        self.clear_reference_button.setToolTip("No reference picture")
        self.clear_reference_button.clicked.connect(self.clear_reference)
        reference = FlowLayout()  # wraps when the pane is narrow
        reference.addWidget(self.reference_thumb)
        reference.addWidget(self.reference_text)
        reference.addWidget(self.image_button)
        reference.addWidget(self.frame_button)
        reference.addWidget(self.clear_reference_button)

        self.generate_button = QPushButton("Generate")
        self.generate_button.setObjectName("primaryButton")
        self.generate_button.clicked.connect(self.generate)

        self.error = QLabel()
        self.error.setObjectName("videoError")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setStyleSheet(
            "color: #ffb4b4; background: #3b2326; border-radius: 4px; padding: 6px;"
        )
        self.error.setVisible(False)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #9da5b4;")
        self.note.setVisible(False)
        self.work_bar = WorkBar()

        self.jobs = JobList()
        self.jobs.action.connect(self._job_action)
        self.jobs.setVisible(False)
        self.jobs.setMaximumHeight(150)

        self.gallery = QListWidget()
        self.gallery.setObjectName("gallery")
        self.gallery.setViewMode(QListWidget.ViewMode.IconMode)
        self.gallery.setIconSize(THUMB)
        self.gallery.setGridSize(QSize(THUMB.width() + 14, THUMB.height() + 44))
        self.gallery.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.gallery.setMovement(QListWidget.Movement.Static)
        self.gallery.setWordWrap(False)  # captions are elided here, one line each
        self.gallery.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.gallery.setUniformItemSizes(True)
        self.gallery.setSpacing(2)
        self.gallery.setMinimumHeight(THUMB.height() + 56)
        self.gallery.currentItemChanged.connect(self._clip_selected)
        self.gallery.itemDoubleClicked.connect(lambda _i: self.player.toggle())
        self.empty = QLabel("No clips yet.\nGenerate one above, import a video or record the game.")
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        gallery_box = QWidget()
        gallery_layout = QVBoxLayout(gallery_box)
        gallery_layout.setContentsMargins(0, 0, 0, 0)
        gallery_layout.addWidget(self.gallery, 1)
        gallery_layout.addWidget(self.empty, 1)

        self.clip_panel = self._build_clip_panel()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(gallery_box)
        self.splitter.addWidget(self.clip_panel)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([240, 400])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(5)
        layout.addLayout(head)
        layout.addWidget(self.record_bar)
        layout.addWidget(self.prompt)
        layout.addLayout(options)
        layout.addLayout(reference)
        layout.addWidget(self.generate_button)
        layout.addWidget(self.error)
        layout.addWidget(self.note)
        layout.addWidget(self.work_bar)
        layout.addWidget(self.jobs)
        layout.addWidget(self.splitter, 1)

    def _build_clip_panel(self) -> QWidget:
        panel = QWidget()
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
        self.remix_button.setToolTip("The same clip again with a new prompt")
        self.remix_button.clicked.connect(self._remix_clicked)
        self.extend_button = QPushButton("Extend…")
        self.extend_button.setToolTip("Make the clip longer")
        self.extend_button.clicked.connect(self._extend_clicked)
        self.continue_button = QPushButton("Continue")
        self.continue_button.setToolTip("Start a new clip from this one's last frame")
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

        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.clip_title)
        layout.addWidget(self.clip_facts)
        layout.addWidget(self.player, 1)
        layout.addLayout(trim)
        layout.addLayout(actions)
        panel.setVisible(False)
        return panel

    # -- the project -----------------------------------------------------------------------

    def _project_changed(self, project: Project | None) -> None:
        self._close_queue()
        self.clear_error()
        self.clear_reference()
        self._thumbs.clear()
        self._thumbs_loading.clear()  # a load for the old project is dropped when done
        if project is not None:
            self.queue = VideoQueue(project, self.providers, on_change=self._job_changed)
            # Resume jobs once the event loop runs (at start-up it is not running yet).
            QTimer.singleShot(0, self._start_queue)
        self._provider_chosen(self.provider_box.currentText())  # the new queue's providers
        self.refresh_jobs()
        self.refresh_gallery()
        self._update_enabled()

    def _start_queue(self) -> None:
        queue = self.queue
        if queue is None or queue.closed:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            log.warning("no asyncio loop runs on Qt's: video jobs wait until one does")
            return
        queue.start()
        self.refresh_jobs()

    def _close_queue(self) -> None:
        queue, self.queue = self.queue, None
        if queue is None:
            return
        queue.close_now()  # the project closes right after this signal
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop()
            task = asyncio.ensure_future(queue.aclose())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if self.recorder is not None:
            self.recorder.stop()
        self.player.load(None)

    @property
    def project(self) -> Project | None:
        return self.session.project

    def settings_changed(self) -> None:
        """Settings were saved: providers are built from them anew (as after a plugin change)."""
        self._providers_refilled()

    def _providers_refilled(self) -> None:
        """Plugins changed: providers are built anew, the form shows what they offer."""
        if self.queue is not None:
            self.queue.forget_providers()
            # Jobs that waited for their provider's plugin run again once it is back.
            QTimer.singleShot(0, self._start_queue)
        self._provider_chosen(self.provider_box.currentText())

    def capabilities(self, name: str) -> VideoCapabilities:
        if not name:
            return DEFAULT_CAPS
        try:
            provider = self.queue.provider(name) if self.queue else self.providers(name)
        except (VideoError, StudioError) as exc:
            self.show_error(_message(exc))
            return DEFAULT_CAPS
        return getattr(provider, "capabilities", DEFAULT_CAPS)

    def _provider_chosen(self, name: str) -> None:
        caps = self.capabilities(name) if self.queue else DEFAULT_CAPS
        for box, values, unit in (
            (self.seconds_box, caps.durations, " s"),
            (self.size_box, caps.sizes, ""),
        ):
            current = box.currentData()
            box.clear()
            for value in values:
                box.addItem(f"{value}{unit}", value)
            index = box.findData(current)
            if index >= 0:
                box.setCurrentIndex(index)
        current = self.model_box.currentData()
        self.model_box.clear()
        self.model_box.addItem("Default model", None)  # the provider's, or Settings'
        for model in caps.models:
            self.model_box.addItem(model, model)
        self.model_box.setCurrentIndex(max(0, self.model_box.findData(current)))
        self.model_box.setVisible(len(caps.models) > 1)  # hidden when there is no choice
        self.image_button.setEnabled(caps.image_reference)
        self.frame_button.setEnabled(caps.image_reference)

    def _update_enabled(self) -> None:
        has_project = self.project is not None
        for widget in (
            self.prompt,
            self.generate_button,
            self.import_button,
            self.record_button,
            self.record_seconds,
            self.provider_box,
            self.model_box,
            self.seconds_box,
            self.size_box,
        ):
            widget.setEnabled(has_project)
        clip = self.selected_clip()
        self.clip_panel.setVisible(clip is not None)
        if clip is not None:
            generated = bool(clip.meta.get("job"))
            self.remix_button.setEnabled(generated)
            self.extend_button.setEnabled(generated)
            tip = "" if generated else " (only for clips a provider generated)"
            self.remix_button.setToolTip("The same clip again with a new prompt" + tip)
            self.extend_button.setToolTip("Make the clip longer" + tip)

    # -- messages --------------------------------------------------------------------------

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        if text:
            self.session.status.emit(text)

    def clear_error(self) -> None:
        self.show_error("")

    def show_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))
        if text:
            self.session.status.emit(text)

    def run(self, coro: Awaitable[Any], *, doing: str = "") -> asyncio.Future:
        """Run `coro` on the event loop; its error (if any) is shown in the pane."""
        self.clear_error()
        if doing:
            self.show_note(doing)
        self._busy += 1
        self.busy_changed.emit(True)
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Future) -> None:
            self._tasks.discard(t)
            self._busy -= 1
            self.busy_changed.emit(self._busy > 0)
            if doing and self.note.text() == doing:
                self.show_note("")
            if t.cancelled():
                return
            exc = t.exception()
            if exc is not None:
                if _message(exc).startswith("Unexpected error"):
                    log.error("video pane task failed", exc_info=exc)
                self.show_error(_message(exc))

        task.add_done_callback(done)
        return task

    def run_media(
        self, work: Callable[[Progress], Awaitable[Any]], *, doing: str
    ) -> asyncio.Future:
        """Like `run`, for media work that reports progress: `work(on_progress)` runs with
        the work bar showing `doing`, its progress and a Cancel."""
        entry = self.work_bar.start(doing)
        task = self.run(work(self.work_bar.reporter(entry)))
        self.work_bar.attach(entry, task)
        task.add_done_callback(lambda t: t.cancelled() and self.show_note(f"Cancelled: {doing}"))
        return task

    async def idle(self) -> None:
        """Wait until the pane's own tasks are done (tests, closing)."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    # -- generating ------------------------------------------------------------------------

    def generate(self) -> VideoJob | None:
        """Queue a clip from the form. Returns the job (or None with the error shown)."""
        self.clear_error()
        if self.queue is None:
            self.show_error("Open or create a project first.")
            return None
        try:
            job = self.queue.generate(
                self.provider_box.currentText(),
                self.prompt.toPlainText(),
                seconds=self.seconds_box.currentData(),
                size=self.size_box.currentData(),
                model=self.model_box.currentData(),
                image=self.reference,
                image_name="reference.png",
            )
        except (StudioError, VideoError) as exc:
            self.show_error(_message(exc))
            return None
        self.clear_reference()
        self.show_note("")
        return job

    def set_reference(self, png: bytes, label: str) -> None:
        image = poster_image(png)
        if image.isNull():
            self.show_error("That picture cannot be read (use PNG or JPEG).")
            return
        self.reference = png
        self.reference_thumb.setPixmap(scaled_thumb(png, self.reference_thumb.size()))
        self.reference_text.setText(label)

    def clear_reference(self) -> None:
        self.reference = None
        self.reference_thumb.clear()
        self.reference_text.setText("No reference picture")

    def _image_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Reference picture", "", "Pictures (*.png *.jpg *.jpeg *.webp)"
        )
        if path:
            self.use_image_file(Path(path))

    def use_image_file(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.show_error(f"Cannot read {path.name}: {exc.strerror or exc}")
            return
        self.set_reference(data, path.name)

    def use_preview_frame(self) -> None:
        preview = self.session.preview
        image = preview.grab_frame() if preview is not None else QImage()
        if image.isNull() or image.width() < 2:
            self.show_error("The Preview shows no game to take a frame from.")
            return
        if max(image.width(), image.height()) > REFERENCE_SIDE:
            image = image.scaled(
                REFERENCE_SIDE,
                REFERENCE_SIDE,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        version = getattr(preview, "version_id", None)
        self.set_reference(_png(image), f"Preview frame (v{version})" if version else "Preview")

    # -- the queue -------------------------------------------------------------------------

    def refresh_jobs(self) -> None:
        if self.project is None or self.queue is None:
            self.jobs.set_jobs([], set())
        else:
            running = set(self.queue.running())
            self.jobs.set_jobs([j for j in self.project.jobs() if JobList.listed(j)], running)
        self.jobs.setVisible(self.jobs.count() > 0)

    def _job_changed(self, job: VideoJob) -> None:
        running = set(self.queue.running()) if self.queue else set()
        # A job's own task is still registered while it reports its final state.
        self.jobs.update_job(job, job.id in running and job.status not in ("failed",))
        self.jobs.setVisible(self.jobs.count() > 0)
        if job.status == "completed":
            # Show the new clip, unless the person is watching another one.
            busy = self.player.playing and self.selected_name() is not None
            self.refresh_gallery(select=None if busy else (job.result or [None])[0])
            self.session.assets_changed.emit()
            self.session.status.emit(f"Clip ready: {job.result[0] if job.result else ''}")

    def _job_action(self, action: str, job_id: int) -> None:
        queue = self.queue
        if queue is None:
            return
        if action == "cancel":
            self.run(queue.cancel(job_id))
        elif action == "retry":
            try:
                queue.retry(job_id)
            except StudioError as exc:
                self.show_error(str(exc))
        elif action == "resume":
            queue.resume(job_id)
            self.refresh_jobs()
        elif action == "dismiss":
            queue.dismiss(job_id)

    # -- the gallery -----------------------------------------------------------------------

    def clips(self) -> list[Clip]:
        return assets.clips(self.project) if self.project is not None else []

    def refresh_gallery(self, select: str | None = None) -> None:
        current = select or self.selected_name()
        self.gallery.blockSignals(True)
        self.gallery.clear()
        project = self.project
        missing: dict[str, Path] = {}
        for clip in reversed(self.clips()):  # newest first
            blob = None
            if clip.thumbnail and project is not None:
                with contextlib.suppress(StudioError):
                    blob = project.asset(clip.thumbnail).blob
            icon = self._thumbs.get(blob) if blob else None
            if blob and icon is None and blob not in self._thumbs_loading:
                with contextlib.suppress(StudioError):
                    missing[blob] = project.blobs.path(blob)
            stem = self.gallery.fontMetrics().elidedText(
                Path(clip.name).stem, Qt.TextElideMode.ElideMiddle, THUMB.width() - 4
            )
            caption = f"{stem}\n{clip.duration:.1f} s"
            item = QListWidgetItem(icon or QIcon(), caption)
            item.setData(Qt.ItemDataRole.UserRole, clip.name)
            item.setData(THUMB_ROLE, blob)
            item.setToolTip(f"{clip.title}\n{clip.name} · {clip.width}×{clip.height}")
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.gallery.addItem(item)
        self.gallery.blockSignals(False)
        has = self.gallery.count() > 0
        self.gallery.setVisible(has)
        self.empty.setVisible(not has)
        self.empty.setText(
            "No clips yet.\nGenerate one above, import a video or record the game."
            if self.project is not None
            else "Open a project to make video clips."
        )
        found = self._item(current) if current else None
        if found is not None:
            self.gallery.setCurrentItem(found)
        else:
            self._clip_selected(None, None)
        if missing and project is not None:
            self._load_thumbs(project, missing)
        self.clips_changed.emit()

    def _load_thumbs(self, project: Project, paths: dict[str, Path]) -> None:
        """Decode thumbnails on a worker thread; their gallery items get them when ready."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a script): decode them here
            self._show_thumbs(project, thumb_images(paths, THUMB))
            return
        self._thumbs_loading.update(paths)

        async def load() -> None:
            try:
                images = await asyncio.to_thread(thumb_images, paths, THUMB)
            finally:
                self._thumbs_loading.difference_update(paths)
            self._show_thumbs(project, images)

        task = asyncio.ensure_future(load())
        self._tasks.add(task)

        def done(t: asyncio.Future) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("gallery thumbnails failed", exc_info=t.exception())

        task.add_done_callback(done)

    def _show_thumbs(self, project: Project, images: dict[str, QImage]) -> None:
        if project is not self.project:
            return  # another project opened meanwhile
        for blob, image in images.items():
            self._thumbs[blob] = QIcon(QPixmap.fromImage(image))
        for i in range(self.gallery.count()):
            item = self.gallery.item(i)
            icon = self._thumbs.get(item.data(THUMB_ROLE))
            if icon is not None and item.icon().isNull():
                item.setIcon(icon)

    def _item(self, name: str) -> QListWidgetItem | None:
        for i in range(self.gallery.count()):
            item = self.gallery.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                return item
        return None

    def selected_name(self) -> str | None:
        item = self.gallery.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def selected_clip(self) -> Clip | None:
        name = self.selected_name()
        if name is None or self.project is None:
            return None
        try:
            return assets.clip(self.project, name)
        except StudioError:
            return None

    def _clip_selected(self, current, _previous) -> None:
        clip = self.selected_clip() if current is not None else None
        self._update_enabled()
        if clip is None or self.project is None:
            self.player.load(None)
            return
        project = self.project
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

    # -- clip actions ------------------------------------------------------------------------

    def _need_clip(self) -> Clip | None:
        clip = self.selected_clip()
        if clip is None:
            self.show_error("Choose a clip in the gallery first.")
        return clip

    def use_in_game(self, name: str | None = None) -> Any:
        """A new version whose game has the clip as `assets/<name>`; returns it."""
        name = name or self.selected_name()
        if name is None or self.project is None:
            return None
        shown = self.session.shown
        try:
            before = shown if shown is not None else self.project.head
            version = assets.use_in_game(self.project, name, version_id=before)
        except StudioError as exc:
            self.show_error(str(exc))
            return None
        if version.id == before:
            self.show_note(f"Version {version.id} already has assets/{name}.")
            return version
        self.session.add_version(version)
        self.session.status.emit(f"Version {version.id}: the game can load assets/{name}")
        self.show_note(
            f"Version {version.id} has assets/{name}: ask for it in the Code pane, e.g. "
            f"“play assets/{name} as the background”."
        )
        return version

    def _use_clicked(self) -> None:
        if self._need_clip() is not None:
            self.use_in_game()

    def remix(self, name: str, prompt: str) -> VideoJob | None:
        if self.queue is None:
            return None
        try:
            return self.queue.remix(name, prompt)
        except (StudioError, VideoError) as exc:
            self.show_error(_message(exc))
            return None

    def extend(self, name: str, prompt: str, seconds: int) -> VideoJob | None:
        if self.queue is None:
            return None
        try:
            return self.queue.extend(name, prompt, seconds)
        except (StudioError, VideoError) as exc:
            self.show_error(_message(exc))
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

    def continue_from_last_frame(self, name: str | None = None) -> asyncio.Future | None:
        """Use the clip's last frame as the reference picture of the next clip."""
        name = name or self.selected_name()
        project = self.project
        if name is None or project is None:
            return None

        async def work() -> None:
            png = await assets.last_frame_png(project, name)
            self.set_reference(png, f"Last frame of {name}")
            clip = assets.clip(project, name)
            if clip.prompt and not self.prompt.toPlainText().strip():
                self.prompt.setPlainText(clip.prompt)
            self.prompt.setFocus()
            self.show_note("Describe what happens next and press Generate.")

        return self.run(work(), doing=f"Taking the last frame of {name}…")

    def _continue_clicked(self) -> None:
        if self._need_clip() is not None:
            self.continue_from_last_frame()

    def trim(self, name: str, start: float, end: float) -> asyncio.Future | None:
        project = self.project
        if project is None:
            return None

        async def work(on_progress: Progress) -> None:
            clip = await assets.trim_clip(project, name, start, end, on_progress=on_progress)
            self.refresh_gallery(select=clip.name)
            self.session.assets_changed.emit()
            self.show_note(f"Trimmed into a new clip: {clip.name}")

        return self.run_media(work, doing=f"Trimming {name}")

    def _trim_clicked(self) -> None:
        clip = self._need_clip()
        if clip is not None:
            self.trim(clip.name, self.trim_start.value(), self.trim_end.value())

    def export(self, name: str, dest: Path) -> asyncio.Future | None:
        project = self.project
        if project is None:
            return None

        async def work(on_progress: Progress) -> None:
            path = await assets.export_clip(project, name, dest, on_progress=on_progress)
            self.show_note(f"Exported {path}")

        return self.run_media(work, doing=f"Exporting {dest.name}")

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

    def delete_clip(self, name: str | None = None, *, confirm: bool = True) -> bool:
        name = name or self.selected_name()
        if name is None or self.project is None:
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
            assets.delete_clip(self.project, name)
        except StudioError as exc:
            self.show_error(str(exc))
            return False
        self.player.load(None)
        self.refresh_gallery()
        self.session.assets_changed.emit()
        return True

    def _delete_clicked(self) -> None:
        if self._need_clip() is not None:
            self.delete_clip()

    # -- importing and recording -----------------------------------------------------------

    def import_file(self, path: Path) -> asyncio.Future | None:
        project = self.project
        if project is None:
            return None

        async def work(on_progress: Progress) -> None:
            clip = await assets.import_video(project, path, on_progress=on_progress)
            self.refresh_gallery(select=clip.name)
            self.session.assets_changed.emit()
            self.show_note(f"Imported {path.name} as {clip.name}")

        return self.run_media(work, doing=f"Importing {path.name}")

    def _import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import a video", "", "Videos (*.mp4 *.m4v *.mov *.webm *.mkv);;All files (*)"
        )
        if path:
            self.import_file(Path(path))

    def record(self, seconds: float) -> asyncio.Future | None:
        """Record `seconds` of the Preview and keep it as a clip."""
        from studio.sandbox.recorder import GameRecorder, record_clip

        project, preview = self.project, self.session.preview
        if project is None:
            return None
        if preview is None:
            self.show_error("Recording needs the Preview pane.")
            return None
        recorder = GameRecorder(preview.grab_frame, parent=self)
        self.recorder = recorder
        self.record_bar.setFormat("Recording %v / %m s")
        self.record_bar.setRange(0, round(seconds))
        self.record_bar.setValue(0)
        self.record_bar.setVisible(True)
        self.record_button.setText("■ Stop")
        self.record_button.setObjectName("stopButton")
        recorder.progress.connect(lambda done, _total: self.record_bar.setValue(int(done)))
        making: list[Progress] = []  # the work bar's, once the recording is in

        async def work() -> None:
            try:
                clip = await record_clip(
                    project,
                    preview.grab_frame,
                    seconds,
                    recorder=recorder,
                    version_id=getattr(preview, "version_id", None),
                    on_progress=lambda f: making and making[0](f),
                )
            finally:
                self._recording_ended(recorder)
            self.refresh_gallery(select=clip.name)
            self.session.assets_changed.emit()
            self.show_note(f"Recorded {clip.duration:.1f} s as {clip.name}")

        task = self.run(work(), doing="Recording the Preview…")

        def encoding(state: str) -> None:
            # Recorded: making the clip (its proxy) takes a while, with progress and Cancel.
            if state == "encoding":
                self._recording_ended(recorder)
                entry = self.work_bar.start("Making the clip")
                self.work_bar.attach(entry, task)
                making.append(self.work_bar.reporter(entry))

        recorder.state_changed.connect(encoding)
        task.add_done_callback(
            lambda t: t.cancelled() and self.show_note("Cancelled: the recording was not kept.")
        )
        return task

    def _recording_ended(self, recorder: Any) -> None:
        if self.recorder is recorder:
            self.recorder = None
        self.record_bar.setVisible(False)
        self.record_button.setText("● Record")
        self.record_button.setObjectName("")

    def _record_clicked(self) -> None:
        if self.recorder is not None:
            self.recorder.stop()
            return
        self.record(self.record_seconds.value())
