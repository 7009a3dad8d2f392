"""A generated sprite sheet in a game, exported as one HTML file and played in real Chromium,
offline: the sheet is made by the OpenAI Images provider (local server, real `openai`
client), kept (sliced into frames), and the scripted code model writes the game that
animates it; Chromium shows its frames one after another."""

from __future__ import annotations

import asyncio
from pathlib import Path

from studio.ai.chat_provider import OpenAIChatProvider
from studio.ai.image_openai import OpenAIImageProvider
from studio.core.pictures import picture
from studio.core.store import Project
from studio.export import SingleHtmlExporter
from studio.operations.generator import Generator
from studio.operations.image_jobs import ImageJobs, PictureRequest
from studio.operations.pictures import use_picture_request
from studio.testing.servers.chat import TEST_API_KEY, ChatServer, Scripted
from studio.testing.servers.images import ImageServer
from tests.pictures_game import answer, frames_on_screen, sheet_game

from .chromium import Page, wait_until
from .conftest import GAME_WINDOW

FRAMES = 4


async def make_game(project: Project, images: ImageServer, chat: ChatServer) -> str:
    """Generate and keep a sheet, then have the scripted model use it; the sheet's name."""
    jobs = ImageJobs(
        project,
        lambda _name: OpenAIImageProvider(base_url=images.base_url, api_key=images.api_key),
    )
    job = jobs.request(
        "openai", PictureRequest("a fox running", kind="sprite_sheet", frames=FRAMES)
    )
    job = await jobs.wait(job.id)
    assert job.status == "completed", job.error
    sheet = await asyncio.to_thread(jobs.keep, job.id, job.result[0])
    assert sheet.layout is not None and sheet.layout.frames == FRAMES
    chat.script(Scripted.text(answer(sheet_game(sheet.name, sheet.layout))))
    provider = OpenAIChatProvider(base_url=chat.base_url, api_key=TEST_API_KEY, timeout=10)
    try:
        outcome = await Generator(project, provider, "test-model").generate(
            use_picture_request(picture(project, sheet.name), "player")
        )
    finally:
        await provider.aclose()
    assert outcome.ok, outcome.notice
    return sheet.name


def test_a_generated_sheet_animates_in_the_exported_file(tmp_path: Path, page: Page) -> None:
    with ImageServer() as images, ChatServer() as chat, Project.create(tmp_path / "fox") as project:
        name = asyncio.run(make_game(project, images, chat))
        files = project.file_hashes(project.head)
        assert files[f"assets/{name}"] == project.asset(name).blob  # the sheet goes with the game
        # The model was told what the sheet is: its frames and their layout.
        told = chat.chat_requests[0].body["messages"][-1]["content"]
        assert f"assets/{name}" in told and f"{FRAMES} frames" in told
        out = tmp_path / "fox.html"
        asyncio.run(SingleHtmlExporter().export(project, None, out))
    page.goto(out.as_uri())
    page.wait_for(f"{GAME_WINDOW}.studio && {GAME_WINDOW}.studio.state().loaded", timeout=15)
    seen: set[int] = set()

    def more_frames() -> bool:
        seen.update(frames_on_screen(page.screenshot(), FRAMES))
        return len(seen) == FRAMES

    assert wait_until(more_frames, timeout=10, interval=0.1), f"frames seen: {sorted(seen)}"
    assert page.errors == []
    # Offline: the game fetched nothing from a network; the sheet came out of the file.
    fetched = page.evaluate(
        f"{GAME_WINDOW}.performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert all(url.split(":", 1)[0] in ("data", "blob", "file") for url in fetched), fetched
