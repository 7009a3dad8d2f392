"""The session (`studio.operations.session.Session`) with Qt signals, shared by every pane.

Panes never talk to each other directly: they call the session's operations and listen to
its signals. Which version a change builds on is the session's rule, not a pane's.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from studio.core.store import Project, Version
from studio.operations.session import Session
from studio.plugins.host import PluginHost


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

    def __init__(self, host: PluginHost, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.state = Session()
        self.preview: GameView | None = None  # the Preview registers itself

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
        self.project_changed.emit(project)
        if self.shown is not None:
            self.version_shown.emit(self.shown)

    def close(self) -> None:
        project = self.state.detach()
        if project is not None:
            self.project_changed.emit(None)  # panes let go of it before it closes
            project.close()

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
