"""Shared by the service tests: a quick polling policy, providers pointed at a local server
and closed after each test, a job polled to its end, a job driven through Studio's real
queue across a restart; the fal server, and the key the Google server takes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from studio.ai.video_provider import VideoProvider, VideoStatus
from studio.core import assets
from studio.core.records import VideoJob
from studio.core.store import Project
from studio.operations.video_queue import PollPolicy, VideoQueue
from studio.testing.servers.fal import FalServer
from studio.testing.servers.video import server_clip

FAST = PollPolicy(first=0.02, longest=0.05, max_suggested=0.5, max_transient=4)
GOOGLE_KEY = "AIza-google-test-SECRET-7f3c"

Restart = Callable[..., Awaitable[tuple[VideoJob, str, list[Any]]]]
P = TypeVar("P", bound=VideoProvider)


@pytest.fixture
async def closing() -> AsyncIterator[Callable[[P], P]]:
    """`closing(provider)` returns it, and closes it after the test."""
    made: list[VideoProvider] = []

    def keep(provider: P) -> P:
        made.append(provider)
        return provider

    yield keep
    for provider in made:
        await provider.aclose()


@pytest.fixture
def pointed(closing: Callable[[P], P]) -> Callable[..., Any]:
    """`pointed(ProviderClass, server, **options)`: a provider pointed at a local server (its
    `base_url` and `api_key`, unless `options` say otherwise), closed after the test."""

    def build(cls: type, server: Any, **options: Any) -> Any:
        return closing(cls(**{"base_url": server.base_url, "api_key": server.api_key} | options))

    return build


async def finish(provider: VideoProvider, remote_id: str) -> VideoStatus:
    """Poll until the job is done (the local servers take a few polls)."""
    for _ in range(20):
        status = await provider.poll(remote_id)
        if status.done:
            return status
    raise AssertionError(f"{remote_id} never finished")


@pytest.fixture
def across_restart(tmp_path: Path) -> Restart:
    """`await across_restart(name, make_provider, hold, prompt, **request)`: the job starts,
    Studio closes the project while the service holds it, then a reopened project and a
    new provider finish it. Returns the job, the remote id it had before the restart, and
    the project's clips."""

    async def run(
        name: str,
        make_provider: Callable[[], VideoProvider],
        hold: threading.Event,
        prompt: str,
        **request: Any,
    ) -> tuple[VideoJob, str, list[Any]]:
        path = tmp_path / "game.studio"
        project = Project.create(path)
        hold.set()
        queue = VideoQueue(project, lambda _name: make_provider(), poll=FAST)
        job = queue.generate(name, prompt, **request)
        queue.start()
        for _ in range(500):
            if project.job(job.id).status == "running":
                break
            await asyncio.sleep(0.01)
        remote_id = project.job(job.id).remote_id
        project.close()  # Studio goes away while the service is still working
        await queue.aclose()
        hold.clear()
        with Project.open(path) as reopened:
            queue = VideoQueue(reopened, lambda _name: make_provider(), poll=FAST)
            await asyncio.wait_for(queue.run(), 60)
            await queue.aclose()
            return reopened.job(job.id), remote_id or "", assets.clips(reopened)

    return run


@pytest.fixture
def fal_server() -> Iterator[FalServer]:
    with FalServer(server_clip()) as server:
        yield server
