"""Fixtures for the story tests: stories as data, story projects from the real template, and
the offline title-cards provider behind a real video queue."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from studio.config.resources import resource_path
from studio.core.store import Project
from studio.operations.projects import new_project
from studio.plugins.host import PluginHost
from studio.story.model import dump_story

# The scripted chat server and providers for it, as the AI tests have them.
from tests.ai.conftest import chat_provider, chat_server, make_chat_provider  # noqa: F401

# Real headless Chromium for exported stories, as the export tests have it.
from tests.export.conftest import browser, page, private_cache  # noqa: F401

# The shown Preview pane of the sandbox tests.
from tests.sandbox.conftest import preview  # noqa: F401

# Main windows on a private settings file (desktop-sized offscreen screen), as in the UI tests.
from tests.ui.conftest import make_window  # noqa: F401

TEMPLATE_DIR = resource_path("templates", "story")


def sample_story() -> dict[str, Any]:
    """The template's story as data (a fresh copy each time)."""
    return copy.deepcopy(json.loads((TEMPLATE_DIR / "story.json").read_text(encoding="utf-8")))


def scene(data: dict[str, Any], scene_id: str) -> dict[str, Any]:
    return next(s for s in data["scenes"] if s["id"] == scene_id)


@pytest.fixture(scope="session")
def host() -> PluginHost:
    host = PluginHost()
    host.load_all(entry_points=True)
    return host


@pytest.fixture
def story_project(tmp_path: Path, host: PluginHost) -> Iterator[Project]:
    """A project made from the built-in story template (absolute path, as the app uses)."""
    project = new_project(tmp_path / "tale.studio", host.template("story"))
    yield project
    project.close()


@pytest.fixture
def make_story_project(tmp_path: Path) -> Iterator[Callable[..., Project]]:
    """A project whose first version is the template's player with the given story."""
    made: list[Project] = []

    def make(data: dict[str, Any], name: str = "custom", extra: dict | None = None) -> Project:
        project = Project.create(tmp_path / f"{name}.studio")
        files = {
            "index.html": (TEMPLATE_DIR / "index.html").read_bytes(),
            "story.json": dump_story(data),
            **(extra or {}),
        }
        project.commit(files, parent=None, kind="manual")
        made.append(project)
        return project

    yield make
    for project in made:
        project.close()


@pytest.fixture
async def title_cards_queue(host: PluginHost, tmp_path: Path):
    """A factory for a video queue whose providers come from the plugin host; the title
    cards draw in this test's folder, small and short so tests stay quick."""
    from studio.ai.video_provider import make_provider
    from studio.operations.video_queue import PollPolicy, VideoQueue

    queues: list[VideoQueue] = []

    def make(project: Project) -> VideoQueue:
        def providers(name: str):
            options = {"work_dir": str(tmp_path / "cards"), "size": "320x180", "seconds": 2}
            return make_provider(host, name, options if name == "title-cards" else {})

        queue = VideoQueue(project, providers, poll=PollPolicy(first=0.05, longest=0.2))
        queues.append(queue)
        return queue

    yield make
    for queue in queues:
        await queue.aclose()


def make_clips_now(project: Project, host: PluginHost, work: Path, **options: Any):
    """Make clips with the title cards, from synchronous code (Qt tests)."""
    import asyncio

    from studio.ai.video_provider import make_provider
    from studio.operations.story_clips import make_clips
    from studio.operations.video_queue import PollPolicy, VideoQueue

    async def run():
        def providers(name: str):
            card = {"work_dir": str(work), "size": "320x180", "seconds": 2}
            return make_provider(host, name, card if name == "title-cards" else {})

        queue = VideoQueue(project, providers, poll=PollPolicy(first=0.05, longest=0.2))
        try:
            return await make_clips(project, queue, "title-cards", **options)
        finally:
            await queue.aclose()

    return asyncio.run(run())


@pytest.fixture(scope="session")
def clipped_story(tmp_path_factory: pytest.TempPathFactory, host: PluginHost) -> Path:
    """The template's story with a title-card clip for every scene (made once; copy it)."""
    folder = tmp_path_factory.mktemp("clipped")
    with new_project(folder / "tale.studio", host.template("story")) as project:
        outcome = make_clips_now(project, host, folder / "cards")
        assert len(outcome.made) == 6, outcome
        return project.path


@pytest.fixture
def clipped_project(clipped_story: Path, tmp_path: Path) -> Iterator[Project]:
    """A fresh copy of `clipped_story` to change."""
    import shutil

    copy = tmp_path / "tale.studio"
    shutil.copytree(clipped_story, copy)
    project = Project.open(copy)
    yield project
    with contextlib.suppress(Exception):  # a session may have closed it already
        project.close()
