"""The session (`studio.operations.session.Session`) with Qt signals, shared by every pane.

Panes never talk to each other directly: they call the session's operations and listen to
its signals. Which version a change builds on is the session's rule, not a pane's.

The open project's video job queue is the session's too (`video_queue`): the Video pane
lists its jobs and the story panel's Make clips adds to it. Its providers are built by name
from the plugin host and settings.json, merged with `video_overrides[name]`
(`studio.ai.video_sources`). So are its picture jobs (`image_jobs`, providers merged with
`image_overrides[name]`): the Images tab lists them, the hero dialog adds to them.

A pane asks Chat for a change to the game through `chat_request` (the Images tab's "Use as
the player", "Use in game…"), and for the fix of what the AI playtester found through
`fix_findings` (Chat runs it and streams it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage

from studio.ai.image_sources import HostImageProviders
from studio.ai.video_sources import HostVideoProviders
from studio.core.records import Version
from studio.core.store import Project
from studio.operations.image_jobs import ImageJobs
from studio.operations.job_runner import JobRunner
from studio.operations.outcomes import Outcome
from studio.operations.playtest_findings import Finding, FixCheck
from studio.operations.session import Session
from studio.operations.video_queue import VideoQueue
from studio.plugins.host import PluginHost
from studio.ui.widgets.background import Tasks

log = logging.getLogger(__name__)
Jobs = TypeVar("Jobs", bound=JobRunner)  # the open project's video or picture jobs


class GameView(Protocol):
    """What other panes may ask of the Preview, through the session: the errors of the game
    playing (an auto-fix waits for them: `studio.operations.autofix`), a draft to play while
    an answer streams, and a picture of the running game."""

    version_id: int | None  # the version playing (None: a draft or nothing)
    draft: str | None  # the draft playing, if any

    def errors(self) -> list[dict[str, Any]]: ...

    async def play_for_errors(self, version_id: int) -> list[dict[str, Any]]: ...

    def show_draft(self, files: Mapping[str, bytes], base: int | None) -> str | None: ...

    def end_draft(self, back_to: int | None) -> None: ...

    def grab_frame(self) -> QImage: ...


# Told how "Fix what the playtester found" went: the fix's outcome (None when it did not
# run) and each finding replayed on the new version.
FixDone = Callable[[Outcome | None, list[FixCheck]], object]


class FindingsFixer(Protocol):
    """The Chat panel, which runs `studio.operations.agent_runs.fix_findings` for others."""

    def fix_findings(self, version_id: int, findings: Sequence[Finding], done: FixDone) -> bool: ...


class ProjectSession(QObject):
    project_changed = Signal(object)  # Project | None
    versions_changed = Signal()  # the tree gained or lost a version
    version_shown = Signal(int)  # the version in the editor and the Preview
    assets_changed = Signal()
    status = Signal(str)  # a line for the status bar
    fix_requested = Signal(list)  # the errors a person asked to fix (the Preview's Fix)
    errors_changed = Signal(int)  # how many errors the game playing has reported
    video_job_changed = Signal(object)  # a VideoJob of `video_queue` changed
    video_queue_started = Signal()  # the queue drives its jobs now (resumed ones too)
    image_job_changed = Signal(object)  # a VideoJob (kind "image") of `image_jobs` changed
    image_jobs_started = Signal()  # the picture jobs run now (resumed ones too)
    # A pane asks Chat for a change: (button text, request). Chat shows the button and sends
    # the request when it is pressed; with no button text it sends at once.
    chat_request = Signal(str, str)
    # A pane suggests a request for the person to send or change ("Use in game" on a clip):
    # it fills Chat's prompt box.
    prompt_suggested = Signal(str)
    # The Preview offers Chat what the person showed: a picked element or region, a marked
    # frame (a `studio.ai.attachments.Attachment`); it goes with the next prompt.
    attachment_offered = Signal(object)

    def __init__(self, host: PluginHost, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.state = Session()
        self.preview: GameView | None = None  # the Preview registers itself
        self.findings_fixer: FindingsFixer | None = None  # the Chat panel registers itself
        self.video_overrides: dict[str, dict[str, Any]] = {}  # kept by the providers
        self.video_providers = HostVideoProviders(host, overrides=self.video_overrides)
        self.video_queue: VideoQueue | None = None  # the open project's
        self.image_overrides: dict[str, dict[str, Any]] = {}  # kept by the providers
        self.image_providers = HostImageProviders(host, overrides=self.image_overrides)
        self.image_jobs: ImageJobs | None = None  # the open project's
        self._tasks = Tasks()  # closed queues and jobs shutting down their providers
        # Closed projects kept open until their job runners have closed (see `close`).
        self._held: dict[Path, asyncio.Future] = {}

    @property
    def project(self) -> Project | None:
        return self.state.project

    @property
    def shown(self) -> int | None:
        return self.state.shown

    @property
    def path(self) -> Path | None:
        return self.state.path

    def open(self, project: Project) -> None:
        self.close()
        self.state.open(project)
        after = self._held.get(_place(project))  # its last close is not over yet
        self.video_queue = VideoQueue(
            project, self.video_providers, on_change=self.video_job_changed.emit, after=after
        )
        self.image_jobs = ImageJobs(
            project, self.image_providers, on_change=self.image_job_changed.emit, after=after
        )
        # Resume jobs once the event loop runs (at start-up it is not running yet).
        QTimer.singleShot(0, self, self._start_video_queue)
        QTimer.singleShot(0, self, self._start_image_jobs)
        self.project_changed.emit(project)
        if self.shown is not None:
            self.version_shown.emit(self.shown)

    def close(self) -> None:
        project = self.state.detach()
        if project is None:
            return
        runners = [r for r in (self.video_queue, self.image_jobs) if r is not None]
        self.video_queue = self.image_jobs = None
        busy = any(r.busy for r in runners)
        # Their jobs stay in the project: they resume with it.
        closing = [c for c in map(self._close_jobs, runners) if c is not None]
        self.project_changed.emit(None)  # panes let go of it before it closes
        if busy and closing:
            # The project closes once the runners have written what they were waiting for:
            # a clip's remote id (else it is submitted, and paid for, again at the next
            # open), a cancel, pictures that came.
            place, held = _place(project), asyncio.gather(*closing, return_exceptions=True)
            self._held[place] = held
            held.add_done_callback(lambda _h: self._let_go(place, project, held))
        else:
            project.close()

    def _let_go(self, place: Path, project: Project, held: asyncio.Future) -> None:
        if self._held.get(place) is held:
            del self._held[place]
        project.close()

    async def idle(self) -> None:
        """Wait until closed queues have shut down (tests, quitting)."""
        await self._tasks.wait_all()

    # -- the video queue -------------------------------------------------------------------

    def refresh_video_providers(self) -> None:
        """Plugins or settings changed: providers are built anew at their next use, and jobs
        that waited for their provider's plugin run again (the picture jobs' too)."""
        if self.image_jobs is not None:
            self.image_jobs.forget_providers()
        if self.video_queue is not None:
            self.video_queue.forget_providers()
            QTimer.singleShot(0, self, self._start_video_queue)

    def _start_video_queue(self) -> None:
        queue = _startable(self.video_queue)
        if queue is not None:
            queue.start()
            self.video_queue_started.emit()

    def _close_jobs(self, jobs: JobRunner) -> asyncio.Future | None:
        """Stop driving `jobs` now (their jobs stay in the project and resume with it), and
        when a loop runs, finish closing them (their providers too): the task doing it."""
        jobs.close_now()
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return None  # no loop: nothing ran, nothing to wait for
        return self._tasks.start(jobs.aclose())

    def fix_findings(self, version_id: int, findings: Sequence[Finding], done: FixDone) -> bool:
        """Ask Chat to fix what the AI playtester found when it played `version_id` (the fix
        builds on that version; its findings are replayed on the new one, then `done`).
        False when Chat cannot take it now (it is busy, or there is none): nothing started."""
        fixer = self.findings_fixer
        return fixer is not None and fixer.fix_findings(version_id, findings, done)

    # -- the picture jobs ------------------------------------------------------------------

    def _start_image_jobs(self) -> None:
        jobs = _startable(self.image_jobs)
        if jobs is not None:
            jobs.start()
            self.image_jobs_started.emit()

    def show_version(self, version_id: int) -> None:
        """Preview any version; building on it later moves the head there."""
        if self.project is None:
            return
        self.state.show(version_id)
        self.version_shown.emit(version_id)

    def files(self) -> dict[str, bytes]:
        return self.state.files()

    def build_on_shown(self) -> int | None:
        return self.state.build_on_shown()

    def add_version(self, version: Version) -> None:
        """A version was committed (by any operation): show it."""
        self.versions_changed.emit()
        self.show_version(version.id)

    def save_edit(self, files: Mapping[str, bytes | str]) -> Version | None:
        """Run: the editor's text becomes a version on top of the shown one."""
        saved = self.state.save_edit(files)
        if saved is None:
            return None
        version, new = saved
        if new:
            self.add_version(version)
            self.status.emit(f"Saved version {version.id}")
        else:
            self.show_version(version.id)
        return version

    def restore(self, version_id: int) -> Version | None:
        version = self.state.restore(version_id)
        if version is not None:
            self.add_version(version)
            self.status.emit(f"Restored version {version_id} as version {version.id}")
        return version

    def fork(self, version_id: int) -> Version | None:
        version = self.state.fork(version_id)
        if version is not None:
            self.add_version(version)
            self.status.emit(f"Forked version {version_id} as version {version.id}")
        return version


def _place(project: Project) -> Path:
    """Where a project is, whichever way its path was spelt."""
    return project.path.resolve()


def _startable(jobs: Jobs | None) -> Jobs | None:
    """`jobs` when they can start (not closed, and an asyncio loop runs on Qt's)."""
    if jobs is None or jobs.closed:
        return None
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        log.warning("no asyncio loop runs on Qt's: %ss wait until one does", jobs.what)
        return None
    return jobs
