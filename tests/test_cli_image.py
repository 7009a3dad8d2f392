"""`studio image` and `studio hero --provider` as real processes, against a local OpenAI
Images API server through the real `openai` client."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from studio.core.pictures import picture, pictures
from studio.core.store import Project
from studio.testing.pictures import figure_on_texture
from studio.testing.servers.images import ImageServer
from tests.test_cli_pictures import failed, ok

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def server() -> Iterator[ImageServer]:
    with ImageServer() as server:
        yield server


@pytest.fixture
def game(tmp_path: Path) -> Path:
    with Project.create(tmp_path / "game") as project:
        return project.path


def studio(
    tmp_path: Path, server: ImageServer, *args: str | Path
) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        STUDIO_CONFIG_DIR=str(tmp_path / "config"),
        PYTHONPATH=str(REPO),
        OPENAI_API_KEY=server.api_key,
    )
    command = [sys.executable, "-m", "studio", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def test_image_makes_kept_pictures(tmp_path: Path, game: Path, server: ImageServer) -> None:
    out = ok(
        studio(
            tmp_path, server, "image", game, "a fox running", "--kind", "sprite_sheet",
            "--frames", "4", "--base-url", server.base_url, "--model", "gpt-image-1-mini",
        )
    )  # fmt: skip
    added, cost = out.splitlines()
    # Sliced, and pixelated to the project's 32 px sprite height (pixel art by default).
    assert added.startswith("added a-fox-running.png (") and "4 frames of " in added
    assert "x32)" in added or "x32," in added
    assert cost == "cost: $0.015"  # gpt-image-1-mini, medium, 1536x1024
    sent = server.pictures_asked()[0].fields
    assert sent["model"] == "gpt-image-1-mini" and sent["size"] == "1536x1024"
    assert sent["background"] == "transparent" and "4 frames" in sent["prompt"]
    with Project.open(game) as project:
        sheet = picture(project, "a-fox-running.png")
        assert sheet.layout.frames == 4 and sheet.source == "generated"
        (job,) = project.jobs(kind="image")
        assert job.status == "completed" and job.params["cost_usd"] == 0.015


def test_image_edits_with_a_mask_and_can_leave_the_choice(
    tmp_path: Path, game: Path, server: ImageServer
) -> None:
    photo, mask = tmp_path / "me.png", tmp_path / "mask.png"
    Image.new("RGBA", (64, 64), (200, 120, 90, 255)).save(photo)
    Image.new("RGBA", (64, 64), (0, 0, 0, 0)).save(mask)
    out = ok(
        studio(
            tmp_path, server, "image", game, "the same, in armour", "--edit", photo, photo,
            "--mask", mask, "--count", "2", "--no-keep", "--base-url", server.base_url,
        )
    )  # fmt: skip
    assert "2 pictures wait in the Images tab" in out
    call = server.pictures_asked()[0]
    assert call.path == "/v1/images/edits" and len(call.fields["image[]"]) == 2
    assert call.fields["mask"]["data"] == mask.read_bytes() and call.fields["n"] == "2"
    with Project.open(game) as project:
        assert pictures(project) == []  # nothing kept: chosen later
        assert len(project.jobs(kind="image")[0].result) == 2


def test_image_failures_are_one_line(tmp_path: Path, game: Path, server: ImageServer) -> None:
    # (Each way a service fails is worded by the provider: tests/ai/test_image_openai.py.)
    base = ("--base-url", server.base_url)
    failed(studio(tmp_path, server, "image", game, "a violent fight", *base), "safety system")
    failed(studio(tmp_path, server, "image", game, "a coin", "--provider", "nope"), "nope")
    not_a_picture = tmp_path / "notes.txt"
    not_a_picture.write_text("hello")
    failed(
        studio(tmp_path, server, "image", game, "a coin", "--edit", not_a_picture),
        "is not a PNG, JPEG, WebP or GIF picture",
    )


def test_hero_with_a_service_says_where_the_photo_goes(
    tmp_path: Path, game: Path, server: ImageServer
) -> None:
    photo = tmp_path / "me.jpg"
    figure_on_texture((640, 480), seed=4).image.save(photo, quality=90)
    out = ok(studio(tmp_path, server, "hero", game, photo, "--provider", "openai",
                    "--base-url", server.base_url))  # fmt: skip
    lines = out.splitlines()
    host = server.base_url.split("//")[1].split("/")[0]
    assert lines[0] == f"Your photo will be sent to openai ({host}) to be drawn as your hero."
    assert lines[-1].startswith("added hero.png (32x32 hero")
    call = server.pictures_asked()[0]
    assert call.path == "/v1/images/edits" and call.fields["image"]["data"] == photo.read_bytes()
    assert "Keep the likeness" in call.fields["prompt"]
    with Project.open(game) as project:
        hero = picture(project, "hero.png")
        assert hero.source == "generated" and hero.model == "gpt-image-1.5"
        png = project.blobs.read(project.asset("hero.png").blob)
        assert Image.open(io.BytesIO(png)).size == (32, 32)


def test_hero_without_a_provider_sends_nothing(
    tmp_path: Path, game: Path, server: ImageServer
) -> None:
    photo = tmp_path / "me.jpg"
    figure_on_texture((640, 480), seed=4).image.save(photo, quality=90)
    out = ok(studio(tmp_path, server, "hero", game, photo))
    assert out.startswith("added hero.png (32x32 hero") and server.requests == []
