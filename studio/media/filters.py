"""Filter chains shared by the operations."""

from __future__ import annotations

from typing import Any

# A bound on picture size: an int bounds both sides (the longest side), a pair bounds each.
MaxSize = int | tuple[int, int]


def square_pixels(video: Any) -> Any:
    """Resample non-square pixels (old camcorders, some phones) to square ones.

    A no-op for nearly every file; it lets later fitting keep the shape a player shows.
    """
    return video.filter("scale", "iw*sar", "ih").filter("setsar", 1)


def fit_within(video: Any, max_size: MaxSize | None, *, even: bool) -> Any:
    """Scale an ffmpeg-python video stream down to fit ``max_size``, keeping its shape.

    Never scales up. ``even`` rounds both sides to even numbers, which H.264 and VP9 in
    yuv420p need.
    """
    if max_size is None and not even:
        return video
    if max_size is None:
        box_w, box_h = "iw", "ih"
    else:
        width, height = (max_size, max_size) if isinstance(max_size, int) else max_size
        if width <= 0 or height <= 0:
            raise ValueError(f"max_size must be positive, not {max_size!r}")
        box_w, box_h = f"min(iw,{width})", f"min(ih,{height})"
    options: dict[str, Any] = {"force_original_aspect_ratio": "decrease"}
    if even:
        options["force_divisible_by"] = 2
    return square_pixels(video).filter("scale", box_w, box_h, **options).filter("setsar", 1)


def fit_exactly(video: Any, width: int, height: int) -> Any:
    """Scale to fit ``width`` x ``height`` and pad the rest with black (letterbox)."""
    fitted = square_pixels(video).filter(
        "scale", width, height, force_original_aspect_ratio="decrease", force_divisible_by=2
    )
    return fitted.filter("pad", width, height, "(ow-iw)/2", "(oh-ih)/2").filter("setsar", 1)
