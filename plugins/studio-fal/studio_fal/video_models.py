"""fal's video models: which endpoint each request goes to, what the inputs are called there,
and what each model can do and costs.

fal serves each model family at several endpoints (text to video, image to video, first
and last frame, reference pictures), each with its own input names; they come from each
model's page (fal.ai/models/<endpoint>/api, its llms.txt) as read in late 2026. A model id
not listed here is sent as it is, with the inputs most fal models share (`prompt`,
`image_url`, `duration`, `aspect_ratio`, `resolution`, `negative_prompt`, `seed`), and
`VideoRequest.options` for anything else.

Prices are fal's public list prices per second of video, from each model's page (Kling 3.0
Pro's from a reseller's copy of them); Settings can override them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from studio.ai.video_provider import VideoCapabilities, VideoPrice
from studio_fal.catalog import find_model

__all__ = ["DEFAULT_MODEL", "MODELS", "Route", "VideoModel", "video_model"]

# How a model takes the clip's length: "5", 5, "5s", or a number of frames.
DurationStyle = Literal["text", "number", "suffix", "frames"]


@dataclass(frozen=True)
class Route:
    """One endpoint of a model and the names of its picture inputs."""

    endpoint: str
    image: str | None = None  # the first frame's URL
    last: str | None = None  # the last frame's URL
    references: str | None = None  # a list of reference pictures' URLs
    aspect: bool = True  # takes `aspect_ratio` (image routes often follow the picture)


@dataclass(frozen=True)
class VideoModel:
    id: str
    title: str
    text: Route | None  # None: the model needs a picture to start from
    image: Route | None = None
    first_last: Route | None = None  # used when a last frame is given
    reference: Route | None = None  # used when reference pictures are given
    max_references: int = 0
    durations: tuple[int, ...] = (5, 10)
    duration: DurationStyle = "text"
    fps: int = 16  # with duration "frames": frames = seconds * fps + 1
    aspect_ratios: tuple[str, ...] = ("16:9", "9:16", "1:1")
    resolutions: tuple[str, ...] = ()
    audio: bool = False  # takes `generate_audio`
    negative_prompt: bool = True
    seed: bool = True
    price: VideoPrice | None = None
    known: bool = True  # False: a model id typed by the person, not in this list

    @property
    def endpoints(self) -> tuple[str, ...]:
        routes = (self.text, self.image, self.first_last, self.reference)
        return tuple(r.endpoint for r in routes if r is not None)

    def route(self, *, image: bool, last: bool, references: bool) -> Route | None:
        """The endpoint for a request with these pictures (None: this model cannot)."""
        if references:
            return self.reference
        if last:
            if self.first_last is not None:
                return self.first_last
            return self.image if self.image is not None and self.image.last else None
        return self.image if image else self.text

    def length(self, seconds: int) -> Any:
        """`seconds` as this model's duration input."""
        return {
            "text": str(seconds),
            "number": seconds,
            "suffix": f"{seconds}s",
            "frames": seconds * self.fps + 1,
        }[self.duration]

    @property
    def duration_field(self) -> str:
        return "num_frames" if self.duration == "frames" else "duration"

    def capabilities(self, models: tuple[str, ...], prices: Mapping[str, VideoPrice]):
        routes = (self.text, self.image, self.first_last, self.reference)
        return VideoCapabilities(
            durations=self.durations,
            sizes=(),
            aspect_ratios=self.aspect_ratios,
            resolutions=self.resolutions,
            image_reference=self.image is not None,
            last_frame=any(r is not None and r.last for r in routes),
            reference_images=self.max_references if self.reference is not None else 0,
            audio=self.audio,
            negative_prompt=self.negative_prompt,
            seed=self.seed,
            remote_cancel=True,  # PUT .../cancel: dropped from the queue, or signalled
            models=models,
            prices=prices,
        )


def _kling(version: str, title: str, *, image: str, last: str | None, **kw: Any) -> VideoModel:
    base = f"fal-ai/kling-video/{version}"
    return VideoModel(
        id=base,
        title=title,
        text=Route(f"{base}/text-to-video"),
        image=Route(f"{base}/image-to-video", image=image, last=last, aspect=False),
        **kw,
    )


def _veo(base: str, title: str, price: VideoPrice, *, references: bool) -> VideoModel:
    return VideoModel(
        id=base,
        title=title,
        text=Route(base),
        image=Route(f"{base}/image-to-video", image="image_url"),
        first_last=Route(
            f"{base}/first-last-frame-to-video", image="first_frame_url", last="last_frame_url"
        ),
        reference=Route(f"{base}/reference-to-video", references="image_urls")
        if references
        else None,
        max_references=3 if references else 0,
        durations=(4, 6, 8),
        duration="suffix",
        aspect_ratios=("16:9", "9:16"),
        resolutions=("720p", "1080p", "4k"),
        audio=True,
        price=price,
    )


