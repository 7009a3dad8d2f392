"""Sprite sheets: an animation asked for as one picture in a grid, sliced into frames.

An image model draws the frames roughly in a grid, with uneven gaps and each frame a little
higher or lower than the last. Slicing finds each frame's content (rows of content
separated by clear rows, then, in each row, columns separated by clear columns), and
`make_sheet` puts the frames into a regular grid of equal cells with a common anchor at the
feet: each frame's bottom on the cell's bottom, its centre of mass over the anchor's x. A
game then draws frame i from (i % columns, i // columns) × the frame size and stands it on
the ground at the anchor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from studio.media.errors import PictureError
from studio.media.pictures.images import as_array, rgba
from studio.media.pictures.layout import Box, SheetLayout

__all__ = [
    "Box",
    "Sheet",
    "SheetLayout",
    "find_frames",
    "frame_at",
    "make_sheet",
    "slice_sheet",
    "split_frames",
]

VISIBLE = 16  # alpha above which a pixel is content when looking for frames
FRAGMENT = 0.3  # a run of content narrower than this share of the typical one is a part


@dataclass(frozen=True)
class Sheet:
    image: Image.Image  # RGBA: the frames in a regular grid, no gaps
    layout: SheetLayout
    found: tuple[Box, ...] = ()  # where each frame was found in the picture sliced


def _runs(filled: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True in a 1-D array."""
    edges = np.diff(np.concatenate([[0], filled.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _merge(runs: list[tuple[int, int]], most: int | None) -> list[tuple[int, int]]:
    """Runs far narrower than the typical one (a sword apart from its knight) joined to the
    nearer neighbour; then, while there are more than `most`, the two with the smallest gap
    between them joined."""
    runs = list(runs)
    while len(runs) > 1:
        widths = [end - start for start, end in runs]
        narrow = [k for k, w in enumerate(widths) if w < FRAGMENT * float(np.median(widths))]
        gaps = [b[0] - a[1] for a, b in zip(runs, runs[1:], strict=False)]
        if narrow:
            k = narrow[0]
            before = gaps[k - 1] if k > 0 else None
            after = gaps[k] if k < len(gaps) else None
            i = k - 1 if after is None or (before is not None and before <= after) else k
        elif most is not None and len(runs) > most:
            i = int(np.argmin(gaps))
        else:
            break
        runs[i : i + 2] = [(runs[i][0], runs[i + 1][1])]
    return runs


def find_frames(
    image: Image.Image, *, columns: int | None = None, rows: int | None = None
) -> list[Box]:
    """The content box of each frame of a sheet with a clear background, in reading order.
    `columns` and `rows`, when known, settle frames whose parts do not touch."""
    return [box for row in _find_rows(image, columns, rows) for box in row]


def _find_rows(image: Image.Image, columns: int | None, rows: int | None) -> list[list[Box]]:
    alpha = as_array(rgba(image).getchannel("A"), "L") > VISIBLE
    found: list[list[Box]] = []
    bands = _merge(_runs(alpha.any(axis=1)), rows)
    if rows is not None and len(bands) != rows:
        raise PictureError(f"found {len(bands)} rows of frames, not {rows}")
    for top, bottom in bands:
        band = alpha[top:bottom]
        row = []
        for left, right in _merge(_runs(band.any(axis=0)), columns):
            ys = np.flatnonzero(band[:, left:right].any(axis=1))
            row.append((int(left), int(top + ys[0]), int(right), int(top + ys[-1] + 1)))
        found.append(row)
    if not found:
        raise PictureError("the sheet is empty: no frames were found")
    return found


def make_sheet(frames: Sequence[Image.Image], *, columns: int | None = None) -> Sheet:
    """Frames in a regular grid of equal cells (`columns` wide; all in one row by default),
    each standing on the cell's bottom with its centre of mass over the common anchor."""
    if not frames:
        raise PictureError("a sheet needs at least one frame")
    trimmed = []
    for frame in frames:
        box = _content(frame)
        trimmed.append(rgba(frame).crop(box))
    centres = [_centre_x(f) for f in trimmed]
    left = max(centres)
    width = left + max(f.width - c for f, c in zip(trimmed, centres, strict=True))
    height = max(f.height for f in trimmed)
    columns = max(1, min(columns or len(trimmed), len(trimmed)))
    rows = -(-len(trimmed) // columns)
    sheet = Image.new("RGBA", (columns * width, rows * height), (0, 0, 0, 0))
    for i, (frame, centre) in enumerate(zip(trimmed, centres, strict=True)):
        x = (i % columns) * width + left - centre
        y = (i // columns) * height + height - frame.height
        sheet.paste(frame, (x, y))
    layout = SheetLayout(columns, rows, width, height, len(trimmed), (left, height))
    return Sheet(sheet, layout)


def slice_sheet(
    image: Image.Image,
    *,
    columns: int | None = None,
    rows: int | None = None,
    frames: int | None = None,
) -> Sheet:
    """A sheet drawn as one picture, on a clear background (cut out an opaque one first),
    as a regular sheet in the grid it was drawn in: the frames found (`columns` and `rows`
    say how many were drawn, when known), the first `frames` of them kept."""
    grid = _find_rows(image, columns, rows)
    found = [box for row in grid for box in row]
    if frames is not None:
        if not 0 < frames <= len(found):
            raise PictureError(f"the sheet has {len(found)} frames, not {frames}")
        found = found[:frames]
    picture = rgba(image)
    sheet = make_sheet([picture.crop(box) for box in found], columns=columns or len(grid[0]))
    return Sheet(sheet.image, sheet.layout, tuple(found))


def split_frames(image: Image.Image, layout: SheetLayout) -> list[Image.Image]:
    """The frames of a regular sheet, in order."""
    if image.width < layout.columns * layout.frame_width or image.height < (
        layout.rows * layout.frame_height
    ):
        raise PictureError("the picture is smaller than its sheet layout says")
    return [rgba(image).crop(box) for box in layout.boxes()]


def frame_at(layout: SheetLayout, seconds: float, fps: float, *, loop: bool = True) -> int:
    """The frame shown `seconds` into the animation at `fps` frames a second."""
    if fps <= 0:
        raise PictureError("the frame rate must be above zero")
    index = int(max(0.0, seconds) * fps)
    return index % layout.frames if loop else min(index, layout.frames - 1)


def _content(frame: Image.Image) -> Box:
    alpha = as_array(rgba(frame).getchannel("A"), "L") > 0
    ys, xs = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
    if ys.size == 0:
        raise PictureError("a frame is empty: every pixel is transparent")
    return int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1


def _centre_x(frame: Image.Image) -> int:
    """The column over which the frame's mass (its alpha) balances."""
    mass = as_array(frame.getchannel("A"), "L").astype(np.float64).sum(axis=0)
    return int(round(float(np.average(np.arange(frame.width) + 0.5, weights=mass)) - 0.5))
