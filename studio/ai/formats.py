"""What providers read in what a person gives them: a picture's type from its first bytes,
a "WIDTHxHEIGHT" size, and the aspect ratio or resolution a service offers for that size.

Services take pictures as PNG, JPEG or WebP (some only the first two; OpenAI's Images API
and ffmpeg GIFs too) and describe a clip's shape as an aspect ratio ("16:9") and a
resolution ("720p") where Studio may hold a size.
"""

from __future__ import annotations

__all__ = ["PICTURE_SUFFIX", "nearest_aspect", "parse_size", "picture_mime", "resolution_of"]

PICTURE_SUFFIX = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
}


def picture_mime(data: bytes, *, gif: bool = False) -> str | None:
    """ "image/png", "image/jpeg" or "image/webp" by the picture's first bytes, and with
    `gif` "image/gif"; None for anything else."""
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if gif and data.startswith(b"GIF8"):
        return "image/gif"
    return None


def parse_size(size: str | None) -> tuple[int, int] | None:
    """(width, height) of a "WIDTHxHEIGHT" size; None if it is not one."""
    try:
        width, height = (int(n) for n in (size or "").lower().split("x"))
    except ValueError:
        return None
    return (width, height) if width > 0 and height > 0 else None


def nearest_aspect(size: str | None, choices: tuple[str, ...]) -> str | None:
    """The ratio among `choices` ("16:9", ...) nearest to the size's; None without a size
    or without a ratio among the choices (others, such as "auto", are passed over)."""
    shape = parse_size(size)
    ratios = {c: r for c in choices if (r := _ratio(c)) is not None}
    if shape is None or not ratios:
        return None
    wanted = shape[0] / shape[1]
    return min(ratios, key=lambda c: abs(ratios[c] - wanted))


def resolution_of(size: str | None, choices: tuple[str, ...]) -> str | None:
    """ "720p" for a 1280x720 (or 720x1280) size, when it is among `choices`."""
    shape = parse_size(size)
    if shape is None:
        return None
    wanted = f"{min(shape)}p"
    return next((r for r in choices if r.lower() == wanted), None)


def _ratio(choice: str) -> float | None:
    width, _, height = choice.partition(":")
    try:
        return int(width) / int(height)
    except (ValueError, ZeroDivisionError):
        return None
