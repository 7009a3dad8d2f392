"""The OpenAI-compatible /v1/videos provider as what it is now: for gateways. Through the real
`openai` client against local servers: Test connection (`check` through
`check_connection`) says works / key refused / cannot reach in one line; a service whose
endpoint is gone gives one sentence saying so and what to pick instead (never a stack
trace); and the `openai` package's Sora deprecation warning never reaches the person."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.ai.service_check import check_connection
from studio.ai.video_openai import LABEL, OpenAIVideoProvider
from studio.ai.video_provider import VideoError, VideoRequest, label_of
from studio.core.store import Project
from studio.operations.video_queue import PollPolicy, VideoQueue
from studio.testing.servers.base import LocalHandler, LocalServer
from tests.ai.video_server import VideoServer, server_clip

KEY = "sk-test-gateway-SECRET-77aa"


class _GoneHandler(LocalHandler):
    """What a service answers once an API is shut: OpenAI answers an unknown endpoint with
    404 and `Invalid URL (METHOD /path)` in its error shape; HTTP 410 Gone is the other
    way a gateway may say it."""

    owner: GoneServer

    def _gone(self, method: str) -> None:
        self._read_bytes()
        path = self.path.split("?")[0]
        message = f"Invalid URL ({method} {path})"
        body = {"error": {"message": message, "type": "invalid_request_error", "code": None}}
        self._send_json(self.owner.status, body)

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        self._gone("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._gone("POST")


class GoneServer(LocalServer):
    def __init__(self, status: int = 404) -> None:
        super().__init__(_GoneHandler)
        self.status = status


@pytest.fixture
def server() -> Iterator[VideoServer]:
    with VideoServer(server_clip(), api_key=KEY) as server:
        yield server


def provider(base_url: str, key: str = KEY) -> OpenAIVideoProvider:
    return OpenAIVideoProvider(base_url=base_url, api_key=key, max_retries=0, timeout=5)


async def test_it_is_named_for_gateways_and_lists_the_last_public_prices() -> None:
    made = provider("http://127.0.0.1:9/v1")
    assert label_of(made, "openai") == LABEL == "OpenAI-compatible /v1/videos (gateways)"
    caps = made.capabilities_for("sora-2-pro")
    assert caps.prices["sora-2"].cost(4) == pytest.approx(0.4)
    assert caps.prices["sora-2-pro"].cost(4, resolution="1792x1024") == pytest.approx(2.0)


async def test_check_says_works_key_refused_or_cannot_reach(server: VideoServer) -> None:
    works = provider(server.base_url)
    result = await check_connection(works)
    assert result.ok and result.line.startswith("Works")
    assert server.calls("GET")[-1].headers["authorization"] == f"Bearer {KEY}"

    refused = await check_connection(provider(server.base_url, key="sk-wrong"))
    assert refused.verdict == "key_refused" and refused.line.startswith("Key refused: ")
    assert "\n" not in refused.line and "sk-wrong" not in refused.line

    with VideoServer(server_clip()) as gone_away:
        url = gone_away.base_url
    unreachable = await check_connection(provider(url))
    assert unreachable.verdict == "unreachable"
    assert unreachable.line.startswith("Cannot reach the service: ")
    for made in (works,):
        await made.aclose()


@pytest.mark.parametrize("status", [404, 410])
async def test_a_gone_endpoint_is_one_sentence_with_what_to_pick(status: int) -> None:
    with GoneServer(status) as gone:
        made = provider(f"http://127.0.0.1:{gone.port}/v1")
        with pytest.raises(VideoError) as caught:
            await made.submit(VideoRequest("a fox", seconds=4, size="1280x720"))
        checked = await check_connection(made)
        await made.aclose()
    error = caught.value
    assert error.kind == "gone"
    text = str(error)
    assert "no longer offers the OpenAI /v1/videos API" in text and "Google Veo" in text
    assert "Traceback" not in text and "\n" not in text
    assert checked.verdict == "gone" and "pick another video service" in checked.line


async def test_a_job_on_a_gone_service_fails_with_that_sentence(tmp_path: Path) -> None:
    with GoneServer(404) as gone, Project.create(tmp_path / "game") as project:
        url = f"http://127.0.0.1:{gone.port}/v1"
        queue = VideoQueue(project, lambda name: provider(url), poll=PollPolicy(first=0.01))
        job = queue.generate("openai", "a fox", seconds=4, size="1280x720")
        await queue.run()
        await queue.aclose()
        job = project.job(job.id)
    assert job.status == "failed"
    assert job.error.startswith("The video service at 127.0.0.1:")
    assert "no longer offers the OpenAI /v1/videos API" in job.error


async def test_the_sdk_deprecation_warning_never_reaches_the_person(
    server: VideoServer, tmp_path: Path
) -> None:
    made = provider(server.base_url)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")  # as `python -W always` would show them
        await made.check()
        remote_id = await made.submit(VideoRequest("a fox", seconds=4, size="1280x720"))
        while not (await made.poll(remote_id)).done:
            pass
        await made.download(remote_id, "video", tmp_path / "fox.mp4")
        await made.remix(remote_id, "a fox at night")
        await made.extend(remote_id, "the fox runs on", 4)
        await made.cancel(remote_id)
    await made.aclose()
    assert (tmp_path / "fox.mp4").read_bytes() == server.clip
    assert [str(w.message) for w in seen if issubclass(w.category, DeprecationWarning)] == []
