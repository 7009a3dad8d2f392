"""The Luma plugin through the official `lumaai` SDK against a local Luma server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import studio_luma
from studio_luma.images import LumaImageProvider
from studio_luma.video import LumaVideoProvider

from studio.ai.image_provider import ImageError, ImageRequest, make_image_provider
from studio.ai.video_provider import VideoError, VideoRequest, capabilities_of
from studio.core import assets
from studio.errors import StudioError
from studio.media import probe
from studio.operations.video_queue import VideoQueue
from studio.testing.servers.luma import LumaServer
from studio.testing.servers.video import server_clip
from tests.services.conftest import FAST, finish

KEY = "luma-test-SECRET-0b7d"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(48))

Make = Callable[..., LumaVideoProvider]


@pytest.fixture
def server() -> Iterator[LumaServer]:
    with LumaServer(server_clip(), PNG, api_key=KEY) as server:
        yield server


def options(server: LumaServer, **more: Any) -> dict[str, Any]:
    return {"base_url": server.base_url, "api_key": KEY, "poll_interval": 0.01, **more}


@pytest.fixture
def make(server, closing) -> Make:
    return lambda **more: closing(
        LumaVideoProvider(**options(server, **{"max_retries": 0, **more}))
    )


async def test_text_to_video_end_to_end(
    studio_plugin_host, studio_video_jobs, server: LumaServer
) -> None:
    host = studio_plugin_host(studio_luma)
    assert host.plugins["studio_luma"].state == "enabled", host.plugins["studio_luma"].error
    result = await studio_video_jobs.run(
        "luma",
        "a paper boat on a pond",
        host=host,
        options=options(server),
        seconds=9,
        size="1280x720",
    )
    assert result.ok, result.job.error
    (body,) = server.bodies("/generations/video")
    assert body == {
        "model": "ray-2",
        "prompt": "a paper boat on a pond",
        "aspect_ratio": "16:9",
        "resolution": "720p",
        "duration": "9s",
    }
    create = server.calls("POST", "/dream-machine/v1/generations")[0]
    assert create.headers["authorization"] == f"Bearer {KEY}"
    assert result.clip is not None and result.clip.original
    assert result.path(result.clip.original).read_bytes() == server.clip
    assert (await probe(result.path(result.clip.name))).video_codec in ("vp8", "vp9", "av1")


async def test_states_in_order(make: Make, server: LumaServer) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("a cat", aspect="9:16", resolution="1080p"))
    states = [(await provider.poll(remote_id)) for _ in range(3)]
    assert [s.extra["luma_state"] for s in states] == ["queued", "dreaming", "completed"]
    assert [s.status for s in states] == ["queued", "in_progress", "completed"]
    assert states[0].poll_after == 0.01
    body = server.bodies("/generations/video")[0]
    assert (body["aspect_ratio"], body["resolution"], body["duration"]) == ("9:16", "1080p", "5s")


async def test_first_and_last_frame_from_web_addresses(make: Make, server: LumaServer) -> None:
    provider = make(model="ray-flash-2")
    first, last = "https://cdn.example.com/first.jpg", "https://cdn.example.com/last.jpg"
    request = VideoRequest(
        "the door opens", options={"image_url": first, "last_frame_url": last, "loop": True}
    )
    assert (await finish(provider, await provider.submit(request))).status == "completed"
    (body,) = server.bodies("/generations/video")
    assert body["keyframes"] == {
        "frame0": {"type": "image", "url": first},
        "frame1": {"type": "image", "url": last},
    }
    assert body["loop"] is True and body["model"] == "ray-flash-2"


async def test_picture_files_are_refused_in_words(
    make: Make, server: LumaServer, studio_project
) -> None:
    provider = make()
    assert not provider.capabilities.image_reference and not provider.capabilities.last_frame
    with pytest.raises(VideoError, match="only as web addresses") as caught:
        await provider.submit(VideoRequest("a cat", image=PNG))
    assert caught.value.kind == "unsupported" and server.requests == []
    queue = VideoQueue(studio_project, lambda _name: provider)
    with pytest.raises(StudioError, match="cannot start from a picture"):
        queue.generate("luma", "a cat", image=PNG)


async def test_extend_a_clip_in_the_library(studio_project, server: LumaServer) -> None:
    """Continue a finished Luma clip: the new generation starts from the old one."""
    provider = LumaVideoProvider(**options(server, max_retries=0))
    queue = VideoQueue(studio_project, lambda _name: provider, poll=FAST)
    try:
        first = queue.generate("luma", "a paper boat", seconds=5, size="1280x720")
        await queue.run()
        clip = assets.clip(studio_project, studio_project.job(first.id).result[0])
        second = queue.extend(clip.name, "it sails out to sea", 9)
        await queue.run()
    finally:
        await queue.aclose()
    assert studio_project.job(second.id).status == "completed", studio_project.job(second.id).error
    body = server.bodies("/generations/video")[1]
    source = studio_project.job(first.id).remote_id
    assert body["keyframes"] == {"frame0": {"type": "generation", "id": source}}
    assert (body["duration"], body["aspect_ratio"], body["prompt"]) == (
        "9s",
        "16:9",
        "it sails out to sea",
    )
    assert len(assets.clips(studio_project)) == 2


async def test_remix_through_modify(make: Make, server: LumaServer) -> None:
    provider = make()
    source = await provider.submit(VideoRequest("a cat"))
    with pytest.raises(VideoError, match="no finished clip") as early:
        await provider.remix(source, "as claymation")
    assert early.value.kind == "bad_request"
    await finish(provider, source)
    remix = await provider.remix(source, "as claymation")
    (body,) = server.bodies("/generations/video/modify")
    assert body["media"]["url"] == server.generations[source].assets["video"]
    assert (body["mode"], body["generation_type"]) == ("flex_1", "modify_video")
    assert (await finish(provider, remix)).status == "completed"


async def test_refused_prompt(make: Make) -> None:
    provider = make()
    status = await finish(provider, await provider.submit(VideoRequest("a violent scene")))
    assert status.status == "failed"
    assert (
        status.error
        == "Luma refused the prompt (Advanced moderation failed): change it and try again."
    )


async def test_failed_generation_reads_clearly(make: Make) -> None:
    provider = make()
    status = await finish(provider, await provider.submit(VideoRequest("a cat [fail]")))
    assert status.error == "The clip failed on Luma: Generation failed, please try again."


async def test_no_credit(make: Make, server: LumaServer) -> None:
    server.credit_balance = 0
    provider = make()
    with pytest.raises(VideoError, match="Insufficient credits") as caught:
        await provider.submit(VideoRequest("a cat"))
    assert caught.value.kind == "quota"
    with pytest.raises(VideoError, match="no credit left") as check:
        await provider.check()
    assert check.value.kind == "quota"


async def test_rate_limited_with_retry_after(make: Make, server: LumaServer) -> None:
    server.rate_limited = 1
    with pytest.raises(VideoError, match="Too many requests to Luma") as caught:
        await make().submit(VideoRequest("a cat"))
    assert (caught.value.kind, caught.value.retry_after) == ("rate_limited", 7)
    server.rate_limited, server.retry_after = 1, 0.05
    await make(max_retries=2).submit(VideoRequest("a cat"))
    assert len(server.bodies("/generations/video")) == 3


async def test_expired_result(make: Make, server: LumaServer, tmp_path: Path) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("a cat"))
    await finish(provider, remote_id)
    server.expired = True
    with pytest.raises(VideoError) as caught:
        await provider.download(remote_id, "video", tmp_path / "clip.mp4")
    assert caught.value.kind == "expired" and list(tmp_path.iterdir()) == []
    server.expired = False
    server.generations.clear()  # Luma dropped the generation itself
    with pytest.raises(VideoError, match="no longer on Luma") as gone:
        await provider.download(remote_id, "video", tmp_path / "clip.mp4")
    assert gone.value.kind == "expired"


async def test_download_cut_off_halfway_leaves_nothing(
    make: Make, server: LumaServer, tmp_path: Path
) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("a cat"))
    await finish(provider, remote_id)
    server.cut_downloads = True
    with pytest.raises(VideoError, match="download") as caught:
        await provider.download(remote_id, "video", tmp_path / "clip.mp4")
    assert caught.value.kind == "unreachable" and list(tmp_path.iterdir()) == []
    server.cut_downloads = False
    thumbnail = await provider.download(remote_id, "thumbnail", tmp_path / "still.png")
    assert thumbnail.read_bytes() == PNG


def test_server_error_mid_poll_is_waited_out(studio_video_jobs, server: LumaServer) -> None:
    server.fail_polls = 2
    provider = LumaVideoProvider(**options(server, max_retries=0))
    result = studio_video_jobs.run_sync(provider, "a cat", seconds=5)
    assert result.ok, result.job.error
    assert len(server.calls("GET", "/dream-machine/v1/generations/")) >= 5


async def test_job_resumes_after_a_restart(across_restart, server: LumaServer) -> None:
    def provider() -> LumaVideoProvider:  # a new one each time, as after a restart
        return LumaVideoProvider(**options(server, max_retries=0))

    job, remote_id, clips = await across_restart("luma", provider, server.hold, "a cat", seconds=5)
    assert job.status == "completed", job.error
    assert job.remote_id == remote_id and remote_id in server.generations
    assert len(server.bodies("/generations/video")) == 1 and len(clips) == 1


async def test_cancel_deletes_the_generation(make: Make, server: LumaServer) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("a cat"))
    await provider.cancel(remote_id)
    assert server.deleted == [remote_id]
    with pytest.raises(VideoError, match="does not know") as caught:
        await provider.poll(remote_id)
    assert caught.value.kind == "not_found"
    await provider.cancel(remote_id)  # already gone: no error


async def test_check(make: Make, server: LumaServer) -> None:
    await make().check()
    assert server.calls("GET", "/dream-machine/v1/credits")
    with pytest.raises(VideoError, match="Luma refused the API key") as refused:
        await make(api_key="luma-wrong-XYZZY").check()
    assert refused.value.kind == "auth" and "XYZZY" not in str(refused.value)
    with pytest.raises(VideoError, match="Cannot reach Luma") as unreachable:
        await make(base_url="http://127.0.0.1:9/dream-machine/v1").check()
    assert unreachable.value.kind == "unreachable"


async def test_requests_luma_would_refuse_are_stopped_first(make: Make, server: LumaServer) -> None:
    provider = make()
    with pytest.raises(VideoError, match="5 or 9 seconds"):
        await provider.submit(VideoRequest("a cat", seconds=8))
    with pytest.raises(VideoError, match="not 5:4"):
        await provider.submit(VideoRequest("a cat", size="1280x1024"))
    with pytest.raises(VideoError, match="not 2k"):
        await provider.submit(VideoRequest("a cat", aspect="16:9", resolution="2K"))
    assert server.requests == []


def test_capabilities_and_prices_without_io() -> None:
    provider = LumaVideoProvider(api_key=None, base_url="http://127.0.0.1:9")
    caps = capabilities_of(provider, "ray-flash-2")
    assert caps.durations == (5, 9) and caps.extend and caps.extend_durations == (5, 9)
    assert caps.aspect_ratios[:2] == ("16:9", "9:16") and "4k" in caps.resolutions
    assert caps.sizes == () and caps.variants == ("video", "thumbnail")
    assert caps.prices["ray-2"].cost(5, resolution="720p") == pytest.approx(0.71)
    assert caps.prices["ray-flash-2"].cost(5, resolution="1080p") == pytest.approx(0.54)


async def test_pictures(studio_plugin_host, server: LumaServer) -> None:
    host = studio_plugin_host(studio_luma)
    provider = make_image_provider(host, "luma-images", options(server, max_retries=0))
    try:
        assert isinstance(provider, LumaImageProvider)
        results = await provider.generate(ImageRequest("a red kite", size="1080x1920", count=2))
        assert [r.data for r in results] == [PNG, PNG]
        body = server.bodies("/generations/image")[0]
        assert (body["model"], body["aspect_ratio"], body["prompt"]) == (
            "photon-1",
            "9:16",
            "a red kite",
        )
        with pytest.raises(ImageError, match="web addresses") as files:
            await provider.generate(ImageRequest("a kite", inputs=(PNG,)))
        assert files.value.kind == "unsupported"
        with pytest.raises(ImageError, match="moderation") as refused:
            await provider.generate(ImageRequest("a violent kite"))
        assert refused.value.kind == "rejected"
        await provider.check()
    finally:
        await provider.aclose()
