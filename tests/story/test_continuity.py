"""Continuity with each model's best tool, planned with its cost before a batch starts:
extension of the previous clip, its last frame as the first frame, pictures of the cast,
the next clip's first frame as the last frame. Through the real queue, real ffmpeg and a
local provider that records what it was sent (tests/ai/local_models.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from studio.ai.video_provider import VideoCapabilities
from studio.media import probe
from studio.operations.clip_continuity import (
    Continuity,
    Neighbours,
    choose,
    continue_method,
    describe,
    extendable,
)
from studio.operations.story_clips import ClipBatch, make_clips
from studio.operations.video_queue import PollPolicy, VideoQueue
from studio.story.model import set_cast
from tests.ai.local_models import RICH, Service, local_source

from .conftest import sample_story

FAST = PollPolicy(first=0.01, longest=0.02)
MARA = b"\x89PNG\r\n\x1a\n" + b"mara" * 8


def test_the_best_tool_the_model_offers_is_chosen_in_order() -> None:
    everything = Neighbours("shore", True, ("Mara",), "lamp")
    assert choose(RICH, everything) == Continuity("extend", source="shore")
    no_extend = dataclasses.replace(RICH, extend=False)
    assert choose(no_extend, everything) == Continuity("first_frame", "shore", end="lamp")
    pictures_only = VideoCapabilities(reference_images=2)
    assert choose(pictures_only, everything) == Continuity("cast", cast=("Mara",))
    ends_only = VideoCapabilities(last_frame=True)
    assert choose(ends_only, everything) == Continuity("end_frame", end="lamp")
    assert choose(VideoCapabilities(), everything) == Continuity()
    # An old clip the service no longer keeps is not extended: its last frame is used.
    stale = dataclasses.replace(everything, previous_extendable=False)
    assert choose(RICH, stale).method == "first_frame"
    # The first scene has nothing before it: the cast's pictures.
    assert choose(RICH, Neighbours(cast=("Mara", "Tom"))) == Continuity(
        "cast", cast=("Mara", "Tom")
    )
    # "Continue this clip" in the Video pane follows the same order.
    assert continue_method(RICH, extendable_here=True) == "extend"
    assert continue_method(RICH, extendable_here=False) == "first_frame"
    assert continue_method(pictures_only, extendable_here=True) == "reference"
    assert continue_method(ends_only, extendable_here=True) is None


def test_a_choice_is_kept_with_the_job_and_said_in_words() -> None:
    choice = Continuity("first_frame", "shore", cast=(), end="lamp")
    params = {"continuity": choice.as_params()}
    assert Continuity.from_params(params["continuity"]) == choice
    assert describe(params) == "starts on the last frame of shore; ends on the first frame of lamp"
    assert describe({}) == "" and Continuity.from_params({"method": "magic"}) == Continuity()


def story_with_mara(make_story_project):
    """The template's story, Mara with a picture in assets/."""
    data = sample_story()
    data["cast"][0]["picture"] = "mara.png"
    return make_story_project(data, extra={"assets/mara.png": MARA})


async def durations(project, outcome) -> dict[str, float]:
    out = {}
    for item in outcome.scenes:
        info = await probe(project.blobs.path(project.asset(item.clip).blob))
        out[item.scene] = round(info.duration, 1)
    return out


async def test_a_model_that_extends_extends_each_previous_clip(make_story_project) -> None:
    project = story_with_mara(make_story_project)
    service = Service()
    queue = VideoQueue(project, local_source(service), poll=FAST)
    batch = ClipBatch(project, queue, "local", continuity=True, seconds=1, model="local-1")
    plan = await batch.plan()
    # Planned before anything is queued: how each clip joins, and the price.
    assert [c.words() for c in plan.clips[:2]] == [
        "shore: 1 s, with the pictures of Mara, about $0.60",
        "tower: 1 s, extends the clip of shore, about $0.60",
    ]
    assert plan.summary() == "6 clips with local: about $3.60" and not service.jobs
    outcome = await batch.run()
    await queue.aclose()
    assert [s.status for s in outcome.scenes] == ["completed"] * 6
    jobs = {j.params["story_scene"]: j for j in project.jobs()}
    # The start scene names Mara: her picture goes with it, as a reference picture.
    assert jobs["shore"].params["continuity"] == {"method": "cast", "cast": ["Mara"]}
    assert [project.blobs.read(s) for s in jobs["shore"].params["references"]] == [MARA]
    # Every other scene extends its previous scene's clip on the service...
    for scene, parent in (("tower", "shore"), ("boat", "shore"), ("lamp", "tower")):
        job = jobs[scene]
        assert job.params["kind"] == "extend"
        assert job.params["source_remote_id"] == jobs[parent].remote_id
        assert job.params["continuity"] == {"method": "extend", "from": parent}
    # ...and keeps only its own new second (the service hands back the whole clip).
    assert set((await durations(project, outcome)).values()) == {1.0}
    assert {s.scene: s.continuity for s in outcome.scenes}["lamp"] == "extends the clip of tower"
    # The costs: each clip its estimate, as the service reported none.
    assert sum(j.params["cost_usd"] for j in jobs.values()) == pytest.approx(3.6)


