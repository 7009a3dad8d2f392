"""`studio hero`, `studio picture`, `studio style` and the pictures in `studio assets`, as
real processes, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from studio.core.store import Project
from studio.testing.pictures import drawing_on_paper, figure_on_texture, sprite_sheet

REPO = Path(__file__).resolve().parents[1]


def studio(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, STUDIO_CONFIG_DIR=str(tmp_path / "config"), PYTHONPATH=str(REPO))
    command = [sys.executable, "-m", "studio", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return result.stdout


def failed(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("studio: error: ")
    assert words in result.stderr


@pytest.fixture
def game(tmp_path: Path) -> Path:
    with Project.create(tmp_path / "game") as project:
        return project.path


def test_put_me_in_the_game_from_the_command_line(tmp_path: Path, game: Path) -> None:
    photo = tmp_path / "me.jpg"
    figure_on_texture((800, 600), seed=9).image.save(photo, quality=90)
    out = ok(studio(tmp_path, "hero", game, photo))
    assert out.strip() == "added hero.png (32x32 hero, cut out by grabcut)"
    out = ok(studio(tmp_path, "style", game, "--sprite-size", "24x32", "--palette", "game-boy"))
    assert out.splitlines() == ["look: pixel art", "sprite size: 24x32", "palette: game-boy"]
    drawing = tmp_path / "knight.png"
    drawing_on_paper(seed=3).image.save(drawing)
    out = ok(studio(tmp_path, "hero", game, drawing, "--keep-photo", "--method", "paper"))
    assert out.strip() == (
        "added hero.png (24x32 hero, cut out by paper, photo kept as hero-photo.png)"
    )
    sheet = tmp_path / "walk cycle.png"
    sprite_sheet(8, 4, 2).image.save(sheet)
    out = ok(studio(tmp_path, "picture", game, sheet, "--kind", "sprite_sheet", "--columns", "4"))
    assert out.startswith("added walk-cycle.png (") and "8 frames of" in out

    listing = ok(studio(tmp_path, "assets", game)).splitlines()
    assert len(listing) == 3
    hero = next(line for line in listing if line.startswith("hero.png "))
    assert "24x32" in hero and hero.endswith("hero (drawing)")
    photo_line = next(line for line in listing if line.startswith("hero-photo.png "))
    assert photo_line.endswith("photo of hero.png (kept)")
    walk = next(line for line in listing if line.startswith("walk-cycle.png "))
    assert "sprite sheet: 8 frames of" in walk and "(4x2)" in walk
    manifest = json.loads(ok(studio(tmp_path, "assets", game, "--json")))
    assert [a["name"] for a in manifest["library"]] == ["hero.png", "walk-cycle.png"]
    assert manifest["library"][1]["frames"] == 8


def test_bad_input_is_one_clear_line(tmp_path: Path, game: Path) -> None:
    failed(studio(tmp_path, "hero", game, tmp_path / "missing.jpg"), "cannot read")
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    failed(studio(tmp_path, "hero", game, text), "not a picture")
    photo = tmp_path / "me.png"
    figure_on_texture(seed=1).image.save(photo)
    failed(studio(tmp_path, "hero", game, photo, "--size", "huge"), "a size looks like")
    failed(studio(tmp_path, "hero", game, photo, "--palette", "rainbow"), "a palette is one of")
    failed(studio(tmp_path, "hero", game, photo, "--method", "magic"), "no cut-out method")
    failed(studio(tmp_path, "picture", game, photo, "--kind", "poster"), "--kind must be one of")
    failed(studio(tmp_path, "style", game, "--palette", "1"), "2 to 256 colours")
    with Project.open(game) as project:
        assert project.assets() == []
