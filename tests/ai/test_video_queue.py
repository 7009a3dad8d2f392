"""The video job queue against a real local Videos API server and real ffmpeg."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.ai.video_openai import OpenAIVideoProvider
from studio.core import assets
from studio.core.records import VideoJob
from studio.core.store import Project
from studio.media import probe
from studio.operations.video_queue import PollPolicy, VideoQueue, describe
from tests.ai.held_answers import HeldAnswers
from tests.ai.video_server import VideoServer, server_clip

pytestmark = pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")

KEY = "sk-test-queue-SECRET-5d1e"
FAST = PollPolicy(first=0.02, longest=0.05, max_transient=2)
PNG = b"\x89PNG\r\n\x1a\n" + b"\1" * 24


@pytest.fixture
def server() -> Iterator[VideoServer]:
    with VideoServer(server_clip(), api_key=KEY) as server:
        yield server


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    project = Project.create(tmp_path / "game")
    yield project
    project.close()


def make_queue(project: Project, base_url: str, **kwargs) -> VideoQueue:
    def providers(name: str) -> OpenAIVideoProvider:
        assert name == "openai"
        return OpenAIVideoProvider(base_url=base_url, api_key=KEY, max_retries=0, timeout=5)

    kwargs.setdefault("poll", FAST)
    return VideoQueue(project, providers, **kwargs)


async def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.01)


async def test_job_completes_with_clip_proxy_and_thumbnail(
    project: Project, server: VideoServer
) -> None:
    seen: list[str] = []
    queue = make_queue(project, server.base_url, on_change=lambda j: seen.append(j.status))
    job = queue.generate("openai", "A red fox runs", seconds=4, size="1280x720", image=PNG)
    assert project.job(job.id).status == "queued"
    await queue.run()
    await queue.aclose()

    job = project.job(job.id)
    assert job.status == "completed" and job.progress == 1.0 and job.error is None
    assert job.remote_id == "video_0001"
    assert job.result == ["a-red-fox-runs.webm", "a-red-fox-runs.mp4", "a-red-fox-runs.jpg"]
    assert seen[0] == "queued" and seen[-1] == "completed"
    assert {"submitted", "running", "downloading"} <= set(seen)
    assert server.videos["video_0001"].reference == PNG  # the image went up as the reference

    original = project.asset("a-red-fox-runs.mp4")
    assert project.blobs.read(original.blob) == server.clip
    proxy = project.asset("a-red-fox-runs.webm")
    assert proxy.mime == "video/webm" and proxy.kind == "video"
    info = await probe(project.blobs.path(proxy.blob))
    assert info.video_codec == "vp9" and info.audio_codec == "opus"
    assert info.duration == pytest.approx(1.0, abs=0.1)
    thumb = project.asset("a-red-fox-runs.jpg")
    assert project.blobs.read(thumb.blob)[:3] == b"\xff\xd8\xff"

    (clip,) = assets.clips(project)
    assert clip.name == proxy.name and clip.prompt == "A red fox runs"
    assert clip.original == original.name and clip.thumbnail == thumb.name
    assert (clip.width, clip.height) == (256, 144) and clip.source == "generated"
    assert clip.meta["job"] == job.id and clip.meta["remote_id"] == "video_0001"
    assert describe(job) == "done"


async def test_failed_job_keeps_a_clear_message_and_others_finish(
    project: Project, server: VideoServer
) -> None:
    queue = make_queue(project, server.base_url)
    bad = queue.generate("openai", "a castle [fail]")
    good = queue.generate("openai", "a meadow")
    await queue.run()
    await queue.aclose()
    bad, good = project.job(bad.id), project.job(good.id)
    assert bad.status == "failed"
    assert bad.error == (
        "The video failed on the service: The renderer ran out of memory (video_generation_failed)."
    )
    assert describe(bad).startswith("failed: The video failed on the service")
    assert bad.result == [] and bad.remote_id  # the job row is all there
    assert good.status == "completed" and len(good.result) == 3


async def test_rejected_prompt_and_quota_fail_at_submit(
    project: Project, server: VideoServer
) -> None:
    queue = make_queue(project, server.base_url)
    rejected = queue.generate("openai", "something violent")
    await queue.run()
    server.quota_exhausted = True
    broke = queue.generate("openai", "a cat")
    await queue.run()
    await queue.aclose()
    rejected, broke = project.job(rejected.id), project.job(broke.id)
    assert rejected.status == "failed" and rejected.remote_id is None
    assert rejected.error.startswith("The service refused the prompt: Your request was blocked")
    assert broke.status == "failed" and broke.error.startswith("Out of quota at 127.0.0.1")


async def test_cancel_a_running_job(project: Project, server: VideoServer) -> None:
    server.hold.set()  # jobs stay in progress
    queue = make_queue(project, server.base_url)
    doomed = queue.generate("openai", "a long epic")
    other = queue.generate("openai", "a short one")
    await wait_for(lambda: project.job(doomed.id).status == "running")
    cancelled = await queue.cancel(doomed.id)
    assert cancelled.status == "cancelled" and cancelled.error is None
    assert server.deleted == [cancelled.remote_id]  # the service was told
    server.hold.clear()
    await queue.run()
    await queue.aclose()
    assert project.job(doomed.id).status == "cancelled"
    assert project.job(other.id).status == "completed"
    assert [c.prompt for c in assets.clips(project)] == ["a short one"]
    retried = queue.retry(doomed.id)
    assert retried.status == "queued" and retried.remote_id is None


def held_queue(project: Project, server: VideoServer, answered: asyncio.Event) -> VideoQueue:
    def providers(_name: str) -> OpenAIVideoProvider:
        return HeldAnswers(answered, base_url=server.base_url, api_key=KEY, max_retries=0)

    return VideoQueue(project, providers, poll=FAST)


async def test_a_job_cancelled_while_the_service_takes_it_is_dropped_there(
    project: Project, server: VideoServer
) -> None:
    answered = asyncio.Event()
    queue = held_queue(project, server, answered)
    job = queue.generate("openai", "a fox")
    queue.start()
    await wait_for(lambda: server.videos)  # the service has it; Studio has no answer yet
    cancelling = asyncio.ensure_future(queue.cancel(job.id))
    await asyncio.sleep(0.05)
    answered.set()
    cancelled = await cancelling
    await queue.aclose()
    (remote_id,) = server.videos.keys() | set(server.deleted)
    assert (cancelled.status, cancelled.remote_id) == ("cancelled", remote_id)
    assert server.deleted == [remote_id]  # not left to run, and be billed, unseen


async def test_a_queue_closed_while_the_service_takes_a_job_follows_it_after(
    tmp_path: Path, server: VideoServer
) -> None:
    answered = asyncio.Event()
    with Project.create(tmp_path / "game") as project:
        queue = held_queue(project, server, answered)
        job = queue.generate("openai", "a fox")
        queue.start()
        await wait_for(lambda: server.videos)
        queue.close_now()  # Studio closes while the service answers
        answered.set()
        await queue.aclose()
        assert project.job(job.id).status == "submitted"
    with Project.open(tmp_path / "game") as project:
        queue = make_queue(project, server.base_url)
        await queue.run()
        await queue.aclose()
        assert project.job(job.id).status == "completed"
    assert len(server.calls("POST")) == 1  # followed, not submitted (and paid for) again


async def test_cancel_a_queued_job_before_it_starts(project: Project, server: VideoServer) -> None:
    queue = make_queue(project, server.base_url)
    job = queue.generate("openai", "never mind")  # no loop was running a queue yet
    assert (await queue.cancel(job.id)).status == "cancelled"
    await queue.run()
    await queue.aclose()
    assert server.calls("POST") == []


async def test_expired_result(project: Project, server: VideoServer) -> None:
    server.expired = True
    queue = make_queue(project, server.base_url)
    job = queue.generate("openai", "a cat")
    await queue.run()
    await queue.aclose()
    job = project.job(job.id)
    assert job.status == "failed"
    assert "has expired on 127.0.0.1" in job.error and "generate it again" in job.error
    assert assets.clips(project) == []


async def test_unreachable_server(project: Project) -> None:
    queue = make_queue(project, "http://127.0.0.1:9/v1")
    job = queue.generate("openai", "a cat")
    await queue.run()
    await queue.aclose()
    job = project.job(job.id)
    assert job.status == "failed"
    assert job.error.startswith("Cannot reach the video service at 127.0.0.1:9")


async def test_lost_contact_while_polling_waits_then_resumes(
    project: Project, server: VideoServer
) -> None:
    queue = make_queue(project, server.base_url)
    server.fail_polls = 100
    job = queue.generate("openai", "a cat")
    await queue.run()  # gives up asking after max_transient errors, job intact
    job = project.job(job.id)
    assert job.status == "submitted" and job.remote_id
    assert "overloaded" in job.error and "resumes" in job.error
    server.fail_polls = 0
    await queue.run()
    await queue.aclose()
    job = project.job(job.id)
    assert job.status == "completed" and job.error is None
    assert len(server.calls("POST")) == 1


async def test_closed_while_running_resumes_after_reopening(
    tmp_path: Path, server: VideoServer
) -> None:
    path = tmp_path / "game.studio"
    project = Project.create(path)
    server.hold.set()
    queue = make_queue(project, server.base_url)
    waiting = queue.generate("openai", "second", seconds=8)  # queued behind the limit
    running = queue.generate("openai", "first")
    queue.limit = 1
    queue.start()
    await wait_for(lambda: project.job(waiting.id).status == "running")
    await asyncio.sleep(0.1)  # a few polls
    project.close()  # Studio goes away mid-poll: the queue finds the database closed
    await asyncio.sleep(0.1)
    await queue.aclose()

    with Project.open(path) as reopened:
        assert reopened.job(waiting.id).status == "running"
        assert reopened.job(running.id).status == "queued"
        server.hold.clear()
        queue = make_queue(reopened, server.base_url)
        await queue.run()
        await queue.aclose()
        first, second = reopened.job(running.id), reopened.job(waiting.id)
        assert first.status == "completed" and second.status == "completed"
        assert second.remote_id == "video_0001"  # polled again, not submitted twice
        assert len(server.calls("POST")) == 2
        assert server.calls("POST")[0].fields["seconds"] == "8"
        assert len(assets.clips(reopened)) == 2


async def test_concurrency_limit_per_provider(project: Project, server: VideoServer) -> None:
    server.steps = 4
    queue = make_queue(project, server.base_url, limit=2)
    jobs = [queue.generate("openai", f"clip number {i}") for i in range(5)]
    await queue.run()
    await queue.aclose()
    assert [project.job(j.id).status for j in jobs] == ["completed"] * 5
    assert server.max_running == 2  # two at a time, never more
    assert len(assets.clips(project)) == 5


async def test_remix_and_extend_a_generated_clip(project: Project, server: VideoServer) -> None:
    queue = make_queue(project, server.base_url)
    source = queue.generate("openai", "a boat", seconds=4, size="1280x720")
    await queue.run()
    (clip,) = assets.clips(project)
    remix = queue.remix(clip.name, "a boat at night")
    extend = queue.extend(clip.name, "the boat sails on", 4)
    await queue.run()
    await queue.aclose()
    remix, extend = project.job(remix.id), project.job(extend.id)
    assert remix.status == extend.status == "completed"
    source_remote = project.job(source.id).remote_id
    assert server.videos[remix.remote_id].remixed_from_video_id == source_remote
    assert server.videos[extend.remote_id].seconds == "8"
    assert len(assets.clips(project)) == 3


async def test_remix_needs_a_generated_clip(project: Project, tmp_path: Path) -> None:
    from studio.errors import StudioError
    from studio.testing.clips import make_test_clip

    source = make_test_clip(tmp_path / "mine.mp4", 1, (160, 90))
    clip = await assets.import_video(project, source)
    queue = make_queue(project, "http://127.0.0.1:9/v1")
    with pytest.raises(StudioError, match="Continue from its last frame instead"):
        queue.remix(clip.name, "again")


def test_jobs_wait_for_a_loop(project: Project) -> None:
    queue = make_queue(project, "http://127.0.0.1:9/v1")
    job: VideoJob = queue.generate("openai", "later")
    assert queue.running() == [] and project.job(job.id).status == "queued"


# -- providers built anew after Settings or plugins changed -----------------------------


def settings_source(host, path: Path):
    from studio.ai.video_sources import HostVideoProviders
    from studio.config.settings import Settings

    return HostVideoProviders(host, settings=lambda: Settings(path))


async def test_edited_settings_and_key_take_effect_without_reopening(
    project: Project, config_dir: Path, no_keyring
) -> None:
    """Base URL and key edited in Settings: the next job goes to the new service with the
    new key, through the same queue, while the provider is otherwise kept."""
    from studio.config import keys
    from studio.config.settings import Settings
    from studio.plugins.host import PluginHost

    host = PluginHost()
    host.load_all(entry_points=False)
    settings = Settings(config_dir / "settings.json")
    with (
        VideoServer(server_clip(), api_key=KEY) as first,
        VideoServer(server_clip(), api_key="sk-second-key") as second,
    ):

        def point(server: VideoServer) -> None:
            entry = {"base_url": server.base_url, "max_retries": 0, "timeout": 5}
            settings.set("video_providers", {"openai": entry})

        point(first)
        keys.set_api_key("openai", KEY)
        queue = VideoQueue(project, settings_source(host, settings.path), poll=FAST)
        one = queue.generate("openai", "on the first service")
        two = queue.generate("openai", "still the first one")
        await queue.run()
        assert len(first.calls("POST")) == 2
        kept = queue.provider("openai")

        point(second)  # the Settings dialog writes the file; the queue sees it next time
        three = queue.generate("openai", "on the second service")
        await queue.run()
        assert project.job(three.id).status == "failed"  # the old key is refused there
        assert "key" in (project.job(three.id).error or "").lower()
        assert queue.provider("openai") is not kept

        keys.set_api_key("openai", "sk-second-key")
        queue.retry(three.id)
        await queue.run()
        await queue.aclose()
    assert [project.job(j.id).status for j in (one, two, three)] == ["completed"] * 3
    assert len(first.calls("POST")) == 2 and len(second.calls("POST")) == 2


async def test_plugin_switched_off_and_on_gets_a_new_provider(
    project: Project, config_dir: Path, tmp_path: Path
) -> None:
    """Disabling a plugin drops its provider; enabling it again works at once (the kept
    provider of the old registration refuses work: the queue must not keep using it)."""
    from studio.config.settings import Settings
    from studio.plugins.host import PluginHost

    settings = Settings(config_dir / "settings.json")
    entry = {"work_dir": str(tmp_path / "cards")}
    settings.set("video_providers", {"title-cards": entry})
    host = PluginHost()
    host.load_all()
    queue = VideoQueue(project, settings_source(host, settings.path), poll=FAST)
    first = queue.generate("title-cards", "Level 1", seconds=1, size="640x360")
    await queue.run()
    assert project.job(first.id).status == "completed"

    host.disable("title-cards")
    waiting = queue.generate("title-cards", "Level 2", seconds=1, size="640x360")
    await queue.run()
    job = project.job(waiting.id)
    assert job.status == "queued"  # kept, waiting for its provider
    assert "no video provider named 'title-cards'" in (job.error or "")

    host.enable("title-cards")
    await queue.run()  # what the pane does when plugins change: start again
    again = queue.generate("title-cards", "Level 3", seconds=1, size="640x360", model="outro")
    await queue.run()
    await queue.aclose()
    assert [project.job(j.id).status for j in (first, waiting, again)] == ["completed"] * 3
    assert project.job(again.id).params["model"] == "outro"


async def test_killed_after_storing_its_clip_the_job_completes_with_that_clip(
    project: Project, server: VideoServer
) -> None:
    """Found by the kill soak (tests/soak): a process killed between storing a job's clip and
    marking the job completed left it "downloading"; resumed, it fetched and stored the clip
    a second time. Now the clip it stored is recognised by its job."""
    queue = make_queue(project, server.base_url)
    job = queue.generate("openai", "A red fox runs")
    await queue.run()
    await queue.aclose()
    done = project.job(job.id)
    project.update_job(job.id, status="downloading", progress=0.4, result=[])  # the kill
    downloads = len(server.calls("GET", f"/v1/videos/{done.remote_id}/content"))

    queue = make_queue(project, server.base_url)
    await queue.run()
    await queue.aclose()
    resumed = project.job(job.id)
    assert (resumed.status, resumed.result) == ("completed", done.result)
    assert len(assets.clips(project)) == 1
    assert len(server.calls("GET", f"/v1/videos/{done.remote_id}/content")) == downloads


async def test_job_state_is_committed_off_the_loop_thread(
    project: Project, server: VideoServer
) -> None:
    """Every state change is fsynced on the queue's writer thread, never on the loop's (the
    GUI thread in the app); listeners still hear of each, in order, on the loop's."""
    written: list[tuple[str, int]] = []
    real = project.update_job

    def update_job(job_id, **fields):
        written.append((fields.get("status", "-"), threading.get_ident()))
        return real(job_id, **fields)

    project.update_job = update_job
    heard: list[tuple[str, int]] = []
    queue = make_queue(
        project,
        server.base_url,
        on_change=lambda j: heard.append((j.status, threading.get_ident())),
    )
    job = queue.generate("openai", "A red fox runs")
    await queue.run()
    await queue.aclose()
    loop_thread = threading.get_ident()
    assert project.job(job.id).status == "completed"
    assert {"submitted", "running", "downloading", "completed"} <= {s for s, _ in written}
    assert all(thread != loop_thread for _, thread in written)
    assert all(thread == loop_thread for _, thread in heard)
    assert [s for s, _ in heard][-1] == "completed"
