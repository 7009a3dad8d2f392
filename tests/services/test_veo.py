"""The Veo provider (plugin studio-veo) through the real `google-genai` SDK against a local
server answering as Google's Agent Platform does (studio.testing.servers.veo)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import studio_veo
from studio_veo.video import VeoProvider

from studio.ai.video_provider import VideoError, VideoRequest, capabilities_of, make_provider
from studio.config import keys
from studio.core import assets
from studio.core.store import Project
from studio.media import probe
from studio.operations.video_queue import VideoQueue
from studio.testing.pictures import png
from studio.testing.servers.veo import GoogleServer
from studio.testing.servers.video import server_clip
from tests.services.conftest import FAST, GOOGLE_KEY, finish

FIRST, LAST = png(64, 36, (200, 30, 30)), png(64, 36, (30, 200, 30))
MakeProvider = Callable[..., VeoProvider]


@pytest.fixture
def server() -> Iterator[GoogleServer]:
    with GoogleServer(server_clip(), extended_clip=server_clip(2.0), api_key=GOOGLE_KEY) as server:
        yield server


@pytest.fixture
def make(pointed: Callable[..., Any], server: GoogleServer) -> MakeProvider:
    return lambda **options: pointed(VeoProvider, server, **{"timeout": 10, **options})


def veo_queue(project: Project, server: GoogleServer) -> VideoQueue:
    """A job queue whose Veo provider talks to `server`, polling quickly."""
    return VideoQueue(
        project, lambda name: VeoProvider(base_url=server.base_url, api_key=GOOGLE_KEY), poll=FAST
    )


async def until(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.005)


def sent(server: GoogleServer, index: int = 0) -> tuple[dict, dict]:
    """The instance and parameters of the `index`-th Veo request."""
    body = server.calls(":predictLongRunning")[index].body
    return body["instances"][0], body.get("parameters", {})


def picture_of(part: dict) -> bytes:
    return base64.b64decode(part["bytesBase64Encoded"])


# -- making clips -----------------------------------------------------------------------


async def test_text_to_video(make: MakeProvider, server: GoogleServer, tmp_path: Path) -> None:
    provider = make()
    request = VideoRequest(
        "a lighthouse at dusk",
        seconds=6,
        aspect="9:16",
        resolution="720p",
        audio=False,
        negative_prompt="people",
        seed=42,
    )
    remote_id = await provider.submit(request)
    assert (
        remote_id.startswith("projects/")
        and "/models/veo-3.1-generate-001/operations/" in remote_id
    )
    first = await provider.poll(remote_id)
    assert first.status == "in_progress" and first.model == "veo-3.1-generate-001"
    assert (await finish(provider, remote_id)).status == "completed"
    dest = await provider.download(remote_id, "video", tmp_path / "clip.mp4")
    assert dest.read_bytes() == server.clip

    (call,) = server.calls(":predictLongRunning")
    assert call.path == "/v1beta1/publishers/google/models/veo-3.1-generate-001:predictLongRunning"
    assert call.headers["x-goog-api-key"] == GOOGLE_KEY
    instance, parameters = sent(server)
    assert instance == {"prompt": "a lighthouse at dusk"}
    assert parameters == {
        "durationSeconds": 6,
        "aspectRatio": "9:16",
        "resolution": "720p",
        "generateAudio": False,
        "negativePrompt": "people",
        "seed": 42,
    }
    polls = server.calls(":fetchPredictOperation")
    assert {p.body["operationName"] for p in polls} == {remote_id}
    # The finished clip came with the last poll: the download did not fetch it again.
    assert len(polls) == 2


async def test_a_google_cloud_project_names_the_path(
    make: MakeProvider, server: GoogleServer
) -> None:
    provider = make(project="my-game-studio", location="europe-west4")
    remote_id = await provider.submit(VideoRequest("a cat"))
    prefix = "projects/my-game-studio/locations/europe-west4/publishers/google/models/"
    assert remote_id.startswith(prefix + "veo-3.1-generate-001/operations/")
    assert server.calls(":predictLongRunning")[0].path == (
        f"/v1beta1/{prefix}veo-3.1-generate-001:predictLongRunning"
    )
    assert (await finish(provider, remote_id)).status == "completed"
    assert server.calls(":fetchPredictOperation")[0].path.startswith(f"/v1beta1/{prefix}")


async def test_image_to_video_and_last_frame(make: MakeProvider, server: GoogleServer) -> None:
    provider = make(model="veo-3.1-fast-generate-001")
    await provider.submit(VideoRequest("the door opens", image=FIRST, last_frame=LAST))
    instance, parameters = sent(server)
    assert picture_of(instance["image"]) == FIRST and instance["image"]["mimeType"] == "image/png"
    assert picture_of(instance["lastFrame"]) == LAST
    assert parameters["generateAudio"] is True  # sound is on unless asked off
    assert server.calls(":predictLongRunning")[0].path.endswith(
        "veo-3.1-fast-generate-001:predictLongRunning"
    )


async def test_reference_pictures(make: MakeProvider, server: GoogleServer) -> None:
    cast = tuple(png(32, 32, (i * 60, 0, 0)) for i in range(3))
    provider = make()
    await provider.submit(VideoRequest("the three friends wave", seconds=8, references=cast))
    instance, _ = sent(server)
    refs = instance["referenceImages"]
    assert [picture_of(r["image"]) for r in refs] == list(cast)
    assert {r["referenceType"] for r in refs} == {"ASSET"}


@pytest.mark.parametrize(
    ("model", "request_", "kind", "words"),
    [
        ("veo-3.1-generate-001", VideoRequest("x", seconds=5), "bad_request", "4s, 6s, 8s"),
        (
            "veo-3.1-generate-001",
            VideoRequest("x", seconds=4, resolution="1080p"),
            "bad_request",
            "8 seconds",
        ),
        ("veo-3.1-generate-001", VideoRequest("x", aspect="1:1"), "bad_request", "16:9, 9:16"),
        ("veo-3.1-generate-001", VideoRequest("x", size="640x480"), "bad_request", "1280x720"),
        (
            "veo-3.1-generate-001",
            VideoRequest("x", references=(FIRST,) * 4),
            "bad_request",
            "3 reference",
        ),
        (
            "veo-3.1-generate-001",
            VideoRequest("x", seconds=4, references=(FIRST,)),
            "bad_request",
            "8-second",
        ),
        (
            "veo-3.1-generate-001",
            VideoRequest("x", last_frame=LAST),
            "bad_request",
            "first frame too",
        ),
        ("veo-3.1-generate-001", VideoRequest("x", image=b"GIF89a..."), "bad_request", "not a PNG"),
        ("veo-3.1-generate-001", VideoRequest("   "), "bad_request", "empty"),
        (
            "veo-3.1-lite-generate-001",
            VideoRequest("x", image=FIRST, last_frame=LAST),
            "unsupported",
            "end on",
        ),
        (
            "veo-3.1-lite-generate-001",
            VideoRequest("x", resolution="4k"),
            "bad_request",
            "720p, 1080p",
        ),
        (
            "veo-3.1-lite-generate-001",
            VideoRequest("x", references=(FIRST,)),
            "unsupported",
            "no reference",
        ),
        (
            "veo-3.0-generate-001",
            VideoRequest("x"),
            "gone",
            "shut veo-3.0-generate-001 down on 2026-06-30",
        ),
        ("veo-3.1-generate-preview", VideoRequest("x"), "gone", "pick veo-3.1-generate-001"),
    ],
)
async def test_what_the_model_cannot_do_is_refused_before_sending(
    make: MakeProvider,
    server: GoogleServer,
    model: str,
    request_: VideoRequest,
    kind: str,
    words: str,
) -> None:
    with pytest.raises(VideoError) as caught:
        await make(model=model).submit(request_)
    assert caught.value.kind == kind and words in str(caught.value)
    assert server.requests == []  # nothing sent, nothing paid


async def test_capabilities_per_model_need_no_network() -> None:
    provider = VeoProvider(base_url="http://127.0.0.1:9", api_key=GOOGLE_KEY)  # nothing listens
    veo = capabilities_of(provider)
    lite = capabilities_of(provider, "veo-3.1-lite-generate-001")
    assert veo.models == (
        "veo-3.1-generate-001",
        "veo-3.1-fast-generate-001",
        "veo-3.1-lite-generate-001",
    )
    assert veo.durations == (4, 6, 8) and veo.aspect_ratios == ("16:9", "9:16") and veo.sizes == ()
    assert veo.last_frame and veo.reference_images == 3 and veo.extend and veo.audio
    assert (
        not (lite.last_frame or lite.extend or lite.reference_images)
        and "4k" not in lite.resolutions
    )
    assert not veo.remote_cancel and not veo.remix
    price = veo.prices["veo-3.1-generate-001"]
    assert price.cost(8, audio=True) == 3.2 and price.cost(8, audio=False) == 1.6
    assert price.cost(8, audio=True, resolution="4k") == 4.8
    assert veo.prices["veo-3.1-lite-generate-001"].cost(8, resolution="1080p") == pytest.approx(
        0.64
    )


async def test_several_videos_in_one_job(
    make: MakeProvider, server: GoogleServer, tmp_path: Path
) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("two takes", options={"number_of_videos": 2}))
    assert sent(server)[1]["sampleCount"] == 2
    assert (await finish(provider, remote_id)).extra == {"videos": 2}
    second = await provider.download(remote_id, "video-2", tmp_path / "take2.mp4")
    assert second.read_bytes() == server.clip
    with pytest.raises(VideoError) as caught:
        await provider.download(remote_id, "video-3", tmp_path / "take3.mp4")
    assert caught.value.kind == "not_found"
    with pytest.raises(VideoError, match="1 to 4"):
        await provider.submit(VideoRequest("x", options={"number_of_videos": 5}))


async def test_extend_a_720p_clip(make: MakeProvider, server: GoogleServer, tmp_path: Path) -> None:
    provider = make()
    source = await provider.submit(VideoRequest("a fox runs", resolution="720p"))
    await finish(provider, source)
    longer = await provider.extend(source, "the fox jumps over the river", 7)
    instance, _ = sent(server, 1)
    assert picture_of(instance["video"]) == server.clip  # the clip itself goes back to Veo
    assert instance["prompt"] == "the fox jumps over the river"
    await finish(provider, longer)
    out = await provider.download(longer, "video", tmp_path / "longer.mp4")
    assert out.read_bytes() == server.extended_clip

    with pytest.raises(VideoError, match="by 7 s"):
        await provider.extend(source, "more", 8)
    with pytest.raises(VideoError) as caught:
        await provider.remix(source, "again")
    assert caught.value.kind == "unsupported"


async def test_extending_a_1080p_clip_reads_googles_reason(make: MakeProvider) -> None:
    provider = make()
    source = await provider.submit(VideoRequest("a fox runs", seconds=8, resolution="1080p"))
    await finish(provider, source)
    with pytest.raises(VideoError) as caught:
        await provider.extend(source, "more", 7)
    assert caught.value.kind == "bad_request" and "Only 720p videos can be extended" in str(
        caught.value
    )


# -- failures -----------------------------------------------------------------------------


async def test_refused_prompt_at_submit(make: MakeProvider) -> None:
    with pytest.raises(VideoError) as caught:
        await make().submit(VideoRequest("a violent fight"))
    assert caught.value.kind == "rejected"
    assert str(caught.value).startswith(
        "Google refused the prompt: The prompt could not be submitted"
    )
    assert "Support codes: 17301594" in str(caught.value)


async def test_clip_kept_back_by_the_filters(make: MakeProvider) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("something [filtered]"))
    status = await finish(provider, remote_id)
    assert status.status == "failed" and status.error_code == "rai_filtered"
    assert "safety filters kept the clip back" in status.error and "90789179" in status.error


async def test_job_that_fails_on_google(make: MakeProvider) -> None:
    provider = make()
    status = await finish(provider, await provider.submit(VideoRequest("[fail] a crash")))
    assert status.status == "failed"
    assert (
        status.error
        == "The video failed on Google: Video generation failed due to an internal error."
    )


async def test_no_credit(make: MakeProvider, server: GoogleServer) -> None:
    server.billing_disabled = True
    with pytest.raises(VideoError) as caught:
        await make().submit(VideoRequest("a cat"))
    assert caught.value.kind == "quota"
    assert "No credit at Google: This API method requires billing to be enabled" in str(
        caught.value
    )


@pytest.mark.parametrize(("header", "wait"), [(None, 2.0), (7, 7.0)])
async def test_rate_limited_with_the_wait_google_asks_for(
    make: MakeProvider, server: GoogleServer, header: float | None, wait: float
) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("a cat"))
    server.rate_limited, server.retry_after = 1, header
    with pytest.raises(VideoError) as caught:
        await provider.poll(remote_id)
    assert caught.value.kind == "rate_limited" and caught.value.transient
    assert caught.value.retry_after == wait  # RetryInfo.retryDelay, or Retry-After when sent
    assert (await finish(provider, remote_id)).status == "completed"


async def test_server_error_mid_poll_is_transient(make: MakeProvider, server: GoogleServer) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("a cat"))
    server.fail_polls = 1
    with pytest.raises(VideoError) as caught:
        await provider.poll(remote_id)
    assert caught.value.kind == "server" and caught.value.transient
    assert "UNAVAILABLE" in str(caught.value)


async def test_expired_result(make: MakeProvider, server: GoogleServer, tmp_path: Path) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("a cat"))
    await finish(provider, remote_id)
    server.expire()
    fresh = make()  # as after a restart: nothing kept from the last poll
    with pytest.raises(VideoError) as caught:
        await fresh.download(remote_id, "video", tmp_path / "clip.mp4")
    assert caught.value.kind == "expired" and "generate it again" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


async def test_download_cut_off_halfway_leaves_nothing(
    make: MakeProvider, server: GoogleServer, tmp_path: Path
) -> None:
    remote_id = await make().submit(VideoRequest("a cat"))
    server.steps = 1
    server.cut_downloads = True
    provider = make()
    with pytest.raises(VideoError) as caught:
        await provider.download(remote_id, "video", tmp_path / "clip.mp4")
    assert caught.value.kind == "unreachable" and "cut off" in str(caught.value)
    assert list(tmp_path.iterdir()) == []  # no clip, no partial file
    server.cut_downloads = False
    clip = await provider.download(remote_id, "video", tmp_path / "clip.mp4")
    assert clip.read_bytes() == server.clip and list(tmp_path.iterdir()) == [clip]


async def test_unknown_job(make: MakeProvider) -> None:
    name = "projects/1/locations/us-central1/publishers/google/models/veo-3.1-generate-001"
    name += "/operations/nope"
    with pytest.raises(VideoError) as caught:
        await make().poll(name)
    assert caught.value.kind == "not_found"


async def test_cancel_stops_waiting_only(make: MakeProvider, server: GoogleServer) -> None:
    provider = make()
    remote_id = await provider.submit(VideoRequest("a cat"))
    before = len(server.requests)
    await provider.cancel(remote_id)
    assert len(server.requests) == before  # Google has no call that stops a Veo job
    assert not provider.capabilities.remote_cancel


# -- keys and Test connection -------------------------------------------------------------


async def test_check(make: MakeProvider, server: GoogleServer) -> None:
    await make().check()
    assert server.requests[-1].method == "GET"
    assert server.requests[-1].path == "/v1beta1/publishers/google/models/veo-3.1-generate-001"


async def test_check_says_what_is_wrong(make: MakeProvider, server: GoogleServer) -> None:
    with pytest.raises(VideoError) as refused:
        await make(api_key="AIza-wrong-key-1234").check()
    assert refused.value.kind == "auth" and "refused the API key" in str(refused.value)
    assert "AIza-wrong-key-1234" not in str(refused.value)
    with pytest.raises(VideoError) as gone:
        await make(model="veo-3.0-generate-001").check()
    assert gone.value.kind == "gone" and "no longer available" in str(gone.value)
    server.billing_disabled = True
    with pytest.raises(VideoError) as broke:
        await make().check()
    assert broke.value.kind == "quota"
    with pytest.raises(VideoError) as unreachable:
        await make(base_url="http://127.0.0.1:9").check()  # nothing listens on port 9
    assert unreachable.value.kind == "unreachable" and "Cannot reach Google at 127.0.0.1:9" in str(
        unreachable.value
    )


async def test_keys_come_from_the_key_store_never_from_openai(
    server: GoogleServer, monkeypatch: pytest.MonkeyPatch, no_keyring: None
) -> None:
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-for-google")
    provider = VeoProvider(base_url=server.base_url)
    with pytest.raises(VideoError) as caught:
        await provider.check()
    assert caught.value.kind == "auth" and "store an Agent Platform API key for 'veo'" in str(
        caught.value
    )
    assert server.requests == []
    keys.set_api_key("veo", GOOGLE_KEY)
    try:
        stored = VeoProvider(base_url=server.base_url)
        await stored.check()
        assert server.requests[-1].headers["x-goog-api-key"] == GOOGLE_KEY
        await stored.aclose()
    finally:
        keys.delete_api_key("veo")
    await provider.aclose()


async def test_registered_through_the_plugin_host(
    server: GoogleServer, studio_plugin_host, studio_settings
) -> None:
    host = studio_plugin_host(studio_veo)
    assert host.plugins["studio_veo"].state == "enabled", host.plugins["studio_veo"].error
    provider = make_provider(
        host, "veo", {"base_url": server.base_url, "api_key": GOOGLE_KEY, "x": 1}
    )
    try:
        await finish(provider, await provider.submit(VideoRequest("a cat")))
    finally:
        await provider.aclose()


# -- through Studio's job queue ------------------------------------------------------------


async def test_clip_in_the_library(
    server: GoogleServer, studio_plugin_host, studio_video_jobs
) -> None:
    host = studio_plugin_host(studio_veo)
    result = await studio_video_jobs.run(
        "veo",
        "a cat",
        host=host,
        options={"base_url": server.base_url, "api_key": GOOGLE_KEY},
        seconds=4,
    )
    assert result.ok, result.job.error
    proxy = await probe(result.path(result.clip.name))
    assert result.clip.name.endswith(".webm") and proxy.video_codec == "vp9"
    assert result.project.blobs.read(result.project.asset(result.clip.original).blob) == server.clip
    assert sent(server)[1]["durationSeconds"] == 4


async def test_queue_rides_out_rate_limits_and_server_errors(
    server: GoogleServer, studio_project: Project
) -> None:
    queue = veo_queue(studio_project, server)
    job = queue.generate("veo", "a cat")
    queue.start()
    await until(lambda: studio_project.job(job.id).status == "submitted")
    # Polls meet a 429 (RetryInfo: wait 0.05 s) and a 503: both pass; the job carries on.
    server.rate_limited, server.retry_delay, server.fail_polls = 1, "0.05s", 1
    await asyncio.wait_for(queue.run(), 30)
    await queue.aclose()
    done = studio_project.job(job.id)
    assert done.status == "completed" and done.error is None
    assert len(server.calls(":fetchPredictOperation")) >= 4


async def test_job_resumes_after_studio_restarts(server: GoogleServer, tmp_path: Path) -> None:
    path = tmp_path / "game.studio"
    project = Project.create(path)
    server.hold.set()
    queue = veo_queue(project, server)
    job = queue.generate("veo", "a long shot")
    queue.start()
    await until(lambda: project.job(job.id).status == "running")
    await queue.aclose()  # Studio quits mid-job
    remote_id = project.job(job.id).remote_id
    project.close()

    with Project.open(path) as reopened:
        server.hold.clear()
        queue = veo_queue(reopened, server)
        await asyncio.wait_for(queue.run(), 30)
        await queue.aclose()
        resumed = reopened.job(job.id)
        assert resumed.status == "completed" and resumed.remote_id == remote_id
        assert len(server.calls(":predictLongRunning")) == 1  # polled again, not sent twice
        assert len(assets.clips(reopened)) == 1


async def test_cancel_through_the_queue(server: GoogleServer, studio_project: Project) -> None:
    server.hold.set()
    queue = veo_queue(studio_project, server)
    job = queue.generate("veo", "a cat")
    queue.start()
    await until(lambda: studio_project.job(job.id).status == "running")
    cancelled = await queue.cancel(job.id)
    polls = len(server.calls(":fetchPredictOperation"))
    await asyncio.sleep(0.1)
    await queue.aclose()
    assert cancelled.status == "cancelled"
    assert len(server.calls(":fetchPredictOperation")) == polls  # no longer asked about
