"""The open project and the version on screen, for both faces.

A change (a prompt, the editor's Run, a story edit, clips landing on a story) builds on the
version the person looks at. When that is not the newest of its line, building on it moves
the head there first, so the new version continues the line the person chose: that rule
lives here, once (`build_on_shown`). `studio.ui.session.ProjectSession` is this session with
Qt signals, for panes that must follow it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from studio.core.records import Version
from studio.core.store import Project
from studio.operations.projects import save_edit


@dataclass(frozen=True)
class ChangeTarget:
    """What the next prompt changes when it is not the newest version: said above the
    prompt box, so nobody builds on an old version without knowing."""

    base: int  # the version on screen, which the change builds on
    newest: int  # the version made last
    branches: bool  # the base has versions after it already: the change starts a new line

    def words(self) -> str:
        then = "this starts a new branch" if self.branches else "this continues its own line"
        return f"Changing v{self.base} (not the newest, v{self.newest}): {then}"


def change_target(project: Project, shown: int | None) -> ChangeTarget | None:
    """None when a change builds on the newest version (or there is none)."""
    newest = project.newest()
    if shown is None or newest is None or shown == newest:
        return None
    return ChangeTarget(shown, newest, bool(project.children(shown)))


def compare_pair(selected: Sequence[int]) -> tuple[int, int] | str:
    """The two versions Compare shows, older first, or why it cannot compare yet."""
    ids = sorted(set(selected))
    if len(ids) == 2:
        return ids[0], ids[1]
    if len(ids) > 2:
        return "Select only two versions to compare them."
    if ids:
        return "Select a second version (Ctrl+click) to compare it with this one."
    return "Select two versions (Ctrl+click) to compare them."


def media_in_use(project: Project) -> bool:
    """Whether the project has clips, pictures or media jobs: the Video and Images pane is
    folded to a bar until it does (or the person opens it)."""
    return bool(project.assets()) or bool(project.jobs(kind=None))


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

    def change_target(self) -> ChangeTarget | None:
        """What the next change builds on, when it is not the newest version."""
        return change_target(self.project, self.shown) if self.project is not None else None

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
