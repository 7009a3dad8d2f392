"""Pixel-art tools: trim to the content, pixelate to a sprite size, reduce to a palette, add
an outline; `to_sprite` does them in that order, as "put me in the game" needs.

Sprites keep hard edges: a pixel is either part of the sprite or clear (games draw them
scaled up without smoothing, where soft edges would show as a grey fringe).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image

from studio.media.errors import PictureError
from studio.media.pictures.images import as_array, from_array, rgba
from studio.media.pictures.palettes import RGB

__all__ = [
    "content_box",
    "outline",
    "pixelate",
    "pixelate_frames",
    "reduce_palette",
    "to_sprite",
    "trim",
]

SOLID = 128  # alpha from which a pixel of a pixelated sprite is part of it


def content_box(image: Image.Image, threshold: int = 0) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of the pixels with alpha above `threshold`; None if none."""
    alpha = as_array(rgba(image).getchannel("A"), "L")
    rows = np.flatnonzero((alpha > threshold).any(axis=1))
    cols = np.flatnonzero((alpha > threshold).any(axis=0))
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def trim(image: Image.Image, threshold: int = 0) -> Image.Image:
    """The picture cropped to its content (pixels with alpha above `threshold`)."""
    box = content_box(image, threshold)
    if box is None:
        raise PictureError("the picture is empty: every pixel is transparent")
    return rgba(image).crop(box)


def pixelate(
    image: Image.Image,
    size: tuple[int, int],
    *,
    margin: int = 0,
    align: str = "bottom",
    bold_lines: bool = False,
) -> Image.Image:
    """The picture's content scaled to fit `size` less `margin` on each side (keeping its
    shape), on a clear canvas of exactly `size`: centred, feet on the bottom margin when
    `align` is "bottom". Each sprite pixel is the average of the pixels it covers; alpha
    is then made hard. `bold_lines` first widens dark lines (a pen drawing's) to about a
    sprite pixel, so they are not averaged away."""
    width, height = size
    content = trim(image, threshold=8)
    room = (width - 2 * margin, height - 2 * margin)
    if min(room) < 1:
        raise PictureError(f"a {width}x{height} sprite has no room inside a {margin} px margin")
    scale = min(room[0] / content.width, room[1] / content.height)
    small = _shrink(content, scale, bold_lines)
    canvas = Image.new("RGBA", size, (0, 0, 0, 0))
    left = (width - small.width) // 2
    top = height - margin - small.height if align == "bottom" else (height - small.height) // 2
    canvas.paste(small, (left, top))
    return canvas


def pixelate_frames(
    frames: Sequence[Image.Image], size: tuple[int, int], *, bold_lines: bool = False
) -> list[Image.Image]:
    """The frames of an animation pixelated at one scale (so nothing grows or shrinks from
    frame to frame), the largest fitting `size`; each cropped to its content."""
    contents = [trim(frame, threshold=8) for frame in frames]
    if not contents:
        raise PictureError("there are no frames to pixelate")
    widest = max(c.width for c in contents)
    tallest = max(c.height for c in contents)
    scale = min(size[0] / widest, size[1] / tallest)
    return [_shrink(c, scale, bold_lines) for c in contents]


def _shrink(content: Image.Image, scale: float, bold_lines: bool) -> Image.Image:
    """`content` scaled by `scale`, each new pixel the average of those it covers (Pillow
    weighs colours by alpha), then alpha made hard; cropped to what is left."""
    if bold_lines and scale < 0.5:
        content = _widen_dark(content, round(0.8 / scale))
    fitted = (max(1, round(content.width * scale)), max(1, round(content.height * scale)))
    pixels = as_array(content.resize(fitted, Image.Resampling.BOX)).copy()
    pixels[:, :, 3] = np.where(pixels[:, :, 3] >= SOLID, 255, 0)
    small = from_array(pixels)
    box = content_box(small)
    if box is None:
        raise PictureError("the picture is too thin to show at this size")
    return small.crop(box)


def _widen_dark(image: Image.Image, width: int) -> Image.Image:
    """Dark lines widened by `width` pixels (a minimum filter on the colours of the visible
    pixels; clear pixels count as white, so the edge does not darken)."""
    pixels = as_array(image).copy()
    colours = np.where(pixels[:, :, 3:] > 0, pixels[:, :, :3], 255).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width | 1, width | 1))
    pixels[:, :, :3] = cv2.erode(colours, kernel)
    return from_array(pixels)


def _lab(colours: np.ndarray) -> np.ndarray:
    """sRGB (0..255, any shape ending in 3) to CIELAB, where distance is closer to sight."""
    flat = colours.reshape(-1, 1, 3).astype(np.float32) / 255.0
    return cv2.cvtColor(flat, cv2.COLOR_RGB2Lab).reshape(colours.shape)


def reduce_palette(image: Image.Image, palette: Sequence[RGB] | int) -> Image.Image:
    """Every visible pixel in a colour of `palette` (the nearest by eye), or, given a count,
    in one of that many colours chosen for the picture (median cut). No dithering: sprites
    want flat areas. Clear pixels stay clear."""
    pixels = as_array(rgba(image)).copy()
    visible = pixels[:, :, 3] > 0
    if not visible.any():
        return from_array(pixels)
    colours = pixels[visible][:, :3]
    if isinstance(palette, int):
        strip = Image.fromarray(colours[None, :, :], "RGB")
        chosen = strip.quantize(palette, Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        table = np.array(chosen.getpalette()[: 3 * palette], np.uint8).reshape(-1, 3)
        pixels[visible, :3] = table[np.asarray(chosen)[0]]
        return from_array(pixels)
    table = np.array(palette, np.uint8).reshape(-1, 3)
    if table.size == 0:
        raise PictureError("the palette has no colours")
    unique, index = np.unique(colours, axis=0, return_inverse=True)
    distance = np.linalg.norm(_lab(unique)[:, None, :] - _lab(table)[None, :, :], axis=2)
    pixels[visible, :3] = table[np.argmin(distance, axis=1)][index.ravel()]
    return from_array(pixels)


def outline(image: Image.Image, colour: RGB = (0, 0, 0), *, diagonal: bool = False) -> Image.Image:
    """A one-pixel line around the sprite, on clear pixels that touch it (side by side, or
    also corner to corner with `diagonal`). Leave a margin: the canvas does not grow."""
    pixels = as_array(rgba(image)).copy()
    solid = (pixels[:, :, 3] >= SOLID).astype(np.uint8)
    shape = cv2.MORPH_RECT if diagonal else cv2.MORPH_CROSS
    ring = (cv2.dilate(solid, cv2.getStructuringElement(shape, (3, 3))) > 0) & (solid == 0)
    pixels[ring] = (*colour, 255)
    return from_array(pixels)


def to_sprite(
    image: Image.Image,
    size: tuple[int, int],
    *,
    palette: Sequence[RGB] | int | None = 16,
    outline_colour: RGB | None = (0, 0, 0),
    bold_lines: bool = False,
) -> Image.Image:
    """A cut-out figure as a game sprite of exactly `size`: pixelated (feet at the bottom),
    reduced to `palette` (None: keep its colours), with an outline (None: without);
    `bold_lines` for drawings (see `pixelate`)."""
    margin = 1 if outline_colour is not None else 0
    sprite = pixelate(image, size, margin=margin, bold_lines=bold_lines)
    if palette is not None:
        sprite = reduce_palette(sprite, palette)
    if outline_colour is not None:
        sprite = outline(sprite, outline_colour)
    return sprite
