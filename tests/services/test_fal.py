"""The fal plugin's video provider through the real `fal-client` against a local fal server
(`studio.testing.servers.fal`), and through Studio's real job queue and ffmpeg."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fal_client.client
import httpx
import pytest
import studio_fal
from studio_fal.video import FalVideoProvider

from studio.ai.video_provider import VideoError, VideoProvider, VideoRequest, capabilities_of
from studio.core import assets
from studio.core.store import Project
from studio.media import probe
from studio.operations.video_queue import VideoQueue
from studio.testing.pictures import png
from studio.testing.servers.fal import FalServer
from tests.services.conftest import FAST, finish

FIRST = png(16, 16, (200, 30, 30))
LAST = png(16, 16, (30, 30, 200))
KLING = "fal-ai/kling-video/v2.5-turbo/pro"

Make = Callable[..., FalVideoProvider]


@pytest.fixture
def server(fal_server: FalServer) -> FalServer:
    return fal_server


@pytest.fixture
def make(pointed: Callable[..., Any], server: FalServer) -> Make:
    return lambda **options: pointed(FalVideoProvider, server, **options)


@pytest.fixture
def few_sdk_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """fal-client retries a 429 or a dropped connection ten times with backoff of up to 10 s
    (client.py `_async_maybe_retry_request`); one attempt shows what comes out after."""
    monkeypatch.setattr(fal_client.client, "MAX_ATTEMPTS", 1)


def queue_for(project: Project, provider: FalVideoProvider, **kwargs: Any) -> VideoQueue:
    kwargs.setdefault("poll", FAST)
    return VideoQueue(project, lambda name: provider, **kwargs)


# -- the plugin and what it offers -------------------------------------------------------


def test_plugin_registers_video_and_image_providers(studio_plugin_host) -> None:
    host = studio_plugin_host(studio_fal)
    assert host.plugins["studio_fal"].state == "enabled", host.plugins["studio_fal"].error
    provider = host.get("video_providers", "fal")({"key_name": "nobody", "timeout": 5})
    assert isinstance(provider, VideoProvider) and not provider.fal._client.ready  # no I/O yet
    images = host.get("image_providers", "fal-images")({"model": "fal-ai/flux-1/schnell"})
    assert images.capabilities.max_count == 4 and not images.fal._client.ready


def test_capabilities_follow_the_model() -> None:
    provider = FalVideoProvider(api_key="k")
    veo = capabilities_of(provider, "fal-ai/veo3.1")
    assert veo.durations == (4, 6, 8) and veo.resolutions == ("720p", "1080p", "4k")
    assert veo.last_frame and veo.reference_images == 3 and veo.audio and veo.remote_cancel
    assert veo.prices["fal-ai/veo3.1"].cost(8, audio=True) == pytest.approx(3.20)
    kling26 = capabilities_of(provider, "fal-ai/kling-video/v2.6/pro")
    assert kling26.image_reference and not kling26.last_frame and kling26.audio
    assert capabilities_of(provider, KLING).last_frame
    # An endpoint names its model; an unknown id gets the common inputs.
    assert capabilities_of(provider, "fal-ai/veo3.1/image-to-video") == veo
    mine = FalVideoProvider(api_key="k", model="someone/new-video")
    assert mine.capabilities.models[0] == "someone/new-video"
    assert mine.capabilities.image_reference and not mine.capabilities.last_frame


# -- text, image, first and last frame, references ----------------------------------------


async def test_text_to_video_ends_in_the_library(
    studio_plugin_host, studio_video_jobs, server: FalServer
) -> None:
    host = studio_plugin_host(studio_fal)
    options = {"base_url": server.base_url, "api_key": server.api_key}
    result = await studio_video_jobs.run(
        "fal", "a fox in the snow", host=host, options=options, seconds=5, size="720x1280"
    )
    assert result.ok, result.job.error
    (submit,) = server.submits()
    assert submit.path == f"/{KLING}/text-to-video"
    assert submit.headers["authorization"] == f"Key {server.api_key}"
    assert submit.body == {"prompt": "a fox in the snow", "duration": "5", "aspect_ratio": "9:16"}
    assert result.job.remote_id == f"{KLING}/text-to-video#{server.only().id}"
    clip = result.clip
    assert clip.original and clip.name.endswith(".webm")
    assert result.path(clip.original).read_bytes() == server.clip
    proxy = await probe(result.path(clip.name))
    assert proxy.video_codec == "vp9" and proxy.duration == pytest.approx(1.0, abs=0.1)


async def test_image_to_video_uploads_the_picture_to_fal(make: Make, server: FalServer) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("the fox runs", image=FIRST))
    assert server.calls("POST", "/storage/auth/token")
    upload = server.calls("POST", "/files/upload")[0]
    assert upload.headers["authorization"].startswith("Bearer ")  # the CDN token
    assert upload.headers["content-type"] == "image/png"
    request = server.only()
    assert request.endpoint == f"{KLING}/image-to-video"
    assert request.images == {"image_url": [FIRST]}
    assert "aspect_ratio" not in request.arguments  # Kling's image route follows the picture
    assert (await finish(provider, remote_id)).status == "completed"


async def test_upload_falls_back_to_fal_storage(make: Make, server: FalServer) -> None:
    server.fail_cdn_uploads = True
    await make().submit(VideoRequest("the fox runs", image=FIRST))
    (initiate,) = server.calls("POST", "/storage/upload/initiate")
    assert initiate.body["content_type"] == "image/png"
    assert server.calls("PUT", "/upload/")
    assert server.only().images == {"image_url": [FIRST]}


async def test_first_and_last_frame_use_each_models_names(make: Make, server: FalServer) -> None:
    provider = make()
    await provider.submit(VideoRequest("turn around", seconds=10, image=FIRST, last_frame=LAST))
    kling = server.only()
    assert kling.images == {"image_url": [FIRST], "tail_image_url": [LAST]}
    server.jobs.clear()
    veo = VideoRequest(
        "turn around",
        model="fal-ai/veo3.1",
        seconds=8,
        resolution="1080p",
        aspect="16:9",
        audio=False,
        negative_prompt="blur",
        seed=7,
        image=FIRST,
        last_frame=LAST,
    )
    await provider.submit(veo)
    request = server.only()
    assert request.endpoint == "fal-ai/veo3.1/first-last-frame-to-video"
    assert request.images == {"first_frame_url": [FIRST], "last_frame_url": [LAST]}
    expected = {"duration": "8s", "resolution": "1080p", "aspect_ratio": "16:9"}
    expected |= {"generate_audio": False, "negative_prompt": "blur", "seed": 7}
    assert {k: request.arguments[k] for k in expected} == expected


async def test_reference_pictures_go_to_the_reference_endpoint(
    make: Make, server: FalServer
) -> None:
    refs = tuple(png(8, 8, (n, n, n)) for n in (10, 20, 30))
    provider = make(model="fal-ai/veo3.1")
    remote_id = await provider.submit(VideoRequest("the cast waves", references=refs))
    request = server.only()
    assert request.endpoint == "fal-ai/veo3.1/reference-to-video"
    assert request.images == {"image_urls": list(refs)}
    assert (await finish(provider, remote_id)).status == "completed"


async def test_what_a_model_cannot_do_is_refused_before_anything_is_sent(
    make: Make, server: FalServer
) -> None:
    provider = make()
    cases = [
        (VideoRequest("x", seconds=7), "bad_request", "5, 10 seconds"),
        (VideoRequest("x", model="fal-ai/ltx-2", aspect="9:16"), "bad_request", "9:16"),
        (VideoRequest("x", model="fal-ai/wan/v2.2-a14b", audio=True), "unsupported", "no sound"),
        (VideoRequest("x", references=(FIRST,)), "unsupported", "reference pictures"),
        (VideoRequest("x", last_frame=LAST), "bad_request", "first frame"),
        (VideoRequest("  "), "bad_request", "empty"),
    ]
    for request, kind, words in cases:
        with pytest.raises(VideoError) as caught:
            await provider.submit(request)
        assert caught.value.kind == kind and words in str(caught.value)
    assert server.requests == []


async def test_an_unknown_model_gets_the_common_inputs(make: Make, server: FalServer) -> None:
    provider = make(model="someone/new-video-model/v1")
    request = VideoRequest(
        "a kite", seconds=7, size="1920x1080", image=FIRST, options={"motion": "high"}
    )
    remote_id = await provider.submit(request)
    sent = server.only()
    assert sent.endpoint == "someone/new-video-model/v1"
    assert sent.arguments["duration"] == "7" and sent.arguments["aspect_ratio"] == "16:9"
    assert sent.arguments["motion"] == "high" and sent.images == {"image_url": [FIRST]}
    assert (await finish(provider, remote_id)).status == "completed"


async def test_frames_for_wan(make: Make, server: FalServer) -> None:
    await make(model="fal-ai/wan/v2.2-a14b").submit(VideoRequest("rain", seconds=5))
    assert server.only().arguments["num_frames"] == 81  # 5 s at 16 frames a second


# -- progress, cancel, failures ------------------------------------------------------------


async def test_poll_reports_the_queue_place_and_the_logs(make: Make, server: FalServer) -> None:
    server.queue_ahead = 2
    provider = make()
    remote_id = await provider.submit(VideoRequest("a fox"))
    first = await provider.poll(remote_id)
    assert first.status == "queued" and first.extra["queue_position"] == 1
    assert first.extra["text"] == "In fal's queue, 1 ahead"
    await provider.poll(remote_id)
    started = await provider.poll(remote_id)
    assert started.status == "in_progress" and started.extra["text"] == "Starting the model"
    halfway = await provider.poll(remote_id)
    assert halfway.progress == pytest.approx(0.5)
    assert halfway.extra["logs"] == ["Starting the model", "Generating: 50%"]
    status_call = server.calls("GET", f"/{server.only().app}/requests/")[-1]
    assert status_call.path.endswith("/status")


async def test_cancel_stops_the_request_on_fal(
    make: Make, server: FalServer, studio_project: Project
) -> None:
    server.hold.set()
    provider = make()
    queue = queue_for(studio_project, provider)
    job = queue.generate("fal", "a slow fox")
    queue.start()
    while studio_project.job(job.id).status != "running":
        await asyncio.sleep(0.01)
    cancelled = await queue.cancel(job.id)
    await queue.aclose()
    assert cancelled.status == "cancelled"
    (put,) = server.calls("PUT")
    assert put.path.endswith(f"/requests/{server.only().id}/cancel")
    assert server.only().cancelled
    # Asked again (a restart), the request reads as finished with the cancel.
    again = await make().poll(cancelled.remote_id)
    assert again.status == "failed" and "cancelled" in again.error


async def run_one(project: Project, provider: FalVideoProvider, prompt: str = "a fox"):
    queue = queue_for(project, provider)
    job = queue.generate("fal", prompt)
    await asyncio.wait_for(queue.run(), 30)
    await queue.aclose()
    return project.job(job.id)


async def test_a_refused_prompt_says_so(
    make: Make, server: FalServer, studio_project: Project
) -> None:
    job = await run_one(studio_project, make(), "a violent fox")
    assert job.status == "failed"
    assert job.error == (
        "fal refused the request: The content was flagged by a content checker. "
        "Change the prompt or the pictures."
    )


async def test_a_request_that_fails_on_fal(make: Make, server: FalServer) -> None:
    provider = make()
    status = await finish(provider, await provider.submit(VideoRequest("[fail] a fox")))
    assert status.status == "failed" and status.error_code == "runner_disconnected"
    assert status.error.startswith("The video failed on fal: The runner disconnected")


async def test_no_credit(make: Make, server: FalServer) -> None:
    server.quota_exhausted = True
    provider = make()
    for request in (VideoRequest("a fox"), VideoRequest("a fox", image=FIRST)):
        with pytest.raises(VideoError) as caught:
            await provider.submit(request)
        assert caught.value.kind == "quota"
        assert "Exhausted balance" in str(caught.value) and "fal.ai/dashboard/billing" in str(
            caught.value
        )
    assert server.jobs == {}


async def test_a_passing_429_is_retried_by_fal_client(make: Make, server: FalServer) -> None:
    server.rate_limited, server.retry_after = 2, 0.1
    await make().submit(VideoRequest("a fox"))
    assert len(server.submits()) == 3 and len(server.jobs) == 1


async def test_429_gives_retry_after_and_the_queue_waits(
    make: Make, server: FalServer, studio_project: Project, few_sdk_retries: None
) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("a fox"))
    server.rate_limited, server.retry_after = 1, 3
    with pytest.raises(VideoError) as caught:
        await provider.poll(remote_id)
    assert caught.value.kind == "rate_limited" and caught.value.retry_after == 3
    errors: list[str] = []
    queue = queue_for(studio_project, provider, on_change=lambda j: errors.append(j.error or ""))
    job = queue.generate("fal", "a patient fox")
    server.hold.set()
    queue.start()
    while studio_project.job(job.id).status != "running":
        await asyncio.sleep(0.01)
    server.rate_limited, server.retry_after = 2, 0.2  # the next polls
    server.hold.clear()
    await asyncio.wait_for(queue.run(), 30)
    await queue.aclose()
    assert studio_project.job(job.id).status == "completed"
    assert any(e.startswith("Too many requests to fal for now") for e in errors)


async def test_a_server_error_mid_poll_is_waited_out(
    make: Make, server: FalServer, studio_project: Project
) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("a fox"))
    server.fail_polls = 1
    with pytest.raises(VideoError) as caught:
        await provider.poll(remote_id)
    assert caught.value.kind == "server" and caught.value.transient
    assert "503, internal_server_error" in str(caught.value)
    server.fail_polls = 2
    job = await run_one(studio_project, provider)
    assert job.status == "completed" and len(assets.clips(studio_project)) == 1


async def test_an_expired_result(make: Make, server: FalServer, studio_project: Project) -> None:
    server.expired = True
    job = await run_one(studio_project, make())
    assert job.status == "failed" and "no longer on the service" in job.error
    assert assets.clips(studio_project) == []


async def test_a_download_cut_off_halfway_leaves_nothing(
    make: Make, server: FalServer, tmp_path: Path
) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("a fox"))
    await finish(provider, remote_id)
    server.cut_downloads = True
    dest = tmp_path / "out" / "clip.mp4"
    with pytest.raises(VideoError) as caught:
        await provider.download(remote_id, "video", dest)
    assert caught.value.kind == "unreachable"
    assert list(dest.parent.iterdir()) == []
    server.cut_downloads = False
    await make().download(remote_id, "video", dest)  # again after a restart: by its id
    assert dest.read_bytes() == server.clip


async def test_a_job_resumes_after_studio_restarts(
    make: Make, server: FalServer, tmp_path: Path
) -> None:
    path = tmp_path / "game.studio"
    project = Project.create(path)
    server.hold.set()
    queue = queue_for(project, make())
    job = queue.generate("fal", "a fox that waits", seconds=10)
    queue.start()
    while project.job(job.id).status != "running":
        await asyncio.sleep(0.01)
    await queue.aclose()  # Studio quits while fal works
    project.close()

    server.hold.clear()
    with Project.open(path) as reopened:
        queue = queue_for(reopened, make())  # a new provider: only the remote id is kept
        await asyncio.wait_for(queue.run(), 30)
        await queue.aclose()
        resumed = reopened.job(job.id)
        assert resumed.status == "completed", resumed.error
        assert len(server.submits()) == 1 and server.only().arguments["duration"] == "10"
        assert len(assets.clips(reopened)) == 1


async def test_a_wrong_key_or_a_bad_id(make: Make, server: FalServer) -> None:
    provider = make(api_key="fal-wrong-SECRET-key")
    with pytest.raises(VideoError) as caught:
        await provider.submit(VideoRequest("a fox"))
    assert caught.value.kind == "auth" and "401" in str(caught.value)
    assert "SECRET" not in str(caught.value)
    with pytest.raises(VideoError) as caught:
        await make().poll("not-a-fal-id")
    assert caught.value.kind == "not_found"


def test_a_retired_or_unknown_model_is_named() -> None:
    from fal_client import FalClientHTTPError
    from studio_fal.errors import map_error

    def answer(status: int) -> FalClientHTTPError:
        response = httpx.Response(status, json={"detail": "Application not found"})
        return FalClientHTTPError("Application not found", status, {}, response)

    gone = map_error(answer(410), VideoError, host="fal.ai", action="submit", target="a/b")
    assert gone.kind == "gone" and "no longer offers 'a/b'" in str(gone)
    unknown = map_error(answer(404), VideoError, host="fal.ai", action="submit", target="a/b")
    assert unknown.kind == "bad_request" and "check the id" in str(unknown)


async def test_no_key_anywhere(monkeypatch: pytest.MonkeyPatch, server: FalServer) -> None:
    monkeypatch.delenv("FAL_KEY", raising=False)
    provider = FalVideoProvider(base_url=server.base_url, key_name="no-such-entry")
    with pytest.raises(VideoError) as caught:
        await provider.submit(VideoRequest("a fox"))
    assert caught.value.kind == "auth" and "FAL_KEY" in str(caught.value)
    assert server.requests == []


# -- Test connection ----------------------------------------------------------------------


async def test_check_says_works_key_refused_no_credit_or_cannot_reach(
    make: Make, server: FalServer
) -> None:
    await make().check()
    (billing,) = server.calls("GET", "/v1/account/billing")
    assert billing.headers["authorization"] == f"Key {server.api_key}"
    server.billing_scope = False  # a key for models only is still a working key
    await make().check()
    server.billing_scope = True
    server.balance = 0.0
    outcomes = []
    for provider in (make(), make(api_key="wrong")):
        with pytest.raises(VideoError) as caught:
            await provider.check()
        outcomes.append(caught.value.kind)
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{spare.getsockname()[1]}"
    with pytest.raises(VideoError) as caught:
        await make(base_url=dead).check()
    outcomes.append(caught.value.kind)
    assert outcomes == ["quota", "auth", "unreachable"]
