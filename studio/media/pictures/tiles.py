"""Tiles and scrolling backgrounds: does a picture repeat without a seam, and making it so.

A seam is where the right edge meets the left edge of the next copy (or the bottom meets
the top). It shows when the step across that join is much larger than the steps between
neighbouring columns (rows) inside the picture: the score is the mean colour step across
the join divided by the typical step inside (1 for a picture that repeats, 3 and more for
a visible seam).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from studio.media.errors import PictureError
from studio.media.pictures.images import as_array, from_array, rgba

__all__ = ["SEAM_SCORE", "SeamCheck", "check_seams", "make_repeating"]

SEAM_SCORE = 2.0  # a join whose step is more than this many typical steps shows


@dataclass(frozen=True)
class SeamCheck:
    across: float  # the left/right join's score
    down: float  # the top/bottom join's score

    @property
    def repeats_across(self) -> bool:
        return self.across <= SEAM_SCORE

    @property
    def repeats_down(self) -> bool:
        return self.down <= SEAM_SCORE

    @property
    def tiles(self) -> bool:
        return self.repeats_across and self.repeats_down

    def describe(self) -> str:
        joins = [
            name
            for name, ok in (("left/right", self.repeats_across), ("top/bottom", self.repeats_down))
            if not ok
        ]
        return "repeats without a seam" if not joins else f"seam at the {' and '.join(joins)} edges"


def _join_score(pixels: np.ndarray) -> float:
    """The step from the last column to the first over the median step between columns."""
    if pixels.shape[1] < 3:
        raise PictureError("a tile must be at least 3 pixels a side")
    steps = np.abs(np.diff(pixels, axis=1)).mean(axis=(0, 2))
    join = float(np.abs(pixels[:, 0] - pixels[:, -1]).mean())
    return join / max(float(np.median(steps)), 1.0)


def check_seams(image: Image.Image) -> SeamCheck:
    """How visible the joins are when the picture is repeated across and down."""
    pixels = as_array(rgba(image)).astype(np.float32)
    pixels = np.dstack([pixels[:, :, :3] * pixels[:, :, 3:] / 255.0, pixels[:, :, 3]])
    return SeamCheck(_join_score(pixels), _join_score(pixels.transpose(1, 0, 2)))


def _blend_across(pixels: np.ndarray, overlap: int) -> np.ndarray:
    """The picture `overlap` columns narrower, its first columns faded into its last: the
    new first column follows on from the new last one as in the original picture."""
    width = pixels.shape[1]
    kept = pixels[:, : width - overlap].copy()
    fade = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap  # 0 → 1 along the overlap
    tail = pixels[:, width - overlap :]
    kept[:, :overlap] = tail * (1 - fade)[None, :, None] + kept[:, :overlap] * fade[None, :, None]
    return kept


def make_repeating(
    image: Image.Image, *, across: bool = True, down: bool = False, overlap: float = 0.15
) -> Image.Image:
    """A background that scrolls without a seam: the picture's ends cross-faded over
    `overlap` of its width (height), so it becomes that much narrower (shorter)."""
    if not 0 < overlap < 0.5:
        raise PictureError("the overlap must be between 0 and half the picture")
    pixels = as_array(rgba(image)).astype(np.float32)
    if across:
        pixels = _blend_across(pixels, max(1, round(pixels.shape[1] * overlap)))
    if down:
        pixels = _blend_across(pixels.transpose(1, 0, 2), max(1, round(pixels.shape[0] * overlap)))
        pixels = pixels.transpose(1, 0, 2)
    return from_array(pixels + 0.5)
