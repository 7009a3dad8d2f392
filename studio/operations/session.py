"""The open project and the version on screen, for both faces.

A change (a prompt, the editor's Run, a story edit, clips landing on a story) builds on the
version the person looks at. When that is not the newest of its line, building on it moves
the head there first, so the new version continues the line the person chose: that rule
lives here, once (`build_on_shown`). `studio.ui.session.ProjectSession` is this session with
Qt signals, for panes that must follow it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from studio.core.records import Version
from studio.core.store import Project
from studio.operations.projects import save_edit


class Session:
    def __init__(self) -> None:
        self.project: Project | None = None
        self.shown: int | None = None  # the version on screen

    def open(self, project: Project) -> None:
        """Open `project` (the one open before is closed) showing its head."""
        self.close()
        self.project = project
        self.shown = project.head

    def detach(self) -> Project | None:
        """Let go of the project without closing it (whoever uses it lets go first)."""
        project, self.project, self.shown = self.project, None, None
        return project

    def close(self) -> None:
        project = self.detach()
        if project is not None:
            project.close()

    @property
    def path(self) -> Path | None:
        return self.project.path if self.project else None

    def show(self, version_id: int) -> None:
        if self.project is not None:
            self.shown = version_id

    def files(self) -> dict[str, bytes]:
        """The files of the version on screen."""
        if self.project is None or self.shown is None:
            return {}
        return self.project.files(self.shown)

    def build_on_shown(self) -> int | None:
        """The version a change builds on: the one on screen, made the head of its line."""
        project = self.project
        if project is None:
            return None
        if self.shown is not None and self.shown != project.head:
            project.set_head(self.shown)
        return project.head

    def save_edit(self, files: Mapping[str, bytes | str]) -> tuple[Version, bool] | None:
        """The editor's text as a version on top of the one on screen; (version, whether it
        is new): unchanged files make no new version."""
        if self.project is None:
            return None
        before = self.build_on_shown()
        version = save_edit(self.project, files)
        self.shown = version.id
        return version, version.id != before

    def restore(self, version_id: int) -> Version | None:
        if self.project is None:
            return None
        version = self.project.restore(version_id)
        self.shown = version.id
        return version

    def fork(self, version_id: int) -> Version | None:
        if self.project is None:
            return None
        version = self.project.fork(version_id)
        self.shown = version.id
        return version
