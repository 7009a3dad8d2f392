"""The pictures the local Images API server answers with: drawn with Pillow, the same for the
same request, and easy for a test to recognise.

- A picture (`figure`): one character, standing on its feet at the bottom middle, in the
  prompt's colour (`prompt_colour`) with a dark outline, on a flat light ground or, when a
  transparent background was asked for, on nothing (alpha 0).
- A sprite sheet (`sheet`), when the prompt asks for "N frames" (in "a grid of C columns",
  else in one row): N such characters, one per cell, each a little further in its walk
  (legs apart, then together) and each in its own colour (`frame_colour`), so a test can
  tell the frames apart on a screen.
- An edit (`edited`): the first input picture fitted to the size asked for; where the mask
  is transparent (or everywhere, without a mask) it takes the prompt's colour half way. An
  edit asked for a transparent background without a mask ("this person as a game hero")
  answers a character on nothing in the colour of the input's middle (`likeness`).
"""

from __future__ import annotations

import hashlib
import io
import re

from PIL import Image, ImageDraw

__all__ = [
    "GROUND",
    "OUTLINE",
    "edited",
    "figure",
    "frame_colour",
    "frames_asked",
    "likeness",
    "paint",
    "png_bytes",
    "prompt_colour",
    "sheet",
]

GROUND = (236, 232, 220)  # the flat background of an opaque picture
OUTLINE = (24, 20, 28)
_FRAMES = re.compile(r"\b(\d{1,2})[- ]frames?\b", re.I)
_COLUMNS = re.compile(r"\b(\d{1,2}) columns?\b", re.I)
# Distinct, saturated colours for the frames of a sheet.
_FRAME_COLOURS = (
    (220, 40, 60),
    (40, 170, 80),
    (40, 90, 220),
    (230, 160, 20),
    (160, 50, 200),
    (20, 180, 190),
    (240, 100, 160),
    (120, 120, 40),
)

RGBA = tuple[int, int, int, int]


def prompt_colour(prompt: str) -> tuple[int, int, int]:
    """A saturated colour that stands for the prompt (the same prompt, the same colour)."""
    digest = hashlib.sha256(prompt.strip().lower().encode()).digest()
    channels = [60 + digest[0] % 150, 60 + digest[1] % 150, 60 + digest[2] % 150]
    channels[digest[3] % 3] = 225  # one strong channel: never grey, never the ground
    channels[(digest[3] + 1) % 3] = 35
    return channels[0], channels[1], channels[2]


def frame_colour(index: int) -> tuple[int, int, int]:
    return _FRAME_COLOURS[index % len(_FRAME_COLOURS)]


def frames_asked(prompt: str) -> tuple[int, int]:
    """How many frames a prompt asks for ("a sprite sheet of 4 frames"), and in how many
    columns ("a grid of 2 columns"; else all in one row): (0, 0) for a picture."""
    found = _FRAMES.search(prompt)
    if not found:
        return 0, 0
    frames = max(1, min(int(found.group(1)), 16))
    columns = _COLUMNS.search(prompt)
    return frames, max(1, min(int(columns.group(1)), frames)) if columns else frames


