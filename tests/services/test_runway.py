"""The Runway plugin through the official `runwayml` SDK against a local Runway server."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import studio_runway
from studio_runway.images import RunwayImageProvider
from studio_runway.models import ratio_for
from studio_runway.video import RunwayVideoProvider

from studio.ai.image_provider import ImageError, ImageRequest, make_image_provider
from studio.ai.video_provider import VideoError, VideoRequest, capabilities_of
from studio.media import probe
from studio.testing.servers.runway import RUNWAY_VERSION, RunwayServer
from studio.testing.servers.video import server_clip
from tests.services.conftest import finish

KEY = "key_test-runway-SECRET-7c1f"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(64, 128))

Make = Callable[..., RunwayVideoProvider]


@pytest.fixture
def server() -> Iterator[RunwayServer]:
    with RunwayServer(server_clip(), PNG, api_key=KEY) as server:
        yield server


def options(server: RunwayServer, **more: Any) -> dict[str, Any]:
    return {"base_url": server.base_url, "api_key": KEY, "poll_interval": 0.01, **more}


@pytest.fixture
def make(server, closing) -> Make:
    return lambda **more: closing(
        RunwayVideoProvider(**options(server, **{"max_retries": 0, **more}))
    )


async def test_text_to_video_end_to_end(
    studio_plugin_host, studio_video_jobs, server: RunwayServer
) -> None:
    host = studio_plugin_host(studio_runway)
    assert host.plugins["studio_runway"].state == "enabled", host.plugins["studio_runway"].error
    result = await studio_video_jobs.run(
        "runway", "a lighthouse at dusk", host=host, options=options(server), seconds=5
    )
    assert result.ok, result.job.error
    (body,) = server.bodies("text_to_video")
    assert body == {
        "model": "gen4.5",
        "promptText": "a lighthouse at dusk",
        "ratio": "1280:720",
        "duration": 5,
    }
    create = server.calls("POST", "/v1/text_to_video")[0]
    assert create.headers["authorization"] == f"Bearer {KEY}"
    assert create.headers["x-runway-version"] == RUNWAY_VERSION
    # The clip is in the library: the MP4 as downloaded and the WebM proxy made from it.
    assert result.clip is not None and result.clip.original
    assert result.path(result.clip.original).read_bytes() == server.clip
    assert (await probe(result.path(result.clip.name))).video_codec in ("vp8", "vp9", "av1")
    assert result.clip.meta["remote_id"] == result.job.remote_id


async def test_image_to_video_sends_the_first_frame_as_a_data_uri(
    make: Make, server: RunwayServer
) -> None:
    provider = make()
    remote_id = await provider.submit(
        VideoRequest("the cat turns", image=JPEG, seconds=10, aspect="9:16")
    )
    assert (await finish(provider, remote_id)).status == "completed"
    (body,) = server.bodies("image_to_video")
    head, _, data = body["promptImage"].partition(",")
    assert head == "data:image/jpeg;base64" and base64.b64decode(data) == JPEG
    assert body["ratio"] == "720:1280" and body["duration"] == 10


async def test_first_and_last_frame_with_veo(make: Make, server: RunwayServer) -> None:
    provider = make(model="veo3.1")
    request = VideoRequest(
        "sunrise over the bay",
        image=PNG,
        last_frame=JPEG,
        seconds=8,
        size="1920x1080",
        audio=False,
        negative_prompt="text, watermark",
        seed=42,
    )
    remote_id = await provider.submit(request)
    assert (await finish(provider, remote_id)).status == "completed"
    (body,) = server.bodies("image_to_video")
    assert [frame["position"] for frame in body["promptImage"]] == ["first", "last"]
    assert body["promptImage"][1]["uri"].startswith("data:image/jpeg;base64,")
    assert body["audio"] is False and body["negativePrompt"] == "text, watermark"
    assert body["seed"] == 42 and body["ratio"] == "1920:1080" and body["model"] == "veo3.1"


async def test_what_a_model_cannot_do_is_refused_before_any_request(
    make: Make, server: RunwayServer
) -> None:
    provider = make()
    with pytest.raises(VideoError, match="veo3.1") as last:
        await provider.submit(VideoRequest("x", image=PNG, last_frame=PNG))  # gen4.5
    with pytest.raises(VideoError, match="from a picture only") as turbo:
        await provider.submit(VideoRequest("x", model="gen4_turbo"))
    with pytest.raises(VideoError, match="2, 3, .* or 10 seconds") as length:
        await provider.submit(VideoRequest("x", seconds=12))
    with pytest.raises(VideoError, match="1280x720, 720x1280") as size:
        await provider.submit(VideoRequest("x", size="1920x1080"))  # text to video at gen4.5
    assert (last.value.kind, turbo.value.kind) == ("unsupported", "bad_request")
    assert length.value.kind == size.value.kind == "bad_request"
    assert server.requests == []


async def test_a_big_picture_goes_through_an_upload(make: Make, server: RunwayServer) -> None:
    provider = make(max_inline_bytes=16)
    await provider.submit(VideoRequest("the cat turns", image=PNG, model="gen4_turbo"))
    start, bucket = (
        server.calls("POST", "/v1/uploads")[0],
        server.calls("POST", "/upload-bucket")[0],
    )
    assert start.body["type"] == "ephemeral" and start.body["filename"].endswith(".png")
    assert "authorization" not in bucket.headers  # a presigned form, not the API
    (body,) = server.bodies("image_to_video")
    assert (
        body["promptImage"].startswith("runway://") and server.uploads[body["promptImage"]] == PNG
    )


async def test_task_states_in_order_with_progress(make: Make, server: RunwayServer) -> None:
    server.concurrency = 0  # the tier is busy: the task waits THROTTLED
    provider = make()
    remote_id = await provider.submit(VideoRequest("a cat"))
    seen = [await provider.poll(remote_id) for _ in range(2)]
    assert [s.extra["runway_status"] for s in seen] == ["PENDING", "THROTTLED"]
    assert [s.status for s in seen] == ["queued", "queued"]
    server.concurrency = 2
    running = await provider.poll(remote_id)
    assert (running.status, running.progress, running.poll_after) == ("in_progress", 0.0, 0.01)
    assert (await provider.poll(remote_id)).progress == 0.5
    assert (await provider.poll(remote_id)).status == "completed"


async def test_refused_prompt(make: Make) -> None:
    provider = make()
    status = await finish(provider, await provider.submit(VideoRequest("a violent scene")))
    assert status.status == "failed" and status.error_code == "SAFETY.INPUT.TEXT"
    assert status.error.startswith("Runway refused the prompt (content moderation")


async def test_failed_task_reads_clearly(make: Make) -> None:
    provider = make()
    status = await finish(provider, await provider.submit(VideoRequest("a cat [fail]")))
    assert status.status == "failed" and "INTERNAL.BAD_OUTPUT.CODE01" in status.error


async def test_no_credit(make: Make, server: RunwayServer) -> None:
    server.credit_balance = 0
    provider = make()
    with pytest.raises(VideoError, match="You do not have enough credits") as caught:
        await provider.submit(VideoRequest("a cat"))
    assert caught.value.kind == "quota"
    with pytest.raises(VideoError, match="no credits left") as check:
        await provider.check()
    assert check.value.kind == "quota"


async def test_rate_limited_with_retry_after(make: Make, server: RunwayServer) -> None:
    server.rate_limited = 1
    with pytest.raises(VideoError) as caught:
        await make().submit(VideoRequest("a cat"))
    assert (caught.value.kind, caught.value.retry_after) == ("rate_limited", 7)
    # The SDK's own retries wait as Retry-After says, then the task is made.
    server.rate_limited, server.retry_after = 1, 0.05
    await make(max_retries=2).submit(VideoRequest("a cat"))
    assert len(server.calls("POST", "/v1/text_to_video")) == 3


async def test_expired_result(make: Make, server: RunwayServer, tmp_path: Path) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("a cat"))
    await finish(provider, remote_id)
    server.expired = True
    with pytest.raises(VideoError) as caught:
        await provider.download(remote_id, "video", tmp_path / "clip.mp4")
    assert caught.value.kind == "expired" and list(tmp_path.iterdir()) == []


async def test_download_cut_off_halfway_leaves_nothing(
    make: Make, server: RunwayServer, tmp_path: Path
) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("a cat"))
    await finish(provider, remote_id)
    server.cut_downloads = True
    with pytest.raises(VideoError, match="download") as caught:
        await provider.download(remote_id, "video", tmp_path / "clip.mp4")
    assert caught.value.kind == "unreachable" and list(tmp_path.iterdir()) == []
    server.cut_downloads = False
    path = await provider.download(remote_id, "video", tmp_path / "clip.mp4")
    assert path.read_bytes() == server.clip


def test_server_error_mid_poll_is_waited_out(studio_video_jobs, server: RunwayServer) -> None:
    server.fail_polls = 2
    provider = RunwayVideoProvider(**options(server, max_retries=0))
    result = studio_video_jobs.run_sync(provider, "a cat", seconds=5)
    assert result.ok, result.job.error
    assert len(server.calls("GET", "/v1/tasks/")) >= 5  # two 503s, then the states


async def test_job_resumes_after_a_restart(across_restart, server: RunwayServer) -> None:
    def provider() -> RunwayVideoProvider:  # a new one each time, as after a restart
        return RunwayVideoProvider(**options(server, max_retries=0))

    job, remote_id, clips = await across_restart(
        "runway", provider, server.hold, "a cat", seconds=5
    )
    assert job.status == "completed", job.error
    assert job.remote_id == remote_id and remote_id in server.tasks  # polled, not made again
    assert len(server.bodies("text_to_video")) == 1 and len(clips) == 1


async def test_cancel_stops_the_task(make: Make, server: RunwayServer) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("a cat"))
    await provider.poll(remote_id)
    assert provider.capabilities.remote_cancel
    await provider.cancel(remote_id)
    assert server.deleted == [remote_id]
    with pytest.raises(VideoError) as caught:
        await provider.poll(remote_id)
    assert caught.value.kind == "not_found"
    await provider.cancel(remote_id)  # already gone: no error


async def test_remix_through_aleph(make: Make, server: RunwayServer) -> None:
    provider = make()
    source = await provider.submit(VideoRequest("a cat"))
    await finish(provider, source)
    remix = await provider.remix(source, "the same, as a watercolour")
    (body,) = server.bodies("video_to_video")
    assert body["model"] == "aleph2" and body["videoUri"] == server.tasks[source].output[0]
    assert (await finish(provider, remix)).status == "completed"
    with pytest.raises(VideoError, match="last frame") as caught:
        await provider.extend(source, "more", 5)
    assert caught.value.kind == "unsupported"


async def test_check(make: Make, server: RunwayServer) -> None:
    await make().check()
    assert server.calls("GET", "/v1/organization")
    with pytest.raises(VideoError, match="refused the API key") as refused:
        await make(api_key="key_wrong-XYZZY").check()
    assert refused.value.kind == "auth" and "XYZZY" not in str(refused.value)
    with pytest.raises(VideoError, match="Cannot reach Runway") as unreachable:
        await make(base_url="http://127.0.0.1:9").check()
    assert unreachable.value.kind == "unreachable"


async def test_key_from_the_key_store_and_never_openai_s(
    make: Make, server: RunwayServer, config_dir: Path, monkeypatch, no_keyring
) -> None:
    from studio.config import keys

    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-SECRET")
    monkeypatch.delenv("RUNWAYML_API_SECRET", raising=False)
    with pytest.raises(VideoError, match="No Runway API key") as missing:
        await make(api_key=None).submit(VideoRequest("a cat"))
    assert missing.value.kind == "auth" and server.requests == []
    keys.set_api_key("runway", KEY)
    provider = make(api_key=None)
    await provider.submit(VideoRequest("a cat"))
    assert server.requests[-1].headers["authorization"] == f"Bearer {KEY}"


def test_capabilities_per_model_without_io() -> None:
    provider = RunwayVideoProvider(api_key=None, base_url="http://127.0.0.1:9")
    gen45, veo = capabilities_of(provider), capabilities_of(provider, "veo3.1")
    assert gen45.durations == tuple(range(2, 11)) and not gen45.last_frame and not gen45.audio
    assert veo.durations == (4, 6, 8) and veo.last_frame and veo.audio and veo.negative_prompt
    assert "1920x1080" in veo.sizes and veo.remote_cancel and veo.remix and not veo.extend
    assert veo.prices["veo3.1"].cost(8, audio=True) == pytest.approx(3.2)
    assert gen45.prices["gen4.5"].cost(5) == pytest.approx(0.6)


@pytest.mark.parametrize(
    ("model", "aspect", "resolution", "text_only", "ratio"),
    [
        ("gen4.5", "16:9", None, True, "1280:720"),
        ("gen4.5", "1:1", None, False, "960:960"),
        ("gen4.5", "21:9", None, False, "1584:672"),
        ("veo3.1", "16:9", "1080p", True, "1920:1080"),
        ("veo3.1", "9:16", "720p", False, "720:1280"),
    ],
)
def test_aspect_picks_the_nearest_runway_ratio(model, aspect, resolution, text_only, ratio) -> None:
    request = VideoRequest("x", aspect=aspect, resolution=resolution)
    assert ratio_for(model, request, text_only=text_only) == ratio


async def test_the_server_wants_the_version_header(server: RunwayServer) -> None:
    async with httpx2.AsyncClient() as client:
        response = await client.get(
            f"{server.base_url}/v1/organization", headers={"Authorization": f"Bearer {KEY}"}
        )
    assert response.status_code == 400 and "X-Runway-Version" in response.json()["error"]


async def test_pictures(studio_plugin_host, server: RunwayServer) -> None:
    host = studio_plugin_host(studio_runway)
    provider = make_image_provider(host, "runway-images", options(server, max_retries=0))
    try:
        assert isinstance(provider, RunwayImageProvider) and provider.capabilities.max_inputs == 3
        results = await provider.generate(
            ImageRequest("@ref1 in a forest", size="1920x1080", inputs=(PNG, JPEG), seed=3, count=2)
        )
        assert [r.data for r in results] == [PNG, PNG] and results[0].mime == "image/png"
        body = server.bodies("text_to_image")[0]
        assert body["ratio"] == "1920:1080" and body["seed"] == 3
        assert [r["tag"] for r in body["referenceImages"]] == ["ref1", "ref2"]
        with pytest.raises(ImageError, match="needs one to three") as caught:
            await provider.generate(ImageRequest("a fox", model="gen4_image_turbo"))
        assert caught.value.kind == "bad_request"
        with pytest.raises(ImageError) as refused:
            await provider.generate(ImageRequest("a violent fox"))
        assert refused.value.kind == "rejected"
    finally:
        await provider.aclose()
