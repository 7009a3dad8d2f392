"""Pixel-art tools: trim, pixelate to a sprite size, palettes, outline, and the whole chain."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from studio.media.errors import PictureError
from studio.media.pictures.cutout import cut_out
from studio.media.pictures.palettes import PALETTES, parse_palette
from studio.media.pictures.pixel import (
    content_box,
    outline,
    pixelate,
    reduce_palette,
    to_sprite,
    trim,
)
from studio.testing.pictures import figure_on_texture


def blob(size: tuple[int, int] = (200, 300)) -> Image.Image:
    """A soft-edged orange figure, taller than wide, off-centre, on clear pixels."""
    picture = Image.new("RGBA", size, (0, 0, 0, 0))
    d = ImageDraw.Draw(picture)
    d.ellipse((30, 40, 130, 280), (240, 140, 40, 255))
    d.ellipse((60, 60, 100, 100), (250, 250, 250, 255))
    return picture


def colours(picture: Image.Image) -> set[tuple[int, int, int]]:
    pixels = np.asarray(picture)
    return {tuple(int(v) for v in p[:3]) for p in pixels[pixels[:, :, 3] > 0]}


def test_trim_and_content_box() -> None:
    assert content_box(blob()) == (30, 40, 131, 281)
    assert trim(blob()).size == (101, 241)
    with pytest.raises(PictureError, match="empty"):
        trim(Image.new("RGBA", (5, 5)))


def test_pixelate_fits_the_sprite_size_with_the_feet_at_the_bottom() -> None:
    sprite = pixelate(blob(), (32, 32), margin=1)
    assert sprite.size == (32, 32)
    alpha = np.asarray(sprite)[:, :, 3]
    assert set(np.unique(alpha)) <= {0, 255}  # hard edges
    left, top, right, bottom = content_box(sprite)
    assert bottom == 31 and top == 1  # tall: it fills the height less the margin
    assert abs((left + right) / 2 - 16) <= 1  # centred across
    assert 10 <= right - left <= 16  # its shape kept (101 x 241 → about 13 x 30)


def test_a_palette_by_name_count_or_colours() -> None:
    assert len(parse_palette("pico-8")) == 16
    assert parse_palette("8") == 8
    assert parse_palette("#ff0000, #00ff00") == ((255, 0, 0), (0, 255, 0))
    for bad in ("1", "rainbow", "#ff00"):
        with pytest.raises(PictureError):
            parse_palette(bad)


def test_reduce_to_a_given_palette_by_eye() -> None:
    game_boy = parse_palette("game-boy")
    assert isinstance(game_boy, tuple)
    photo = cut_out(figure_on_texture(seed=2).image)
    reduced = reduce_palette(photo, game_boy)
    assert colours(reduced) <= set(game_boy)
    # Clear pixels stay clear, visible ones stay visible.
    assert np.array_equal(np.asarray(reduced)[:, :, 3] > 0, np.asarray(photo)[:, :, 3] > 0)
    # The nearest by eye: a bright pink goes to the palette's pink, not its red.
    pink = Image.new("RGBA", (1, 1), (255, 120, 170, 255))
    assert colours(reduce_palette(pink, parse_palette("pico-8"))) == {(255, 119, 168)}


def test_reduce_to_a_number_of_colours() -> None:
    photo = cut_out(figure_on_texture(seed=1).image)
    assert len(colours(photo)) > 1000
    assert 2 <= len(colours(reduce_palette(photo, 6))) <= 6


def test_outline_rings_the_sprite() -> None:
    sprite = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    sprite.paste((200, 0, 0, 255), (3, 3, 5, 5))  # 2 x 2 in the middle
    lined = np.asarray(outline(sprite, (0, 0, 255)))
    ring = (lined[:, :, 2] == 255) & (lined[:, :, 3] == 255)
    assert ring.sum() == 8  # side by side only: 2 on each side
    assert ring[2, 3] and ring[5, 4] and not ring[2, 2]
    assert outline(sprite, diagonal=True).getchannel("A").histogram()[255] == 4 + 12


def test_to_sprite_from_a_photo() -> None:
    photo = cut_out(figure_on_texture().image)
    pico = parse_palette("pico-8")
    sprite = to_sprite(photo, (32, 48), palette=pico)
    assert sprite.size == (32, 48)
    assert colours(sprite) <= set(pico)
    pixels = np.asarray(sprite)
    assert (pixels[47, :, 3] == 255).any()  # the outline under the feet, on the last row
    assert len(PALETTES) >= 3
