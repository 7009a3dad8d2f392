"""Put me in the game, offline: a test photo (or drawing) becomes `assets/hero.png` of the
project's sprite size, and a follow-up generation, by the scripted model through the real
`openai` client, puts it in the game. Also pictures taken in by kind and style."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.ai.chat_provider import OpenAIChatProvider
from studio.core.pictures import PictureStyle, picture, set_picture_style
from studio.core.store import Project
from studio.media.errors import PictureError
from studio.media.pictures.palettes import parse_palette
from studio.media.pictures.pixel import content_box
from studio.operations.generator import Generator
from studio.operations.pictures import import_picture, make_hero, use_picture_request
from studio.testing.pictures import (
    character_on_flat,
    drawing_on_paper,
    figure_on_texture,
    sprite_sheet,
    tile,
)
from tests.ai.chat_server import ChatServer, Scripted

GAME = """<!DOCTYPE html>
<html>
<body>
<canvas id="c" width="320" height="180"></canvas>
<script>
const ctx = document.getElementById("c").getContext("2d");
let x = 20;
function draw() {
  ctx.fillStyle = "#88c";
  ctx.fillRect(0, 0, 320, 180);
  ctx.fillStyle = "#f80";
  ctx.fillRect(x, 120, 32, 32);
  requestAnimationFrame(draw);
}
draw();
</script>
</body>
</html>
"""
USE_HERO = (
    "Your hero now walks in the game.\n"
    '<edit path="index.html">\n<<<<<<< SEARCH\nlet x = 20;\n=======\nlet x = 20;\n'
    'const hero = new Image();\nhero.src = "assets/hero.png";\n>>>>>>> REPLACE\n'
    '<<<<<<< SEARCH\n  ctx.fillStyle = "#f80";\n  ctx.fillRect(x, 120, 32, 32);\n=======\n'
    "  ctx.imageSmoothingEnabled = false;\n"
    "  if (hero.complete) ctx.drawImage(hero, x, 152 - hero.height);\n"
    ">>>>>>> REPLACE\n</edit>\n"
)


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def colours(image: Image.Image) -> set[tuple[int, int, int]]:
    pixels = np.asarray(image.convert("RGBA"))
    return {tuple(int(v) for v in p[:3]) for p in pixels[pixels[:, :, 3] > 0]}


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with Project.create(tmp_path / "game") as project:
        yield project


async def test_a_photo_becomes_the_hero_and_a_follow_up_puts_it_in_the_game(
    project: Project, chat_server: ChatServer, chat_provider: OpenAIChatProvider
) -> None:
    game = project.commit({"index.html": GAME}, parent=None, kind="manual")
    photo = jpeg(figure_on_texture((960, 720), seed=5).image)
    hero = make_hero(project, photo)
    assert (hero.name, hero.kind, hero.source) == ("hero.png", "hero", "photo")
    assert (hero.width, hero.height, hero.anchor) == (32, 32, (16, 32))
    assert hero.meta["cutout"] == "grabcut" and hero.photo is None
    with Image.open(project.blobs.path(project.asset("hero.png").blob)) as sprite:
        sprite.load()
    assert sprite.size == (32, 32) and sprite.format == "PNG"
    left, top, right, bottom = content_box(sprite) or (0, 0, 0, 0)
    assert bottom == 32 and top <= 1  # tall as the sprite, standing on its bottom
    assert 8 <= right - left <= 24  # a person is narrower than tall
    assert len(colours(sprite)) <= 17  # 16 colours and the outline
    # The photo stayed on the machine: nothing but the sprite is in the project.
    assert [a.name for a in project.assets()] == ["hero.png"]

    chat_server.script(Scripted.text(USE_HERO))
    request = use_picture_request(picture(project, "hero.png"), "player")
    outcome = await Generator(project, chat_provider, "test-model").generate(request)
    assert outcome.ok, outcome.notice
    version = outcome.version
    assert version is not None and version.parent == game.id
    files = project.file_hashes(version.id)
    assert files["assets/hero.png"] == project.asset("hero.png").blob  # travels with the game
    assert 'hero.src = "assets/hero.png"' in project.read_file(version.id, "index.html").decode()
    sent = chat_server.chat_requests[0].body["messages"]
    assert "sprite sheet" in sent[0]["content"] and "feet at X,Y" in sent[0]["content"]
    assert "- assets/hero.png (hero picture, 32×32, feet at 16,32)" in sent[-1]["content"]
    assert "Use the picture assets/hero.png as the player's character" in sent[-1]["content"]


def test_the_hero_follows_the_project_style(project: Project) -> None:
    set_picture_style(project, PictureStyle("pixel art", (24, 32), "pico-8"))
    pico = parse_palette("pico-8")
    assert isinstance(pico, tuple)
    drawing = jpeg(drawing_on_paper(seed=1).image)
    hero = make_hero(project, drawing, keep_photo=True)
    assert (hero.width, hero.height, hero.source) == (24, 32, "drawing")
    assert hero.meta["cutout"] == "paper" and hero.photo == "hero-photo.jpg"
    with Image.open(project.blobs.path(project.asset("hero.png").blob)) as sprite:
        assert colours(sprite) <= set(pico)  # the outline too keeps to the palette
        ink = np.asarray(sprite.convert("RGBA"))
        dark = (ink[:, :, :3].sum(axis=2) < 200) & (ink[:, :, 3] > 0)
        assert dark[2:-2, 2:-2].sum() >= 4  # the pen's face survives the shrinking
    # Asked for in a size and palette of its own; the kept photo of the last hero goes.
    again = make_hero(project, drawing, size=(16, 16), palette=4, outline=False)
    assert (again.width, again.height, again.photo) == (16, 16, None)
    assert [a.name for a in project.assets()] == ["hero.png"]


def test_a_hero_from_an_image_model_records_what_made_it(project: Project) -> None:
    photo = jpeg(figure_on_texture(seed=2).image)
    made = io.BytesIO()
    character_on_flat(seed=3).image.save(made, format="PNG")
    hero = make_hero(
        project,
        photo,
        picture=made.getvalue(),
        prompt="this person as a 32-pixel side-view game hero",
        model="gpt-image-1",
        keep_photo=True,
    )
    assert (hero.source, hero.model, hero.meta["cutout"]) == ("generated", "gpt-image-1", "key")
    assert hero.prompt == "this person as a 32-pixel side-view game hero"
    kept = project.asset(hero.photo or "")
    assert project.blobs.read(kept.blob) == photo


def test_bad_photos_are_refused_and_leave_the_project_as_it_was(project: Project) -> None:
    with pytest.raises(PictureError, match="not a picture"):
        make_hero(project, b"%PDF-1.4 not a photo")
    with pytest.raises(PictureError, match="no figure"):
        make_hero(project, jpeg(Image.new("RGB", (200, 150), (40, 180, 60))))
    with pytest.raises(PictureError, match="no cut-out method"):
        make_hero(project, jpeg(figure_on_texture().image), method="scissors")  # type: ignore[arg-type]
    assert project.assets() == []


def test_pictures_taken_in_by_kind_and_style(project: Project) -> None:
    sheet = io.BytesIO()
    sprite_sheet(8, 4, 1, background=(255, 0, 255)).image.save(sheet, format="PNG")
    walk = import_picture(project, sheet.getvalue(), kind="sprite_sheet", name="walk.png")
    assert walk.name == "walk.png" and walk.layout is not None and walk.frames == 8
    assert (walk.layout.columns, walk.layout.rows) == (4, 2)
    assert walk.layout.frame_height <= 32 and walk.meta["cutout"] == "key"

    knight = io.BytesIO()
    character_on_flat(seed=4).image.save(knight, format="PNG")
    plain = import_picture(project, knight.getvalue(), kind="character", pixel=False)
    assert plain.name == "character.png" and plain.width > 100  # cut out, not pixelated
    assert plain.anchor == (plain.width // 2, plain.height)

    seamless = io.BytesIO()
    tile((64, 64), seed=3).save(seamless, format="PNG")
    grass = import_picture(project, seamless.getvalue(), kind="tile", prompt="grass and stones")
    assert (grass.name, grass.width, grass.meta["seamless"]) == ("grass-and-stones.png", 32, True)

    backdrop = jpeg(figure_on_texture(seed=6).image)
    sky = import_picture(project, backdrop, kind="background", name="sky")
    assert sky.name == "sky.jpg"  # untouched: kept as it came
    assert project.blobs.read(project.asset("sky.jpg").blob) == backdrop
    assert "Let it scroll" in use_picture_request(sky)
    assert "8 frames: animate it" in use_picture_request(walk, "for the cat that walks")
