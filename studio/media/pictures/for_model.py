"""A picture made ready to go to a language model with a prompt: read safely, brought down
to at most 1024 pixels on its longer side (more costs tokens and tells a model little more
about a sketch or a game's frame), and encoded as PNG, or as JPEG when a PNG of a photo
would be large."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from studio.media.pictures.images import PictureError, open_picture, png_bytes

__all__ = ["MAX_SIDE", "ModelPicture", "picture_for_model"]

MAX_SIDE = 1024
PNG_LIMIT = 400_000  # bytes: past this, a picture without transparency goes as JPEG


@dataclass(frozen=True)
class ModelPicture:
    data: bytes
    mime: str
    width: int
    height: int


def picture_for_model(data: bytes, name: str = "the picture") -> ModelPicture:
    """`data` (PNG, JPEG, WebP, GIF…) fitted and encoded; a damaged or foreign file raises
    `studio.media.errors.PictureError` naming `name`."""
    try:
        image = open_picture(data)
    except PictureError as exc:  # it says "the picture": say which one
        raise PictureError(str(exc).replace("the picture", name, 1)) from None
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    see_through = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if see_through else "RGB")
    encoded, mime = png_bytes(image), "image/png"
    if len(encoded) > PNG_LIMIT and not see_through:
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=85, optimize=True)
        encoded, mime = out.getvalue(), "image/jpeg"
    return ModelPicture(encoded, mime, image.width, image.height)
