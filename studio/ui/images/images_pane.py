"""The Images tab (beside Video): make pictures for the game, keep them, use them.

From top to bottom: Put me in the game…, the form (the project's style, prompt, kind, size,
provider and model: `image_form`), the error and note lines, the picture jobs with progress
and Cancel (the Video pane's job list: the same table and words), the new pictures to keep
or throw away, the kept pictures (drag one into the Chat prompt box to name it), and the
chosen picture as a game would show it (`picture_view`) with Use in game…, Use as the
player and Delete.

The tab holds no rule of the domain: picture jobs and keeping a picture are
`studio.operations.image_jobs`, the library and the style `studio.core.pictures`, the
requests to Chat `studio.operations.pictures.use_picture_request`.
Providers are built by name from the plugin host and settings.json's `image_providers`,
merged with `overrides[name]` (`studio.ai.image_sources`). A request to the code model
goes to Chat through the session (`chat_request`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.ai.image_sources import HostImageProviders
from studio.core import pictures as library
from studio.core.errors import NotFoundError
from studio.core.records import VideoJob
from studio.core.store import Project
from studio.errors import StudioError
from studio.media.errors import MediaError
from studio.operations.image_jobs import ImageJobs
from studio.operations.pictures import use_picture_request
from studio.ui.images.image_form import ImageForm
from studio.ui.images.picture_grid import Entry, PictureGrid
from studio.ui.images.picture_view import PictureView
from studio.ui.session import ProjectSession
from studio.ui.video.video_jobs import JobList
from studio.ui.video.video_work import PaneWork, plain_message
from studio.ui.widgets.background import Tasks
from studio.ui.widgets.provider_combo import follow_providers

log = logging.getLogger(__name__)

RESULT_THUMB = QSize(88, 88)
LIBRARY_THUMB = QSize(64, 64)


def _section(title: str) -> QLabel:
    label = QLabel(title)
    label.setStyleSheet("color: #9da5b4; font-weight: bold;")
    return label


class ImagesPane(QWidget):
    """`ImagesPane(session)`: follows the session's project; see the module docstring."""

    pictures_changed = Signal()

    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.overrides: dict[str, dict] = {}  # provider options over settings.json
        self.source = HostImageProviders(session.host, overrides=self.overrides)
        self.jobs: ImageJobs | None = None
        self.work = PaneWork(session, self)
        self.form = ImageForm(self.source, self.work)
        self.job_list = JobList()
        self.results = PictureGrid(RESULT_THUMB)
        self.results.setObjectName("imageResults")
        self.results.as_strip()
        self.library = PictureGrid(LIBRARY_THUMB)
        self.library.setObjectName("pictureLibrary")
        self.library.setSelectionMode(PictureGrid.SelectionMode.SingleSelection)
        self.library.allow_dragging()
        self.view = PictureView()
        self._closing = Tasks()  # closed projects' jobs shutting down
        self._build()
        self.form.style_edited.connect(self._style_edited)
        self.job_list.action.connect(self._job_action)
        self.results.itemSelectionChanged.connect(self._update_buttons)
        self.results.itemDoubleClicked.connect(lambda _i: self.keep_selected())
        self.library.currentItemChanged.connect(lambda *_: self._picture_chosen())
        self.view.use_in_game.connect(self.use_in_game)
        self.view.use_as_player.connect(self.use_as_player)
        self.view.delete.connect(self.delete_picture)
        follow_providers(
            self.form.provider_box,
            session.host,
            kind="image_providers",
            prefer=("openai",),
            on_refill=self.form.show_capabilities,
        )
        session.project_changed.connect(self._project_changed)
        session.assets_changed.connect(self.refresh_library)
        self._project_changed(session.project)

    def _build(self) -> None:
        title = QLabel("Images")
        title.setObjectName("paneTitle")
        self.hero_button = QToolButton(text="Put me in the game…")
        self.hero_button.setToolTip("Make a photo or a drawing of you the game's hero")
        self.hero_button.clicked.connect(self.open_hero_dialog)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(title, 1)
        head.addWidget(self.hero_button)

        self.keep_button = QPushButton("Keep")
        self.keep_button.setToolTip("Add the chosen pictures to the project (double-click: keep)")
        self.keep_button.clicked.connect(self.keep_selected)
        self.discard_button = QPushButton("Throw away")
        self.discard_button.setToolTip("Drop the chosen pictures")
        self.discard_button.clicked.connect(self.discard_selected)
        new = QWidget()
        new_buttons = QHBoxLayout()
        new_buttons.setContentsMargins(0, 0, 0, 0)
        new_buttons.addWidget(_section("New pictures"), 1)
        new_buttons.addWidget(self.keep_button)
        new_buttons.addWidget(self.discard_button)
        new_layout = QVBoxLayout(new)
        new_layout.setContentsMargins(0, 0, 0, 0)
        new_layout.setSpacing(3)
        new_layout.addLayout(new_buttons)
        new_layout.addWidget(self.results)

        self.empty = QLabel("No pictures yet: describe one above, or put yourself in the game.")
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        kept = QWidget()
        kept_layout = QVBoxLayout(kept)
        kept_layout.setContentsMargins(0, 0, 0, 0)
        kept_layout.setSpacing(3)
        kept_layout.addWidget(_section("Kept pictures"))
        kept_layout.addWidget(self.library, 1)
        kept_layout.addWidget(self.empty, 1)

        self.job_list.setVisible(False)
        self.job_list.setMaximumHeight(120)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        for part, stretch in ((kept, 1), (self.view, 2)):
            self.splitter.addWidget(part)
            self.splitter.setStretchFactor(self.splitter.count() - 1, stretch)
        self.splitter.setSizes([120, 260])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(5)
        layout.addLayout(head)
        layout.addWidget(self.form)
        layout.addWidget(self.work.error)
        layout.addWidget(self.work.note)
        layout.addWidget(self.work.bar)
        layout.addWidget(self.job_list)
        layout.addWidget(new)
        layout.addWidget(self.splitter, 1)

    @property
    def project(self) -> Project | None:
        return self.session.project

    async def idle(self) -> None:
        """Wait for the tab's own work (tests, closing)."""
        await self.work.tasks.wait_all()
        await self._closing.wait_all()
        await self.results.idle()
        await self.library.idle()
        await self.view.idle()

    # -- following the session -------------------------------------------------------------

    def _project_changed(self, project: Project | None) -> None:
        old, self.jobs = self.jobs, None
        if old is not None:
            old.close_now()  # its jobs stay in the project and resume with it
            with contextlib.suppress(RuntimeError):  # no loop: nothing ran, nothing to wait
                asyncio.get_running_loop()
                self._closing.start(old.aclose())
        self.work.clear_error()
        for grid in (self.results, self.library):
            grid.forget()
            grid.read = project.blobs.read if project is not None else None
        if project is not None:
            self.jobs = ImageJobs(project, self.source, on_change=self._job_changed)
            QTimer.singleShot(0, self, self._start_jobs)
        self.form.set_jobs(
            self.jobs, library.picture_style(project) if project else library.PictureStyle()
        )
        self.hero_button.setEnabled(project is not None)
        self.refresh_jobs()
        self.refresh_results()
        self.refresh_library()

    def _start_jobs(self) -> None:
        jobs = self.jobs
        if jobs is None or jobs.closed:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            log.warning("no asyncio loop runs on Qt's: picture jobs wait until one does")
            return
        jobs.start()
        self.refresh_jobs()

    def _style_edited(self, changes: dict) -> None:
        project = self.project
        if project is None:
            return
        style = library.picture_style(project)
        try:
            new = library.restyled(style, **changes)
        except (MediaError, StudioError) as exc:
            self.work.show_error(f"The style was not changed: {exc}")
            self.form.show_style(style)
            return
        if new == style:
            return
        new = library.set_picture_style(project, new)
        self.work.clear_error()
        self.work.show_note(f"New pictures are asked for in this style: {new.describe()}.")

    # -- jobs ------------------------------------------------------------------------------

    def generate(self) -> VideoJob | None:
        return self.form.generate()

    def refresh_jobs(self) -> None:
        jobs = self.jobs
        if jobs is None:
            self.job_list.set_jobs([], set())
        else:
            listed = [j for j in jobs.jobs() if JobList.listed(j)]
            self.job_list.set_jobs(listed, set(jobs.running()))
        self.job_list.setVisible(self.job_list.count() > 0)

    def _job_changed(self, job: VideoJob) -> None:
        running = set(self.jobs.running()) if self.jobs else set()
        self.job_list.update_job(job, job.id in running and job.status != "failed")
        self.job_list.setVisible(self.job_list.count() > 0)
        if job.result:
            self.refresh_results()
        if job.status == "completed":
            made = len(job.result)
            self.session.status.emit(
                f"{made} new picture{'s' if made != 1 else ''}: keep the ones you like"
            )

    def _job_action(self, action: str, job_id: int) -> None:
        jobs = self.jobs
        if jobs is None:
            return
        try:
            if action == "cancel":
                self.work.run(jobs.cancel(job_id))
            elif action == "retry":
                jobs.retry(job_id)
            elif action == "resume":
                jobs.resume(job_id)
            elif action == "dismiss":
                jobs.dismiss(job_id)
        except StudioError as exc:
            self.work.show_error(plain_message(exc))
        self.refresh_jobs()

    # -- new pictures ----------------------------------------------------------------------

    def refresh_results(self) -> None:
        project, jobs = self.project, self.jobs
        entries: list[Entry] = []
        if project is not None and jobs is not None:
            for job in reversed(jobs.jobs()):
                caption = (
                    str(job.params.get("asked") or "").splitlines()[0][:40] if job.params else ""
                )
                for sha in jobs.candidates(job.id):
                    entries.append(Entry(sha, caption, ref=job.id))
        self.results.set_entries(entries)
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = bool(self.results.selected_entries())
        self.keep_button.setEnabled(chosen)
        self.discard_button.setEnabled(chosen)

    def keep_selected(self) -> asyncio.Future | None:
        """Keep the chosen new pictures (slicing, cutting out... on a worker thread)."""
        project, jobs = self.project, self.jobs
        chosen = self.results.selected_entries()
        if project is None or jobs is None or not chosen:
            return None

        async def keep() -> None:
            kept = []
            for entry in chosen:
                kept.append(await asyncio.to_thread(jobs.keep, int(entry.ref), entry.key))
            if project is not self.project:
                return
            self.refresh_results()
            self.refresh_library(select=project.asset(kept[-1].name).blob)
            self.session.assets_changed.emit()
            self.session.status.emit(
                "Kept " + ", ".join(a.name for a in kept) + ": drag one into the Chat prompt "
                "to name it, or use it in the game below."
            )

        return self.work.run(keep(), doing="Keeping…")

    def discard_selected(self) -> None:
        jobs = self.jobs
        if jobs is None:
            return
        for entry in self.results.selected_entries():
            jobs.discard(int(entry.ref), entry.key)
        self.refresh_results()

    # -- kept pictures ---------------------------------------------------------------------

    def refresh_library(self, select: str | None = None) -> None:
        project = self.project
        # Newest first, from the assets' rows read once (a name and a blob are all it needs).
        found = [a for a in project.assets() if library.is_picture(a)][::-1] if project else []
        entries = [Entry(a.blob, a.name, name=a.name) for a in found]
        self.library.set_entries(entries)
        if select is not None:
            self.library.select_key(select)
        self.library.setVisible(bool(entries))
        self.empty.setVisible(not entries)
        self.pictures_changed.emit()

    def selected_picture(self) -> str | None:
        entry = self.library.current_entry()
        return entry.name if entry is not None else None

    def _picture_chosen(self) -> None:
        name, project = self.selected_picture(), self.project
        picture = None
        if name is not None and project is not None:
            try:
                picture = library.picture(project, name)
            except NotFoundError:
                picture = None
        self.view.show_picture(project, picture)

    def use_in_game(self, name: str) -> None:
        """Ask (the person, then the code model) how the game should use picture `name`."""
        project = self.project
        if project is None:
            return
        text, ok = QInputDialog.getMultiLineText(
            self,
            "Use in game",
            f"What should the game do with {name}? This goes to the code model:",
            use_picture_request(library.picture(project, name)),
        )
        if ok and text.strip():
            self.session.chat_request.emit("", text.strip())

    def use_as_player(self, name: str) -> None:
        project = self.project
        if project is not None:
            request = use_picture_request(library.picture(project, name), "player")
            self.session.chat_request.emit("", request)

    def delete_picture(self, name: str) -> None:
        project = self.project
        if project is None:
            return
        try:
            library.delete_picture(project, name)
        except StudioError as exc:
            self.work.show_error(plain_message(exc))
            return
        self.refresh_library()
        self.session.assets_changed.emit()
        self.work.show_note(f"Deleted {name} from the library; versions keep their copies.")

    # -- put me in the game ----------------------------------------------------------------

    def open_hero_dialog(self) -> None:
        from studio.ui.images.hero_dialog import HeroDialog

        if self.project is None or self.jobs is None:
            return
        dialog = HeroDialog(self.session, self.jobs, self.form.provider_name(), self)
        dialog.hero_made.connect(self._hero_made)
        dialog.open()

    def _hero_made(self, name: str) -> None:
        project = self.project
        if project is None:
            return
        self.refresh_library(select=project.asset(name).blob)
        self.session.assets_changed.emit()
        request = use_picture_request(library.picture(project, name), "player")
        self.session.chat_request.emit("Use as the player", request)
