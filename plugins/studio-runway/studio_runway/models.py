"""Runway's video models: what each takes and what it costs. No SDK import, no I/O.

From the API reference and the `runwayml` 5.24 SDK (`resources/image_to_video.py`,
`text_to_video.py`, `video_to_video.py`: each model's `ratio`, `duration`, `promptImage`
positions, `audio`, `negativePrompt`, `seed`). Runway takes a size in pixels as its
`ratio` ("1280:720"), so the models list `sizes` ("1280x720").

Prices come from Runway's API pricing page (docs.dev.runwayml.com, "Pricing"): credits are
bought at $0.01 each; per second of video gen4.5 costs 12 credits, gen4_turbo 5, veo3.1 20
(40 with sound), veo3.1_fast 10 (15 with sound), and Aleph (video to video, Studio's remix)
15. They are estimates for the form and the project's spending; Settings can override them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

from studio.ai.video_provider import VideoCapabilities, VideoError, VideoPrice, VideoRequest

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "PRICES",
    "REMIX_MODEL",
    "RunwayModel",
    "capabilities_for",
    "model_spec",
    "ratio_for",
]

CREDIT = 0.01  # US dollars per credit

_GEN4_SIZES = ("1280x720", "720x1280", "1104x832", "832x1104", "960x960", "1584x672")
_VEO_SIZES = ("1280x720", "720x1280", "1920x1080", "1080x1920")


@dataclass(frozen=True)
class RunwayModel:
    capabilities: VideoCapabilities
    text_to_video: bool  # POST /v1/text_to_video takes it; otherwise it needs a first frame
    text_sizes: tuple[str, ...]  # the sizes text_to_video takes (image_to_video: all)


def _model(
    durations: tuple[int, ...],
    sizes: tuple[str, ...],
    *,
    text_sizes: tuple[str, ...] = (),
    veo: bool = False,
) -> RunwayModel:
    capabilities = VideoCapabilities(
        durations=durations,
        sizes=sizes,
        image_reference=True,
        last_frame=veo,  # promptImage position "last": the Veo models only
        audio=veo,
        negative_prompt=veo,
        seed=True,
        remix=True,  # through Aleph (POST /v1/video_to_video)
        remote_cancel=True,  # DELETE /v1/tasks/{id} cancels a pending or running task
    )
    return RunwayModel(capabilities, bool(text_sizes), text_sizes)


PRICES: Mapping[str, VideoPrice] = {
    "gen4.5": VideoPrice(per_second=12 * CREDIT),
    "gen4_turbo": VideoPrice(per_second=5 * CREDIT),
    "veo3.1": VideoPrice(per_second=20 * CREDIT, per_second_audio=40 * CREDIT),
    "veo3.1_fast": VideoPrice(per_second=10 * CREDIT, per_second_audio=15 * CREDIT),
    "aleph2": VideoPrice(per_second=15 * CREDIT),
}

_TABLE = {
    "gen4.5": _model(tuple(range(2, 11)), _GEN4_SIZES, text_sizes=("1280x720", "720x1280")),
    "gen4_turbo": _model(tuple(range(2, 11)), _GEN4_SIZES),  # image to video only
    "veo3.1": _model((4, 6, 8), _VEO_SIZES, text_sizes=_VEO_SIZES, veo=True),
    "veo3.1_fast": _model((4, 6, 8), _VEO_SIZES, text_sizes=_VEO_SIZES, veo=True),
}
MODELS: Mapping[str, RunwayModel] = {
    name: replace(m, capabilities=replace(m.capabilities, models=tuple(_TABLE), prices=PRICES))
    for name, m in _TABLE.items()
}
DEFAULT_MODEL = "gen4.5"
REMIX_MODEL = "aleph2"


def model_spec(model: str) -> RunwayModel:
    """The table's entry; a model Studio does not know yet is taken as gen4.5 is (Runway
    answers 400 with the reason if it differs)."""
    return MODELS.get(model) or MODELS[DEFAULT_MODEL]


def capabilities_for(model: str) -> VideoCapabilities:
    return model_spec(model).capabilities


def ratio_for(model: str, request: VideoRequest, *, text_only: bool) -> str:
    """Runway's `ratio` for a request: its size, else the size nearest its aspect (and
    resolution), else the model's first size."""
    spec = model_spec(model)
    sizes = spec.text_sizes if text_only and spec.text_sizes else spec.capabilities.sizes
    if request.size:
        if request.size not in sizes:
            raise VideoError(
                "bad_request",
                f"Runway's {model} does not make {request.size} clips"
                f"{' from text alone' if text_only else ''}; pick one of {', '.join(sizes)}.",
            )
        return request.size.replace("x", ":")
    if not request.aspect:
        return sizes[0].replace("x", ":")
    wanted = _aspect(request.aspect)
    short = int(request.resolution.rstrip("pP")) if request.resolution else None

    def distance(size: str) -> tuple[float, int]:
        width, height = (int(n) for n in size.split("x"))
        off_aspect = abs(math.log(width / height) - math.log(wanted))
        return round(off_aspect, 2), abs(min(width, height) - (short or 720))

    return min(sizes, key=distance).replace("x", ":")


def _aspect(text: str) -> float:
    try:
        width, height = (float(n) for n in text.replace("x", ":").split(":"))
        return width / height
    except (ValueError, ZeroDivisionError):
        raise VideoError("bad_request", f"{text!r} is not an aspect ratio such as 16:9.") from None
