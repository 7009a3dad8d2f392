"""What the video queue sends and keeps: every request field (aspect, resolution, first and
last frame, reference pictures, sound, negative prompt, seed) checked against the model,
kept with the job and sent again after a restart; the estimate kept at submit and the cost
at the end; an extension that keeps only its new seconds. Through the real queue, a real
project and real ffmpeg, with a local provider that records what it was sent."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.ai.video_provider import VideoPrice
from studio.core.store import Project
from studio.errors import StudioError
from studio.media import probe
from studio.operations.video_costs import spend_line, spent_by_service
from studio.operations.video_queue import PollPolicy, VideoQueue
from tests.ai.local_models import RICH, Service, local_source

FAST = PollPolicy(first=0.01, longest=0.02)
PNG = b"\x89PNG\r\n\x1a\n" + b"\1" * 24
JPEG = b"\xff\xd8\xff\xe0" + b"\2" * 24


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    project = Project.create(tmp_path / "game")
    yield project
    project.close()


def queue_for(project: Project, service: Service, **kwargs) -> VideoQueue:
    return VideoQueue(project, local_source(service), poll=FAST, **kwargs)


async def test_every_field_is_kept_with_the_job_and_sent_again_after_a_restart(
    project: Project, tmp_path: Path
) -> None:
    service = Service()
    first = queue_for(project, service)
    job = first.generate(
        "local",
        "  A lighthouse in a storm  ",
        seconds=2,
        model="local-1",
        aspect="9:16",
        resolution="1080p",
        image=PNG,
        image_name="start.png",
        last_frame=JPEG,
        references=[PNG, JPEG],
        audio=False,
        negative_prompt="no text",
        seed=42,
        extra={"story_scene": "shore"},
    )
    first.close_now()  # Studio closes before the job was sent
    await first.aclose()
    assert project.job(job.id).status == "queued" and service.jobs == {}
    params = project.job(job.id).params
    assert params["prompt"] == "A lighthouse in a storm" and params["story_scene"] == "shore"
    # Pictures are in the blob store; the job keeps their hashes.
    assert project.blobs.read(params["image"]) == PNG
    assert project.blobs.read(params["last_frame"]) == JPEG
    assert [project.blobs.read(sha) for sha in params["references"]] == [PNG, JPEG]

    project.close()
    reopened = Project.open(tmp_path / "game")
    try:
        second = queue_for(reopened, service)
        await second.run()
        await second.aclose()
        assert reopened.job(job.id).status == "completed"
    finally:
        reopened.close()
    (sent,) = service.requests
    assert (sent.prompt, sent.seconds, sent.model) == ("A lighthouse in a storm", 2, "local-1")
    assert (sent.aspect, sent.resolution, sent.size) == ("9:16", "1080p", None)
    assert (sent.image, sent.image_name, sent.last_frame) == (PNG, "start.png", JPEG)
    assert sent.references == (PNG, JPEG)
    assert (sent.audio, sent.negative_prompt, sent.seed) == (False, "no text", 42)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"seconds": 5}, "local makes clips of 1 or 2 s, not 5 s."),
        ({"aspect": "4:3"}, "in the aspect ratio 16:9 or 9:16, not 4:3"),
        ({"resolution": "4k"}, "in the resolution 720p or 1080p, not 4k"),
        ({"size": "1024x768"}, "in the aspect ratio 16:9 or 9:16, not 1024x768"),
        ({"references": [PNG] * 4}, "takes at most 3 reference pictures, not 4"),
    ],
)
async def test_what_the_model_would_refuse_is_refused_before_anything_is_queued(
    project: Project, options: dict, words: str
) -> None:
    queue = queue_for(project, Service())
    with pytest.raises(StudioError, match=words.replace("(", r"\(").replace(")", r"\)")):
        queue.generate("local", "a cat", **options)
    assert project.jobs() == []
    await queue.aclose()


async def test_a_model_without_pictures_sound_or_seed_refuses_them(project: Project) -> None:
    plain = dataclasses.replace(
        RICH,
        image_reference=False,
        last_frame=False,
        reference_images=0,
        audio=False,
        negative_prompt=False,
        seed=False,
    )
    queue = VideoQueue(project, local_source(Service(), per_model={"plain": plain}), poll=FAST)
    refused = {
        "image": (PNG, "local \\(plain\\) cannot start from a picture"),
        "last_frame": (PNG, "cannot end on a given picture"),
        "references": ([PNG], "takes no reference pictures"),
        "audio": (True, "makes no sound: turn audio off"),
        "negative_prompt": ("blur", "takes no negative prompt"),
        "seed": (7, "takes no seed"),
    }
    for option, (value, words) in refused.items():
        with pytest.raises(StudioError, match=words):
            queue.generate("local", "a cat", model="plain", **{option: value})
    # What it does take is fine, and silence is not a refusal.
    queue.generate("local", "a cat", model="plain", audio=False, seconds=1)
    assert len(project.jobs()) == 1
    await queue.aclose()


async def test_the_estimate_is_kept_at_submit_and_the_cost_at_the_end(project: Project) -> None:
    service = Service()
    queue = queue_for(project, service)
    # local-1: $0.60 a second with sound, x1.5 at 1080p.
    loud = queue.generate("local", "waves", model="local-1", seconds=2, resolution="1080p")
    assert loud.params["estimate_usd"] == pytest.approx(1.8)
    # local-1-mini: $0.05 a clip + $0.10 a second (the model makes sound by default, but
    # has no price for it).
    mini = queue.generate("local", "gulls", model="local-1-mini", seconds=1, audio=False)
    assert mini.params["estimate_usd"] == pytest.approx(0.15)
    await queue.run()
    loud, mini = project.job(loud.id), project.job(mini.id)
    assert (loud.params["cost_usd"], loud.params["cost_from"]) == (1.8, "estimate")
    assert loud.params["expires_at"] > 0  # kept, for an extension later
    assert spent_by_service(project.jobs()) == {"local": pytest.approx(1.95)}

    # The service's own figure wins over the estimate.
    service.cost = 0.42
    reported = queue.generate("local", "rain", model="local-1", seconds=1)
    await queue.run()
    reported = project.job(reported.id)
    assert (reported.params["cost_usd"], reported.params["cost_from"]) == (0.42, "service")
    assert spend_line(queue.spent()) == "Spent in this project: local $2.37"
    await queue.aclose()


async def test_the_persons_prices_win_over_the_providers(project: Project) -> None:
    mine = {"local": {"local-1": VideoPrice(per_second=1.0), "": VideoPrice(per_clip=2.0)}}
    queue = queue_for(project, Service(), prices=lambda: mine)
    job = queue.generate("local", "waves", model="local-1", seconds=2, resolution="720p")
    assert job.params["estimate_usd"] == 2.0  # $1 a second, no sound price of its own
    other = queue.generate("local", "waves", model="local-1-mini", seconds=2)
    assert other.params["estimate_usd"] == 2.0  # the person's price for any other model
    await queue.aclose()


async def test_an_extension_for_a_scene_keeps_only_its_new_seconds(project: Project) -> None:
    queue = queue_for(project, Service())
    source = queue.generate("local", "a boat", seconds=2)
    await queue.run()
    whole = queue.extend(source.id, "the boat sails on", 1)
    scene = queue.extend(source.id, "the boat sails on", 1, keep_last=True)
    assert scene.params["keep_last"] == 1 and scene.params["estimate_usd"] == pytest.approx(0.6)
    await queue.run()
    lengths = {}
    for job in (whole, scene):
        clip = project.job(job.id).result[0]
        info = await probe(project.blobs.path(project.asset(clip).blob))
        lengths[job.id] = info.duration
    assert lengths[whole.id] == pytest.approx(3.0, abs=0.15)  # the source and its extension
    assert lengths[scene.id] == pytest.approx(1.0, abs=0.15)  # only what was added
    with pytest.raises(StudioError, match="extends clips by 1 or 2 s, not 8 s"):
        queue.extend(source.id, "more", 8)
    await queue.aclose()
