"""Make clips offline with the title-cards provider through the real video queue and ffmpeg:
a clip per scene with the shared style and cast, last-frame continuity, progress per scene,
re-making one scene, and `studio clips` / `studio story` on the command line."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from studio.errors import StudioError
from studio.media import probe
from studio.operations.story_clips import (
    ClipBatch,
    make_clips,
    reusable_job,
    scenes_needing_clips,
    story_of,
)
from studio.story.prompts import clip_prompt
from studio.story.validate import check_files

REPO = Path(__file__).resolve().parents[2]


async def test_clips_for_every_scene_with_continuity(story_project, title_cards_queue):
    project = story_project
    _, story = story_of(project)
    seen: list[tuple[str, str]] = []
    outcome = await make_clips(
        project,
        title_cards_queue(project),
        "title-cards",
        continuity=True,
        on_progress=lambda item: seen.append((item.scene, item.status)),
    )
    order = ["shore", "tower", "boat", "lamp", "flare", "selkies"]
    assert [s.scene for s in outcome.scenes] == order
    assert all(s.status == "completed" and s.clip == f"{s.scene}.webm" for s in outcome.scenes)
    # Progress per scene, ending in "completed" for each.
    for scene_id in order:
        statuses = [status for scene, status in seen if scene == scene_id]
        assert statuses[-1] == "completed" and len(statuses) >= 2
    # Continuity: every scene but the first starts from its previous scene's last frame.
    assert {s.scene: s.reference for s in outcome.scenes} == {
        "shore": None,
        "tower": "shore",
        "boat": "shore",
        "lamp": "tower",
        "flare": "tower",
        "selkies": "boat",
    }
    jobs = {job.params["story_scene"]: job for job in project.jobs()}
    assert "image" not in jobs["shore"].params
    assert project.blobs.read(jobs["lamp"].params["image"])[:4] == b"\x89PNG"
    # The shared style and cast are in every prompt.
    for scene_id, job in jobs.items():
        assert job.params["prompt"] == clip_prompt(story, story.scene(scene_id))
        assert f"Visual style: {story.style}" in job.params["prompt"]
        assert "Cast: Mara (a young lighthouse keeper" in job.params["prompt"]
    # A scene that names no one of the cast gets the whole cast described.
    nobody = dataclasses.replace(story.scene("shore"), prompt="Waves break on empty rocks")
    assert "Cast: Mara (" in clip_prompt(story, nobody)
    assert "; Old Tom (" in clip_prompt(story, nobody)

    # The clips landed as they arrived, in versions one on top of the other (several clips
    # that arrive while one is written share a version): the last one plays them all.
    versions = outcome.versions
    assert versions and project.head == outcome.version.id
    assert [v.parent for v in versions] == [1] + [v.id for v in versions[:-1]]
    landed = {s: c for v in versions for s, c in v.meta["story_clips"].items()}
    assert landed == {s: f"{s}.webm" for s in order}
    files = project.files()
    assert check_files(files) == []
    _, after = story_of(project)
    for scene in after.scenes:
        assert files[f"assets/{scene.clip}"][:4] == b"\x1a\x45\xdf\xa3"  # WebM (EBML)
    assert scenes_needing_clips(after, files) == []
    info = await probe(project.blobs.path(project.asset("tower.webm").blob))
    assert (info.width, info.height) == (320, 180) and 1.5 < info.duration < 2.5


async def test_remaking_one_scene_replaces_only_its_clip(story_project, title_cards_queue):
    project = story_project
    queue = title_cards_queue(project)
    await make_clips(project, queue, "title-cards")
    before = story_of(project)[1]
    outcome = await make_clips(project, queue, "title-cards", scenes=["boat"])
    assert [(s.scene, s.clip) for s in outcome.scenes] == [("boat", "boat-2.webm")]
    after = story_of(project)[1]
    assert after.scene("boat").clip == "boat-2.webm"
    assert [s.clip for s in after.scenes if s.id != "boat"] == [
        s.clip for s in before.scenes if s.id != "boat"
    ]
    files = project.file_hashes()
    assert "assets/boat-2.webm" in files and "assets/boat.webm" not in files
    assert project.asset("boat.webm")  # the old clip stays in the library
    # Nothing left to make: no job, no version.
    head = project.head
    nothing = await make_clips(project, queue, "title-cards")
    assert nothing.scenes == [] and nothing.version is None and project.head == head
    assert "every scene has its clip" in nothing.notes


async def test_clips_land_one_by_one_and_a_stopped_batch_keeps_what_arrived(
    story_project, title_cards_queue
):
    project = story_project
    queue = title_cards_queue(project)
    done_when_landed: list[int] = []
    batch = ClipBatch(
        project,
        queue,
        "title-cards",
        on_version=lambda v: done_when_landed.append(sum(i.done for i in batch.progress.values())),
    )
    task = asyncio.ensure_future(batch.run())

    def first_clip() -> bool:
        return any(i.status == "completed" for i in batch.progress.values())

    while not first_clip():  # stop the batch the moment the first clip is made
        await asyncio.sleep(0)
        assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    arrived = {s: i.clip for s, i in batch.progress.items() if i.status == "completed"}
    assert arrived and len(arrived) < 6
    # What arrived is in story.json on the head, each clip in assets/, before anything else.
    _, story = story_of(project)
    assert {s.id: s.clip for s in story.scenes if s.clip} == arrived
    assert all(f"assets/{c}" in project.file_hashes() for c in arrived.values())
    assert done_when_landed and done_when_landed[0] < 6  # landed while the others were made
    # Making clips again pays nothing more: the jobs still running are waited for.
    jobs = {j.params["story_scene"]: j.id for j in project.jobs()}
    assert len(jobs) == 6
    again = await make_clips(project, queue, "title-cards")
    assert {s.scene for s in again.scenes} == set(jobs) - set(arrived)
    assert all(s.reused and s.status == "completed" for s in again.scenes)
    assert {j.params["story_scene"]: j.id for j in project.jobs()} == jobs
    files = project.file_hashes()
    assert scenes_needing_clips(story_of(project)[1], files) == []
    assert check_files(project.files()) == []


async def test_finished_jobs_are_reused_unless_the_request_changed(
    story_project, title_cards_queue
):
    from studio.story.model import update_scene

    project = story_project
    queue = title_cards_queue(project)
    await make_clips(project, queue, "title-cards")
    first_jobs = len(project.jobs())
    # Back to the story without clips, with a new prompt for one scene.
    project.restore(1)
    text = project.read_file(None, "story.json")
    project.commit(
        {**project.files(), "story.json": update_scene(text, "boat", prompt="A lifeboat adrift")},
        parent=project.head,
        kind="manual",
    )
    outcome = await make_clips(project, queue, "title-cards")
    by_scene = {s.scene: s for s in outcome.scenes}
    assert len(by_scene) == 6 and len(project.jobs()) == first_jobs + 1
    assert not by_scene["boat"].reused and by_scene["boat"].clip == "boat-2.webm"
    assert all(
        s.reused and s.clip == f"{s.scene}.webm" for s in by_scene.values() if s.scene != "boat"
    )
    _, story = story_of(project)
    assert {s.id: s.clip for s in story.scenes} == {s: c.clip for s, c in by_scene.items()}
    # Re-making a scene never reuses its finished job: a new clip is what was asked for.
    remade = await make_clips(project, queue, "title-cards", scenes=["tower"])
    assert not remade.scenes[0].reused and remade.scenes[0].clip == "tower-2.webm"
    # Another provider is another request.
    assert reusable_job(project.jobs(), "shore", "openai", {}, {"shore.webm"}) is None


def test_the_default_provider_needs_no_key(tmp_path, monkeypatch):
    from studio.commands.story import default_provider
    from studio.config.settings import Settings

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("STUDIO_CONFIG_DIR", str(tmp_path))
    settings = Settings(tmp_path / "settings.json")
    assert default_provider(settings) == "title-cards"
    assert default_provider(settings, "http://127.0.0.1:9/v1") == "openai"
    settings.set("video_providers", {"openai": {"base_url": "http://127.0.0.1:9/v1"}})
    assert default_provider(settings) == "openai"
    settings.set("video_providers", {"openai": {"api_key_env": "MY_VIDEO_KEY"}})
    assert default_provider(settings) == "title-cards"
    monkeypatch.setenv("MY_VIDEO_KEY", "sk-test")
    assert default_provider(settings) == "openai"
    monkeypatch.delenv("MY_VIDEO_KEY")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert default_provider(settings) == "openai"


async def test_scenes_without_prompt_are_skipped_and_bad_requests_refused(
    make_story_project, title_cards_queue
):
    from .conftest import sample_story, scene

    data = sample_story()
    scene(data, "flare")["prompt"] = ""
    project = make_story_project(data)
    queue = title_cards_queue(project)
    with pytest.raises(StudioError, match="no video prompt"):
        await make_clips(project, queue, "title-cards", scenes=["flare"])
    with pytest.raises(StudioError, match="no scene 'attic'"):
        await make_clips(project, queue, "title-cards", scenes=["attic"])
    with pytest.raises(StudioError, match="nowhere"):
        await make_clips(project, queue, "nowhere")
    outcome = await make_clips(project, queue, "title-cards", scenes=["lamp"])
    assert [s.scene for s in outcome.made] == ["lamp"]
    assert "flare" not in scenes_needing_clips(story_of(project)[1], project.file_hashes())


async def test_continuity_needs_a_provider_that_takes_a_picture(story_project, host, tmp_path):
    from studio_title_cards.provider import TitleCardsProvider

    from studio.operations.video_queue import PollPolicy, VideoQueue

    class NoPictures(TitleCardsProvider):
        def __init__(self, **options):
            super().__init__(**options)
            self.capabilities = dataclasses.replace(self.capabilities, image_reference=False)

    queue = VideoQueue(
        story_project,
        lambda name: NoPictures(work_dir=tmp_path / "np", size="320x180", seconds=1),
        poll=PollPolicy(first=0.05, longest=0.2),
    )
    try:
        outcome = await make_clips(
            story_project, queue, "plain", continuity=True, scenes=["shore", "tower"]
        )
    finally:
        await queue.aclose()
    assert [s.status for s in outcome.scenes] == ["completed", "completed"]
    assert any("cannot start from a picture" in n for n in outcome.notes)
    assert all("image" not in j.params for j in story_project.jobs())


# -- the command line -----------------------------------------------------------------


def studio(*args: str | Path, config: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env.update(
        STUDIO_CONFIG_DIR=str(config),
        PYTHONPATH=str(REPO),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",  # never a developer's keys
    )
    return subprocess.run(
        [sys.executable, "-m", "studio", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )


def test_cli_new_story_check_and_clips(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    settings = {
        "video_providers": {
            "title-cards": {"work_dir": str(tmp_path / "cards"), "size": "320x180", "seconds": 1}
        }
    }
    (config / "settings.json").write_text(json.dumps(settings))
    tale = tmp_path / "tale"

    made = studio("new", tale, "--template", "story", config=config)
    assert made.returncode == 0, made.stderr
    checked = studio("story", tale, config=config)
    assert checked.returncode == 0, checked.stderr
    assert "The Last Light: 6 scenes, 3 endings" in checked.stdout
    assert "[Turn back to the shore] → shore (see above)" in checked.stdout

    # No OpenAI video key or base URL: the offline title cards, without --provider.
    run = studio("clips", tale, "--continuity", config=config)
    assert run.returncode == 0, run.stderr
    assert "making title cards" in run.stderr
    # A line per version as the clips land: shore first (the others start from its frame).
    lines = run.stdout.splitlines()
    assert lines[0] == "version 2: shore=shore.webm"
    landed = dict(pair.split("=") for line in lines for pair in line.split(": ")[1].split(", "))
    assert landed == {
        s: f"{s}.webm" for s in ("shore", "tower", "boat", "lamp", "flare", "selkies")
    }
    assert "scene selkies: done" in run.stderr and "Traceback" not in run.stderr
    head = 1 + len(lines)
    again = studio("clips", tale, "--provider", "title-cards", "--scene", "lamp", config=config)
    assert again.returncode == 0
    assert again.stdout.strip() == f"version {head + 1}: lamp=lamp-2.webm"

    # A broken story: `studio story` says what and where, and --json is what --fix reads.
    from studio.core.store import Project
    from studio.story.model import update_scene

    with Project.open(tale) as project:
        text = project.read_file(None, "story.json").decode()
        broken = text.replace('"next": "selkies"', '"next": "mermaids"')
        project.commit(
            {**project.files(), "story.json": update_scene(broken, "boat")},
            parent=project.head,
            kind="manual",
        )
    bad = studio("story", tale, config=config)
    assert bad.returncode == 1
    assert "problem: scene 'boat': choice 1 ('Follow the singing') leads to 'mermaids'" in (
        bad.stderr
    )
    report = studio("story", tale, "--json", config=config)
    errors = json.loads(report.stdout)["errors"]
    assert {e["kind"] for e in errors} == {"story"}
    assert any("'selkies' cannot be reached" in e["message"] for e in errors)
    from studio.commands.generate import read_errors

    path = tmp_path / "errors.json"
    path.write_text(report.stdout)
    assert read_errors(path) == errors

    unknown = studio("clips", tale, "--provider", "nowhere", config=config)
    assert unknown.returncode == 1 and "Traceback" not in unknown.stderr
    assert unknown.stderr.strip().splitlines()[-1].startswith("studio: error:")
