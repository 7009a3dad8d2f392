"""The session (`studio.operations.session.Session`) with Qt signals, shared by every pane.

Panes never talk to each other directly: they call the session's operations and listen to
its signals. Which version a change builds on is the session's rule, not a pane's.

The open project's video job queue is the session's too (`video_queue`): the Video pane
lists its jobs and the story panel's Make clips adds to it. Its providers are built by name
from the plugin host and settings.json, merged with `video_overrides[name]`
(`studio.ai.video_sources`). A pane asks Chat for a change to the game through
`chat_request` (the Images tab's "Use as the player", "Use in game…").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage

from studio.ai.video_sources import HostVideoProviders
from studio.core.records import Version
from studio.core.store import Project
from studio.operations.session import Session
from studio.operations.video_queue import VideoQueue
from studio.plugins.host import PluginHost
from studio.ui.widgets.background import Tasks

log = logging.getLogger(__name__)


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
    # A pane asks Chat for a change: (button text, request). Chat shows the button and sends
    # the request when it is pressed; with no button text it sends at once.
    chat_request = Signal(str, str)
    # The Preview offers Chat what the person showed: a picked element or region, a marked
    # frame (a `studio.ai.attachments.Attachment`); it goes with the next prompt.
    attachment_offered = Signal(object)

    def __init__(self, host: PluginHost, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.state = Session()
        self.preview: GameView | None = None  # the Preview registers itself
        self.video_overrides: dict[str, dict[str, Any]] = {}  # kept by the providers
        self.video_providers = HostVideoProviders(host, overrides=self.video_overrides)
        self.video_queue: VideoQueue | None = None  # the open project's
        self._tasks = Tasks()  # closed queues shutting down their providers

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
        self.video_queue = VideoQueue(
            project, self.video_providers, on_change=self.video_job_changed.emit
        )
        # Resume jobs once the event loop runs (at start-up it is not running yet).
        QTimer.singleShot(0, self, self._start_video_queue)
        self.project_changed.emit(project)
        if self.shown is not None:
            self.version_shown.emit(self.shown)

    def close(self) -> None:
        project = self.state.detach()
        if project is not None:
            self._close_video_queue()  # jobs stay in the project: they resume with it
            self.project_changed.emit(None)  # panes let go of it before it closes
            project.close()

    async def idle(self) -> None:
        """Wait until closed queues have shut down (tests, closing)."""
        await self._tasks.wait_all()

    # -- the video queue -------------------------------------------------------------------

    def refresh_video_providers(self) -> None:
        """Plugins or settings changed: providers are built anew at their next use, and jobs
        that waited for their provider's plugin run again."""
        if self.video_queue is not None:
            self.video_queue.forget_providers()
            QTimer.singleShot(0, self, self._start_video_queue)

    def _start_video_queue(self) -> None:
        queue = self.video_queue
        if queue is None or queue.closed:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            log.warning("no asyncio loop runs on Qt's: video jobs wait until one does")
            return
        queue.start()
        self.video_queue_started.emit()

    def _close_video_queue(self) -> None:
        queue, self.video_queue = self.video_queue, None
        if queue is None:
            return
        queue.close_now()  # the project closes right after
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop()
            self._tasks.start(queue.aclose())

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
