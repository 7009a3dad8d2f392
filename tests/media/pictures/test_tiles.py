"""Seams of tiles, and backgrounds made to repeat for scrolling."""

from __future__ import annotations

import pytest

from studio.media.errors import PictureError
from studio.media.pictures.tiles import check_seams, make_repeating
from studio.testing.pictures import figure_on_texture, tile


@pytest.mark.parametrize("seed", range(5))
def test_seams_are_seen_on_a_tile_that_does_not_repeat(seed: int) -> None:
    good = check_seams(tile(seed=seed))
    assert good.tiles and good.describe() == "repeats without a seam"
    bad = check_seams(tile(seed=seed, repeats=False))
    assert not bad.repeats_across and not bad.repeats_down
    assert bad.describe() == "seam at the left/right and top/bottom edges"


def test_a_background_made_to_repeat_for_scrolling() -> None:
    photo = figure_on_texture(seed=4).image
    assert not check_seams(photo).repeats_across
    across = make_repeating(photo)
    assert across.size == (408, 360)  # 15% narrower: the overlap is faded into the start
    check = check_seams(across)
    assert check.repeats_across and not check.repeats_down
    assert check_seams(make_repeating(photo, down=True)).tiles
    with pytest.raises(PictureError, match="overlap"):
        make_repeating(photo, overlap=0.6)
