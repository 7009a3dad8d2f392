"""Palettes: the well-known ones by name, and reading one from what a person types."""

from __future__ import annotations

import re
from collections.abc import Sequence

from studio.media.errors import PictureError

__all__ = ["PALETTES", "RGB", "palette_colours", "parse_palette"]

RGB = tuple[int, int, int]

# Well-known small palettes, each public and widely used for pixel art.
PALETTES: dict[str, tuple[str, ...]] = {
    "pico-8": (
        "#000000",
        "#1d2b53",
        "#7e2553",
        "#008751",
        "#ab5236",
        "#5f574f",
        "#c2c3c7",
        "#fff1e8",
        "#ff004d",
        "#ffa300",
        "#ffec27",
        "#00e436",
        "#29adff",
        "#83769c",
        "#ff77a8",
        "#ffccaa",
    ),  # fmt: skip
    "game-boy": ("#0f380f", "#306230", "#8bac0f", "#9bbc0f"),
    "sweetie-16": (
        "#1a1c2c",
        "#5d275d",
        "#b13e53",
        "#ef7d57",
        "#ffcd75",
        "#a7f070",
        "#38b764",
        "#257179",
        "#29366f",
        "#3b5dc9",
        "#41a6f6",
        "#73eff7",
        "#f4f4f4",
        "#94b0c2",
        "#566c86",
        "#333c57",
    ),  # fmt: skip
}
_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


def parse_palette(text: str) -> tuple[RGB, ...] | int:
    """A palette by name (`pico-8`), a colour count (`16`), or colours (`#1a1c2c,#5d275d`)."""
    text = text.strip().lower()
    if text in PALETTES:
        return palette_colours(PALETTES[text])
    if text.isdigit():
        count = int(text)
        if not 2 <= count <= 256:
            raise PictureError(f"a palette has 2 to 256 colours, not {count}")
        return count
    colours = [c for c in re.split(r"[\s,;]+", text) if c]
    if len(colours) >= 2 and all(_HEX.match(c) for c in colours):
        return palette_colours(colours)
    names = ", ".join(PALETTES)
    raise PictureError(f"a palette is one of {names}, a number of colours, or #rrggbb colours")


def palette_colours(colours: Sequence[str]) -> tuple[RGB, ...]:
    """`#rrggbb` strings as RGB triples."""
    out = []
    for colour in colours:
        match = _HEX.match(colour.strip())
        if not match:
            raise PictureError(f"{colour!r} is not a #rrggbb colour")
        value = int(match.group(1), 16)
        out.append((value >> 16, (value >> 8) & 255, value & 255))
    return tuple(out)
