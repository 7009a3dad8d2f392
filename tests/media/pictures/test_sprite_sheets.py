"""Slicing sprite sheets drawn as one picture (uneven gaps, frames shifted in their cells,
parts that do not touch) into regular sheets with a common anchor at the feet."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from studio.media.errors import PictureError
from studio.media.pictures.cutout import cut_out
from studio.media.pictures.layout import SheetLayout
from studio.media.pictures.sheets import (
    find_frames,
    frame_at,
    make_sheet,
    slice_sheet,
    split_frames,
)
from studio.testing.pictures import sprite_sheet

GRIDS = [(8, 4), (16, 4), (7, 4), (6, 6), (12, 3)]


@pytest.mark.parametrize("frames, columns", GRIDS)
@pytest.mark.parametrize("seed", range(4))
def test_slicing_finds_every_frame_exactly(frames: int, columns: int, seed: int) -> None:
    scene = sprite_sheet(frames, columns, seed)
    assert find_frames(scene.image) == scene.boxes
    assert find_frames(scene.image, columns=columns) == scene.boxes
    sheet = slice_sheet(scene.image)
    layout = sheet.layout
    assert (layout.frames, layout.columns) == (frames, columns)
    assert sheet.image.size == (columns * layout.frame_width, layout.rows * layout.frame_height)
    bottoms, centres = set(), set()
    for drawn, cell in zip(scene.sprites, split_frames(sheet.image, layout), strict=True):
        box = cell.getbbox()
        assert box is not None
        assert np.array_equal(np.asarray(cell.crop(box)), np.asarray(drawn))  # pixel-exact
        bottoms.add(box[3])
        alpha = np.asarray(cell)[:, :, 3].sum(axis=0)
        centres.add(round(float(np.average(np.arange(cell.width) + 0.5, weights=alpha))))
    assert bottoms == {layout.frame_height} == {layout.anchor[1]}  # all stand on the ground
    assert max(centres) - min(centres) <= 1 and abs(layout.anchor[0] - min(centres)) <= 1


@pytest.mark.parametrize("seed", range(3))
def test_a_sheet_on_a_flat_colour_is_cut_out_then_sliced(seed: int) -> None:
    scene = sprite_sheet(8, 4, seed, background=(255, 0, 255))
    assert scene.image.mode == "RGB"
    assert find_frames(cut_out(scene.image)) == scene.boxes


def test_hints_and_frame_count() -> None:
    scene = sprite_sheet(8, 4, 5)
    sheet = slice_sheet(scene.image, columns=4, frames=6)
    assert (sheet.layout.columns, sheet.layout.rows, sheet.layout.frames) == (4, 2, 6)
    regrid = make_sheet(split_frames(sheet.image, sheet.layout), columns=2).layout
    assert (regrid.columns, regrid.rows, regrid.frames) == (2, 3, 6)
    assert sheet.found == tuple(scene.boxes[:6])
    with pytest.raises(PictureError, match="not 3"):
        find_frames(scene.image, rows=3)
    with pytest.raises(PictureError, match="has 8 frames, not 9"):
        slice_sheet(scene.image, frames=9)
    with pytest.raises(PictureError, match="empty"):
        find_frames(Image.new("RGBA", (20, 20)))


def test_layout_in_the_asset_meta_and_animation() -> None:
    layout = make_sheet(sprite_sheet(6, 3, 1).sprites, columns=3).layout
    assert SheetLayout.from_meta(layout.to_meta()) == layout
    assert layout.boxes()[4] == (layout.frame_width, layout.frame_height,
                                 2 * layout.frame_width, 2 * layout.frame_height)  # fmt: skip
    assert [frame_at(layout, t / 10, 10) for t in range(8)] == [0, 1, 2, 3, 4, 5, 0, 1]
    assert frame_at(layout, 100, 10, loop=False) == 5
    for bad in ({}, {**layout.to_meta(), "frames": 99}, {**layout.to_meta(), "anchor": "feet"}):
        with pytest.raises(PictureError, match="layout"):
            SheetLayout.from_meta(bad)
