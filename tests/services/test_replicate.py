"""The Replicate plugin through the official `replicate` SDK against a local server that
answers as Replicate's HTTP API does (`studio.testing.servers.replicate`), with real
ffmpeg for the clips that end in the library."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import studio_replicate
from studio_replicate.connection import Connection
from studio_replicate.images import ReplicateImageProvider
from studio_replicate.video import ReplicateVideoProvider

from studio.ai.image_provider import ImageError, ImageRequest, make_image_provider
from studio.ai.services import ServiceError
from studio.ai.video_provider import VideoError, VideoRequest, make_provider
from studio.core import assets
from studio.core.store import Project
from studio.media import probe
from studio.operations.video_queue import VideoQueue
from studio.testing.pictures import png
from studio.testing.servers.replicate import TEST_TOKEN, ReplicateServer
from studio.testing.servers.video import server_clip
from tests.ai.test_video_queue import wait_for
from tests.services.conftest import FAST, finish

PNG = png(64, 36, (0x30, 0x80, 0xD0))
BIG_PNG = b"\x89PNG\r\n\x1a\n" + bytes(300 * 1024)  # over the data-URL limit: uploaded


@pytest.fixture
def server() -> Iterator[ReplicateServer]:
    with ReplicateServer(server_clip()) as server:
        yield server


def provider(server: ReplicateServer, **options) -> ReplicateVideoProvider:
    options = {"base_url": server.base_url, "api_key": TEST_TOKEN, "timeout": 5} | options
    return ReplicateVideoProvider(**options)


def make_queue(project: Project, server: ReplicateServer, **options) -> VideoQueue:
    def providers(name: str) -> ReplicateVideoProvider:
        assert name == "replicate"
        return provider(server, **options)

    return VideoQueue(project, providers, poll=FAST)


async def run_one(project: Project, server: ReplicateServer, prompt: str, **request):
    queue = make_queue(project, server)
    job = queue.generate("replicate", prompt, **request)
    await asyncio.wait_for(queue.run(), 60)
    await queue.aclose()
    return project.job(job.id)


# -- the plugin ---------------------------------------------------------------------------


def test_plugin_registers_both_providers_without_io(studio_plugin_host, server) -> None:
    host = studio_plugin_host(studio_replicate, name="replicate")
    assert host.plugins["replicate"].state == "enabled", host.plugins["replicate"].error
    video = make_provider(host, "replicate", {"base_url": server.base_url})
    images = make_image_provider(host, "replicate-images", {"base_url": server.base_url})
    assert isinstance(video, ReplicateVideoProvider)
    assert isinstance(images, ReplicateImageProvider)
    assert video.capabilities.remote_cancel and video.capabilities.last_frame
    assert "kwaivgi/kling-v2.6" in video.capabilities.models
    assert server.requests == []  # making them and reading capabilities asked nothing


def test_capabilities_per_model_and_for_unknown_models(server) -> None:
    p = provider(server)
    veo = p.capabilities_for("google/veo-3.1")
    assert veo.reference_images == 3 and veo.audio and veo.durations == (4, 6, 8)
    assert veo.prices["google/veo-3.1"].cost(8, audio=True) == pytest.approx(3.2)
    kling = p.capabilities_for("kwaivgi/kling-v2.5-turbo-pro")
    assert not kling.last_frame and not kling.seed and kling.durations == (5, 10)
    wan = p.capabilities_for("wan-video/wan-2.5-t2v")
    assert "1280x720" in wan.sizes and not wan.image_reference
    other = p.capabilities_for("someone/new-video-model:0123456789abcdef")
    assert other.image_reference and other.seed and other.negative_prompt
    assert not other.last_frame and other.reference_images == 0
    assert "someone/new-video-model" not in other.prices  # no price known: none made up


# -- jobs end to end ----------------------------------------------------------------------


async def test_text_to_video_ends_in_the_library(studio_project: Project, server) -> None:
    job = await run_one(studio_project, server, "A red fox runs through snow", seconds=8)
    assert job.status == "completed", job.error
    (create,) = server.calls("POST", "/v1/models/")
    assert create.path == "/v1/models/google/veo-3.1-fast/predictions"
    assert create.headers["authorization"] == f"Bearer {TEST_TOKEN}"
    assert create.headers["user-agent"].startswith("replicate-python/")
    assert create.body == {"input": {"prompt": "A red fox runs through snow", "duration": 8}}
    assert job.remote_id in server.predictions
    clip = assets.clip(studio_project, job.result[0])
    original = studio_project.asset(clip.original)
    assert studio_project.blobs.read(original.blob) == server.clip
    info = await probe(studio_project.blobs.path(studio_project.asset(clip.name).blob))
    assert info.video_codec == "vp9" and info.duration == pytest.approx(1.0, abs=0.1)


async def test_image_to_video_sends_a_small_picture_as_a_data_url(
    studio_project: Project, server
) -> None:
    job = await run_one(studio_project, server, "the picture comes alive", image=PNG)
    assert job.status == "completed", job.error
    (prediction,) = server.created()
    assert prediction.input["image"].startswith("data:image/png;base64,")
    assert prediction.resolved["image"] == PNG
    assert server.calls("POST", "/v1/files") == []


async def test_a_big_picture_goes_up_through_the_files_api(server) -> None:
    p = provider(server)
    remote_id = await p.submit(VideoRequest("waves", image=BIG_PNG))
    (upload,) = server.calls("POST", "/v1/files")
    assert upload.body["content"]["data"] == BIG_PNG
    assert upload.body["content"]["content_type"] == "image/png"
    prediction = server.predictions[remote_id]
    assert prediction.input["image"] == f"{server.base_url}/v1/files/file000001"
    assert prediction.resolved["image"] == BIG_PNG
    await p.aclose()


async def test_first_last_frame_references_and_the_rest_go_where_veo_takes_them(server) -> None:
    p = provider(server)
    request = VideoRequest(
        "two friends meet",
        model="google/veo-3.1",
        seconds=8,
        aspect="16:9",
        resolution="1080p",
        image=PNG,
        last_frame=PNG,
        references=(PNG, PNG),
        audio=False,
        negative_prompt="rain",
        seed=7,
        options={"enhance_prompt": False},
    )
    remote_id = await p.submit(request)
    sent = server.predictions[remote_id].input
    assert {k: v for k, v in sent.items() if not str(v).startswith("data:")} == {
        "prompt": "two friends meet",
        "duration": 8,
        "aspect_ratio": "16:9",
        "resolution": "1080p",
        "generate_audio": False,
        "negative_prompt": "rain",
        "seed": 7,
        "enhance_prompt": False,
        "reference_images": sent["reference_images"],
    }
    assert len(sent["reference_images"]) == 2
    resolved = server.predictions[remote_id].resolved
    assert resolved["image"] == resolved["last_frame"] == resolved["reference_images[1]"] == PNG
    status = await finish(p, remote_id)
    assert status.extra["cost_usd"] == pytest.approx(8 * 0.20)  # silent Veo 3.1, 8 s
    assert status.extra["predict_time"] == server.predict_time
    await p.aclose()


async def test_each_model_gets_its_own_input_names(server) -> None:
    p = provider(server)
    kling = await p.submit(
        VideoRequest("x", model="kwaivgi/kling-v2.1", image=PNG, last_frame=PNG, seconds=10)
    )
    sent = server.predictions[kling].input
    assert set(sent) == {"prompt", "duration", "start_image", "end_image", "mode"}
    assert sent["mode"] == "pro"  # Kling 2.1 takes an end frame only in pro mode
    hailuo = await p.submit(
        VideoRequest("x", model="minimax/hailuo-02", image=PNG, resolution="768p")
    )
    assert set(server.predictions[hailuo].input) == {"prompt", "first_frame_image", "resolution"}
    minimax = await p.submit(VideoRequest("x", model="minimax/video-01", references=(PNG,)))
    assert isinstance(server.predictions[minimax].input["subject_reference"], str)
    wan = await p.submit(VideoRequest("x", model="wan-video/wan-2.5-t2v", size="1280x720"))
    assert server.predictions[wan].input["size"] == "1280*720"
    seedance = await p.submit(
        VideoRequest("x", model="bytedance/seedance-1-pro", size="1280x720", seconds=3)
    )
    assert server.predictions[seedance].input == {
        "prompt": "x",
        "duration": 3,
        "aspect_ratio": "16:9",
        "resolution": "720p",
    }
    status = await finish(p, seedance)
    assert status.extra["cost_usd"] == pytest.approx(3 * 0.06)
    await p.aclose()


async def test_a_pinned_version_runs_through_the_predictions_endpoint(server) -> None:
    p = provider(server, model="someone/clipper", version="0123456789abcdef")
    remote_id = await p.submit(VideoRequest("a boat", seconds=5))
    (create,) = server.calls("POST", "/v1/predictions")
    assert create.body["version"] == "someone/clipper:0123456789abcdef"
    assert server.predictions[remote_id].version == "0123456789abcdef"
    await p.aclose()


async def test_asks_a_model_cannot_take_fail_before_anything_is_sent(server) -> None:
    p = provider(server)
    cases = [
        (VideoRequest("x", model="kwaivgi/kling-v2.5-turbo-pro", last_frame=PNG), "unsupported"),
        (VideoRequest("x", model="kwaivgi/kling-v2.1"), "bad_request"),  # needs a first frame
        (VideoRequest("x", model="google/veo-3.1-fast", seconds=7), "bad_request"),
        (VideoRequest("x", model="google/veo-3.1-fast", aspect="1:1"), "bad_request"),
        (VideoRequest("x", model="google/veo-3.1", references=(PNG,) * 4), "bad_request"),
        (VideoRequest("x", model="no-slash-here"), "bad_request"),
        (VideoRequest("   "), "bad_request"),
    ]
    for request, kind in cases:
        with pytest.raises(VideoError) as caught:
            await p.submit(request)
        assert caught.value.kind == kind, caught.value
    with pytest.raises(VideoError, match="4, 6, 8 s, not 7 s"):
        await p.submit(VideoRequest("x", model="google/veo-3.1-fast", seconds=7))
    assert server.requests == []


async def test_states_progress_and_expiry_follow_the_prediction(server) -> None:
    import time

    p = provider(server)
    remote_id = await p.submit(VideoRequest("a boat", seconds=4))
    seen = [await p.poll(remote_id) for _ in range(3)]
    assert [s.status for s in seen] == ["in_progress", "in_progress", "completed"]
    assert [s.progress for s in seen] == [0.33, 0.67, 1.0]  # read from the model's logs
    assert seen[-1].expires_at == pytest.approx(time.time() + 3600, abs=60)
    assert seen[-1].seconds == 4 and seen[-1].model == "google/veo-3.1-fast"
    assert seen[-1].extra["cost_usd"] == pytest.approx(4 * 0.15)  # Veo 3.1 Fast with sound
    await p.aclose()


async def test_gpu_billed_models_cost_their_predict_time(server) -> None:
    p = provider(server, model="someone/clipper", hardware_price=0.001)
    remote_id = await p.submit(VideoRequest("a boat"))
    status = await finish(p, remote_id)
    assert status.extra["cost_usd"] == pytest.approx(server.predict_time * 0.001)
    await p.aclose()


# -- cancel, refusals, quota, rate limits, failures -----------------------------------------


async def test_cancel_stops_the_prediction_on_replicate(server) -> None:
    server.hold.set()
    p = provider(server)
    remote_id = await p.submit(VideoRequest("a long take"))
    assert (await p.poll(remote_id)).status == "queued"  # "starting" has not begun
    await p.cancel(remote_id)
    assert server.calls("POST", f"/v1/predictions/{remote_id}/cancel")
    assert server.predictions[remote_id].status == "canceled"
    status = await p.poll(remote_id)
    assert status.status == "failed" and status.error_code == "canceled"
    await p.aclose()


async def test_a_refused_prompt_fails_the_job_with_replicates_words(
    studio_project: Project, server
) -> None:
    job = await run_one(studio_project, server, "something violent")
    assert job.status == "failed"
    assert "refused" in job.error and "flagged as sensitive" in job.error and "E005" in job.error


async def test_a_model_error_fails_the_job(studio_project: Project, server) -> None:
    job = await run_one(studio_project, server, "a boat [fail]")
    assert job.status == "failed"
    assert (
        job.error
        == "The prediction failed on Replicate: CUDA out of memory while decoding the video."
    )


async def test_no_credit_says_so(studio_project: Project, server) -> None:
    server.no_credit = True
    with pytest.raises(VideoError) as caught:
        await provider(server).submit(VideoRequest("a boat"))
    assert caught.value.kind == "quota"
    assert str(caught.value).startswith("Out of credit on Replicate: You have insufficient credit")
    job = await run_one(studio_project, server, "a boat")
    assert job.status == "failed" and "Out of credit" in job.error


async def test_a_throttled_create_carries_retry_after(server) -> None:
    server.throttle_creates, server.retry_after = 1, 7
    p = provider(server)
    with pytest.raises(VideoError) as caught:
        await p.submit(VideoRequest("a boat"))
    assert caught.value.kind == "rate_limited" and caught.value.retry_after == 7
    assert "rate limit resets in ~7s" in str(caught.value)
    server.throttle_creates, server.throttle_detail = 1, "Request was throttled."
    with pytest.raises(VideoError) as caught:
        await p.submit(VideoRequest("a boat"))
    assert caught.value.retry_after == 7  # from the Retry-After header alone
    assert await p.submit(VideoRequest("a boat"))  # the next one goes through
    await p.aclose()


def test_retry_after_read_from_the_detail_when_no_header_came() -> None:
    from replicate.exceptions import ReplicateError

    connection = Connection(name="replicate", error=VideoError)
    detail = "Request was throttled. Your rate limit resets in ~30s."
    error = connection.map_error(ReplicateError(status=429, detail=detail), "submit")
    assert error.kind == "rate_limited" and error.retry_after == 30


async def test_a_throttled_poll_is_waited_out_by_the_sdk(server) -> None:
    p = provider(server)
    remote_id = await p.submit(VideoRequest("a boat"))
    server.throttle_polls, server.retry_after = 1, 1
    status = await p.poll(remote_id)  # the SDK's transport waited Retry-After, then asked again
    assert status.status == "in_progress"
    polls = server.calls("GET", f"/v1/predictions/{remote_id}")
    assert len(polls) == 2
    await p.aclose()


async def test_a_server_error_mid_poll_is_retried_by_the_queue(
    studio_project: Project, server
) -> None:
    server.fail_polls = 2
    job = await run_one(studio_project, server, "a boat")
    assert job.status == "completed", job.error
    assert job.error is None
    assert len(server.calls("GET", f"/v1/predictions/{job.remote_id}")) >= 5


async def test_server_errors_and_unreadable_answers_are_transient(server) -> None:
    p = provider(server)
    remote_id = await p.submit(VideoRequest("a boat"))
    server.fail_polls = 1
    with pytest.raises(VideoError) as caught:
        await p.poll(remote_id)
    assert caught.value.kind == "server" and caught.value.transient
    assert str(caught.value) == "Replicate failed (500): Something went wrong."
    server.malformed_polls = 1
    with pytest.raises(VideoError) as caught:
        await p.poll(remote_id)
    assert caught.value.kind == "server" and "cannot read" in str(caught.value)
    with pytest.raises(VideoError) as caught:
        await p.poll("pred-nobody-made")
    assert caught.value.kind == "not_found"
    await p.aclose()


async def test_an_expired_result_says_so_and_writes_nothing(tmp_path: Path, server) -> None:
    p = provider(server)
    remote_id = await p.submit(VideoRequest("a boat"))
    assert (await finish(p, remote_id)).status == "completed"
    server.expired = True
    dest = tmp_path / "clip.mp4"
    with pytest.raises(VideoError) as caught:
        await p.download(remote_id, "video", dest)
    assert caught.value.kind == "expired" and "generate it again" in str(caught.value)
    assert list(tmp_path.iterdir()) == []
    await p.aclose()


async def test_an_output_without_a_video_says_so(tmp_path: Path, server) -> None:
    p = provider(server, model="someone/captioner")
    remote_id = await p.submit(VideoRequest("a boat"))
    await finish(p, remote_id)
    server.predictions[remote_id].output = {"caption": "a boat on a lake"}
    with pytest.raises(VideoError) as caught:
        await p.download(remote_id, "video", tmp_path / "clip.mp4")
    assert caught.value.kind == "failed"
    assert str(caught.value).startswith("someone/captioner finished without a video")
    assert list(tmp_path.iterdir()) == []
    await p.aclose()


async def test_an_expired_link_fetched_late_says_so(tmp_path: Path, server) -> None:
    p = provider(server)
    remote_id = await p.submit(VideoRequest("a boat"))
    await finish(p, remote_id)
    url = server.predictions[remote_id].output
    server.expired = True
    with pytest.raises(VideoError) as caught:
        await p.connection.fetch(url, tmp_path / "clip.mp4")
    assert caught.value.kind == "expired"
    assert list(tmp_path.iterdir()) == []
    await p.aclose()


async def test_a_download_cut_off_halfway_leaves_nothing(tmp_path: Path, server) -> None:
    p = provider(server)
    remote_id = await p.submit(VideoRequest("a boat"))
    await finish(p, remote_id)
    server.cut_downloads = True
    dest = tmp_path / "clip.mp4"
    with pytest.raises(VideoError) as caught:
        await p.download(remote_id, "video", dest)
    assert caught.value.kind == "unreachable"
    assert list(tmp_path.iterdir()) == []  # no clip, no .part left behind
    server.cut_downloads = False
    await p.download(remote_id, "video", dest)
    assert dest.read_bytes() == server.clip
    await p.aclose()


# -- a restart of Studio ------------------------------------------------------------------


async def test_a_job_resumes_after_studio_restarts(tmp_path: Path, server) -> None:
    path = tmp_path / "game.studio"
    project = Project.create(path)
    server.hold.set()
    queue = make_queue(project, server)
    job = queue.generate("replicate", "a lighthouse at dusk", seconds=6)
    queue.start()
    await wait_for(lambda: project.job(job.id).status == "running")
    remote_id = project.job(job.id).remote_id
    project.close()  # Studio goes away while the prediction runs on Replicate
    await asyncio.sleep(0.05)
    await queue.aclose()

    with Project.open(path) as reopened:
        assert reopened.job(job.id).status == "running"
        server.hold.clear()
        queue = make_queue(reopened, server)  # a new provider: it knows only the remote id
        await asyncio.wait_for(queue.run(), 60)
        await queue.aclose()
        done = reopened.job(job.id)
        assert done.status == "completed", done.error
        assert done.remote_id == remote_id
        assert len(server.calls("POST", "/v1/models/")) == 1  # polled again, not run twice
        assert len(assets.clips(reopened)) == 1


# -- Test connection ----------------------------------------------------------------------


async def test_check_works_refuses_and_cannot_reach(server) -> None:
    p = provider(server)
    await p.check()
    (call,) = server.calls("GET", "/v1/account")
    assert call.headers["authorization"] == f"Bearer {TEST_TOKEN}"
    await p.aclose()

    wrong = provider(server, api_key="r8_wrong")
    with pytest.raises(VideoError) as caught:
        await wrong.check()
    assert caught.value.kind == "auth" and "refused the API token" in str(caught.value)
    assert "r8_wrong" not in str(caught.value)
    await wrong.aclose()

    port = server.port
    server.stop()
    gone = ReplicateVideoProvider(base_url=f"http://127.0.0.1:{port}", api_key=TEST_TOKEN)
    with pytest.raises(VideoError) as caught:
        await gone.check()
    assert caught.value.kind == "unreachable" and f"127.0.0.1:{port}" in str(caught.value)
    await gone.aclose()


async def test_no_token_anywhere_says_where_to_put_one(server, monkeypatch, no_keyring) -> None:
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-go-to-replicate")
    p = ReplicateVideoProvider(base_url=server.base_url, key_name="replicate-test-none")
    with pytest.raises(VideoError) as caught:
        await p.check()
    assert caught.value.kind == "auth" and "REPLICATE_API_TOKEN" in str(caught.value)
    (call,) = server.calls("GET", "/v1/account")
    assert "authorization" not in call.headers  # no other service's key was sent
    await p.aclose()


# -- pictures -----------------------------------------------------------------------------


def images(server: ReplicateServer) -> ReplicateImageProvider:
    options = {"base_url": server.base_url, "api_key": TEST_TOKEN, "poll_interval": 0.01}
    return ReplicateImageProvider(**options)


async def test_pictures_from_flux(server) -> None:
    p = images(server)
    results = await p.generate(ImageRequest("a red kite", size="1344x768", count=2, seed=3))
    assert [r.data for r in results] == [server.picture, server.picture]
    assert results[0].mime == "image/png"
    (create,) = server.calls("POST", "/v1/models/")
    assert create.path == "/v1/models/black-forest-labs/flux-schnell/predictions"
    assert create.body["input"] == {
        "prompt": "a red kite",
        "aspect_ratio": "16:9",
        "num_outputs": 2,
        "seed": 3,
        "output_format": "png",
    }
    await p.aclose()


async def test_pictures_edited_refused_and_asked_wrongly(server) -> None:
    p = images(server)
    (result,) = await p.generate(
        ImageRequest("put a hat on them", model="google/nano-banana", inputs=(PNG, PNG))
    )
    assert result.data == server.picture
    (prediction,) = server.created()
    assert len(prediction.input["image_input"]) == 2
    assert prediction.resolved["image_input[0]"] == PNG
    with pytest.raises(ImageError) as caught:
        await p.generate(ImageRequest("a violent scene"))
    assert caught.value.kind == "rejected" and "E005" in str(caught.value)
    for request in (
        ImageRequest("x", model="google/imagen-4", seed=1),
        ImageRequest("x", transparent=True),
        ImageRequest("x", model="black-forest-labs/flux-1.1-pro", count=2),
    ):
        with pytest.raises(ImageError):
            await p.generate(request)
    server.no_credit = True
    with pytest.raises(ImageError) as caught:
        await p.generate(ImageRequest("a kite"))
    assert caught.value.kind == "quota" and isinstance(caught.value, ServiceError)
    await p.aclose()
