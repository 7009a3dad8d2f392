"""What an image model is told for each kind of game picture, and what each kind defaults to.

A person writes what the picture shows ("a knight with a red cape"); Studio adds what makes
it usable in a game (one whole character on nothing, frames in a row of equal cells with
the feet on one line, a background that joins up when it repeats) and the project's style,
so every picture of a game matches the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "KINDS",
    "PictureKind",
    "compose_prompt",
    "hero_prompt",
    "kind",
    "player_request",
    "use_request",
]


@dataclass(frozen=True)
class PictureKind:
    name: str  # as stored in a job and an asset's metadata
    label: str  # as the form shows it
    size: str  # the size to ask for when the person does not choose one
    transparent: bool  # whether to ask for a see-through background
    words: str  # what the model is told besides the person's prompt ({frames} for sheets)


KINDS: dict[str, PictureKind] = {
    k.name: k
    for k in (
        PictureKind(
            "character",
            "Character",
            "1024x1024",
            True,
            "One game character, whole body from head to feet, side view facing right, "
            "centred, on a transparent background, no text.",
        ),
        PictureKind(
            "sprite_sheet",
            "Sprite sheet",
            "1536x1024",
            True,
            "A sprite sheet: {frames} frames of the same character in one row, a walk cycle, "
            "each frame in an equal cell, the same size in every frame, feet on the same line, "
            "side view facing right, transparent background, no text, no grid lines.",
        ),
        PictureKind(
            "background",
            "Background",
            "1536x1024",
            False,
            "A game background for side scrolling, wider than tall, whose left and right edges "
            "join up seamlessly when it repeats; no characters, no text.",
        ),
        PictureKind(
            "tile",
            "Tile",
            "1024x1024",
            False,
            "A square game tile seen from above that repeats seamlessly in every direction; "
            "no border, no text.",
        ),
        PictureKind(
            "item",
            "Item",
            "1024x1024",
            True,
            "One game item or pickup, whole, centred, on a transparent background, no text.",
        ),
        PictureKind(
            "ui",
            "UI",
            "1024x1024",
            True,
            "One game interface element (a button, panel or icon), flat and readable, centred, "
            "on a transparent background.",
        ),
    )
}
DEFAULT_FRAMES = 4


def kind(name: str) -> PictureKind:
    """The kind `name` ("character", "sprite_sheet", "sprite sheet", ...); a clear error if
    there is none."""
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    if key not in KINDS:
        raise ValueError(f"no picture kind {name!r} (kinds: {', '.join(KINDS)})")
    return KINDS[key]


def compose_prompt(
    prompt: str, kind_name: str, style: str | None, frames: int | None = None
) -> str:
    """The whole prompt: the person's words, what the kind needs, the project's style."""
    words = kind(kind_name).words.format(frames=frames or DEFAULT_FRAMES)
    parts = [prompt.strip().rstrip(".") + ".", words]
    if style and style.strip():
        parts.append(f"Style: {style.strip().rstrip('.')}.")
    return " ".join(parts)


def hero_prompt(sprite_size: int, style: str | None) -> str:
    """What an image model is told to make a game hero of a person's photo or drawing."""
    return compose_prompt(
        f"This person (or drawing) as a {sprite_size}-pixel side-view game hero. Keep the "
        "likeness: face, hair, skin, clothes and their colours as in the picture",
        "character",
        style,
    )


def _sheet_words(meta: Mapping[str, Any]) -> str:
    """How a sprite sheet is laid out, in the words a game's code needs (or "")."""
    layout = meta.get("layout") if isinstance(meta.get("layout"), Mapping) else meta
    try:
        columns, frames = int(layout["columns"]), int(layout["frames"])
        width, height = int(layout["frame_width"]), int(layout["frame_height"])
    except (KeyError, TypeError, ValueError):
        return ""
    anchor = layout.get("anchor") or (width // 2, height)
    return (
        f" It is a sprite sheet of {frames} frames, {columns} to a row, each {width}x{height} "
        f"pixels: frame i is at x = (i % {columns}) * {width}, y = floor(i / {columns}) * "
        f"{height}; the point of a frame that stands on the ground is ({anchor[0]}, "
        f"{anchor[1]}). Animate it at about 8 frames a second while the player moves."
    )


def player_request(name: str, meta: Mapping[str, Any]) -> str:
    """What the code model is asked to make picture `name` the player."""
    return (
        f"Use the picture assets/{name} as the player: draw the player with it instead of the "
        "shape it has now, scaled to the player's size with its proportions kept and crisp "
        "pixels (imageSmoothingEnabled = false), facing the way it moves (flip it "
        "horizontally when it moves left). Keep the controls and the rest of the game as "
        "they are." + _sheet_words(meta)
    )


def use_request(name: str, meta: Mapping[str, Any]) -> str:
    """A first wording of "use picture `name` in the game", for the person to finish."""
    kind = str(meta.get("kind") or "")
    what = {
        "background": "as the background, repeated as the view scrolls",
        "tile": "as the tile the ground and walls are drawn with, repeated",
        "item": "for the items the player collects",
        "ui": "in the game's interface",
        "sprite_sheet": "as an animated character",
    }.get(kind, "in the game")
    return f"Use the picture assets/{name} {what}." + _sheet_words(meta)
