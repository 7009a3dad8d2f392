"""Pictures in the project store: adding, reading and listing them with their metadata, the
kept source photo, the manifest the code model gets, the project's style and the image
prompt."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from studio.ai.context import format_assets
from studio.ai.tokens import count_tokens
from studio.core.assets import asset_manifest, attach_used_assets, library_manifest, use_in_game
from studio.core.errors import NotFoundError
from studio.core.pictures import (
    STYLE_KEY,
    PictureStyle,
    add_picture,
    delete_picture,
    image_prompt,
    picture,
    picture_style,
    pictures,
    restyled,
    set_picture_style,
)
from studio.core.store import Project
from studio.errors import StudioError
from studio.media.errors import PictureError
from studio.media.pictures.layout import SheetLayout
from studio.media.pictures.sheets import slice_sheet
from studio.testing.pictures import sprite_sheet


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with Project.create(tmp_path / "game") as project:
        yield project


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


SPRITE = Image.new("RGBA", (32, 48), (0, 0, 0, 0))
SPRITE.paste((200, 60, 60, 255), (8, 4, 24, 48))


def test_add_read_and_list_pictures(project: Project) -> None:
    hero = add_picture(
        project, "hero", SPRITE, kind="hero", anchor=(16, 48), prompt="me", model="offline"
    )
    assert (hero.name, hero.kind, hero.width, hero.height) == ("hero.png", "hero", 32, 48)
    assert (hero.anchor, hero.frames, hero.url, hero.photo) == (
        (16, 48),
        1,
        "assets/hero.png",
        None,
    )
    photo = encoded(Image.new("RGB", (64, 40), (10, 120, 200)), "JPEG")
    sky = add_picture(project, "sky.png", photo, kind="background", source="imported")
    assert sky.name == "sky.jpg"  # the suffix follows what the bytes are
    assert project.blobs.read(project.asset("sky.jpg").blob) == photo  # kept as it came
    again = add_picture(project, "sky", photo, kind="background")
    assert again.name == "sky-2.jpg"  # a new name, unless the caller replaces
    gif = encoded(Image.new("P", (8, 8)), "GIF")
    assert add_picture(project, "coin", gif, kind="item").name == "coin.png"
    assert [p.name for p in pictures(project)] == ["hero.png", "sky.jpg", "sky-2.jpg", "coin.png"]
    assert picture(project, "hero.png") == hero
    project.add_asset("notes.txt", b"hello")
    with pytest.raises(NotFoundError, match="not a picture"):
        picture(project, "notes.txt")


def test_a_sheet_keeps_its_layout(project: Project) -> None:
    sheet = slice_sheet(sprite_sheet(8, 4, 2).image)
    walk = add_picture(project, "walk", sheet.image, kind="sprite_sheet", layout=sheet.layout)
    assert walk.layout == sheet.layout and walk.frames == 8
    assert walk.anchor == sheet.layout.anchor
    too_big = SheetLayout(8, 8, 64, 64, 64, (32, 64))
    with pytest.raises(PictureError, match="does not fit"):
        add_picture(project, "bad", sheet.image, kind="sprite_sheet", layout=too_big)
    # A damaged layout in the store reads as a single picture, not a crash.
    project.add_asset("odd.png", encoded(SPRITE, "PNG"), meta={"role": "picture", "layout": {}})
    assert picture(project, "odd.png").layout is None


def test_bad_pictures_leave_nothing(project: Project) -> None:
    png = encoded(SPRITE, "PNG")
    with pytest.raises(PictureError, match="damaged"):
        add_picture(project, "hero", png[:60], kind="hero")
    with pytest.raises(PictureError, match="not a picture"):
        add_picture(project, "hero", b"GIF89a? no", kind="hero")
    with pytest.raises(StudioError, match="no picture kind 'monster'"):
        add_picture(project, "hero", png, kind="monster")
    assert project.assets() == []


def test_a_sideways_phone_photo_is_stored_upright(project: Project) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    sideways = encoded(Image.new("RGB", (40, 20), (200, 10, 10)), "JPEG", exif=exif)
    stored = add_picture(project, "photo", sideways, kind="background")
    assert (stored.width, stored.height, stored.name) == (20, 40, "photo.png")
    with Image.open(project.blobs.path(project.asset(stored.name).blob)) as image:
        assert image.size == (20, 40)


def test_the_source_photo_is_kept_only_when_asked(project: Project) -> None:
    photo = encoded(Image.new("RGB", (60, 80), (90, 90, 90)), "JPEG")
    hero = add_picture(
        project, "hero", SPRITE, kind="hero", photo=photo, keep_photo=True, replace_existing=True
    )
    assert hero.photo == "hero-photo.jpg"
    kept = project.asset("hero-photo.jpg")
    assert kept.meta == {"role": "source", "picture": "hero.png"}
    assert [a["name"] for a in library_manifest(project)] == ["hero.png"]  # never the photo
    version = project.commit({"index.html": "<canvas></canvas>"}, parent=None, kind="manual")
    added = use_in_game(project, "hero-photo.jpg", version_id=version.id)
    assert "assets/hero.png" in project.file_hashes(added.id)  # the photo stands for its hero
    assert "assets/hero-photo.jpg" not in project.file_hashes(added.id)
    # Made again without keeping: the old photo goes with the old hero.
    again = add_picture(
        project, "hero", SPRITE, kind="hero", photo=photo, keep_photo=False, replace_existing=True
    )
    assert again.photo is None
    assert {a.name for a in project.assets()} == {"hero.png"}
    add_picture(
        project, "hero", SPRITE, kind="hero", photo=photo, keep_photo=True, replace_existing=True
    )
    assert delete_picture(project, "hero.png") == ["hero.png", "hero-photo.jpg"]
    assert project.assets() == []


def test_the_manifest_tells_kind_size_frames_layout_and_anchor(project: Project) -> None:
    add_picture(project, "hero", SPRITE, kind="hero", anchor=(16, 48))
    sheet = slice_sheet(sprite_sheet(8, 4, 0).image)
    add_picture(project, "walk", sheet.image, kind="sprite_sheet", layout=sheet.layout)
    hero, walk = library_manifest(project)
    assert hero["picture"] == "hero" and hero["anchor"] == [16, 48]
    assert (hero["width"], hero["height"], hero["kind"]) == (32, 48, "image")
    assert "layout" not in hero and "frames" not in hero
    assert walk["frames"] == 8
    assert walk["layout"] == {
        "columns": 4,
        "rows": 2,
        "frame_width": sheet.layout.frame_width,
        "frame_height": sheet.layout.frame_height,
    }
    text = format_assets([hero, walk])
    w, h = sheet.layout.frame_width, sheet.layout.frame_height
    assert "- assets/hero.png (hero picture, 32×48, feet at 16,48)" in text
    assert (
        f"- assets/walk.png (sprite sheet, {4 * w}×{2 * h}, 8 frames of {w}×{h} in 4 columns × "
        f"2 rows, feet at {sheet.layout.anchor[0]},{h})"
    ) in text
    # The game's own manifest: the version's copy, described by the library's record.
    code = '<script>const img = new Image(); img.src = "assets/walk.png";</script>'
    files: dict[str, bytes | str] = {"index.html": code}
    attach_used_assets(project, files, ["index.html"])
    assert set(files) == {"index.html", "assets/walk.png"}  # only what the code names
    version = project.commit(files, parent=None, kind="manual")
    assert asset_manifest(project, version.id) == [walk]


def test_the_asset_list_stays_small(project: Project) -> None:
    """What 200 pictures cost in the request (the benchmark prints the figure)."""
    sheet = slice_sheet(sprite_sheet(8, 4, 0).image)
    add_picture(project, "walk", sheet.image, kind="sprite_sheet", layout=sheet.layout)
    line = format_assets(library_manifest(project))
    assert count_tokens(line) < 40


def test_the_style_is_kept_in_the_project(project: Project) -> None:
    assert picture_style(project) == PictureStyle("pixel art", (32, 32), "")
    style = set_picture_style(project, PictureStyle("watercolour", (48, 64), "sweetie-16"))
    assert picture_style(project) == style
    assert json.loads(project.get_meta(STYLE_KEY) or "") == {
        "look": "watercolour",
        "sprite_size": "48x64",
        "palette": "sweetie-16",
    }
    changed = restyled(style, sprite_size="24", palette=None)
    assert changed.sprite_size == (24, 24) and changed.palette == "sweetie-16"
    with pytest.raises(PictureError, match="palette"):
        set_picture_style(project, PictureStyle(palette="rainbow"))
    with pytest.raises(PictureError, match="size"):
        restyled(style, sprite_size="big")
    assert picture_style(project) == style  # a refused style changes nothing
    project.set_meta(STYLE_KEY, "{not json")
    assert picture_style(project) == PictureStyle()  # a damaged one reads as the default


def test_the_image_prompt_carries_kind_style_and_words() -> None:
    style = PictureStyle("pixel art", (32, 48), "game-boy")
    text = image_prompt("character", "  a knight with a red plume ", style)
    assert text.startswith("a knight with a red plume\n")
    assert "full body" in text and "transparent background" in text
    assert "pixel art; crisp pixels for 32x48-pixel sprites" in text
    assert "only these colours: #0f380f, #306230, #8bac0f, #9bbc0f" in text
    sheet = image_prompt(
        "sprite_sheet", "a cat running", PictureStyle("flat vector"), frames=6, columns=3
    )
    assert "6 frames" in sheet and "3 columns and 2 rows" in sheet and "flat vector" in sheet
    assert "{{" not in sheet and "crisp pixels" not in sheet
    counted = PictureStyle(palette="12").describe()
    assert "a limited palette of 12 colours" in counted
    with pytest.raises(StudioError, match="no picture kind"):
        image_prompt("poster", "a cat", style)
    with pytest.raises(StudioError, match="say what"):
        image_prompt("tile", "   ", style)


def test_a_kept_photo_never_replaces_another_asset(project: Project) -> None:
    photo = encoded(Image.new("RGB", (60, 80), (90, 90, 90)), "JPEG")
    project.add_asset("hero-photo.jpg", b"someone else's file")
    hero = add_picture(project, "hero", SPRITE, kind="hero", photo=photo, keep_photo=True)
    assert hero.photo == "hero-photo-2.jpg"
    assert project.blobs.read(project.asset("hero-photo.jpg").blob) == b"someone else's file"
