"""Picture jobs through the real OpenAI Images provider and a local Images API server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.ai.image_openai import OpenAIImageProvider
from studio.core.pictures import PictureStyle, image_prompt, picture_style, set_picture_style
from studio.core.records import VideoJob
from studio.core.store import Project
from studio.operations.image_jobs import (
    ImageJobs,
    PictureRequest,
    RetryPolicy,
    spent_by_service,
)
from studio.operations.video_queue import describe
from studio.testing.servers.images import ImageServer

FAST = RetryPolicy(attempts=4, first=0.01, longest=0.2)


@pytest.fixture
def server() -> Iterator[ImageServer]:
    with ImageServer() as server:
        yield server


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    project = Project.create(tmp_path / "game")
    yield project
    project.close()


def jobs_for(project: Project, server: ImageServer, **options) -> ImageJobs:
    def providers(name: str) -> OpenAIImageProvider:
        return OpenAIImageProvider(
            name=name, base_url=server.base_url, api_key=server.api_key, max_retries=0, **options
        )

    return ImageJobs(project, providers, retry=FAST)


async def run_one(jobs: ImageJobs, request: PictureRequest) -> VideoJob:
    job = jobs.request("openai", request)
    await asyncio.wait_for(jobs.run(), 30)
    return jobs.project.job(job.id)


async def test_a_picture_with_the_projects_style(project, server) -> None:
    set_picture_style(project, PictureStyle("watercolour", (48, 48), "pico-8"))
    jobs = jobs_for(project, server)
    job = await run_one(jobs, PictureRequest("a knight with a red cape", kind="character"))

    assert job.status == "completed" and job.kind == "image" and len(job.result) == 1
    assert project.jobs() == [] and [j.id for j in project.jobs(kind="image")] == [job.id]
    sent = server.pictures_asked()[0].fields
    assert sent["prompt"] == image_prompt(
        "character", "a knight with a red cape", picture_style(project)
    )
    assert "watercolour" in sent["prompt"] and "#ff004d" in sent["prompt"]  # pico-8's red
    assert sent["background"] == "transparent" and sent["size"] == "1024x1024"
    assert project.blobs.read(job.result[0]).startswith(b"\x89PNG")
    assert job.params["estimate_usd"] == job.params["cost_usd"] == 0.034  # gpt-image-1.5, medium
    assert job.params["cost_from"] == "estimate"
    assert describe(job) == "done"
    assert jobs.candidates(job.id) == job.result


async def test_each_kind_asks_for_what_a_game_needs(project, server) -> None:
    jobs = jobs_for(project, server)
    sheet = await run_one(jobs, PictureRequest("a fox running", kind="sprite sheet", frames=6))
    background = await run_one(jobs, PictureRequest("a forest", kind="background"))
    first, second = (c.fields for c in server.pictures_asked())
    assert "6 frames of the same character in a grid of 4 columns and 2 rows" in first["prompt"]
    assert first["size"] == "1536x1024" and first["background"] == "transparent"
    assert sheet.params["frames"] == 6 and sheet.params["picture_kind"] == "sprite_sheet"
    assert "edges alike so it can scroll" in second["prompt"] and "background" not in second
    assert background.params["transparent"] is False


async def test_a_batch_larger_than_a_request_is_several_requests(project, server) -> None:
    jobs = jobs_for(project, server, model="dall-e-3")  # one picture per request
    job = await run_one(jobs, PictureRequest("a gem", kind="item", count=3))
    assert job.status == "completed" and len(job.result) == 3
    assert len(server.pictures_asked("/v1/images/generations")) == 3
    assert job.params["cost_usd"] == 0.12 and spent_by_service(project) == {"openai": 0.12}
    # dall-e-3 makes no transparent background: Studio will cut the item out itself.
    assert job.params["cut_out"] is True and job.params["transparent"] is False
    assert "background" not in server.pictures_asked()[0].fields


async def test_a_job_cut_short_goes_on_after_a_restart(tmp_path, server) -> None:
    server.delay = 0.05
    project = Project.create(tmp_path / "game")
    jobs = jobs_for(project, server, model="dall-e-3")
    got_one = asyncio.Event()
    jobs.subscribe(lambda job: job.result and got_one.set())
    job = jobs.request("openai", PictureRequest("a gem", kind="item", count=3))
    await asyncio.wait_for(got_one.wait(), 30)
    await jobs.aclose()  # Studio quits with the job half done
    project.close()

    with Project.open(tmp_path / "game") as again:
        stored = again.job(job.id)
        assert stored.status == "running" and 1 <= len(stored.result) < 3
        resumed = jobs_for(again, server, model="dall-e-3")
        await asyncio.wait_for(resumed.run(), 30)
        done = again.job(job.id)
        assert done.status == "completed" and len(done.result) == 3
        assert done.result[: len(stored.result)] == stored.result  # what came is kept
        made = len(server.pictures_asked("/v1/images/generations"))
        assert made in (3, 4)  # a request in flight when Studio quit is asked again


async def test_rate_limits_wait_as_the_service_says(project, server) -> None:
    server.rate_limited, server.retry_after = 2, "0.05"
    jobs = jobs_for(project, server)
    seen: list[str] = []
    jobs.subscribe(lambda job: seen.append(describe(job)))
    job = await run_one(jobs, PictureRequest("a coin", kind="item"))
    assert job.status == "completed" and job.error is None
    assert len(server.pictures_asked()) == 3
    assert any("Too many requests" in line and "Trying again in 0 s" in line for line in seen)


async def test_a_refused_prompt_fails_at_once_with_the_reason(project, server) -> None:
    jobs = jobs_for(project, server)
    job = await run_one(jobs, PictureRequest("a violent fight"))
    assert job.status == "failed" and "rejected by the safety system" in job.error
    assert len(server.pictures_asked()) == 1  # a refusal is not retried
    assert "cost_usd" not in job.params  # nothing was made: nothing spent


async def test_a_size_the_model_does_not_make_fails_clearly(project, server) -> None:
    job = await run_one(jobs_for(project, server), PictureRequest("a coin", size="1000x1000"))
    assert job.status == "failed" and "does not make that size" in job.error
    assert describe(job).startswith("failed: The model gpt-image-1.5 does not make that size")


async def test_too_many_rate_limits_fail_the_job(project, server) -> None:
    server.rate_limited, server.retry_after = 10, "0"
    job = await run_one(jobs_for(project, server), PictureRequest("a coin"))
    assert job.status == "failed" and "Too many requests" in job.error
    assert len(server.pictures_asked()) == FAST.attempts
    server.rate_limited = 0
    jobs = jobs_for(project, server)
    jobs.retry(job.id)
    await asyncio.wait_for(jobs.run(), 30)
    assert project.job(job.id).status == "completed"


async def test_an_edit_keeps_its_pictures_in_the_project(project, server) -> None:
    from PIL import Image

    from studio.testing.servers.image_paint import png_bytes

    photo = png_bytes(Image.new("RGBA", (32, 32), (200, 150, 120, 255)))
    other = png_bytes(Image.new("RGBA", (32, 32), (20, 30, 40, 255)))
    mask = png_bytes(Image.new("RGBA", (32, 32), (0, 0, 0, 0)))
    jobs = jobs_for(project, server)
    job = await run_one(
        jobs, PictureRequest("as a hero", inputs=(photo, other), mask=mask, raw_prompt=True)
    )
    assert job.status == "completed"
    assert [project.blobs.read(s) for s in job.params["inputs"]] == [photo, other]
    fields = server.pictures_asked()[0].fields
    assert fields["prompt"] == "as a hero"
    assert [f["data"] for f in fields["image[]"]] == [photo, other]
    assert fields["mask"]["data"] == mask


async def test_cancel_stops_a_job_and_keeps_what_came(project, server) -> None:
    server.delay = 0.3
    jobs = jobs_for(project, server)
    job = jobs.request("openai", PictureRequest("a coin"))
    await asyncio.sleep(0.05)
    cancelled = await jobs.cancel(job.id)
    assert cancelled.status == "cancelled" and cancelled.result == []
    await jobs.aclose()


async def test_unknown_kinds_and_empty_prompts_are_refused(project, server) -> None:
    from studio.errors import StudioError

    jobs = jobs_for(project, server)
    with pytest.raises(StudioError, match="No picture kind 'portrait'"):
        jobs.request("openai", PictureRequest("a coin", kind="portrait"))
    with pytest.raises(StudioError, match="prompt is empty"):
        jobs.request("openai", PictureRequest("  "))
    assert project.jobs(kind=None) == []


async def test_discarded_and_kept_pictures_leave_the_candidates(project, server) -> None:
    jobs = jobs_for(project, server)
    job = await run_one(jobs, PictureRequest("a coin", count=3))
    first, second, third = job.result
    jobs.discard(job.id, first)
    jobs.mark_kept(job.id, second, "coin.png")
    assert jobs.candidates(job.id) == [third]


def _colours(image) -> set[tuple[int, int, int]]:
    """The opaque colours of a picture (a frame of a sheet)."""
    colours = image.convert("RGBA").getcolors(maxcolors=1 << 20) or []
    return {rgba[:3] for _count, rgba in colours if rgba[3] == 255}


async def test_a_kept_sheet_is_sliced_into_its_frames(project, server) -> None:
    from studio.media.pictures.images import open_picture
    from studio.media.pictures.sheets import split_frames
    from studio.testing.servers.image_paint import frame_colour

    set_picture_style(project, PictureStyle("flat vector", (32, 32), ""))
    jobs = jobs_for(project, server)
    job = await run_one(jobs, PictureRequest("a fox running", kind="sprite_sheet", frames=6))
    sheet = jobs.keep(job.id, job.result[0])
    assert sheet.name == "a-fox-running.png" and sheet.kind == "sprite_sheet"
    assert (sheet.layout.frames, sheet.layout.columns, sheet.layout.rows) == (6, 4, 2)
    assert sheet.prompt == "a fox running" and sheet.model == "gpt-image-1.5"
    frames = split_frames(
        open_picture(project.blobs.read(project.asset(sheet.name).blob)), sheet.layout
    )
    for i, frame in enumerate(frames):  # each frame is the figure drawn in its own colour
        assert frame_colour(i) in _colours(frame), f"frame {i}"
    assert jobs.candidates(job.id) == []
    assert project.job(job.id).params["kept"] == {job.result[0]: sheet.name}


async def test_a_kept_character_becomes_a_sprite_of_the_projects_size(project, server) -> None:
    jobs = jobs_for(project, server)  # the default style: pixel art, 32x32 sprites
    job = await run_one(jobs, PictureRequest("a knight", kind="character", count=2))
    first = jobs.keep(job.id, job.result[0])
    second = jobs.keep(job.id, job.result[1])
    assert (first.name, second.name) == ("a-knight.png", "a-knight-2.png")  # versioned names
    assert (first.width, first.height) == (32, 32) and first.anchor == (16, 32)


async def test_a_kept_background_repeats_and_a_painted_item_is_cut_out(project, server) -> None:
    from studio.media.pictures.images import open_picture
    from studio.media.pictures.tiles import check_seams

    set_picture_style(project, PictureStyle("flat vector", (32, 32), ""))
    jobs = jobs_for(project, server, model="dall-e-3")  # paints every background
    scene = await run_one(jobs, PictureRequest("a hill", kind="background"))
    item = await run_one(jobs, PictureRequest("a gem", kind="item"))
    background = jobs.keep(scene.id, scene.result[0])
    gem = jobs.keep(item.id, item.result[0])
    picture = open_picture(project.blobs.read(project.asset(background.name).blob))
    assert check_seams(picture).repeats_across
    assert picture.width < 1792  # the ends were cross-faded into each other
    cut = open_picture(project.blobs.read(project.asset(gem.name).blob)).convert("RGBA")
    assert cut.getpixel((0, 0))[3] == 0 and gem.meta["cutout"] in ("flood", "key")


def test_prices_follow_the_model_a_provider_uses_by_default(project) -> None:
    from studio.ai.image_provider import ImageCapabilities, ImagePrice

    class Priced:  # a plugin's provider: prices by model, its default model its own
        name, model = "priced", "fast-1"
        capabilities = ImageCapabilities(
            models=("slow-1", "fast-1"),
            prices={"slow-1": ImagePrice({"": 0.1}), "fast-1": ImagePrice({"": 0.02})},
        )

        async def aclose(self) -> None:
            pass

    jobs = ImageJobs(project, lambda _name: Priced())
    assert jobs.price("priced", None, "1024x1024", 3) == 0.06
    assert jobs.price("priced", "slow-1", "1024x1024", 1) == 0.1
    assert jobs.price("priced", "other", "1024x1024", 1) is None
