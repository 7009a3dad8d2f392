"""The Replicate models Studio knows: what each can do, its input names, what it costs.

Replicate runs any model by name ("owner/name", optionally ":version"); each model has its
own inputs. The models below are the official video and image models people use (late
2026); their input names come from each model's API page on replicate.com
(replicate.com/<owner>/<name>/api, "Input schema"). A model not listed here still runs:
it gets the common inputs (`prompt`, `image`, `duration`, `aspect_ratio`, `negative_prompt`,
`seed`), sent only when the person set them, and a request's `options` reach any input by
its Replicate name.

Prices are the per-second (video) or per-image prices shown on each model's page on
replicate.com (official models are billed by output, not by GPU time), in US dollars; a
person can override them in Settings. Models billed by GPU time (community models) have no
price here: give the provider `hardware_price` (dollars per second of `predict_time`) to
have their real cost computed after.

No I/O and no SDK import here: forms read this on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from studio.ai.image_provider import ImageCapabilities, ImagePrice
from studio.ai.video_provider import VideoCapabilities, VideoPrice

__all__ = [
    "DEFAULT_IMAGE_MODEL",
    "DEFAULT_VIDEO_MODEL",
    "IMAGE_MODELS",
    "VIDEO_MODELS",
    "ImageModel",
    "VideoModel",
    "base_name",
    "image_model",
    "listed",
    "video_model",
]


@dataclass(frozen=True, slots=True)
class VideoModel:
    """One video model: Studio's request fields and the input names they go to (None: the
    model has no such input)."""

    name: str
    durations: tuple[int, ...]
    price: VideoPrice | None = None
    aspect_ratios: tuple[str, ...] = ()
    resolutions: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()  # a model that takes a size in pixels ("1280x720")
    default_seconds: int | None = None
    default_resolution: str | None = None
    audio_default: bool = False
    image: str | None = "image"
    image_required: bool = False
    last_frame: str | None = None
    references: str | None = None
    max_references: int = 0
    references_as_list: bool = True
    audio: str | None = None
    negative_prompt: str | None = "negative_prompt"
    seed: str | None = "seed"
    duration: str | None = "duration"
    aspect_ratio: str | None = "aspect_ratio"
    resolution: str | None = "resolution"
    size: str | None = None
    # Studio's resolution → the value the model takes there, where they differ.
    resolution_values: Mapping[str, Any] = field(default_factory=dict)
    # Inputs the model needs as well when a last frame is sent.
    with_last_frame: Mapping[str, Any] = field(default_factory=dict)

    def capabilities(self, models: tuple[str, ...], prices: Mapping[str, VideoPrice]):
        return VideoCapabilities(
            durations=self.durations,
            sizes=self.sizes,
            aspect_ratios=self.aspect_ratios,
            resolutions=self.resolutions,
            image_reference=self.image is not None,
            last_frame=self.last_frame is not None,
            reference_images=self.max_references if self.references else 0,
            audio=self.audio is not None,
            negative_prompt=self.negative_prompt is not None,
            seed=self.seed is not None,
            remote_cancel=True,  # POST /v1/predictions/{id}/cancel
            models=models,
            prices=prices,
        )


def _veo(name: str, silent: float, sound: float, *, references: bool) -> VideoModel:
    # replicate.com/google/veo-3.1/api: image, last_frame, reference_images (1-3; 16:9 and
    # 8 s only), generate_audio, negative_prompt, resolution, duration 4/6/8, seed.
    return VideoModel(
        name,
        durations=(4, 6, 8),
        price=VideoPrice(per_second=silent, per_second_audio=sound),
        aspect_ratios=("16:9", "9:16"),
        resolutions=("720p", "1080p"),
        default_seconds=8,
        default_resolution="1080p",
        audio_default=True,
        last_frame="last_frame" if name.startswith("google/veo-3.1") else None,
        references="reference_images" if references else None,
        max_references=3 if references else 0,
        audio="generate_audio",
    )


def _kling(name: str, per_second: float, *, audio: float | None = None) -> VideoModel:
    # replicate.com/kwaivgi/kling-v2.5-turbo-pro/api: prompt, start_image, aspect_ratio
    # (ignored with a start image), duration 5/10, negative_prompt; kling-v2.6 adds
    # generate_audio ($0.07/s silent, $0.14/s with sound).
    return VideoModel(
        name,
        durations=(5, 10),
        price=VideoPrice(per_second=per_second, per_second_audio=audio),
        aspect_ratios=("16:9", "9:16", "1:1"),
        default_seconds=5,
        image="start_image",
        audio="generate_audio" if audio else None,
        seed=None,
        resolution=None,
    )


def _seedance(name: str, prices: tuple[float, float, float], *, references: int) -> VideoModel:
    # replicate.com/bytedance/seedance-1-pro/api: image, last_frame_image (with an image),
    # duration 2-12, resolution 480p/720p/1080p, aspect_ratio, fps, camera_fixed, seed;
    # seedance-1-lite adds reference_images (1-4, at 480p/720p). Priced per second by
    # resolution: pro $0.03 / $0.06 / $0.15, lite $0.018 / $0.036 / $0.072.
    return VideoModel(
        name,
        durations=tuple(range(2, 13)),
        price=VideoPrice(
            per_second=prices[2],
            resolution_factor={"480p": prices[0] / prices[2], "720p": prices[1] / prices[2]},
        ),
        aspect_ratios=("16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "9:21"),
        resolutions=("480p", "720p", "1080p"),
        default_seconds=5,
        default_resolution="1080p",
        last_frame="last_frame_image",
        references="reference_images" if references else None,
        max_references=references,
        negative_prompt=None,
    )


def _ray(name: str, per_second: float) -> VideoModel:
    # replicate.com/luma/ray-flash-2-720p/api: start_image, end_image, duration 5/9,
    # aspect_ratio, loop, concepts. Ray 2 720p $0.18/s, Ray Flash 2 720p $0.06/s.
    return VideoModel(
        name,
        durations=(5, 9),
        price=VideoPrice(per_second=per_second),
        aspect_ratios=("16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21"),
        default_seconds=5,
        image="start_image",
        last_frame="end_image",
        negative_prompt=None,
        seed=None,
        resolution=None,
    )


_WAN_SIZES = ("832x480", "480x832", "1280x720", "720x1280", "1920x1080", "1080x1920")

_VIDEO = (
    # Veo on Replicate follows Google's price list: per second, with sound / without.
    _veo("google/veo-3.1", 0.20, 0.40, references=True),
    _veo("google/veo-3.1-fast", 0.10, 0.15, references=False),
    _veo("google/veo-3", 0.20, 0.40, references=False),
    _veo("google/veo-3-fast", 0.10, 0.15, references=False),
    _kling("kwaivgi/kling-v2.5-turbo-pro", 0.07),
    _kling("kwaivgi/kling-v2.6", 0.07, audio=0.14),
    _kling("kwaivgi/kling-v2.1-master", 0.28),
    # replicate.com/kwaivgi/kling-v2.1/api: start_image (required), end_image (pro mode
    # only), mode standard (720p, $0.05/s) or pro (1080p, $0.09/s), duration 5/10.
    VideoModel(
        "kwaivgi/kling-v2.1",
        durations=(5, 10),
        price=VideoPrice(per_second=0.05, resolution_factor={"1080p": 1.8}),
        resolutions=("720p", "1080p"),
        default_seconds=5,
        default_resolution="720p",
        image="start_image",
        image_required=True,
        last_frame="end_image",
        seed=None,
        aspect_ratio=None,
        resolution="mode",
        resolution_values={"720p": "standard", "1080p": "pro"},
        with_last_frame={"mode": "pro"},
    ),
    # replicate.com/wan-video/wan-2.5-t2v/api: size "1280*720" etc., duration 5/10,
    # negative_prompt, seed, audio (a sound file to sync to), enable_prompt_expansion.
    # $0.05 / $0.10 / $0.15 per second at 480p / 720p / 1080p.
    VideoModel(
        "wan-video/wan-2.5-t2v",
        durations=(5, 10),
        price=VideoPrice(
            per_second=0.10,
            resolution_factor={"480p": 0.5, "1080p": 1.5}
            | {s: 0.5 for s in _WAN_SIZES[:2]}
            | {s: 1.5 for s in _WAN_SIZES[4:]},
        ),
        sizes=_WAN_SIZES,
        default_seconds=5,
        image=None,
        aspect_ratio=None,
        resolution=None,
        size="size",
    ),
    # replicate.com/wan-video/wan-2.5-i2v/api: image (required), resolution, duration.
    VideoModel(
        "wan-video/wan-2.5-i2v",
        durations=(5, 10),
        price=VideoPrice(per_second=0.10, resolution_factor={"480p": 0.5, "1080p": 1.5}),
        resolutions=("480p", "720p", "1080p"),
        default_seconds=5,
        default_resolution="720p",
        image_required=True,
        aspect_ratio=None,
    ),
    # replicate.com/minimax/hailuo-02/api: first_frame_image, last_frame_image, duration
    # 6/10, resolution 512p/768p/1080p, prompt_optimizer. $0.017 / $0.045 / $0.08 a second.
    VideoModel(
        "minimax/hailuo-02",
        durations=(6, 10),
        price=VideoPrice(per_second=0.08, resolution_factor={"512p": 0.2125, "768p": 0.5625}),
        resolutions=("512p", "768p", "1080p"),
        default_seconds=6,
        default_resolution="1080p",
        image="first_frame_image",
        last_frame="last_frame_image",
        negative_prompt=None,
        seed=None,
        aspect_ratio=None,
    ),
    # replicate.com/minimax/video-01/api: first_frame_image, subject_reference (one
    # picture of a character), prompt_optimizer; 6 s at 720p, $0.50 a video.
    VideoModel(
        "minimax/video-01",
        durations=(6,),
        price=VideoPrice(per_clip=0.50),
        default_seconds=6,
        image="first_frame_image",
        references="subject_reference",
        max_references=1,
        references_as_list=False,
        negative_prompt=None,
        seed=None,
        duration=None,
        aspect_ratio=None,
        resolution=None,
    ),
    _seedance("bytedance/seedance-1-pro", (0.03, 0.06, 0.15), references=0),
    _seedance("bytedance/seedance-1-lite", (0.018, 0.036, 0.072), references=4),
    _ray("luma/ray-2-720p", 0.18),
    _ray("luma/ray-flash-2-720p", 0.06),
)

VIDEO_MODELS: dict[str, VideoModel] = {m.name: m for m in _VIDEO}
DEFAULT_VIDEO_MODEL = "google/veo-3.1-fast"


def base_name(model: str) -> str:
    """The "owner/name" part of "owner/name:version"."""
    return model.split(":", 1)[0]


def listed(model: str, known: Mapping[str, Any]) -> tuple[str, ...]:
    """The models a form offers: the known ones, and `model` first if it is not one."""
    names = tuple(known)
    return names if base_name(model) in names else (model, *names)


def video_model(model: str) -> VideoModel:
    """The spec of `model`; for a model Studio does not know, the common inputs."""
    known = VIDEO_MODELS.get(base_name(model))
    if known is not None:
        return known
    return VideoModel(
        model,
        durations=(5, 10),
        aspect_ratios=("16:9", "9:16", "1:1"),
        resolution=None,
    )


@dataclass(frozen=True, slots=True)
class ImageModel:
    name: str
    price: float  # US dollars a picture
    aspect_ratios: tuple[str, ...] = ("1:1", "16:9", "9:16", "4:3", "3:4")
    count: str | None = None  # the input that asks for several pictures
    max_count: int = 1
    inputs: str | None = None  # the input for pictures to change
    max_inputs: int = 0
    inputs_as_list: bool = False
    seed: str | None = "seed"
    output_format: str | None = "output_format"

    def capabilities(self, models: tuple[str, ...], prices: Mapping[str, ImagePrice]):
        return ImageCapabilities(
            sizes=tuple(_SIZES[a] for a in self.aspect_ratios),
            models=models,
            edit=self.inputs is not None,
            max_inputs=self.max_inputs,
            max_count=self.max_count,
            seed=self.seed is not None,
            prices=prices,
        )


# Pictures of about a megapixel for each aspect ratio (what FLUX makes at "1" megapixel).
_SIZES = {
    "1:1": "1024x1024",
    "16:9": "1344x768",
    "9:16": "768x1344",
    "4:3": "1152x896",
    "3:4": "896x1152",
    "3:2": "1216x832",
    "2:3": "832x1216",
    "21:9": "1536x640",
    "9:21": "640x1536",
}

_IMAGES = (
    # replicate.com/black-forest-labs/flux-schnell/api: prompt, aspect_ratio, num_outputs
    # (1-4), output_format, seed, go_fast, megapixels. $0.003 a picture.
    ImageModel("black-forest-labs/flux-schnell", 0.003, tuple(_SIZES), "num_outputs", 4),
    # flux-dev: as schnell, plus `image` for image-to-image. $0.025 a picture.
    ImageModel("black-forest-labs/flux-dev", 0.025, tuple(_SIZES), "num_outputs", 4, "image", 1),
    # flux-1.1-pro: prompt, aspect_ratio, output_format, seed. $0.04 a picture.
    ImageModel("black-forest-labs/flux-1.1-pro", 0.04, tuple(_SIZES)),
    # flux-kontext-pro: input_image (the picture to edit), aspect_ratio, seed. $0.04.
    ImageModel(
        "black-forest-labs/flux-kontext-pro",
        0.04,
        tuple(_SIZES),
        inputs="input_image",
        max_inputs=1,
    ),
    # replicate.com/google/imagen-4/api: prompt, aspect_ratio, output_format,
    # safety_filter_level (no seed). $0.04; fast $0.02; ultra $0.06.
    ImageModel("google/imagen-4", 0.04, seed=None),
    ImageModel("google/imagen-4-fast", 0.02, seed=None),
    ImageModel("google/imagen-4-ultra", 0.06, seed=None),
    # replicate.com/google/nano-banana/api: prompt, image_input (pictures to combine or
    # edit), aspect_ratio, output_format. $0.039 a picture.
    ImageModel(
        "google/nano-banana",
        0.039,
        inputs="image_input",
        max_inputs=3,
        inputs_as_list=True,
        seed=None,
    ),
)

IMAGE_MODELS: dict[str, ImageModel] = {m.name: m for m in _IMAGES}
DEFAULT_IMAGE_MODEL = "black-forest-labs/flux-schnell"


def image_model(model: str) -> ImageModel:
    known = IMAGE_MODELS.get(base_name(model))
    return known if known is not None else ImageModel(model, 0.0, output_format=None)
