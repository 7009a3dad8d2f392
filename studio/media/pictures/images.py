"""Reading pictures safely, and the small conversions every picture tool shares."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from studio.media.errors import PictureError

__all__ = [
    "MAX_PIXELS",
    "PictureError",
    "as_array",
    "from_array",
    "open_picture",
    "picture_format",
    "png_bytes",
    "rgba",
]

# A 48-megapixel phone photo is about the largest a person brings; far larger is a
# decompression bomb (a small file that expands to gigabytes).
MAX_PIXELS = 64_000_000


def open_picture(data: bytes | Path) -> Image.Image:
    """A fully decoded picture, turned upright as the camera's EXIF says (phone photos are
    stored sideways). A damaged, foreign or enormous file raises PictureError."""
    name = data.name if isinstance(data, Path) else "the picture"
    try:
        raw = data.read_bytes() if isinstance(data, Path) else data
    except OSError as exc:
        raise PictureError(f"cannot read {name}: {exc.strerror or exc}") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            if image.width * image.height > MAX_PIXELS:
                raise PictureError(
                    f"{name} is {image.width}x{image.height}: pictures up to "
                    f"{MAX_PIXELS // 1_000_000} megapixels are accepted"
                )
            image.load()
            upright = ImageOps.exif_transpose(image)
    except PictureError:
        raise
    except UnidentifiedImageError:
        raise PictureError(
            f"{name} is not a picture Studio can read (PNG, JPEG, WebP...)"
        ) from None
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        raise PictureError(f"{name} is damaged and cannot be read ({exc})") from None
    except Image.DecompressionBombWarning:
        raise PictureError(f"{name} is too large to open safely") from None
    return _eight_bit(upright if upright is not None else image)


def _eight_bit(image: Image.Image) -> Image.Image:
    """16-bit and floating-point grey pictures as 8-bit grey (Pillow would clip them)."""
    if image.mode not in ("I", "F") and not image.mode.startswith("I;16"):
        return image
    values = np.asarray(image, dtype=np.float64)
    top = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
    return Image.fromarray(np.clip(values / top * 255 + 0.5, 0, 255).astype(np.uint8), "L")


def picture_format(data: bytes) -> str | None:
    """ "png", "jpeg", "webp" or "gif" from the first bytes, else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def rgba(image: Image.Image) -> Image.Image:
    """The picture in RGBA (palette, grey and CMYK pictures included)."""
    return image if image.mode == "RGBA" else image.convert("RGBA")


def as_array(image: Image.Image, mode: str = "RGBA") -> np.ndarray:
    """The pixels as a uint8 array: height × width × channels."""
    return np.asarray(image if image.mode == mode else image.convert(mode))


def from_array(pixels: np.ndarray) -> Image.Image:
    """A picture from a uint8 (or 0..255 float) array of 1, 3 or 4 channels."""
    data = np.clip(pixels, 0, 255).astype(np.uint8) if pixels.dtype != np.uint8 else pixels
    mode = "L" if data.ndim == 2 else {1: "L", 3: "RGB", 4: "RGBA"}[data.shape[2]]
    if data.ndim == 3 and data.shape[2] == 1:
        data = data[:, :, 0]
    return Image.fromarray(np.ascontiguousarray(data), mode)


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
