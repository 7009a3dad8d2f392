"""A Studio `VideoRequest` checked against the model and turned into Veo's inputs.

Plain data, no SDK: `source` and `config` hold the keyword arguments of
`google.genai.types.GenerateVideosSource` and `GenerateVideosConfig`, with pictures as
`Picture` (bytes and MIME type) for the provider to wrap in `types.Image`. What the model
cannot do is refused here, in one sentence, before anything is sent or paid for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from studio.ai.formats import picture_mime
from studio.ai.video_provider import VideoError, VideoRequest
from studio_veo.models import (
    DEFAULT_VIDEO_MODEL,
    EIGHT_SECONDS_ONLY,
    RETIRED,
    VIDEO_MODELS,
    video_capabilities,
)

__all__ = ["Picture", "VeoCall", "check_model", "veo_call"]

# Sizes older callers pass, as Veo's aspect ratio and resolution.
SIZES: dict[str, tuple[str, str]] = {
    "1280x720": ("16:9", "720p"),
    "720x1280": ("9:16", "720p"),
    "1920x1080": ("16:9", "1080p"),
    "1080x1920": ("9:16", "1080p"),
    "3840x2160": ("16:9", "4k"),
    "2160x3840": ("9:16", "4k"),
}
# The model's inputs that have no field in VideoRequest, by the SDK's names (`options`).
OPTIONS: dict[str, type] = {
    "number_of_videos": int,  # sampleCount, 1-4
    "person_generation": str,  # "allow_adult", "dont_allow", ...
    "enhance_prompt": bool,
    "resize_mode": str,  # how a first frame of another shape is fitted: "pad" or "crop"
}
MAX_VIDEOS = 4
DEFAULT_SECONDS = 8  # Veo's own default length


@dataclass(frozen=True, slots=True)
class Picture:
    data: bytes
    mime: str


@dataclass(frozen=True, slots=True)
class VeoCall:
    model: str
    source: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)


def check_model(model: str) -> None:
    """Refuse a model Google shut down, saying what to pick instead."""
    retired = RETIRED.get(model)
    if retired is not None:
        raise VideoError(
            "gone",
            f"Google shut {model} down on {retired.shut_down}; pick {retired.replacement}.",
        )


def picture(data: bytes, what: str) -> Picture:
    mime = picture_mime(data)
    if mime is None:
        raise VideoError("bad_request", f"The {what} is not a PNG, JPEG or WebP picture.")
    return Picture(data, mime)


def veo_call(request: VideoRequest, default_model: str | None = None) -> VeoCall:
    """What to send for `request`; a VideoError("bad_request"/"unsupported"/"gone") for
    anything the model would refuse."""
    model = request.model or default_model or DEFAULT_VIDEO_MODEL
    check_model(model)
    caps = video_capabilities(model)
    known = model in VIDEO_MODELS
    if not request.prompt.strip():
        raise VideoError("bad_request", "The prompt is empty: say what the clip should show.")
    aspect, resolution = request.aspect, request.resolution
    if request.size:
        if request.size not in SIZES:
            raise VideoError(
                "bad_request",
                f"Veo makes clips of {', '.join(SIZES)} pixels, not {request.size}.",
            )
        aspect, resolution = aspect or SIZES[request.size][0], resolution or SIZES[request.size][1]
    seconds = request.seconds
    _offered(known, seconds, caps.durations, f"{model} makes clips of", "s")
    _offered(known, aspect, caps.aspect_ratios, f"{model} makes clips in", "")
    _offered(known, resolution, caps.resolutions, f"{model} makes clips at", "")
    length = seconds or DEFAULT_SECONDS
    if resolution in EIGHT_SECONDS_ONLY and length != 8:
        raise VideoError(
            "bad_request", f"Veo makes {resolution} clips 8 seconds long only; pick 8 s or 720p."
        )

    source: dict[str, Any] = {"prompt": request.prompt}
    config: dict[str, Any] = {}
    if request.image:
        _can(known, caps.image_reference, f"{model} cannot start from a picture.")
        source["image"] = picture(request.image, "first frame")
    if request.last_frame:
        _can(known, caps.last_frame, f"{model} cannot end on a given picture; try Veo 3.1.")
        if not request.image:
            raise VideoError("bad_request", "A last frame needs a first frame too.")
        config["last_frame"] = picture(request.last_frame, "last frame")
    if request.references:
        most = caps.reference_images if known else len(request.references)
        if len(request.references) > most:
            raise VideoError(
                "unsupported" if most == 0 else "bad_request",
                f"{model} takes {most or 'no'} reference pictures, not {len(request.references)}.",
            )
        if length != 8:
            raise VideoError("bad_request", "Veo uses reference pictures in 8-second clips only.")
        config["reference_images"] = [picture(r, "reference picture") for r in request.references]
    if request.negative_prompt:
        _can(known, caps.negative_prompt, f"{model} takes no negative prompt.")
        config["negative_prompt"] = request.negative_prompt
    if request.seed is not None:
        _can(known, caps.seed, f"{model} takes no seed.")
        config["seed"] = int(request.seed)
    # Agent Platform asks Veo 3 models to be told whether to make sound (`generateAudio`).
    config["generate_audio"] = True if request.audio is None else bool(request.audio)
    if seconds:
        config["duration_seconds"] = int(seconds)
    if aspect:
        config["aspect_ratio"] = aspect
    if resolution:
        config["resolution"] = resolution
    config |= _options(request.options)
    return VeoCall(model=model, source=source, config=config)


def _offered(known: bool, value: Any, offered: tuple, words: str, unit: str) -> None:
    if value is None or not known or value in offered:
        return
    choices = ", ".join(f"{v}{unit}" for v in offered)
    raise VideoError("bad_request", f"{words} {choices}; not {value}{unit}.")


def _can(known: bool, able: bool, message: str) -> None:
    if known and not able:
        raise VideoError("unsupported", message)


def _options(options: Any) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    for name, kind in OPTIONS.items():
        if name not in options or options[name] is None:
            continue
        try:
            chosen[name] = kind(options[name])
        except (TypeError, ValueError):
            raise VideoError(
                "bad_request", f"The option {name} must be a {kind.__name__}."
            ) from None
    count = chosen.get("number_of_videos")
    if count is not None and not 1 <= count <= MAX_VIDEOS:
        raise VideoError("bad_request", f"Veo makes 1 to {MAX_VIDEOS} videos at once, not {count}.")
    return chosen
