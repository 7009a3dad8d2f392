"""Pictures made for tests and benchmarks, each with its truth: a figure on a textured,
noisy background (a photo), a pen drawing on paper under uneven light, a character on a flat
colour, sprite sheets with uneven gaps, and tiles that do or do not repeat; and `png`, a
plain picture of one colour for requests and the local servers' answers.

Every maker is seeded, so a picture is the same on every run. A scene is drawn as a
foreground layer (colours and coverage, drawn at a finer scale and averaged down, so edges
are anti-aliased as a camera or a drawing program leaves them) over a background: the true
mask, the true foreground colours and the background behind each edge pixel are known, so
a cut-out can be measured against them.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

__all__ = [
    "Scene",
    "SheetScene",
    "character_on_flat",
    "drawing_on_paper",
    "figure_on_texture",
    "png",
    "sprite_sheet",
    "tile",
]

RGB = tuple[int, int, int]
Draw = Callable[[ImageDraw.ImageDraw, float, float, float], None]  # (draw, x0, y0, unit)


@dataclass(frozen=True)
class Scene:
    """A test picture and its truth. Arrays are height × width (× 3), floats in 0..255."""

    image: Image.Image  # RGB, what the camera or scanner gives
    alpha: np.ndarray  # the figure's true coverage, 0..1
    foreground: np.ndarray  # the figure's true colour at each pixel
    background: np.ndarray  # the background's true colour at each pixel

    @property
    def mask(self) -> np.ndarray:
        return self.alpha >= 0.5


def _smooth_noise(rng: np.random.Generator, size: tuple[int, int], cells: int) -> np.ndarray:
    """Values 0..1 that change smoothly: a coarse random grid resized with cubic steps."""
    width, height = size
    grid = rng.random((max(2, cells * height // width), cells)).astype(np.float32)
    field = Image.fromarray(grid, "F").resize((width, height), Image.Resampling.BICUBIC)
    values = np.asarray(field)
    return (values - values.min()) / max(1e-6, float(np.ptp(values)))


def _layer(size: tuple[int, int], draw: Draw, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """Colours and coverage of what `draw` paints, drawn `scale` times finer and averaged."""
    width, height = size
    fine = Image.new("RGBA", (width * scale, height * scale), (0, 0, 0, 0))
    draw(ImageDraw.Draw(fine), width * scale / 2, height * scale * 0.95, min(width, height) * scale)
    layer = fine.resize(size, Image.Resampling.BOX) if scale > 1 else fine
    pixels = np.asarray(layer).astype(np.float32)
    return pixels[:, :, :3], pixels[:, :, 3] / 255.0


def _person(skin: RGB, shirt: RGB, trousers: RGB, hair: RGB) -> Draw:
    """A standing person seen from the front, feet near the bottom, arms away from the body."""

    def draw(d: ImageDraw.ImageDraw, cx: float, bottom: float, u: float) -> None:
        top = bottom - 0.86 * u
        head = 0.09 * u
        d.ellipse((cx - head, top, cx + head, top + 2.3 * head), fill=(*skin, 255))
        d.chord((cx - head, top - 0.01 * u, cx + head, top + 1.4 * head), 180, 360, (*hair, 255))
        neck = top + 2.2 * head
        d.rounded_rectangle(
            (cx - 0.13 * u, neck, cx + 0.13 * u, neck + 0.32 * u), 0.04 * u, (*shirt, 255)
        )
        for side in (-1, 1):  # arms held a little away: gaps between arm and body
            shoulder = (cx + side * 0.1 * u, neck + 0.04 * u)
            hand = (cx + side * 0.21 * u, neck + 0.3 * u)
            d.line((*shoulder, *hand), (*shirt, 255), int(0.06 * u))
            d.ellipse(
                (hand[0] - 0.03 * u, hand[1] - 0.03 * u, hand[0] + 0.03 * u, hand[1] + 0.03 * u),
                (*skin, 255),
            )
            leg = cx + side * 0.065 * u
            d.rectangle(
                (leg - 0.05 * u, neck + 0.3 * u, leg + 0.05 * u, bottom - 0.04 * u),
                (*trousers, 255),
            )
            d.ellipse(
                (leg - 0.07 * u, bottom - 0.07 * u, leg + 0.06 * u, bottom - 0.005 * u),
                (40, 30, 30, 255),
            )

    return draw


def _scale_for(size: tuple[int, int]) -> int:
    """Draw 4× finer for test-sized pictures; a 12-megapixel one is fine enough as it is."""
    return max(1, min(4, 2400 // max(size)))


def _compose(
    size: tuple[int, int],
    draw: Draw,
    background: np.ndarray,
    shade: np.ndarray,
    noise: float,
    rng: np.random.Generator,
) -> Scene:
    colours, alpha = _layer(size, draw, _scale_for(size))
    foreground = np.clip(colours * shade[:, :, None], 0, 255)
    mixed = alpha[:, :, None] * foreground + (1 - alpha[:, :, None]) * background
    mixed += rng.normal(0, noise, mixed.shape).astype(np.float32) if noise else 0
    image = Image.fromarray(np.clip(mixed + 0.5, 0, 255).astype(np.uint8), "RGB")
    return Scene(image, alpha, foreground, background)


def figure_on_texture(size: tuple[int, int] = (480, 360), seed: int = 0) -> Scene:
    """A photo: a person standing before a textured wall of leaves and stone crossed by
    courses of terracotta brick, with light that varies and camera noise. Like a real
    wall, each material runs on past the picture's edges: a cut-out can learn the
    background's colours from the border. (With brick as red as the shirt, GrabCut takes
    some courses for the figure: colour is all it has to go on.)"""
    rng = np.random.default_rng(seed)
    width, height = size
    patches = _smooth_noise(rng, size, 6)
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    courses = np.sin(2 * np.pi * (float(rng.uniform(1.0, 2.0)) * rows + float(rng.uniform())))
    wobble = 0.5 * (_smooth_noise(rng, size, 5) - 0.5)
    bricks = np.clip((courses + wobble - 0.55) * 4, 0, 1)[:, :, None]
    grain = _smooth_noise(rng, size, max(8, width // 12))
    leaves = np.array([70, 110, 60], np.float32)
    stone = np.array([150, 140, 125], np.float32)
    brick = np.array([180, 110, 70], np.float32)
    mix = np.clip(patches * 1.6 - 0.3, 0, 1)[:, :, None]
    background = (leaves * mix + stone * (1 - mix)) * (1 - bricks) + brick * bricks
    background = background * (0.75 + 0.5 * grain[:, :, None])
    shade = 0.85 + 0.3 * _smooth_noise(rng, size, 4)
    person = _person((225, 175, 140), (200, 50, 60), (45, 60, 150), (60, 40, 25))
    return _compose(size, person, background, shade, 6.0, rng)


def _paper_figure(ink: RGB, paper: RGB, width: float) -> Draw:
    """A pen drawing of a little knight: a closed outline (with a gap the pen skipped), the
    inside left as paper, a face, and a plume of open strokes on the helmet."""

    def draw(d: ImageDraw.ImageDraw, cx: float, bottom: float, u: float) -> None:
        line = max(1, round(width * u))
        top = bottom - 0.8 * u
        outline = [
            (cx - 0.1 * u, top + 0.05 * u),
            (cx + 0.1 * u, top + 0.05 * u),
            (cx + 0.12 * u, top + 0.25 * u),
            (cx + 0.26 * u, top + 0.32 * u),
            (cx + 0.24 * u, top + 0.42 * u),
            (cx + 0.14 * u, top + 0.4 * u),
            (cx + 0.15 * u, top + 0.62 * u),
            (cx + 0.18 * u, bottom),
            (cx + 0.03 * u, bottom),
            (cx, top + 0.66 * u),
            (cx - 0.03 * u, bottom),
            (cx - 0.18 * u, bottom),
            (cx - 0.15 * u, top + 0.62 * u),
            (cx - 0.14 * u, top + 0.4 * u),
            (cx - 0.24 * u, top + 0.42 * u),
            (cx - 0.26 * u, top + 0.32 * u),
            (cx - 0.12 * u, top + 0.25 * u),
        ]
        d.polygon(outline, fill=(*paper, 255))
        d.line([*outline, outline[0]], (*ink, 255), line, joint="curve")
        for x in (-0.05, 0.05):  # eyes
            d.ellipse(
                (cx + (x - 0.015) * u, top + 0.12 * u, cx + (x + 0.015) * u, top + 0.15 * u),
                (*ink, 255),
            )
        d.arc(
            (cx - 0.05 * u, top + 0.12 * u, cx + 0.05 * u, top + 0.21 * u),
            20,
            160,
            (*ink, 255),
            line,
        )
        for dx in (-0.03, 0.0, 0.03):  # the plume: strokes out of the outline
            d.line(
                (cx + dx * u, top + 0.05 * u, cx + dx * 2.2 * u, top - 0.06 * u), (*ink, 255), line
            )
        # The gap the pen skipped on the right leg: paper across the outline.
        gap = (cx + 0.165 * u, top + 0.7 * u)
        d.rectangle(
            (gap[0] - 0.02 * u, gap[1], gap[0] + 0.02 * u, gap[1] + 0.006 * u), (*paper, 255)
        )

    return draw


def drawing_on_paper(size: tuple[int, int] = (480, 360), seed: int = 0) -> Scene:
    """A pen drawing photographed on cream paper: light falls off towards one corner (a
    shadow of the phone), the paper has grain, the camera adds noise."""
    rng = np.random.default_rng(seed)
    width, height = size
    paper = (238, 232, 216)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    light = 1.02 - 0.4 * (xs / width) * (ys / height) - 0.15 * (ys / height)
    light *= 0.92 + 0.1 * _smooth_noise(rng, size, 3)
    grain = 1 + 0.03 * (_smooth_noise(rng, size, max(8, width // 4)) - 0.5)
    shade = light * grain
    background = np.array(paper, np.float32) * shade[:, :, None]
    knight = _paper_figure((35, 40, 80), paper, 0.008)
    return _compose(size, knight, background, shade, 3.0, rng)


def _cartoon(body: RGB, belly: RGB, dark: RGB) -> Draw:
    """A round cartoon creature holding its hand on its hip: the arm makes a closed loop,
    so some of the background is enclosed by the figure."""

    def draw(d: ImageDraw.ImageDraw, cx: float, bottom: float, u: float) -> None:
        top = bottom - 0.8 * u
        d.ellipse((cx - 0.22 * u, top + 0.2 * u, cx + 0.22 * u, bottom - 0.05 * u), (*body, 255))
        d.ellipse((cx - 0.13 * u, top + 0.4 * u, cx + 0.13 * u, bottom - 0.1 * u), (*belly, 255))
        d.ellipse((cx - 0.16 * u, top, cx + 0.16 * u, top + 0.3 * u), (*body, 255))
        for x in (-0.06, 0.06):
            d.ellipse(
                (cx + (x - 0.04) * u, top + 0.08 * u, cx + (x + 0.04) * u, top + 0.16 * u),
                (255, 255, 255, 255),
            )
            d.ellipse(
                (cx + (x - 0.015) * u, top + 0.11 * u, cx + (x + 0.015) * u, top + 0.15 * u),
                (*dark, 255),
            )
        # The arm on the hip: a ring; its hole shows the background.
        d.ellipse(
            (cx + 0.12 * u, top + 0.3 * u, cx + 0.36 * u, top + 0.55 * u),
            outline=(*body, 255),
            width=int(0.045 * u),
        )
        for x in (-0.12, 0.12):
            d.ellipse(
                (cx + (x - 0.07) * u, bottom - 0.09 * u, cx + (x + 0.07) * u, bottom), (*dark, 255)
            )

    return draw


def character_on_flat(
    size: tuple[int, int] = (480, 360), seed: int = 0, colour: RGB = (30, 190, 80)
) -> Scene:
    """A cartoon character on one flat colour (as an image model draws on a green screen),
    with a little noise from compression."""
    rng = np.random.default_rng(seed)
    width, height = size
    background = np.broadcast_to(np.array(colour, np.float32), (height, width, 3)).copy()
    shade = 0.9 + 0.1 * _smooth_noise(rng, size, 3)
    creature = _cartoon((235, 140, 40), (250, 215, 150), (50, 30, 30))
    return _compose(size, creature, background, shade, 2.0, rng)


@dataclass(frozen=True)
class SheetScene:
    """A sprite sheet as an image model draws one, and where its frames really are."""

    image: Image.Image  # RGBA (clear background) or RGB (on a flat colour)
    boxes: list[tuple[int, int, int, int]]  # each frame's content: left, top, right, bottom
    sprites: list[Image.Image]  # each frame as drawn, cropped to its content (RGBA)


def _walker(i: int, frames: int) -> Image.Image:
    """Frame `i` of a walk cycle in hard-edged pixel art; every third frame swings a sword
    that does not touch the body (the slicer must keep it with its frame)."""
    phase = np.sin(2 * np.pi * i / frames)
    swing = int(round(5 * phase))
    frame = Image.new("RGBA", (34, 34), (0, 0, 0, 0))
    d = ImageDraw.Draw(frame)
    d.ellipse((8, 0, 17, 9), (240, 190, 150, 255))  # head
    d.rectangle((9, 10, 16, 20), (60, 110, 200, 255))  # body
    d.line((10, 20, 10 - swing, 31), (80, 50, 40, 255), 3)  # legs
    d.line((15, 20, 15 + swing, 31), (80, 50, 40, 255), 3)
    d.line((9, 12, 6 + swing, 18), (240, 190, 150, 255), 2)  # arm
    if i % 3 == 0:
        d.rectangle((20, 6 + abs(swing), 21, 20 + abs(swing)), (200, 200, 210, 255))
    box = frame.getbbox()
    assert box is not None
    return frame.crop(box)


def sprite_sheet(
    frames: int = 8,
    columns: int = 4,
    seed: int = 0,
    background: RGB | None = None,
) -> SheetScene:
    """A walk cycle drawn in a rough grid: gaps between columns and rows of uneven width,
    and each frame shifted a little within its cell."""
    rng = np.random.default_rng(seed)
    sprites = [_walker(i, frames) for i in range(frames)]
    rows = -(-frames // columns)
    cell_w = max(s.width for s in sprites) + 6
    cell_h = max(s.height for s in sprites) + 6
    xs = np.cumsum(
        [int(rng.integers(3, 12))] + [cell_w + int(rng.integers(5, 25)) for _ in range(columns - 1)]
    )
    ys = np.cumsum(
        [int(rng.integers(3, 12))] + [cell_h + int(rng.integers(3, 20)) for _ in range(rows - 1)]
    )
    size = (
        int(xs[-1]) + cell_w + int(rng.integers(3, 12)),
        int(ys[-1]) + cell_h + int(rng.integers(3, 12)),
    )
    sheet = Image.new("RGBA", size, (*background, 255) if background else (0, 0, 0, 0))
    boxes = []
    for i, sprite in enumerate(sprites):
        x = int(xs[i % columns]) + int(rng.integers(0, cell_w - sprite.width + 1))
        y = int(ys[i // columns]) + int(rng.integers(0, cell_h - sprite.height + 1))
        sheet.alpha_composite(sprite, (x, y))
        boxes.append((x, y, x + sprite.width, y + sprite.height))
    image = sheet.convert("RGB") if background else sheet
    return SheetScene(image, boxes, sprites)


def tile(size: tuple[int, int] = (64, 64), seed: int = 0, repeats: bool = True) -> Image.Image:
    """A grass-and-stone texture made of waves. With `repeats`, each wave fits a whole
    number of times across and down, so the tile repeats without a seam; without, the waves
    stop part-way and the joins show."""
    rng = np.random.default_rng(seed)
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    field = np.zeros((height, width), np.float32)
    for _ in range(6):
        kx, ky = (int(k) for k in rng.integers(1, 5, 2))
        if not repeats:
            kx, ky = kx + 0.45, ky + 0.4
        phase = float(rng.uniform(0, 2 * np.pi))
        field += np.sin(2 * np.pi * (kx * xs / width + ky * ys / height) + phase)
    field = (field - field.min()) / float(np.ptp(field))
    grass = np.array([60, 140, 50], np.float32)
    stone = np.array([170, 160, 140], np.float32)
    colours = grass * (1 - field[:, :, None]) + stone * field[:, :, None]
    return Image.fromarray((colours + 0.5).astype(np.uint8), "RGB")


def png(width: int, height: int, rgb: RGB = (40, 120, 200)) -> bytes:
    """A `width` x `height` PNG of one colour (another colour, other bytes)."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), rgb).save(out, "PNG", compress_level=1)
    return out.getvalue()
