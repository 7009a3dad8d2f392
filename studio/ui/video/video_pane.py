"""The Video pane: generate clips with AI providers, keep them, put them in the game.

From top to bottom: Import and Record (gameplay from the Preview: `recording`), the prompt
form (`video_form`), the job queue with progress and Cancel (`video_jobs`), the gallery of
finished clips (`clip_library`), and the selected clip with a player and what can be done
with it (`clip_actions`). Import, trim, export and making the clip after a recording show
their progress in a bar with Cancel; errors appear in plain words (`video_work`).

The pane holds no business logic: it calls `studio.operations.video_queue` (the session's
queue for the open project), `studio.core.assets` and `studio.sandbox.recorder`, and shows
what they say. Provider options come from settings.json (`video_providers.<name>`:
base_url, model...) merged with `VideoPane.overrides[name]` (the session's
`video_overrides`). The provider list follows the plugin host: a plugin switched off or on
shows at once, and the queue builds its providers anew (also after Settings were edited)
before the next job uses them.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QToolButton, QVBoxLayout, QWidget

from studio.core.records import VideoJob
from studio.core.store import Project
from studio.errors import StudioError
from studio.operations.video_queue import VideoQueue
from studio.ui.session import ProjectSession
from studio.ui.video.clip_actions import ClipActions
from studio.ui.video.clip_library import ClipLibrary
from studio.ui.video.recording import Recording
from studio.ui.video.video_form import VideoForm
from studio.ui.video.video_jobs import JobList
from studio.ui.video.video_work import PaneWork
from studio.ui.widgets.provider_combo import follow_providers

if TYPE_CHECKING:
    from studio.sandbox.recorder import GameRecorder


class VideoPane(QWidget):
    """`VideoPane(session)`: follows the session's project; see the module docstring."""

    clips_changed = Signal()
    busy_changed = Signal(bool)

    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.overrides = session.video_overrides  # provider options over settings.json
        self.work = PaneWork(session, self)
        self.form = VideoForm(session, self.work)
        self.library = ClipLibrary(session, self.work)
        self.clip_panel = ClipActions(session, self.work, self.library, self.form.capabilities)
        self.recording = Recording(session, self.work, self.library, self)
        self.jobs = JobList()
        self._build()
        self._expose_parts()
        self.work.busy_changed.connect(self.busy_changed)
        self.library.clips_changed.connect(self.clips_changed)
        self.library.chosen.connect(self._clip_chosen)
        self.library.activated.connect(self.clip_panel.player.toggle)
        self.clip_panel.continue_requested.connect(self.form.continue_clip)
        self.jobs.action.connect(self._job_action)
        # Plugins' providers sort before or after it by name; the default stays the built-in.
        follow_providers(
            self.form.provider_box,
            session.host,
            prefer=("openai",),
            on_refill=self._providers_refilled,
        )
        session.project_changed.connect(self._project_changed)
        session.assets_changed.connect(self.library.refresh_gallery)
        session.video_job_changed.connect(self._job_changed)
        session.video_queue_started.connect(self.refresh_jobs)
        self._project_changed(session.project)

    def _build(self) -> None:
        title = QLabel("Video")
        title.setObjectName("paneTitle")
        self.import_button = QToolButton(text="Import…")
        self.import_button.setToolTip("Import a video file as a clip")
        self.import_button.clicked.connect(self.clip_panel.import_dialog)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(title, 1)
        head.addWidget(self.import_button)
        head.addWidget(self.recording.record_seconds)
        head.addWidget(self.recording.record_button)

        self.jobs.setVisible(False)
        self.jobs.setMaximumHeight(150)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.library)
        self.splitter.addWidget(self.clip_panel)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([240, 400])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(5)
        layout.addLayout(head)
        layout.addWidget(self.recording.record_bar)
        layout.addWidget(self.form)
        layout.addWidget(self.work.error)
        layout.addWidget(self.work.note)
        layout.addWidget(self.work.bar)
        layout.addWidget(self.jobs)
        layout.addWidget(self.splitter, 1)

    def _expose_parts(self) -> None:
        """The parts' widgets and operations under the pane's own names (tests and scripts
        drive the pane by them)."""
        work, form, library, clip = self.work, self.form, self.library, self.clip_panel
        self.error, self.note, self.work_bar = work.error, work.note, work.bar
        self.prompt, self.generate_button = form.prompt, form.generate_button
        self.provider_box, self.model_box = form.provider_box, form.model_box
        self.seconds_box, self.size_box = form.seconds_box, form.size_box
        self.frame_button, self.reference_text = form.frame_button, form.reference_text
        self.generate, self.capabilities = form.generate, form.capabilities
        self.gallery, self.empty = library.gallery, library.empty
        self.selected_name, self.selected_clip = library.selected_name, library.selected_clip
        self.refresh_gallery = library.refresh_gallery
        self.player, self.clip_facts = clip.player, clip.clip_facts
        self.use_button = clip.use_button
        self.remix_button, self.extend_button = clip.remix_button, clip.extend_button
        self.use_in_game, self.remix, self.extend = clip.use_in_game, clip.remix, clip.extend
        self.trim, self.export, self.delete_clip = clip.trim, clip.export, clip.delete_clip
        self.import_file, self.record = clip.import_file, self.recording.record
        self.record_button = self.recording.record_button
        self.record_seconds = self.recording.record_seconds
        self.record_bar = self.recording.record_bar

    def continue_from_last_frame(self, name: str | None = None) -> asyncio.Future | None:
        """Continue a clip (the selected one) as the chosen model best can."""
        name = name or self.library.selected_name()
        return self.form.continue_clip(name) if name else None

    @property
    def project(self) -> Project | None:
        return self.session.project

    @property
    def queue(self) -> VideoQueue | None:
        return self.session.video_queue

    @property
    def reference(self) -> bytes | None:
        return self.form.reference

    @property
    def recorder(self) -> GameRecorder | None:
        return self.recording.recorder

    async def idle(self) -> None:
        """Wait until the pane's own tasks, and a closed queue's shutting down, are done
        (tests, closing)."""
        await self.work.tasks.wait_all()
        await self.session.idle()

    # -- following the session -------------------------------------------------------------

    def _project_changed(self, project: Project | None) -> None:
        if project is None:
            self.recording.stop()
            self.player.load(None)
        self.work.clear_error()
        self.form.clear_reference()
        self.form.last.clear()
        self.form.references.clear()
        self.library.forget_thumbs()
        self.form.show_capabilities()  # the new queue's providers
        self.refresh_jobs()
        self.library.refresh_gallery()
        self._update_enabled()

    def settings_changed(self) -> None:
        """Settings were saved: providers are built from them anew (as after a plugin change)."""
        self._providers_refilled()

    def _providers_refilled(self) -> None:
        """Plugins changed: providers are built anew, the form shows what they offer."""
        self.session.refresh_video_providers()
        self.form.show_capabilities()

    def _update_enabled(self) -> None:
        has_project = self.project is not None
        self.form.set_project_open(has_project)
        for widget in (self.import_button, self.record_button, self.record_seconds):
            widget.setEnabled(has_project)
        self.clip_panel.enable_for(self.library.selected_clip())

    def _clip_chosen(self, name: str | None) -> None:
        clip = self.library.selected_clip() if name is not None else None
        self._update_enabled()
        self.clip_panel.show_clip(clip)

    # -- the queue -------------------------------------------------------------------------

    def refresh_jobs(self) -> None:
        queue = self.queue
        if self.project is None or queue is None:
            self.jobs.set_jobs([], set())
        else:
            running = set(queue.running())
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
            self.work.run(queue.cancel(job_id))
        elif action == "retry":
            try:
                queue.retry(job_id)
            except StudioError as exc:
                self.work.show_error(str(exc))
        elif action == "resume":
            queue.resume(job_id)
            self.refresh_jobs()
        elif action == "dismiss":
            queue.dismiss(job_id)
