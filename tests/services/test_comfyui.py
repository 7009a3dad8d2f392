"""The ComfyUI plugin against a local ComfyUI server (`studio.testing.servers.comfyui`) on
127.0.0.1: its HTTP routes through httpx2, its progress websocket through `websockets`, and
Studio's real job queue, project and media pipeline."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import studio_comfyui
import websocket
from studio_comfyui.images import ComfyImageProvider
from studio_comfyui.video import ComfyVideoProvider

from studio.ai.image_provider import ImageError, ImageRequest
from studio.ai.video_provider import VideoError, VideoRequest, VideoStatus, make_provider
from studio.core import assets
from studio.core.store import Project
from studio.operations.video_queue import PollPolicy, VideoQueue
from studio.testing.pictures import png
from studio.testing.servers.comfyui import ComfyUIServer

FAST = PollPolicy(first=0.05, longest=0.3, max_suggested=0.5, max_transient=4)
PICTURE = png(32, 32, (37, 91, 160))
LAST = png(32, 32, (74, 182, 160))


@pytest.fixture
def server() -> Iterator[ComfyUIServer]:
    with ComfyUIServer() as running:
        yield running


@pytest.fixture
def project(studio_project: Project) -> Project:
    return studio_project


@pytest.fixture
async def provider(server: ComfyUIServer):
    made = ComfyVideoProvider(base_url=server.base_url, poll_wait=0.2, poll_interval=0.05)
    yield made
    await made.aclose()


def posted(server: ComfyUIServer, index: int = -1) -> dict:
    return server.calls("POST", "/prompt")[index].body


def titled(graph: dict, title: str) -> list[dict]:
    return [node for node in graph.values() if node.get("_meta", {}).get("title") == title]


async def wait_until(check: Callable[[], object], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)


async def follow(provider: ComfyVideoProvider, remote_id: str) -> list[VideoStatus]:
    seen = []
    async with asyncio.timeout(20):
        while not (seen and seen[-1].done):
            seen.append(await provider.poll(remote_id))
            await asyncio.sleep(seen[-1].poll_after or 0.0)
    return seen


async def finished_job(provider: ComfyVideoProvider) -> str:
    remote_id = await provider.submit(VideoRequest("a cat"))
    assert (await follow(provider, remote_id))[-1].status == "completed"
    return remote_id


def make_queue(project: Project, base_url: str, **options: object) -> VideoQueue:
    def providers(name: str) -> ComfyVideoProvider:
        return ComfyVideoProvider(base_url=base_url, poll_wait=0.2, poll_interval=0.05, **options)

    return VideoQueue(project, providers, poll=FAST)


# -- the plugin ------------------------------------------------------------------------------


def test_plugin_registers_both_providers(studio_plugin_host) -> None:
    host = studio_plugin_host(studio_comfyui)
    info = host.plugins["studio_comfyui"]
    assert info.state == "enabled", info.error
    video = make_provider(host, "comfyui", {"base_url": "http://127.0.0.1:9"})
    assert isinstance(video, ComfyVideoProvider)
    assert video.capabilities.models == ("ltxv-2b-0.9.8", "wan2.2-i2v-14b", "wan2.2-ti2v-5b")
    assert isinstance(host.get("image_providers", "comfyui-images")({}), ComfyImageProvider)


def test_capabilities_follow_each_template() -> None:
    provider = ComfyVideoProvider()  # no server: capabilities need none
    wan5b = provider.capabilities_for("wan2.2-ti2v-5b")
    assert wan5b.sizes == ("1280x704", "704x1280") and wan5b.image_reference
    assert not wan5b.last_frame and wan5b.remote_cancel and wan5b.seed
    wan14b = provider.capabilities_for("wan2.2-i2v-14b")
    assert wan14b.last_frame and wan14b.image_reference
    assert provider.capabilities_for("ltxv-2b-0.9.8").durations == (2, 4, 6, 8, 10)
    assert wan14b.prices["wan2.2-i2v-14b"].cost(5) == 0.0  # your own GPU


# -- clips, end to end -----------------------------------------------------------------------


def test_text_to_video_ends_in_the_library(
    server: ComfyUIServer, studio_plugin_host, studio_video_jobs
) -> None:
    host = studio_plugin_host(studio_comfyui)
    options = {"base_url": server.base_url, "poll_wait": 0.2}
    result = studio_video_jobs.run_sync(
        "comfyui", "a fox runs through snow", host=host, options=options, seconds=3, size="704x1280"
    )
    assert result.ok, result.job.error
    assert result.clip.duration == pytest.approx(1.0, abs=0.1)
    assert result.path(result.clip.name).read_bytes()[:4] == b"\x1aE\xdf\xa3"  # the WebM proxy
    assert result.path(result.clip.original).read_bytes() == server.clip
    body = posted(server)
    graph = body["prompt"]
    assert titled(graph, "studio:prompt")[0]["inputs"]["text"] == "a fox runs through snow"
    latent = titled(graph, "studio:size")[0]["inputs"]
    # 3 s at 24 fps is 72 frames; Wan takes 4n+1.
    assert (latent["width"], latent["height"], latent["length"]) == (704, 1280, 73)
    assert "start_image" not in latent and not titled(graph, "studio:image")  # no picture
    assert isinstance(titled(graph, "studio:seed")[0]["inputs"]["seed"], int)
    assert body["client_id"] in result.job.remote_id
    assert server.calls("GET", "/ws")  # it listened on the websocket


async def test_image_to_video_uploads_the_first_frame(
    server: ComfyUIServer, provider: ComfyVideoProvider
) -> None:
    remote_id = await provider.submit(VideoRequest("the fox looks up", image=PICTURE, seconds=2))
    (upload,) = server.calls("POST", "/upload/image")
    name, data = upload.body["image"]["filename"], upload.body["image"]["data"]
    assert data == PICTURE and upload.body["type"] == "input"
    graph = posted(server)["prompt"]
    assert titled(graph, "studio:image")[0]["inputs"]["image"] == name
    assert titled(graph, "studio:size")[0]["inputs"]["start_image"][0] in graph
    assert (await follow(provider, remote_id))[-1].status == "completed"


async def test_first_and_last_frame_with_wan_14b(
    server: ComfyUIServer, provider: ComfyVideoProvider
) -> None:
    request = VideoRequest(
        "a door opens", model="wan2.2-i2v-14b", image=PICTURE, last_frame=LAST, seconds=5
    )
    remote_id = await provider.submit(request)
    graph = posted(server)["prompt"]
    uploads = {
        call.body["image"]["data"]: call.body["image"]["filename"]
        for call in server.calls("POST", "/upload/image")
    }
    assert titled(graph, "studio:image")[0]["inputs"]["image"] == uploads[PICTURE]
    assert titled(graph, "studio:last_frame")[0]["inputs"]["image"] == uploads[LAST]
    assert titled(graph, "studio:size")[0]["inputs"]["length"] == 81  # 5 s at 16 fps, 4n+1
    assert (await follow(provider, remote_id))[-1].status == "completed"
    with pytest.raises(VideoError, match="give it a first frame") as refused:
        await provider.submit(VideoRequest("no picture", model="wan2.2-i2v-14b"))
    assert refused.value.kind == "bad_request"


async def test_ltx_video_from_a_picture_runs_its_picture_variant(
    server: ComfyUIServer, provider: ComfyVideoProvider
) -> None:
    await provider.submit(VideoRequest("waves", model="ltxv-2b-0.9.8", seconds=4))
    text_graph = posted(server)["prompt"]
    assert titled(text_graph, "studio:size")[0]["class_type"] == "EmptyLTXVLatentVideo"
    assert titled(text_graph, "studio:size")[0]["inputs"]["length"] == 97  # 8n+1
    await provider.submit(VideoRequest("waves", model="ltxv-2b-0.9.8", image=PICTURE))
    picture_graph = posted(server)["prompt"]
    assert titled(picture_graph, "studio:size")[0]["class_type"] == "LTXVImgToVideo"


async def test_progress_comes_over_the_websocket(
    server: ComfyUIServer, provider: ComfyVideoProvider
) -> None:
    server.steps = 4
    server.hold.set()
    remote_id = await provider.submit(VideoRequest("slow", seconds=2))
    # 7 of the graph's 20 parts are done (the sampler weighs 10 of them) and 1 of the
    # sampler's 4 steps, where the server holds it.
    held = pytest.approx(9.5 / 20)
    async with asyncio.timeout(10):
        while (await provider.poll(remote_id)).progress != held:
            pass
    history_polls = len([r for r in server.requests if r.path.startswith("/history/")])
    for _ in range(3):  # the socket tells the progress: no /history while it runs
        status = await provider.poll(remote_id)
        assert status.status == "in_progress" and status.progress == held
    assert len([r for r in server.requests if r.path.startswith("/history/")]) == history_polls
    server.hold.clear()
    seen = await follow(provider, remote_id)
    progress = [s.progress for s in seen if s.status == "in_progress"]
    assert progress == sorted(progress)
    assert seen[-1].status == "completed"


async def test_history_and_queue_without_the_websocket(server: ComfyUIServer) -> None:
    server.websocket = False  # a proxy that does not pass WebSockets
    server.hold.set()
    provider = ComfyVideoProvider(base_url=server.base_url, poll_wait=0.1, poll_interval=0.05)
    first = await provider.submit(VideoRequest("first"))
    second = await provider.submit(VideoRequest("second"))
    await wait_until(lambda: server.running is not None)
    assert (await provider.poll(first)).status == "in_progress"
    waiting = await provider.poll(second)
    assert waiting.status == "queued" and waiting.extra["queue_position"] == 0
    server.hold.clear()
    assert (await follow(provider, second))[-1].status == "completed"
    await provider.aclose()


# -- what goes wrong ---------------------------------------------------------------------------


async def test_a_refused_workflow_names_the_node_and_why(
    server: ComfyUIServer, provider: ComfyVideoProvider, tmp_path: Path
) -> None:
    data = json.loads(
        (Path(studio_comfyui.__file__).parent / "templates" / "wan2.2-ti2v-5b.json").read_text()
    )
    del data["prompt"]["3"]["inputs"]["steps"]
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(data["prompt"]))
    mine = ComfyVideoProvider(base_url=server.base_url, workflow=str(path))
    with pytest.raises(VideoError) as refused:
        await mine.submit(VideoRequest("a cat"))
    await mine.aclose()
    assert refused.value.kind == "bad_request"
    assert 'node 3 KSampler "studio:seed": Required input is missing (steps)' in str(refused.value)
    assert len(server.calls("POST", "/prompt")) == 1  # ComfyUI's own answer, a 400


async def test_missing_nodes_and_models_are_named_before_sending(
    server: ComfyUIServer, provider: ComfyVideoProvider
) -> None:
    del server.nodes["Wan22ImageToVideoLatent"]
    server.models["diffusion_models"].remove("wan2.2_ti2v_5B_fp16.safetensors")
    with pytest.raises(VideoError) as missing:
        await provider.submit(VideoRequest("a cat"))
    message = str(missing.value)
    assert missing.value.kind == "unsupported"
    assert "Wan22ImageToVideoLatent" in message
    assert "wan2.2_ti2v_5B_fp16.safetensors (models/diffusion_models)" in message
    assert not server.calls("POST", "/prompt")


async def test_a_node_failing_while_running_is_named(
    server: ComfyUIServer, project: Project
) -> None:
    server.fail_nodes["VAEDecode"] = (
        "Allocation on device. This error means you ran out of memory on your GPU."
    )
    queue = make_queue(project, server.base_url)
    job = queue.generate("comfyui", "a cat")
    await queue.run()
    await queue.aclose()
    job = project.job(job.id)
    assert job.status == "failed"
    assert 'failed in node 8 VAEDecode "VAE Decode": Allocation on device' in job.error
    assert "smaller size" in job.error


async def test_out_of_credits_in_a_partner_node_is_quota(
    server: ComfyUIServer, provider: ComfyVideoProvider
) -> None:
    server.fail_nodes["KSampler"] = (
        "Payment Required: Please add credits to your account to use this node."
    )
    status = (await follow(provider, await provider.submit(VideoRequest("a cat"))))[-1]
    assert status.status == "failed" and status.error_code == "quota"
    assert "add credits" in status.error


async def test_a_busy_server_says_when_to_come_back(
    server: ComfyUIServer, provider: ComfyVideoProvider
) -> None:
    server.rate_limited, server.retry_after = 1, 7
    with pytest.raises(VideoError) as busy:
        await provider.submit(VideoRequest("a cat"))
    assert busy.value.kind == "rate_limited" and busy.value.retry_after == 7


async def test_a_server_error_mid_poll_is_retried(server: ComfyUIServer, project: Project) -> None:
    server.websocket = False
    server.fail_polls = 2
    queue = make_queue(project, server.base_url)
    job = queue.generate("comfyui", "a cat")
    await queue.run()
    await queue.aclose()
    assert project.job(job.id).status == "completed"
    assert server.fail_polls == 0  # both 500s were met and got past


async def test_cancel_interrupts_the_running_job(server: ComfyUIServer, project: Project) -> None:
    server.hold.set()
    queue = make_queue(project, server.base_url)
    job = queue.generate("comfyui", "a long one")
    queue.start()
    await wait_until(lambda: project.job(job.id).status == "running")
    job = await queue.cancel(job.id)
    await queue.aclose()
    assert job.status == "cancelled"
    (call,) = server.calls("POST", "/interrupt")
    assert call.body == {"prompt_id": job.remote_id.split("@")[0]}
    await wait_until(lambda: server.running is None)
    entry = server.history[job.remote_id.split("@")[0]]
    assert entry["status"]["messages"][-1][0] == "execution_interrupted"


async def test_cancel_drops_a_waiting_job_from_the_queue(
    server: ComfyUIServer, provider: ComfyVideoProvider
) -> None:
    server.hold.set()
    running = await provider.submit(VideoRequest("first"))
    waiting = await provider.submit(VideoRequest("second"))
    await wait_until(lambda: server.running is not None)
    await provider.cancel(waiting)
    (call,) = server.calls("POST", "/queue")
    assert call.body == {"delete": [waiting.split("@")[0]]}
    assert not server.pending and server.running[1] == running.split("@")[0]
    assert not server.calls("POST", "/interrupt")  # the running one was left alone


async def test_a_server_restarted_mid_job_fails_the_job_clearly(
    server: ComfyUIServer, project: Project
) -> None:
    server.hold.set()
    queue = make_queue(project, server.base_url)
    job = queue.generate("comfyui", "a cat")
    queue.start()
    await wait_until(lambda: project.job(job.id).status == "running")
    server.restart()
    async with asyncio.timeout(20):
        await queue.wait(job.id)
    await queue.aclose()
    job = project.job(job.id)
    assert job.status == "failed"
    assert "no longer knows the job" in job.error and "restarted" in job.error


async def test_a_restart_is_seen_even_after_the_websocket_reconnects(
    server: ComfyUIServer, provider: ComfyVideoProvider
) -> None:
    server.hold.set()
    remote_id = await provider.submit(VideoRequest("a cat"))
    async with asyncio.timeout(10):
        while (await provider.poll(remote_id)).progress == 0:
            pass
    sockets = len(server.calls("GET", "/ws"))
    server.restart()
    await wait_until(lambda: len(server.calls("GET", "/ws")) > sockets and server.sockets)
    with pytest.raises(VideoError) as gone:
        await provider.poll(remote_id)
    assert gone.value.kind == "not_found" and "restarted" in str(gone.value)


async def test_a_job_resumes_after_studio_restarts(tmp_path: Path, server: ComfyUIServer) -> None:
    path = tmp_path / "game.studio"
    project = Project.create(path)
    server.hold.set()
    queue = make_queue(project, server.base_url)
    job = queue.generate("comfyui", "a cat", seconds=2)
    queue.start()
    await wait_until(lambda: project.job(job.id).status == "running")
    project.close()
    await queue.aclose()

    with Project.open(path) as reopened:
        assert reopened.job(job.id).status == "running"
        remote_id = reopened.job(job.id).remote_id
        server.hold.clear()
        queue = make_queue(reopened, server.base_url)  # a new provider, the same remote id
        await queue.run()
        await queue.aclose()
        assert reopened.job(job.id).status == "completed"
        assert len(server.calls("POST", "/prompt")) == 1  # followed, not submitted again
        # The new provider listened as the client that queued the prompt.
        assert server.calls("GET", "/ws")[-1].query["clientId"] == remote_id.split("@")[1]
        assert len(assets.clips(reopened)) == 1


async def test_an_expired_result_says_so(
    server: ComfyUIServer, provider: ComfyVideoProvider, tmp_path: Path
) -> None:
    remote_id = await finished_job(provider)
    server.expired = True
    with pytest.raises(VideoError) as gone:
        await provider.download(remote_id, "video", tmp_path / "clip.mp4")
    assert gone.value.kind == "expired"
    server.history.clear()  # ComfyUI's history cleared, or the server restarted
    with pytest.raises(VideoError) as forgotten:
        await provider.download(remote_id, "video", tmp_path / "clip.mp4")
    assert forgotten.value.kind == "expired" and "no longer has" in str(forgotten.value)
    assert list(tmp_path.iterdir()) == []


async def test_a_download_cut_off_leaves_nothing(
    server: ComfyUIServer, provider: ComfyVideoProvider, tmp_path: Path
) -> None:
    remote_id = await finished_job(provider)
    server.cut_downloads = True
    with pytest.raises(VideoError) as cut:
        await provider.download(remote_id, "video", tmp_path / "clip.mp4")
    assert cut.value.kind == "unreachable"
    assert list(tmp_path.iterdir()) == []


async def test_check_says_works_or_why_not(
    server: ComfyUIServer, provider: ComfyVideoProvider
) -> None:
    await provider.check()  # works
    server.api_key = "s3cret"
    with pytest.raises(VideoError) as refused:
        await provider.check()
    assert refused.value.kind == "auth"
    behind_login = ComfyVideoProvider(base_url=server.base_url, api_key="s3cret")
    await behind_login.check()
    await behind_login.aclose()
    nowhere = ComfyVideoProvider(base_url="http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(VideoError) as unreachable:
        await nowhere.check()
    assert unreachable.value.kind == "unreachable" and "127.0.0.1:9" in str(unreachable.value)
    await nowhere.aclose()


# -- the server speaks the real protocols ---------------------------------------------------


def test_the_websocket_speaks_rfc_6455(server: ComfyUIServer) -> None:
    socket = websocket.create_connection(f"ws://127.0.0.1:{server.port}/ws?clientId=abc", timeout=5)
    try:
        first = json.loads(socket.recv())
        assert first == {
            "type": "status",
            "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": "abc"},
        }
        socket.send(json.dumps({"type": "feature_flags", "data": {}}))
        assert json.loads(socket.recv())["type"] == "feature_flags"
        socket.ping(b"hi")
    finally:
        socket.close()


# -- pictures ---------------------------------------------------------------------------------


async def test_pictures_from_text_and_from_a_picture(server: ComfyUIServer) -> None:
    images = ComfyImageProvider(base_url=server.base_url, poll_wait=0.2)
    made = await images.generate(ImageRequest("a red fox", size="1152x896", count=2, seed=5))
    assert len(made) == 2 and all(r.data.startswith(b"\x89PNG") for r in made)
    graph = posted(server)["prompt"]
    assert titled(graph, "studio:size")[0]["inputs"] == {
        "width": 1152,
        "height": 896,
        "batch_size": 2,
    }
    assert titled(graph, "studio:seed")[0]["inputs"]["seed"] == 5
    (changed,) = await images.generate(
        ImageRequest("as a painting", model="flux1-dev", inputs=(PICTURE,))
    )
    assert changed.mime == "image/png"
    graph = posted(server)["prompt"]
    assert titled(graph, "studio:image")[0]["inputs"]["image"].startswith("studio-")
    server.fail_nodes["VAEDecode"] = "mat1 and mat2 shapes cannot be multiplied"
    with pytest.raises(ImageError, match="VAEDecode"):
        await images.generate(ImageRequest("a red fox"))
    await images.aclose()
