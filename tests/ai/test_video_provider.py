"""The OpenAI Videos provider against a real local server, through the real openai client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from studio.ai.video_openai import OpenAIVideoProvider, resolve_api_key
from studio.ai.video_provider import (
    VideoError,
    VideoProvider,
    VideoRequest,
    make_provider,
    provider_options,
)
from studio.plugins.host import PluginHost
from tests.ai.video_server import VideoServer, server_clip

# The package warns that OpenAI's own Sora models are retired; gateways keep the API.
pytestmark = pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")

KEY = "sk-test-video-SECRET-91ab"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32

MakeProvider = Callable[..., OpenAIVideoProvider]


@pytest.fixture
def server() -> Iterator[VideoServer]:
    with VideoServer(server_clip(), api_key=KEY) as server:
        yield server


@pytest.fixture
async def make(server: VideoServer) -> AsyncIterator[MakeProvider]:
    made: list[OpenAIVideoProvider] = []

    def build(**kwargs: Any) -> OpenAIVideoProvider:
        kwargs.setdefault("base_url", server.base_url)
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("max_retries", 0)
        provider = OpenAIVideoProvider(**kwargs)
        made.append(provider)
        return provider

    yield build
    for provider in made:
        await provider.aclose()


async def finish(provider: OpenAIVideoProvider, remote_id: str):
    for _ in range(20):
        status = await provider.poll(remote_id)
        if status.done:
            return status
    raise AssertionError("the job never finished")


async def test_submit_with_image_poll_and_download(
    make: MakeProvider, server: VideoServer, tmp_path: Path
) -> None:
    provider = make(model="gateway-video-1")
    assert isinstance(provider, VideoProvider)
    request = VideoRequest("a red fox", seconds=8, size="1280x720", image=PNG, image_name="ref.png")
    remote_id = await provider.submit(request)

    create = server.calls("POST")[0]
    assert create.headers["authorization"] == f"Bearer {KEY}"
    assert create.headers["content-type"].startswith("multipart/form-data")
    assert create.fields["prompt"] == "a red fox"
    assert create.fields["seconds"] == "8" and create.fields["size"] == "1280x720"
    assert create.fields["model"] == "gateway-video-1"
    reference = create.fields["input_reference"]
    assert reference == {"filename": "ref.png", "content_type": "image/png", "data": PNG}

    first = await provider.poll(remote_id)
    assert first.status == "in_progress" and first.progress == pytest.approx(0.5)
    assert first.poll_after == pytest.approx(0.02)  # from openai-poll-after-ms
    done = await finish(provider, remote_id)
    assert done.status == "completed" and done.progress == 1.0
    assert done.expires_at and done.seconds == 8 and done.size == "1280x720"

    video = await provider.download(remote_id, "video", tmp_path / "out" / "clip.mp4")
    assert video.read_bytes() == server.clip
    thumb = await provider.download(remote_id, "thumbnail", tmp_path / "thumb.jpg")
    assert thumb.read_bytes() == server.thumbnail
    assert not list(tmp_path.rglob("*.part"))


async def test_remix_and_extend(make: MakeProvider, server: VideoServer) -> None:
    provider = make()
    source = await provider.submit(VideoRequest("a boat", seconds=4))
    await finish(provider, source)
    remix = await provider.remix(source, "a boat at night")
    assert server.videos[remix].remixed_from_video_id == source
    assert server.videos[remix].prompt == "a boat at night"
    extended = await provider.extend(source, "the boat sails on", 8)
    call = server.calls("POST", "/v1/videos/extensions")[0]
    assert call.fields == {"prompt": "the boat sails on", "seconds": "8", "video[id]": source}
    assert server.videos[extended].seconds == "12"


async def test_failed_job_reads_clearly(make: MakeProvider) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("a castle [fail]"))
    status = await finish(provider, remote_id)
    assert status.status == "failed"
    assert status.error_code == "video_generation_failed"
    assert status.error == (
        "The video failed on the service: The renderer ran out of memory (video_generation_failed)."
    )


async def test_rejected_prompt(make: MakeProvider) -> None:
    with pytest.raises(VideoError) as info:
        await make().submit(VideoRequest("something violent"))
    assert info.value.kind == "rejected"
    assert str(info.value) == (
        "The service refused the prompt: Your request was blocked by our moderation system."
    )


async def test_quota(make: MakeProvider, server: VideoServer) -> None:
    server.quota_exhausted = True
    with pytest.raises(VideoError) as info:
        await make().submit(VideoRequest("a cat"))
    assert info.value.kind == "quota"
    assert "Out of quota" in str(info.value) and "billing" in str(info.value)


async def test_expired_download(make: MakeProvider, server: VideoServer, tmp_path: Path) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("a cat"))
    await finish(provider, remote_id)
    server.expired = True
    with pytest.raises(VideoError) as info:
        await provider.download(remote_id, "video", tmp_path / "clip.mp4")
    assert info.value.kind == "expired"
    assert "has expired" in str(info.value) and "generate it again" in str(info.value)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


async def test_rate_limited_with_retry_after(make: MakeProvider, server: VideoServer) -> None:
    server.rate_limited = 1
    with pytest.raises(VideoError) as info:
        await make().submit(VideoRequest("a cat"))
    assert info.value.kind == "rate_limited" and info.value.transient
    assert info.value.retry_after == 20  # from retry-after
    assert str(info.value).startswith("Too many requests to 127.0.0.1")
    assert "Rate limit reached" in str(info.value)


async def test_a_passing_429_is_retried_by_the_openai_package(
    make: MakeProvider, server: VideoServer
) -> None:
    server.rate_limited, server.retry_after = 1, 0.05  # the package waits as asked
    remote_id = await make(max_retries=2).submit(VideoRequest("a cat"))
    assert remote_id in server.videos and len(server.calls("POST")) == 2


async def test_a_server_error_mid_poll_is_transient(
    make: MakeProvider, server: VideoServer
) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("a cat"))
    server.fail_polls = 1
    with pytest.raises(VideoError) as info:
        await provider.poll(remote_id)
    assert info.value.kind == "server" and info.value.transient
    assert "(503)" in str(info.value) and "overloaded" in str(info.value)
    assert (await finish(provider, remote_id)).status == "completed"  # and it goes on


async def test_a_download_cut_off_halfway_leaves_nothing(
    make: MakeProvider, server: VideoServer, tmp_path: Path
) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("a cat"))
    await finish(provider, remote_id)
    server.cut_downloads = True
    with pytest.raises(VideoError) as info:
        await provider.download(remote_id, "video", tmp_path / "clip.mp4")
    assert info.value.kind == "unreachable" and info.value.transient
    assert "cut off" in str(info.value)
    assert list(tmp_path.iterdir()) == []  # no clip, no partial file
    server.cut_downloads = False
    clip = await provider.download(remote_id, "video", tmp_path / "clip.mp4")
    assert clip.read_bytes() == server.clip and list(tmp_path.iterdir()) == [clip]


async def test_unknown_job(make: MakeProvider) -> None:
    with pytest.raises(VideoError) as info:
        await make().poll("video_9999")
    assert info.value.kind == "not_found"


async def test_wrong_key_is_not_repeated(make: MakeProvider) -> None:
    wrong = "sk-wrong-key-77f3a2c1"
    with pytest.raises(VideoError) as info:
        await make(api_key=wrong).submit(VideoRequest("a cat"))
    assert info.value.kind == "auth"
    assert "refused the API key (401)" in str(info.value)
    assert wrong not in str(info.value) and wrong not in repr(info.value)


async def test_unreachable_server(make: MakeProvider) -> None:
    provider = make(base_url="http://127.0.0.1:9/v1", timeout=5)
    with pytest.raises(VideoError) as info:
        await provider.submit(VideoRequest("a cat"))
    assert info.value.kind == "unreachable" and info.value.transient
    assert str(info.value).startswith("Cannot reach the video service at 127.0.0.1:9")


async def test_cancel_deletes_on_the_service(make: MakeProvider, server: VideoServer) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("a cat"))
    await provider.cancel(remote_id)
    assert server.deleted == [remote_id]
    await provider.cancel(remote_id)  # already gone: no error, nothing to do


async def test_key_from_environment(
    make: MakeProvider, server: VideoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    assert resolve_api_key("openai") == KEY
    provider = make(api_key=None)
    await provider.submit(VideoRequest("a cat"))
    assert server.calls("POST")[0].headers["authorization"] == f"Bearer {KEY}"


async def test_registered_through_the_plugin_host(server: VideoServer) -> None:
    host = PluginHost()
    host.load_all(entry_points=False)
    assert "openai" in [r.name for r in host.registrations("video_providers")]
    assert host.owner("video_providers", "openai") == "builtin"
    settings = {"video_providers": {"openai": {"model": "m1", "api_key": "never-from-here"}}}
    options = provider_options(settings, "openai", {"base_url": server.base_url, "model": None})
    assert options == {"model": "m1", "base_url": server.base_url}
    provider = make_provider(host, "openai", {**options, "api_key": KEY, "max_retries": 0})
    try:
        assert isinstance(provider, OpenAIVideoProvider) and provider.model == "m1"
        assert provider.capabilities.image_reference and provider.capabilities.extend
        await provider.submit(VideoRequest("a cat"))
    finally:
        await provider.aclose()
    with pytest.raises(VideoError, match="no video provider named 'nope'"):
        make_provider(host, "nope")


async def test_key_from_the_key_store(
    make: MakeProvider,
    server: VideoServer,
    config_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_keyring: None,
) -> None:
    from studio.config import keys

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    keys.set_api_key("video-gateway", KEY)  # no keyring here: Studio's private key file
    provider = make(api_key=None, key_name="video-gateway")
    await provider.submit(VideoRequest("a cat"))
    assert server.calls("POST")[0].headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in repr(provider)
