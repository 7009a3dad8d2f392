"""Exports carry only the pictures the game uses: a hero made offline goes into the game by
name and travels in the single HTML file (embedded) and the zip, while library pictures the
game does not use and the kept source photo stay out. The hero's pixels are seen when the
single file plays in real Chromium, offline."""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from studio.core.assets import use_in_game
from studio.core.pictures import add_picture
from studio.core.store import Project
from studio.export import SingleHtmlExporter, ZipExporter
from studio.media.pictures.sheets import slice_sheet
from studio.operations.pictures import make_hero
from studio.testing.pictures import figure_on_texture, sprite_sheet

from .chromium import Page, wait_until
from .conftest import GAME_WINDOW, run

SCALE = 8
GAME = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Hero</title>
<style>html, body {{ margin: 0; background: #2040c0; }} canvas {{ display: block; }}</style>
</head><body><canvas id="c" width="400" height="400"></canvas>
<script>
const ctx = document.getElementById("c").getContext("2d");
const hero = new Image();
let drawn = 0;
hero.onload = () => {{
  ctx.fillStyle = "#2040c0";
  ctx.fillRect(0, 0, 400, 400);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(hero, 40, 40, hero.width * {SCALE}, hero.height * {SCALE});
  drawn = hero.width;
}};
hero.src = "assets/hero.png";
window.studio = {{ state: () => ({{ scene: "title", drawn }}), advance() {{}} }};
</script></body></html>
"""


def hero_project(tmp_path: Path) -> Project:
    project = Project.create(tmp_path / "hero.studio")
    photo = io.BytesIO()
    figure_on_texture((640, 480), seed=11).image.save(photo, format="JPEG", quality=90)
    make_hero(project, photo.getvalue(), keep_photo=True)
    sheet = slice_sheet(sprite_sheet(8, 4, 0).image)
    add_picture(project, "walk", sheet.image, kind="sprite_sheet", layout=sheet.layout)
    game = project.commit({"index.html": GAME}, parent=None, kind="manual")
    use_in_game(project, "hero.png", version_id=game.id)
    return project


def hero_pixels(project: Project) -> np.ndarray:
    with Image.open(project.blobs.path(project.asset("hero.png").blob)) as hero:
        return np.asarray(hero.convert("RGBA"))


def test_exports_carry_only_the_pictures_the_game_uses(tmp_path: Path) -> None:
    project = hero_project(tmp_path)
    assert {a.name for a in project.assets()} == {"hero.png", "hero-photo.jpg", "walk.png"}
    hero = project.blobs.read(project.asset("hero.png").blob)

    page = tmp_path / "hero.html"
    run(SingleHtmlExporter().export(project, None, page))
    text = page.read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="studio-assets">(.*?)</script>', text)
    assert match, "the single file lists its embedded assets"
    embedded = {a["path"]: a for a in json.loads(match.group(1))}
    assert set(embedded) == {"assets/hero.png"}
    assert base64.b64decode(embedded["assets/hero.png"]["data"]) == hero
    assert embedded["assets/hero.png"]["type"] == "image/png"

    archive = tmp_path / "hero.zip"
    run(ZipExporter().export(project, None, archive))
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        assert zf.read("assets/hero.png") == hero
    assert not {n for n in names if "walk" in n or "photo" in n}
    project.close()


def test_the_hero_is_seen_in_the_single_file_in_chromium(tmp_path: Path, page: Page) -> None:
    project = hero_project(tmp_path)
    out = tmp_path / "hero.html"
    run(SingleHtmlExporter().export(project, None, out))
    page.goto(out.as_uri())
    page.wait_for(f"{GAME_WINDOW} && {GAME_WINDOW}.studio && {GAME_WINDOW}.studio.state().drawn")
    sprite = hero_pixels(project)
    wanted = np.unique(sprite[sprite[:, :, 3] == 255][:, :3].astype(int), axis=0)

    def colours_seen() -> int:
        """How many of the sprite's colours are on screen (drawn without smoothing, each
        sprite pixel is an 8 x 8 block of exactly its colour, give or take rounding)."""
        shot = np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB"))
        shown = np.unique(shot.reshape(-1, 3).astype(int), axis=0)
        near = np.abs(wanted[:, None, :] - shown[None, :, :]).sum(axis=2).min(axis=1) <= 6
        return int(near.sum())

    assert wait_until(lambda: colours_seen() == len(wanted), timeout=10), (
        colours_seen(),
        len(wanted),
    )
    assert page.errors == []
    project.close()
