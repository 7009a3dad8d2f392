"""What each Google model can do and costs: plain data, no I/O, no SDK import.

Where Veo runs today (December 2026). `google-genai` 3.x (the SDK `pip install google-genai`
gives) sends `models.generate_videos` only to Gemini Enterprise Agent Platform (formerly
Vertex AI): in Gemini Developer API mode it raises before sending anything (models.py,
`_generate_videos`; its README: "Currently, only Gemini Enterprise Agent Platform supports
video generation"). Google agrees: the Gemini API shut Veo 2 and 3.0 down on 2026-06-30
(release notes of 2026-06-15) and the Veo 3.1 previews on 2026-10-22 (deprecations page;
its replacement there is Gemini Omni through the Interactions API). Agent Platform serves
the GA Veo 3.1 models below, with an Agent Platform API key or a Google Cloud project.

Capabilities: the Agent Platform model pages (docs.cloud.google.com/gemini-enterprise-agent-
platform/models/veo/3-1-generate and its Fast and Lite siblings) and the Veo guide
(ai.google.dev/gemini-api/docs/video): 4, 6 or 8 s; 16:9 or 9:16; 720p, 1080p, 4k (1080p
and 4k only as 8 s clips); up to 3 asset pictures (8 s clips only); first and last frame;
extension by 7 s of a 720p Veo clip; sound on or off; negative prompt; seed; 1-4 videos.
Lite makes text or one first frame to video, at 720p or 1080p, nothing else.

Prices: US dollars from Google's price lists as quoted in 2026 (Agent Platform pricing page,
"Veo" section; Veo 3.1 Fast after its 2026-04-07 price cut); 4k costs 1.5x (Veo 3.1) or
2.33x (Fast) the 720p/1080p rate with sound. The person can edit them in Settings.

Pictures: every Imagen model was shut down on 2026-08-17, on the Gemini API and on Agent
Platform alike (Firebase AI Logic's Imagen migration guide; Gemini API release notes of
2026-06-15), and google-genai 3.x refuses `generate_images` on the Gemini API. Google's
picture models are now the Gemini image models ("Nano Banana"), called through
`generate_content`; prices per picture from the Gemini API pricing page.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from studio.ai.image_provider import ImageCapabilities, ImagePrice
from studio.ai.video_provider import VideoCapabilities, VideoPrice

__all__ = [
    "DEFAULT_IMAGE_MODEL",
    "DEFAULT_VIDEO_MODEL",
    "IMAGE_MODELS",
    "IMAGE_SIZES",
    "RETIRED",
    "VIDEO_MODELS",
    "Retired",
    "image_capabilities",
    "video_capabilities",
]

DEFAULT_VIDEO_MODEL = "veo-3.1-generate-001"
DEFAULT_IMAGE_MODEL = "gemini-3.1-flash-image"

ASPECTS = ("16:9", "9:16")
EIGHT_SECONDS_ONLY = ("1080p", "4k")  # resolutions Veo makes only as 8 s clips
EXTEND_SECONDS = (7,)


def _veo(
    *,
    resolutions: tuple[str, ...],
    price: VideoPrice,
    full: bool,
) -> VideoCapabilities:
    return VideoCapabilities(
        durations=(4, 6, 8),
        sizes=(),
        aspect_ratios=ASPECTS,
        resolutions=resolutions,
        image_reference=True,
        last_frame=full,
        reference_images=3 if full else 0,
        audio=True,
        negative_prompt=True,
        seed=True,
        remix=False,
        extend=full,
        extend_durations=EXTEND_SECONDS if full else (),
        remote_cancel=False,  # Google's API has no call that stops a Veo job
        prices={"": price},
    )


VIDEO_MODELS: dict[str, VideoCapabilities] = {
    "veo-3.1-generate-001": _veo(
        resolutions=("720p", "1080p", "4k"),
        price=VideoPrice(per_second=0.20, per_second_audio=0.40, resolution_factor={"4k": 1.5}),
        full=True,
    ),
    "veo-3.1-fast-generate-001": _veo(
        resolutions=("720p", "1080p", "4k"),
        price=VideoPrice(per_second=0.08, per_second_audio=0.12, resolution_factor={"4k": 2.33}),
        full=True,
    ),
    "veo-3.1-lite-generate-001": _veo(
        resolutions=("720p", "1080p"),
        price=VideoPrice(per_second=0.05, resolution_factor={"1080p": 1.6}),
        full=False,
    ),
}


@dataclass(frozen=True, slots=True)
class Retired:
    shut_down: str  # the day Google turned it off
    replacement: str


# Model names people may still have in their settings, and what to pick instead.
RETIRED: dict[str, Retired] = {
    **dict.fromkeys(
        ("veo-2.0-generate-001", "veo-3.0-generate-001", "veo-3.0-generate-preview"),
        Retired("2026-06-30", "veo-3.1-generate-001"),
    ),
    **dict.fromkeys(
        ("veo-3.0-fast-generate-001", "veo-3.0-fast-generate-preview"),
        Retired("2026-06-30", "veo-3.1-fast-generate-001"),
    ),
    "veo-3.1-generate-preview": Retired("2026-10-22", "veo-3.1-generate-001"),
    "veo-3.1-fast-generate-preview": Retired("2026-10-22", "veo-3.1-fast-generate-001"),
    "veo-3.1-lite-generate-preview": Retired("2026-10-22", "veo-3.1-lite-generate-001"),
    **dict.fromkeys(
        ("imagen-4.0-generate-001", "imagen-4.0-fast-generate-001", "imagen-3.0-generate-002"),
        Retired("2026-08-17", "gemini-3.1-flash-image"),
    ),
    "imagen-4.0-ultra-generate-001": Retired("2026-08-17", "gemini-3-pro-image"),
}


def video_capabilities(model: str | None) -> VideoCapabilities:
    """What `model` can do (the default model's when None or not in the table), with every
    model listed so a form can offer them."""
    caps = VIDEO_MODELS.get(model or DEFAULT_VIDEO_MODEL, VIDEO_MODELS[DEFAULT_VIDEO_MODEL])
    prices = {name: entry.prices[""] for name, entry in VIDEO_MODELS.items()}
    prices[""] = caps.prices[""]
    return replace(caps, models=tuple(VIDEO_MODELS), prices=prices)


# Sizes in pixels of Gemini 3 image models by aspect ratio at "1K"; "2K" and "4K" double and
# quadruple them (ai.google.dev/gemini-api/docs/image-generation, "aspect ratios and sizes").
_ONE_K = {
    "1:1": (1024, 1024),
    "16:9": (1376, 768),
    "9:16": (768, 1376),
    "3:2": (1264, 848),
    "2:3": (848, 1264),
    "4:3": (1200, 896),
    "3:4": (896, 1200),
}
_TIERS = {"1K": 1, "2K": 2, "4K": 4}
# "WIDTHxHEIGHT" -> (aspect ratio, image size): every aspect at 1K, the main ones larger.
IMAGE_SIZES: dict[str, tuple[str, str]] = {
    f"{w * n}x{h * n}": (aspect, tier)
    for tier, n in _TIERS.items()
    for aspect, (w, h) in _ONE_K.items()
    if tier == "1K" or aspect in ("1:1", "16:9", "9:16")
}


def _per_size(one_k: float, two_k: float, four_k: float) -> ImagePrice:
    tiers = {"1K": one_k, "2K": two_k, "4K": four_k}
    return ImagePrice(per_image={size: tiers[tier] for size, (_, tier) in IMAGE_SIZES.items()})


IMAGE_MODELS: dict[str, ImageCapabilities] = {
    name: ImageCapabilities(
        sizes=tuple(IMAGE_SIZES),
        edit=True,
        max_inputs=14,  # reference pictures a request may carry (Gemini 3 image models)
        max_count=4,  # one request per picture; Studio sends up to four at once
        seed=True,
        prices={"": price},
    )
    for name, price in {
        "gemini-3.1-flash-image": _per_size(0.067, 0.101, 0.151),
        "gemini-3-pro-image": _per_size(0.134, 0.134, 0.24),
    }.items()
}


def image_capabilities(model: str | None) -> ImageCapabilities:
    caps = IMAGE_MODELS.get(model or DEFAULT_IMAGE_MODEL, IMAGE_MODELS[DEFAULT_IMAGE_MODEL])
    prices = {name: entry.prices[""] for name, entry in IMAGE_MODELS.items()}
    prices[""] = caps.prices[""]
    return replace(caps, models=tuple(IMAGE_MODELS), prices=prices)
