"""What a video request may ask of a model, checked against the model's capabilities.

Forms offer only what `VideoCapabilities` lists; the queue checks every request here too
(the command line, scripts and stories reach it without a form), so an option the model
would refuse is refused before anything is sent or paid for, in one sentence that says what
the model takes instead.

Lengths and sizes are checked only against a provider that describes each model exactly
(`strict`: it has `capabilities_for`, plugin API 2); for an older provider they are the
menu a form offers, and other values are left to the service.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from studio.ai.video_provider import VideoCapabilities, VideoRequest

__all__ = [
    "aspect_of",
    "capability_words",
    "extend_problem",
    "model_words",
    "nearest",
    "request_problem",
    "words",
]


def words(values: Iterable[object], unit: str = "") -> str:
    """`4, 6 or 8 s`: a list for a sentence."""
    items = [f"{v}" for v in values]
    if not items:
        return "nothing"
    text = items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"
    return text + unit


def model_words(provider: str, model: str | None) -> str:
    """How a sentence names what makes the clip: `veo (veo-3.1-fast)`, or `title-cards`."""
    return f"{provider} ({model})" if model else provider


def aspect_of(size: str) -> str | None:
    """`1280x720` → `16:9`; None for a text that is no size."""
    width, _, height = size.partition("x")
    if not (width.isdigit() and height.isdigit()) or not int(width) or not int(height):
        return None
    common = math.gcd(int(width), int(height))
    return f"{int(width) // common}:{int(height) // common}"


def nearest(values: Sequence[int], wanted: int) -> int:
    """The value of `values` closest to `wanted` (the longer one on a tie)."""
    if not values:
        return wanted
    return min(values, key=lambda v: (abs(v - wanted), -v))


def request_problem(
    caps: VideoCapabilities, request: VideoRequest, *, what: str, strict: bool = True
) -> str | None:
    """Why the model described by `caps` would refuse `request` (None: it would not)."""
    if strict and request.seconds and caps.durations and request.seconds not in caps.durations:
        return f"{what} makes clips of {words(caps.durations, ' s')}, not {request.seconds} s."
    shape = _shape_problem(caps, request, what=what, strict=strict)
    if shape:
        return shape
    if request.image and not caps.image_reference:
        return f"{what} cannot start from a picture (a first frame)."
    if request.last_frame and not caps.last_frame:
        return f"{what} cannot end on a given picture (a last frame)."
    count = len(request.references)
    if count > caps.reference_images:
        if caps.reference_images == 0:
            return f"{what} takes no reference pictures."
        return (
            f"{what} takes at most {caps.reference_images} reference picture"
            f"{'s' if caps.reference_images != 1 else ''}, not {count}."
        )
    if request.audio and not caps.audio:
        return f"{what} makes no sound: turn audio off."
    if request.negative_prompt and request.negative_prompt.strip() and not caps.negative_prompt:
        return f"{what} takes no negative prompt."
    if request.seed is not None and not caps.seed:
        return f"{what} takes no seed."
    return None


def _shape_problem(
    caps: VideoCapabilities, request: VideoRequest, *, what: str, strict: bool
) -> str | None:
    """A size, aspect ratio or resolution the model does not take."""
    if request.size:
        if caps.sizes:
            if strict and request.size not in caps.sizes:
                return f"{what} makes clips of {words(caps.sizes)}, not {request.size}."
        elif caps.aspect_ratios and aspect_of(request.size) not in caps.aspect_ratios:
            # A size whose shape the model makes is the provider's to map (1280x720: 16:9).
            return (
                f"{what} makes clips in the aspect ratio {words(caps.aspect_ratios)}, not "
                f"{request.size}."
            )
    for value, offered, name in (
        (request.aspect, caps.aspect_ratios, "aspect ratio"),
        (request.resolution, caps.resolutions, "resolution"),
    ):
        if not value or value in offered:
            continue
        if offered:
            return f"{what} makes clips in the {name} {words(offered)}, not {value}."
        if caps.sizes:
            return f"{what} takes a size in pixels ({words(caps.sizes)}), not an {name}."
        return f"{what} takes no {name}."
    return None


def extend_problem(
    caps: VideoCapabilities, seconds: int, *, what: str, strict: bool = True
) -> str | None:
    """Why the model would refuse to extend a clip by `seconds` (None: it would not)."""
    if not caps.extend:
        return f"{what} cannot extend a clip."
    offered = caps.extend_durations
    if strict and offered and seconds not in offered:
        return f"{what} extends clips by {words(offered, ' s')}, not {seconds} s."
    return None


def capability_words(caps: VideoCapabilities) -> list[str]:
    """What a model takes, compactly: `4, 6 or 8 s`, `16:9 or 9:16 at 720p or 1080p`,
    `first frame`, `3 reference pictures`, ..."""
    out = []
    if caps.durations:
        out.append(words(caps.durations, " s"))
    if caps.sizes:
        out.append(words(caps.sizes))
    if caps.aspect_ratios or caps.resolutions:
        shape = words(caps.aspect_ratios) if caps.aspect_ratios else "any shape"
        out.append(shape + (f" at {words(caps.resolutions)}" if caps.resolutions else ""))
    flags = (
        (caps.image_reference, "first frame"),
        (caps.last_frame, "last frame"),
        (
            caps.reference_images > 0,
            f"{caps.reference_images} reference picture{'s' if caps.reference_images > 1 else ''}",
        ),
        (caps.audio, "sound"),
        (caps.negative_prompt, "negative prompt"),
        (caps.seed, "seed"),
        (caps.extend, "extend"),
        (caps.remix, "remix"),
    )
    out += [text for offered, text in flags if offered]
    return out