def _draw_character(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    colour: tuple[int, int, int],
    step: int,
) -> None:
    """A character standing on the bottom of `box`: head, body, two legs (apart by `step`)."""
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    cx = left + width // 2
    unit = max(1, min(width, height) // 16)
    head_r = 2 * unit
    body_top = bottom - 11 * unit
    fill = (*colour, 255)
    line = (*OUTLINE, 255)
    draw.ellipse(
        (cx - head_r, body_top - 2 * head_r, cx + head_r, body_top),
        fill=fill,
        outline=line,
        width=max(1, unit // 2),
    )
    draw.rectangle(
        (cx - 2 * unit, body_top, cx + 2 * unit, bottom - 5 * unit),
        fill=fill,
        outline=line,
        width=max(1, unit // 2),
    )
    spread = (step % 4) * unit // 2 + unit
    for foot in (cx - spread, cx + spread):
        draw.rectangle(
            (foot - unit // 2, bottom - 5 * unit, foot + unit // 2, bottom - 1),
            fill=line,
        )


def _canvas(width: int, height: int, transparent: bool) -> Image.Image:
    ground: RGBA = (0, 0, 0, 0) if transparent else (*GROUND, 255)
    return Image.new("RGBA", (width, height), ground)


def figure(
    prompt: str, width: int, height: int, transparent: bool, variant: int = 0
) -> Image.Image:
    """The character; each `variant` (the pictures of one request) stands a little apart."""
    return _standing(_canvas(width, height, transparent), prompt_colour(prompt), variant)


def _standing(image: Image.Image, colour: tuple[int, int, int], variant: int) -> Image.Image:
    """`image` with one character standing on its bottom middle, three quarters as tall."""
    width, height = image.size
    side = min(width, height) * 3 // 4
    left, bottom = (width - side) // 2, height - max(1, height // 16)
    _draw_character(
        ImageDraw.Draw(image), (left, bottom - side, left + side, bottom), colour, variant
    )
    return image


def sheet(
    frames: int,
    width: int,
    height: int,
    transparent: bool,
    variant: int = 0,
    columns: int | None = None,
) -> Image.Image:
    """`frames` characters in rows of `columns` equal cells (one row by default), each
    standing on its cell's bottom."""
    image = _canvas(width, height, transparent)
    draw = ImageDraw.Draw(image)
    columns = columns or frames
    rows = -(-frames // columns)
    cell_w, cell_h = width // columns, height // rows
    side = min(cell_w, cell_h) * 3 // 4
    for i in range(frames):
        left = (i % columns) * cell_w + (cell_w - side) // 2
        bottom = (i // columns + 1) * cell_h - max(1, cell_h // 8)
        box = (left, bottom - side, left + side, bottom)
        _draw_character(draw, box, frame_colour(i + variant), i)
    return image


def edited(
    source: Image.Image,
    prompt: str,
    width: int,
    height: int,
    transparent: bool,
    mask: Image.Image | None,
    variant: int = 0,
) -> Image.Image:
    """What an edit answers. With a mask: the input, changed (tinted) where the mask is
    transparent. Asked for a see-through background without a mask ("this person as a game
    hero"): a character on nothing, in the colour of the input's middle (its likeness).
    Otherwise: the whole input tinted by the prompt's colour."""
    original = source.convert("RGBA").resize((width, height), Image.Resampling.LANCZOS)
    if transparent and mask is None:
        return _standing(_canvas(width, height, True), likeness(original), variant)
    tint = Image.new("RGBA", (width, height), (*prompt_colour(prompt), 255))
    blended = Image.blend(original, tint, 0.5 + 0.04 * (variant % 10))
    if mask is None:
        return blended
    # The API's rule: the mask's fully transparent pixels are where to change.
    where = mask.convert("RGBA").resize((width, height)).getchannel("A")
    picture = original.copy()
    picture.paste(blended, (0, 0), where.point(lambda a: 255 if a == 0 else 0))
    return picture


def likeness(picture: Image.Image) -> tuple[int, int, int]:
    """The mean colour of the middle ninth of a picture: what a hero drawn from it wears."""
    w, h = picture.size
    middle = picture.convert("RGB").crop((w // 3, h // 3, 2 * w // 3, 2 * h // 3))
    r, g, b = (int(v) for v in middle.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0)))
    return r, g, b


def paint(prompt: str, width: int, height: int, transparent: bool, variant: int = 0) -> Image.Image:
    """What a generation answers: a sheet when the prompt asks for frames, else a figure
    (`variant`: which picture of the request, so that no two are the same)."""
    frames, columns = frames_asked(prompt)
    if frames > 1:
        return sheet(frames, width, height, transparent, variant, columns)
    return figure(prompt, width, height, transparent, variant)


def png_bytes(image: Image.Image, output_format: str = "png") -> bytes:
    out = io.BytesIO()
    if output_format in ("jpeg", "jpg"):
        image.convert("RGB").save(out, "JPEG", quality=90)
    elif output_format == "webp":
        image.save(out, "WEBP", lossless=True)
    else:
        image.save(out, "PNG")
    return out.getvalue()
