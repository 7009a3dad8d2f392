"""The request that asks the code model to use a picture.

Apart from `studio.operations.pictures` (whose picture work loads OpenCV and NumPy), so the
Images pane can offer it without loading them at start.
"""

from __future__ import annotations

from studio.core.pictures import Picture

_PURPOSES = {
    "player": "as the player's character, in place of the shape that is drawn for it now",
    "enemy": "for the enemies, in place of the shapes drawn for them now",
    "background": "as the game's background, behind everything",
}


def use_picture_request(pic: Picture, purpose: str | None = None) -> str:
    """The request that asks the code model to use a picture (Chat's "use as the player",
    an asset's "Use in game…")."""
    how = _PURPOSES.get(purpose or "", purpose or "in the game where it fits best")
    extra = ""
    if pic.layout:
        extra = f" It is a sprite sheet of {pic.layout.frames} frames: animate it."
    elif pic.kind == "background":
        extra = " Let it scroll if the game scrolls."
    return f"Use the picture {pic.url} {how}.{extra} Keep everything else as it is."
