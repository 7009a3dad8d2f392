"""Closing a project (another one opened, or the window closed) while its jobs run: the
session keeps the project open until its job runners have written what they were waiting
for. A clip whose submit was on its way is followed when the project opens next, not
submitted (and paid for) again; a project opened again meanwhile drives and cancels its
jobs only once that close is over. (Quitting the app waits for it too: `studio.app`.)"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.core.store import Project
from studio.plugins.host import PluginHost
from studio.ui.session import ProjectSession
from tests.ai.held_answers import HeldAnswers
from tests.ai.video_server import VideoServer, server_clip
from tests.qt_asyncio import run_with_qt, until

pytestmark = pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")

KEY = "sk-test-session-close"


@pytest.fixture
def server() -> Iterator[VideoServer]:
    with VideoServer(server_clip(), api_key=KEY) as server:
        yield server


class Held:
    """A session whose video submits reach `server` but get its answer only once
    `answered` is set."""

    def __init__(self, server: VideoServer) -> None:
        self.server = server
        self.answered = asyncio.Event()
        self.session = ProjectSession(PluginHost())
        self.session.video_providers = lambda _name: HeldAnswers(
            self.answered, base_url=server.base_url, api_key=KEY, max_retries=0
        )

    async def submit_then_close(self, folder: Path) -> tuple[Project, int]:
        """A new project closed while the service has its clip and Studio no answer yet;
        the project and the clip's job."""
        project = Project.create(folder)
        self.session.open(project)
        job = self.session.video_queue.generate("openai", "a fox")
        await until(lambda: self.server.videos)
        self.session.close()
        return project, job.id

    async def answer_and_follow(self, project: Project, job_id: int) -> None:
        """The service answers; the queue of `project`, open again, follows the clip (it
        stays in progress there: "running" here); then the project closes."""
        self.server.hold.set()
        self.answered.set()
        await until(lambda: project.job(job_id).status == "running")
        self.session.close()
        await self.session.idle()


def test_a_project_closed_while_a_clip_is_submitted_keeps_its_remote_id(
    qapp, tmp_path: Path, server: VideoServer
) -> None:
    async def scenario() -> None:
        held = Held(server)
        project, job_id = await held.submit_then_close(tmp_path / "game")
        told: list[object] = []
        held.session.video_job_changed.connect(told.append)
        assert not project.closed  # held open for the answer
        held.answered.set()
        await held.session.idle()
        assert project.closed
        assert told == []  # the answer of a closed project is no news to the panes
        (remote_id,) = server.videos
        with Project.open(tmp_path / "game") as again:
            kept = again.job(job_id)
            assert (kept.status, kept.remote_id) == ("submitted", remote_id)

    run_with_qt(scenario())
    assert len(server.calls("POST")) == 1


def test_a_project_opened_again_at_once_follows_the_clip_its_close_waited_for(
    qapp, tmp_path: Path, server: VideoServer
) -> None:
    async def scenario() -> None:
        held = Held(server)
        _project, job_id = await held.submit_then_close(tmp_path / "game")
        again = Project.open(tmp_path / "game")
        held.session.open(again)  # before the service answered the first
        await asyncio.sleep(0.3)
        assert len(server.calls("POST")) == 1  # not submitted again meanwhile
        await held.answer_and_follow(again, job_id)

    run_with_qt(scenario())
    assert len(server.calls("POST")) == 1


def test_a_clip_cancelled_in_the_project_opened_again_is_dropped_at_the_service(
    qapp, tmp_path: Path, server: VideoServer
) -> None:
    async def scenario() -> None:
        held = Held(server)
        _project, job_id = await held.submit_then_close(tmp_path / "game")
        session = held.session
        session.open(Project.open(tmp_path / "game"))
        cancelling = asyncio.ensure_future(session.video_queue.cancel(job_id))
        await asyncio.sleep(0.1)
        held.answered.set()  # the first close writes the remote id; then the cancel goes on
        cancelled = await cancelling
        (remote_id,) = server.videos.keys() | set(server.deleted)
        assert (cancelled.status, cancelled.remote_id) == ("cancelled", remote_id)
        assert server.deleted == [remote_id]  # not left to run, and be billed, unseen
        await asyncio.sleep(0.3)
        assert session.project.job(job_id).status == "cancelled"  # and it stays so
        session.close()
        await session.idle()

    run_with_qt(scenario())
    assert len(server.calls("POST")) == 1


def test_opening_and_closing_again_quickly_still_waits_for_the_first_answer(
    qapp, tmp_path: Path, server: VideoServer
) -> None:
    async def scenario() -> None:
        held = Held(server)
        _project, job_id = await held.submit_then_close(tmp_path / "game")
        session = held.session
        session.open(Project.open(tmp_path / "game"))
        await until(lambda: session.video_queue.running())  # waiting for the first close
        session.close()  # nothing of this one's own was on its way
        again = Project.open(tmp_path / "game")
        session.open(again)
        await asyncio.sleep(0.3)
        assert len(server.calls("POST")) == 1  # the first answer is still waited for
        await held.answer_and_follow(again, job_id)

    run_with_qt(scenario())
    assert len(server.calls("POST")) == 1


class SlowCancel(HeldAnswers):
    """Answers its submits at once; tells the service of a cancel once `let_go` is set."""

    def __init__(self, let_go: asyncio.Event, **options) -> None:
        answered = asyncio.Event()
        answered.set()
        super().__init__(answered, **options)
        self.let_go = let_go

    async def cancel(self, remote_id: str) -> None:
        await self.let_go.wait()
        await super().cancel(remote_id)


def test_a_project_closed_during_a_cancel_closes_once_the_service_is_told(
    qapp, tmp_path: Path, server: VideoServer
) -> None:
    async def scenario() -> None:
        let_go = asyncio.Event()
        session = ProjectSession(PluginHost())
        session.video_providers = lambda _name: SlowCancel(
            let_go, base_url=server.base_url, api_key=KEY, max_retries=0
        )
        project = Project.create(tmp_path / "game")
        session.open(project)
        server.hold.set()  # the clip stays in progress there
        job = session.video_queue.generate("openai", "a fox")
        await until(lambda: project.job(job.id).status == "running")
        cancelling = asyncio.ensure_future(session.video_queue.cancel(job.id))
        await until(lambda: project.job(job.id).status == "cancelled")  # the service not told
        session.close()
        assert not project.closed
        let_go.set()
        cancelled = await cancelling
        await session.idle()
        assert project.closed and server.deleted == [cancelled.remote_id]

    run_with_qt(scenario())


def test_a_project_with_no_job_running_closes_at_once(qapp, tmp_path: Path) -> None:
    async def scenario() -> None:
        session = ProjectSession(PluginHost())
        project = Project.create(tmp_path / "game")
        session.open(project)
        session.close()
        assert project.closed
        await session.idle()

    run_with_qt(scenario())
