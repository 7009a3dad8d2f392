"""The offline cut-out, measured against the truth of pictures the tests draw: intersection
over union with the true mask, and the colour of the edge pixels (no halo of the old
background)."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from studio.media.errors import PictureError
from studio.media.pictures.cutout import choose_method, cut_out, cut_out_mask, make_cutout
from studio.media.pictures.images import open_picture
from studio.testing.pictures import Scene, character_on_flat, drawing_on_paper, figure_on_texture

SCENES: dict[str, tuple[Callable[..., Scene], str]] = {
    "figure on a textured, noisy background": (figure_on_texture, "grabcut"),
    "pen drawing on paper with uneven light": (drawing_on_paper, "paper"),
    "character on a flat colour": (character_on_flat, "key"),
}


def iou(mask: np.ndarray, truth: np.ndarray) -> float:
    return float((mask & truth).sum() / (mask | truth).sum())


def halo(rgba: np.ndarray, scene: Scene, normalised: bool = False) -> float:
    """How far the edge pixels' colours lean towards the old background: 0 is the figure's
    own colour, 1 the background's. Edge pixels are those the true figure covers only in
    part and the cut-out shows (alpha over 10%). For a drawing the cut-out evens the light,
    so it is measured against the colours with the light divided out (paper white)."""
    shown = rgba[:, :, 3] > 25
    edge = shown & (scene.alpha > 0) & (scene.alpha < 1)
    fg, bg = scene.foreground[edge], scene.background[edge]
    if normalised:
        fg, bg = fg / bg * 255.0, np.full_like(bg, 255.0)
    colour = rgba[:, :, :3][edge].astype(np.float32)
    span = bg - fg
    lean = np.sum((colour - fg) * span, axis=1) / np.maximum(np.sum(span * span, axis=1), 1.0)
    return float(np.mean(np.clip(lean, 0, None)))


@pytest.mark.parametrize("name", SCENES)
@pytest.mark.parametrize("seed", range(4))
def test_cut_out_matches_the_true_mask_without_a_halo(name: str, seed: int) -> None:
    make, method = SCENES[name]
    scene = make(seed=seed)
    result = make_cutout(scene.image)
    assert result.method == method
    pixels = np.asarray(result.image)
    assert pixels.shape == (*scene.mask.shape, 4)
    assert iou(pixels[:, :, 3] >= 128, scene.mask) >= 0.9
    assert halo(pixels, scene, normalised=method == "paper") < 0.08


@pytest.mark.parametrize("name", SCENES)
def test_the_halo_measure_sees_a_naive_cut_out(name: str) -> None:
    """The same true mask with the picture's own edge colours (no clean-up) has a halo the
    measure sees: the check above can fail."""
    make, method = SCENES[name]
    scene = make()
    original = np.asarray(scene.image).astype(np.float32)
    if method == "paper":  # compare like with like: the light divided out
        shade = scene.background / np.array([238, 232, 216], np.float32)
        original = np.clip(original / shade, 0, 255)
    naive = np.dstack([original, scene.alpha * 255])
    assert halo(naive, scene, normalised=method == "paper") > 0.2


def test_forcing_a_method() -> None:
    scene = character_on_flat()
    assert choose_method(scene.image) == "key"
    flood = make_cutout(scene.image, method="flood")
    assert flood.method == "flood"
    alpha = np.asarray(flood.mask) >= 128
    # A flood from the border cannot reach the background inside the arm's loop; keying does.
    hole = (~scene.mask) & (alpha != (np.asarray(cut_out_mask(scene.image)) >= 128))
    assert hole.sum() > 500 and alpha[hole].all()
    with pytest.raises(PictureError, match="no cut-out method 'magic'"):
        cut_out(scene.image, method="magic")  # type: ignore[arg-type]


def test_a_white_eye_stays_with_flood_on_a_plain_background() -> None:
    scene = character_on_flat(colour=(245, 245, 245))
    result = make_cutout(scene.image)
    assert result.method == "flood"
    assert iou(np.asarray(result.mask) >= 128, scene.mask) >= 0.95


def test_a_transparent_picture_is_already_cut_out() -> None:
    picture = Image.new("RGBA", (60, 40), (0, 0, 0, 0))
    picture.paste((200, 10, 10, 255), (20, 10, 40, 30))
    result = make_cutout(picture)
    assert result.method == "alpha"
    assert np.array_equal(np.asarray(result.image), np.asarray(picture))


def test_a_picture_that_is_all_background_says_so() -> None:
    with pytest.raises(PictureError, match="no figure was found"):
        cut_out(Image.new("RGB", (80, 60), (30, 200, 90)))


def test_a_big_photo_is_cut_at_a_working_size_and_refined_at_full_size() -> None:
    scene = figure_on_texture((1600, 1200), seed=3)
    result = make_cutout(scene.image)
    alpha = np.asarray(result.mask)
    assert alpha.shape == (1200, 1600)
    assert iou(alpha >= 128, scene.mask) >= 0.95
    soft = (alpha > 0) & (alpha < 255)
    assert 0 < soft.sum() < 0.02 * alpha.size  # a soft edge, only along the edge


def test_the_same_photo_is_cut_the_same_way_every_time() -> None:
    """GrabCut and its k-means start from OpenCV's random numbers: they are seeded, so
    whatever else drew on them before, a photo's cut-out does not change."""
    import cv2

    photo = figure_on_texture(seed=5).image
    first = np.asarray(cut_out_mask(photo))
    cv2.randu(np.zeros((100, 100), np.float32), 0, 1)  # someone else uses the generator
    assert np.array_equal(np.asarray(cut_out_mask(photo)), first)


def _encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def test_opening_pictures() -> None:
    photo = Image.new("RGB", (40, 20), (10, 20, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was held sideways: turn 90° to show it upright
    upright = open_picture(_encoded(photo, "JPEG", exif=exif))
    assert upright.size == (20, 40)
    with pytest.raises(PictureError, match="not a picture"):
        open_picture(b"<html>not a picture</html>")
    png = _encoded(photo, "PNG")
    with pytest.raises(PictureError, match="damaged"):
        open_picture(png[: len(png) // 2])
    grey = np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000  # a 16-bit scan
    deep = open_picture(_encoded(Image.fromarray(grey), "PNG"))
    assert deep.mode == "L"  # not clipped to white: scaled to 8 bits
    assert np.array_equal(np.asarray(deep), np.round(grey / 65535 * 255).astype(np.uint8))


def test_a_decompression_bomb_is_refused() -> None:
    bomb = _encoded(Image.new("1", (9000, 9000)), "PNG")  # 10 KB that would be 81 megapixels
    assert len(bomb) < 100_000
    with pytest.raises(PictureError, match="megapixels"):
        open_picture(bomb)