async def test_without_extension_a_clip_starts_on_the_last_frame(make_story_project) -> None:
    project = story_with_mara(make_story_project)
    service = Service()
    frames = dataclasses.replace(RICH, extend=False)
    queue = VideoQueue(project, local_source(service, caps=frames), poll=FAST)
    outcome = await make_clips(project, queue, "local", continuity=True, seconds=1)
    await queue.aclose()
    assert {s.scene: s.reference for s in outcome.scenes}["lamp"] == "tower"
    jobs = {j.params["story_scene"]: j for j in project.jobs()}
    first = project.blobs.read(jobs["lamp"].params["image"])
    assert first[:4] == b"\x89PNG" and len(first) > 200  # a real frame of tower's clip
    assert jobs["lamp"].params["continuity"] == {"method": "first_frame", "from": "tower"}
    assert "references" not in jobs["lamp"].params  # one tool per clip


async def test_a_remade_scene_ends_on_the_next_clips_first_frame(make_story_project) -> None:
    project = story_with_mara(make_story_project)
    service = Service()
    keyframes = dataclasses.replace(RICH, extend=False)
    queue = VideoQueue(project, local_source(service, caps=keyframes), poll=FAST)
    await make_clips(project, queue, "local", seconds=1)
    remade = await make_clips(project, queue, "local", continuity=True, scenes=["tower"], seconds=1)
    await queue.aclose()
    (item,) = remade.scenes
    assert item.continuity == "starts on the last frame of shore; ends on the first frame of lamp"
    sent = service.requests[-1]
    assert sent.image[:4] == b"\x89PNG" and sent.last_frame[:4] == b"\x89PNG"
    assert sent.image != sent.last_frame


async def test_a_model_with_reference_pictures_only_gets_the_cast(make_story_project) -> None:
    project = story_with_mara(make_story_project)
    service = Service()
    pictures = VideoCapabilities(durations=(1,), sizes=(), reference_images=1)
    queue = VideoQueue(project, local_source(service, caps=pictures), poll=FAST)
    outcome = await make_clips(project, queue, "local", continuity=True, scenes=["tower"])
    await queue.aclose()
    assert outcome.scenes[0].continuity == "with the pictures of Mara"
    assert service.requests[0].references == (MARA,) and service.requests[0].image is None


async def test_an_old_clip_is_not_extended(make_story_project, tmp_path: Path) -> None:
    project = story_with_mara(make_story_project)
    service = Service(expires_in=60)  # the service keeps results a minute
    queue = VideoQueue(project, local_source(service), poll=FAST)
    await make_clips(project, queue, "local", seconds=1, scenes=["shore"])
    (shore,) = project.jobs()
    assert extendable(shore, "local") is False  # expires within the margin
    assert extendable(shore, "other") is False
    outcome = await make_clips(
        project, queue, "local", continuity=True, seconds=1, scenes=["tower"]
    )
    await queue.aclose()
    assert outcome.scenes[0].continuity == "starts on the last frame of shore"


def test_the_story_panel_writes_the_cast_with_pictures() -> None:
    from studio.story.model import Character, parse_story

    text = set_cast(
        '{"title": "t", "start": "a", "scenes": []}',
        [Character("Mara", "a keeper", "mara.png"), Character("Tom", "a fisher")],
    )
    assert [(c.name, c.picture) for c in parse_story(text).cast] == [
        ("Mara", "mara.png"),
        ("Tom", None),
    ]
    assert '"cast"' not in set_cast(text, [])
