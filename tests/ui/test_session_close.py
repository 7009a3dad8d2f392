"""Closing a project (another one opened, or the window closed) while a clip's submit is on
its way: the session keeps the project open until the service's answer is kept, so the
clip is followed when the project opens next, not submitted (and paid for) again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from studio.core.store import Project
from studio.plugins.host import PluginHost
from studio.ui.session import ProjectSession
from tests.ai.held_answers import HeldAnswers
from tests.ai.video_server import VideoServer, server_clip
from tests.qt_asyncio import run_with_qt

pytestmark = pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")

KEY = "sk-test-session-close"


async def until(predicate, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"timed out: {predicate}"
        await asyncio.sleep(0.02)


def test_a_project_closed_while_a_clip_is_submitted_keeps_its_remote_id(
    qapp, tmp_path: Path
) -> None:
    with VideoServer(server_clip(), api_key=KEY) as server:

        async def scenario() -> None:
            answered = asyncio.Event()
            session = ProjectSession(PluginHost())
            session.video_providers = lambda _name: HeldAnswers(
                answered, base_url=server.base_url, api_key=KEY, max_retries=0
            )
            project = Project.create(tmp_path / "game")
            session.open(project)
            assert session.video_queue is not None
            job = session.video_queue.generate("openai", "a fox")
            await until(lambda: server.videos)  # the service has it; Studio has no answer yet
            session.close()
            assert not project.closed  # held open for the answer
            answered.set()
            await session.idle()
            assert project.closed
            (remote_id,) = server.videos
            with Project.open(tmp_path / "game") as again:
                kept = again.job(job.id)
                assert (kept.status, kept.remote_id) == ("submitted", remote_id)

        run_with_qt(scenario())
        assert len(server.calls("POST")) == 1


def test_a_project_opened_again_at_once_follows_the_clip_its_close_waited_for(
    qapp, tmp_path: Path
) -> None:
    with VideoServer(server_clip(), api_key=KEY) as server:

        async def scenario() -> None:
            answered = asyncio.Event()
            session = ProjectSession(PluginHost())
            session.video_providers = lambda _name: HeldAnswers(
                answered, base_url=server.base_url, api_key=KEY, max_retries=0
            )
            session.open(Project.create(tmp_path / "game"))
            assert session.video_queue is not None
            job = session.video_queue.generate("openai", "a fox")
            await until(lambda: server.videos)
            session.close()
            again = Project.open(tmp_path / "game")
            session.open(again)  # before the service answered the first
            await asyncio.sleep(0.2)
            assert again.job(job.id).status == "queued"  # not started over meanwhile
            answered.set()
            await until(lambda: again.job(job.id).status == "running")  # followed
            session.close()
            await session.idle()

        run_with_qt(scenario())
        assert len(server.calls("POST")) == 1


def test_a_project_closed_with_no_submit_on_its_way_closes_at_once(qapp, tmp_path: Path) -> None:
    async def scenario() -> None:
        session = ProjectSession(PluginHost())
        project = Project.create(tmp_path / "game")
        session.open(project)
        session.close()
        assert project.closed
        await session.idle()

    run_with_qt(scenario())
