"""The open project and the version the person is looking at, shared by every pane.

Panes never talk to each other directly: they call the session's operations (which call
the core) and listen to its signals.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from studio.core.store import Project, Version
from studio.operations.projects import save_edit
from studio.plugins.host import PluginHost


class ProjectSession(QObject):
    project_changed = Signal(object)  # Project | None
    versions_changed = Signal()  # the tree gained or lost a version
    version_shown = Signal(int)  # the version in the editor and the Preview
    assets_changed = Signal()
    status = Signal(str)  # a line for the status bar

    def __init__(self, host: PluginHost, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.project: Project | None = None
        self.shown: int | None = None

    def open(self, project: Project) -> None:
        self.close()
        self.project = project
        self.shown = project.head
        self.project_changed.emit(project)
        if self.shown is not None:
            self.version_shown.emit(self.shown)

    def close(self) -> None:
        if self.project is not None:
            project, self.project, self.shown = self.project, None, None
            self.project_changed.emit(None)
            project.close()

    @property
    def path(self) -> Path | None:
        return self.project.path if self.project else None

    def show_version(self, version_id: int) -> None:
        """Preview any version; building on it later moves the head there."""
        if self.project is None:
            return
        self.shown = version_id
        self.version_shown.emit(version_id)

    def files(self) -> dict[str, bytes]:
        if self.project is None or self.shown is None:
            return {}
        return self.project.files(self.shown)

    def add_version(self, version: Version) -> None:
        """A version was committed (by any operation): show it."""
        self.versions_changed.emit()
        self.show_version(version.id)

    def save_edit(self, files: Mapping[str, bytes | str]) -> Version | None:
        """Run: the editor's text becomes a version on top of the shown one."""
        if self.project is None:
            return None
        if self.shown is not None and self.shown != self.project.head:
            self.project.set_head(self.shown)
        before = self.project.head
        version = save_edit(self.project, files)
        if version.id != before:
            self.add_version(version)
            self.status.emit(f"Saved version {version.id}")
        else:
            self.show_version(version.id)
        return version

    def restore(self, version_id: int) -> Version | None:
        if self.project is None:
            return None
        version = self.project.restore(version_id)
        self.add_version(version)
        self.status.emit(f"Restored version {version_id} as version {version.id}")
        return version

    def fork(self, version_id: int) -> Version | None:
        if self.project is None:
            return None
        version = self.project.fork(version_id)
        self.add_version(version)
        self.status.emit(f"Forked version {version_id} as version {version.id}")
        return version
