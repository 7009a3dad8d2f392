"""The numbers stored with a picture: sizes (`32x48`) and a sprite sheet's layout (the grid
of equal frames and where a frame stands). The project store reads them and the code model
is told them, so they are kept apart from the picture work (no numpy or Pillow here)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from studio.media.errors import PictureError

__all__ = ["Box", "SheetLayout", "parse_size"]

Box = tuple[int, int, int, int]  # left, top, right, bottom (right and bottom exclusive)
_SIZE = re.compile(r"^\s*(\d{1,5})\s*(?:[x×]\s*(\d{1,5}))?\s*$")


@dataclass(frozen=True)
class SheetLayout:
    """Where the frames of a sheet are: a grid of `columns` × `rows` cells of one size, the
    first `frames` of them used, left to right then top to bottom; `anchor` is the point of a
    frame (x from its left, y from its top) that stands on the ground."""

    columns: int
    rows: int
    frame_width: int
    frame_height: int
    frames: int
    anchor: tuple[int, int]

    def boxes(self) -> list[Box]:
        """Each frame's box in the sheet, in order (what a preview animates)."""
        w, h = self.frame_width, self.frame_height
        cells = [(i % self.columns, i // self.columns) for i in range(self.frames)]
        return [(c * w, r * h, (c + 1) * w, (r + 1) * h) for c, r in cells]

    def to_meta(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "rows": self.rows,
            "frame_width": self.frame_width,
            "frame_height": self.frame_height,
            "frames": self.frames,
            "anchor": list(self.anchor),
        }

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> SheetLayout:
        """The layout stored with an asset; PictureError when it is not one."""
        try:
            anchor = meta["anchor"]
            layout = cls(
                int(meta["columns"]),
                int(meta["rows"]),
                int(meta["frame_width"]),
                int(meta["frame_height"]),
                int(meta["frames"]),
                (int(anchor[0]), int(anchor[1])),
            )
        except (KeyError, TypeError, ValueError, IndexError):
            raise PictureError(f"not a sprite sheet layout: {dict(meta)!r}") from None
        if min(layout.columns, layout.rows, layout.frame_width, layout.frame_height) < 1 or not (
            0 < layout.frames <= layout.columns * layout.rows
        ):
            raise PictureError(f"not a sprite sheet layout: {dict(meta)!r}")
        return layout


def parse_size(text: str | int | tuple[int, int]) -> tuple[int, int]:
    """`32` → (32, 32); `"32x48"` → (32, 48). Sides from 1 to 4096."""
    if isinstance(text, int):
        width = height = text
    elif isinstance(text, tuple):
        width, height = text
    else:
        match = _SIZE.match(text)
        if not match:
            raise PictureError(f"a size looks like 32 or 32x48, not {text!r}")
        width = int(match.group(1))
        height = int(match.group(2) or width)
    if not (0 < width <= 4096 and 0 < height <= 4096):
        raise PictureError(f"a size must be between 1 and 4096 pixels a side, not {width}x{height}")
    return width, height