def _ltx(tier: str, title: str, durations: tuple[int, ...], per_second: float) -> VideoModel:
    """LTX-2 (Pro, or Fast with tier "/fast"): 16:9 with sound, priced by resolution."""
    return VideoModel(
        id=f"fal-ai/ltx-2{tier}",
        title=title,
        text=Route(f"fal-ai/ltx-2/text-to-video{tier}"),
        image=Route(f"fal-ai/ltx-2/image-to-video{tier}", image="image_url"),
        durations=durations,
        duration="number",
        aspect_ratios=("16:9",),
        resolutions=("1080p", "1440p", "2160p"),
        audio=True,
        negative_prompt=False,
        seed=False,
        price=VideoPrice(per_second=per_second, resolution_factor={"1440p": 2.0, "2160p": 4.0}),
    )


def _hailuo(tier: str, title: str, durations: tuple[int, ...], per_second: float) -> VideoModel:
    """MiniMax Hailuo 02: first and last frame; the shape follows the picture."""
    base = f"fal-ai/minimax/hailuo-02/{tier}"
    return VideoModel(
        id=base,
        title=title,
        text=Route(f"{base}/text-to-video"),
        image=Route(
            f"{base}/image-to-video", image="image_url", last="end_image_url", aspect=False
        ),
        durations=durations,
        aspect_ratios=(),
        negative_prompt=False,
        seed=False,
        price=VideoPrice(per_second=per_second),
    )


MODELS: tuple[VideoModel, ...] = (
    _kling(
        "v2.5-turbo/pro",
        "Kling 2.5 Turbo Pro",
        image="image_url",
        last="tail_image_url",
        # $0.35 for 5 s, $0.07 each further second.
        price=VideoPrice(per_second=0.07),
    ),
    _kling(
        "v2.6/pro",
        "Kling 2.6 Pro",
        image="start_image_url",
        last=None,
        audio=True,
        price=VideoPrice(per_second=0.07, per_second_audio=0.14),
    ),
    _kling(
        "v3/pro",
        "Kling 3.0 Pro",
        image="start_image_url",
        last="end_image_url",
        durations=(3, 5, 8, 10, 15),
        audio=True,
        price=VideoPrice(per_second=0.112, per_second_audio=0.168),
    ),
    # 4k costs $0.40/s ($0.60 with sound): the factor is that of clips with sound.
    _veo(
        "fal-ai/veo3.1",
        "Veo 3.1",
        VideoPrice(per_second=0.20, per_second_audio=0.40, resolution_factor={"4k": 1.5}),
        references=True,
    ),
    _veo(
        "fal-ai/veo3.1/fast",
        "Veo 3.1 Fast",
        VideoPrice(per_second=0.10, per_second_audio=0.15, resolution_factor={"4k": 2.33}),
        references=False,
    ),
    VideoModel(
        id="bytedance/seedance-2.0",
        title="Seedance 2.0",
        text=Route("bytedance/seedance-2.0/text-to-video"),
        image=Route(
            "bytedance/seedance-2.0/image-to-video", image="image_url", last="end_image_url"
        ),
        durations=(4, 5, 8, 10, 12, 15),
        aspect_ratios=("16:9", "9:16", "1:1", "4:3", "3:4", "21:9"),
        resolutions=("480p", "720p"),
        audio=True,  # the same price with or without sound
        negative_prompt=False,
        # Billed by tokens: about $0.3024/s at 720p, $0.1345/s at 480p.
        price=VideoPrice(per_second=0.3024, resolution_factor={"480p": 0.445}),
    ),
    VideoModel(
        id="fal-ai/wan/v2.2-a14b",
        title="Wan 2.2 A14B",
        text=Route("fal-ai/wan/v2.2-a14b/text-to-video"),
        image=Route("fal-ai/wan/v2.2-a14b/image-to-video", image="image_url"),
        durations=(3, 5, 8, 10),  # up to 161 frames at 16 frames a second
        duration="frames",
        fps=16,
        resolutions=("480p", "580p", "720p"),
        price=VideoPrice(per_second=0.08, resolution_factor={"580p": 0.75, "480p": 0.5}),
    ),
    _ltx("", "LTX-2 Pro", (6, 8, 10), per_second=0.06),
    _ltx("/fast", "LTX-2 Fast", (6, 8, 10, 12, 16, 20), per_second=0.04),
    _hailuo("standard", "MiniMax Hailuo 02 Standard (768p)", (6, 10), per_second=0.045),
    _hailuo("pro", "MiniMax Hailuo 02 Pro (1080p)", (6,), per_second=0.08),
)

DEFAULT_MODEL = "fal-ai/kling-video/v2.5-turbo/pro"


def video_model(model_id: str) -> VideoModel:
    """The model `model_id` names, or one with the common inputs for an unknown id."""
    model_id = model_id.strip().strip("/")
    return find_model(model_id, MODELS) or VideoModel(
        id=model_id,
        title=model_id,
        text=Route(model_id),
        image=Route(model_id, image="image_url"),
        known=False,
    )
