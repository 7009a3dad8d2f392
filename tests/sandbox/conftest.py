"""Fixtures for the sandbox tests: projects with hostile pages, a Preview pane, a listener
on 127.0.0.1 that records every connection, and helpers to read the page."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QElapsedTimer, QEvent, QTimer
from PySide6.QtWidgets import QApplication

from studio.core.store import Project
from studio.plugins.host import PluginHost
from studio.sandbox.console import ConsoleEntry
from studio.ui.preview.preview_pane import PreviewPane
from studio.ui.session import ProjectSession
from tests.sandbox.hostile_network import CountingListener

LOAD_MS = 20_000  # a page load, software rendering on a busy 2-core machine


@pytest.fixture
def make_project(tmp_path: Path) -> Iterator[Callable[..., Project]]:
    """make_project(name, files) → an open project whose first version holds `files`."""
    projects: list[Project] = []

    def make(name: str = "game", files: dict[str, bytes | str] | None = None) -> Project:
        project = Project.create(tmp_path / name)
        if files is not None:
            project.commit(files, parent=None, kind="manual")
        projects.append(project)
        return project

    def reopen(project: Project) -> Project:
        """The same project opened again (after the session closed it)."""
        again = Project.open(project.path)
        projects.append(again)
        return again

    make.reopen = reopen  # type: ignore[attr-defined]
    yield make
    for project in projects:
        with contextlib.suppress(Exception):  # closed by the session already
            project.close()


class Pane:
    """A shown PreviewPane with its session and every console entry it received."""

    def __init__(self, qtbot) -> None:
        self.qtbot = qtbot
        self.session = ProjectSession(PluginHost())
        self.pane = PreviewPane(self.session)
        self.pane.resize(900, 700)
        self.entries: list[ConsoleEntry] = []
        self.pane.page.console_entries.connect(self.entries.extend)
        qtbot.addWidget(self.pane)
        self.pane.show()
        qtbot.waitExposed(self.pane)

    def open(self, project: Project, version_id: int | None = None) -> None:
        """Show a project (its head, or the given version) and wait until it loaded."""
        self.entries.clear()
        self.session.open(project)
        if version_id is not None and version_id != self.session.shown:
            self.session.show_version(version_id)
        self.wait_state("running", "failed", "hung", "crashed", "memory")

    def show(self, version_id: int) -> None:
        self.entries.clear()
        self.session.show_version(version_id)
        self.wait_state("running", "failed", "hung", "crashed", "memory")

    def wait_state(self, *states: str, timeout: int = LOAD_MS) -> str:
        self.qtbot.waitUntil(lambda: self.pane.state in states, timeout=timeout)
        return self.pane.state

    def messages(self) -> list[str]:
        return [e.message for e in self.entries]

    def wait_message(self, text: str, timeout: int = LOAD_MS) -> ConsoleEntry:
        found: list[ConsoleEntry] = []

        def seen() -> bool:
            found[:] = [e for e in self.entries if text in e.message]
            return bool(found)

        self.qtbot.waitUntil(seen, timeout=timeout)
        return found[0]

    def js(self, script: str, timeout: int = 10_000):
        """Run script in the game's main world and return its result."""
        results: list[object] = []
        self.pane.page.runJavaScript(script, 0, results.append)
        self.qtbot.waitUntil(lambda: bool(results), timeout=timeout)
        return results[0]

    def close(self) -> None:
        self.session.close()
        self.pane.close()
        self.pane.deleteLater()


@pytest.fixture
def preview(qtbot) -> Iterator[Pane]:
    pane = Pane(qtbot)
    yield pane
    pane.close()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def listener() -> Iterator[CountingListener]:
    """TCP and UDP on one port of 127.0.0.1 and ::1 that records whatever reaches it."""
    server = CountingListener()
    yield server
    server.close()


class Ticker:
    """A 20 ms QTimer measuring the GUI event loop: the gaps between its ticks, and the CPU
    time the GUI thread used meanwhile (which, unlike gaps, does not grow when other
    processes crowd the machine)."""

    def __init__(self) -> None:
        self.ticks = 0
        self.max_gap_ms = 0
        self.gaps: list[int] = []
        self.cpu_share = 0.0
        self._started = (0.0, 0.0)
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(20)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.ticks, self.max_gap_ms, self.gaps = 0, 0, []
        self._started = (time.monotonic(), time.thread_time())
        self._clock.start()
        self._timer.start()

    def _tick(self) -> None:
        self.ticks += 1
        gap = self._clock.restart()
        self.gaps.append(gap)
        self.max_gap_ms = max(self.max_gap_ms, gap)

    def stop(self) -> None:
        if self._timer.isActive():
            wall, cpu = time.monotonic() - self._started[0], time.thread_time() - self._started[1]
            self.cpu_share = cpu / wall if wall > 0 else 0.0
        self._timer.stop()

    def percentile(self, p: float) -> int:
        ordered = sorted(self.gaps) or [0]
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


@pytest.fixture
def ticker() -> Iterator[Ticker]:
    t = Ticker()
    yield t
    t.stop()


def wait_seconds(qtbot, seconds: float) -> None:
    """Let the event loop run for a while (for checks that something does NOT happen)."""
    end = time.monotonic() + seconds
    qtbot.waitUntil(lambda: time.monotonic() >= end, timeout=int(seconds * 1000) + 5000)
