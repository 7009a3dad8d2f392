"""Luma's Dream Machine generations as a Studio video provider, through the `lumaai` SDK.

- submit: `POST /generations/video` with `model` (ray-2, ray-flash-2), `prompt`,
  `aspect_ratio`, `resolution`, `duration` ("5s", "9s"), `loop` and `keyframes`;
- poll: `GET /generations/{id}`: queued, dreaming (no progress is reported), completed,
  failed with `failure_reason`;
- download: the generation is fetched again, `assets.video` (or `assets.image`, the
  thumbnail) streamed to disk;
- extend: a new generation whose keyframe `frame0` is `{"type": "generation", "id": ...}`,
  Luma's own way to continue a clip, in the same shape;
- remix: `POST /generations/video/modify` restyles the finished video with a new prompt;
- cancel: `DELETE /generations/{id}` removes it; the reference does not say a running one
  stops, so Studio only stops waiting (`remote_cancel` is False).

Pictures: Luma takes a keyframe picture only as a web address ("currently the only way to
pass an image", docs.lumalabs.ai; lumalabs/lumaai-python#36), so a first or last frame
given as a file is refused with a sentence that says so; a request may carry the addresses
in its options (`image_url`, `last_frame_url`). Continuing a Luma clip needs no picture:
`extend` starts from the generation itself.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from studio.ai.video_provider import (
    Variant,
    VideoCapabilities,
    VideoError,
    VideoPrice,
    VideoRequest,
    VideoStatus,
)
from studio_luma.client import CONNECTION_OPTIONS, POLL_INTERVAL, LumaConnection

__all__ = ["MODELS", "LumaVideoProvider", "capabilities_for", "create_provider"]

log = logging.getLogger(__name__)

ASPECTS = ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21")
RESOLUTIONS = ("540p", "720p", "1080p", "4k")
DURATIONS = (5, 9)
# Luma's API pricing page bills Ray by the pixel: ray-2 $0.71 and ray-flash-2 $0.24 for a
# 5 s 720p clip, so other resolutions cost their pixels' worth. Estimates: Settings can
# override them.
_PIXELS = {"540p": 0.5625, "1080p": 2.25, "4k": 9.0}
PRICES: Mapping[str, VideoPrice] = {
    "ray-2": VideoPrice(per_second=0.71 / 5, resolution_factor=_PIXELS),
    "ray-flash-2": VideoPrice(per_second=0.24 / 5, resolution_factor=_PIXELS),
}
MODELS = tuple(PRICES)
DEFAULT_MODEL = "ray-2"
REMIX_MODE = "flex_1"  # modify's middle way between keeping and reimagining the clip
_MODERATION = ("moderation", "not allowed", "policy", "safety")


def capabilities_for(model: str | None = None) -> VideoCapabilities:
    """What Luma's Ray models take (both the same, per the SDK's request types)."""
    return VideoCapabilities(
        durations=DURATIONS,
        sizes=(),
        aspect_ratios=ASPECTS,
        resolutions=RESOLUTIONS,
        image_reference=False,  # pictures only as web addresses, see above
        last_frame=False,
        remix=True,
        extend=True,
        extend_durations=DURATIONS,
        variants=("video", "thumbnail"),
        remote_cancel=False,
        models=MODELS,
        prices=PRICES,
    )


class LumaVideoProvider:
    """Options (settings.json `video_providers.luma`, or flags): `base_url`, `model`
    (default ray-2), `api_key`, `key_name`, `timeout`, `max_retries`, `poll_interval`."""

    def __init__(
        self,
        *,
        name: str = "luma",
        model: str | None = None,
        poll_interval: float = POLL_INTERVAL,
        **connection: Any,
    ) -> None:
        self.name = name
        self.model = model or DEFAULT_MODEL
        self.poll_interval = poll_interval
        self.connection = LumaConnection(**connection)
        self.capabilities = capabilities_for(self.model)

    def __repr__(self) -> str:
        return f"LumaVideoProvider(name={self.name!r}, host={self.connection.host!r})"

    def capabilities_for(self, model: str | None) -> VideoCapabilities:
        return capabilities_for(model)

    async def aclose(self) -> None:
        await self.connection.aclose()

    async def check(self) -> None:
        """One cheap authenticated call (GET /credits) for Test connection."""
        await self.connection.credit_left(error=VideoError)

    # -- jobs -----------------------------------------------------------------------------

    async def submit(self, request: VideoRequest) -> str:
        if request.image or request.last_frame or request.references:
            raise VideoError(
                "unsupported",
                "Luma takes pictures only as web addresses, not files: put the picture online "
                "and give its address, or continue a Luma clip instead (extend).",
            )
        options = dict(request.options)
        keyframes = {}
        for frame, key in (("frame0", "image_url"), ("frame1", "last_frame_url")):
            url = options.pop(key, None)
            if url:
                keyframes[frame] = {"type": "image", "url": str(url)}
        prompt = request.prompt.strip()
        if not prompt and not keyframes:
            raise VideoError("bad_request", "The prompt is empty: say what the clip should show.")
        body: dict[str, Any] = {"model": request.model or self.model, "prompt": prompt}
        body |= _shape(request)
        body["duration"] = _duration(request.seconds or DURATIONS[0])
        if keyframes:
            body["keyframes"] = keyframes
        if "loop" in options:
            body["loop"] = bool(options.pop("loop"))
        return await self._create(body, options, "request")

    async def _create(self, body: dict[str, Any], extra: dict[str, Any], action: str) -> str:
        created = await self.connection.call(
            lambda c: c.generations.create(**body, extra_body=extra or None),
            action,
            error=VideoError,
        )
        return str(created.id)

    async def poll(self, remote_id: str) -> VideoStatus:
        generation = await self.connection.generation(remote_id, "poll", error=VideoError)
        state = generation.state
        extra = {"luma_state": state}
        if state in ("queued", "dreaming", None):
            status = "queued" if state != "dreaming" else "in_progress"
            return VideoStatus(status, poll_after=self.poll_interval, extra=extra)
        if state == "completed":
            return VideoStatus("completed", 1.0, model=generation.model, extra=extra)
        reason = (generation.failure_reason or "").strip().rstrip(".") or "no reason given"
        if any(word in reason.lower() for word in _MODERATION):
            text = f"Luma refused the prompt ({reason}): change it and try again."
        else:
            text = f"The clip failed on Luma: {reason}."
        return VideoStatus("failed", error=text, error_code=reason, extra=extra)

    async def download(self, remote_id: str, variant: Variant, dest: Path) -> Path:
        asset = {"video": "video", "thumbnail": "image"}.get(variant)
        if asset is None:
            raise VideoError("unsupported", f"Luma hands out no {variant}.")
        return await self.connection.fetch_asset(remote_id, asset, Path(dest), error=VideoError)

    async def cancel(self, remote_id: str) -> None:
        try:
            await self.connection.call(
                lambda c: c.generations.delete(remote_id), "cancel", remote_id, error=VideoError
            )
        except VideoError as exc:  # already gone, or no contact: Studio stops waiting anyway
            log.info("could not delete %s on %s: %s", remote_id, self.connection.host, exc)

    async def extend(self, remote_id: str, prompt: str, seconds: int) -> str:
        source = await self._finished(remote_id, "extend")
        body: dict[str, Any] = {"model": source.model or self.model, "prompt": prompt.strip()}
        body["duration"] = _duration(seconds)
        for key in ("aspect_ratio", "resolution"):  # the continuation keeps the shot's shape
            value = getattr(source.request, key, None) if source.request else None
            if value:
                body[key] = value
        body["keyframes"] = {"frame0": {"type": "generation", "id": remote_id}}
        return await self._create(body, {}, "extend")

    async def remix(self, remote_id: str, prompt: str) -> str:
        source = await self._finished(remote_id, "remix")
        created = await self.connection.call(
            lambda c: c.generations.video.modify(
                generation_type="modify_video",
                media={"url": source.assets.video},
                mode=REMIX_MODE,
                model=source.model or self.model,
                prompt=prompt.strip(),
            ),
            "remix",
            remote_id,
            error=VideoError,
        )
        return str(created.id)

    async def _finished(self, remote_id: str, action: str) -> Any:
        source = await self.connection.generation(remote_id, action, error=VideoError)
        if source.state != "completed" or not (source.assets and source.assets.video):
            raise VideoError(
                "bad_request", f"Luma's generation {remote_id} has no finished clip to {action}."
            )
        return source


def _duration(seconds: int) -> str:
    if int(seconds) not in DURATIONS:
        raise VideoError("bad_request", f"Luma makes clips of 5 or 9 seconds, not {seconds}.")
    return f"{int(seconds)}s"


def _shape(request: VideoRequest) -> dict[str, str]:
    """`aspect_ratio` and `resolution` from the request's aspect and resolution, or from a
    size in pixels ("1280x720" is 16:9 at 720p)."""
    aspect, resolution = request.aspect, request.resolution
    if request.size and not aspect:
        try:
            width, height = (int(n) for n in request.size.lower().split("x"))
        except ValueError:
            raise VideoError(
                "bad_request", f"{request.size!r} is not a size such as 1280x720."
            ) from None
        divisor = math.gcd(width, height)
        aspect = f"{width // divisor}:{height // divisor}"
        resolution = resolution or f"{min(width, height)}p"
    shape = {}
    if aspect:
        if aspect not in ASPECTS:
            raise VideoError(
                "bad_request", f"Luma makes clips of {', '.join(ASPECTS)}, not {aspect}."
            )
        shape["aspect_ratio"] = aspect
    if resolution:
        resolution = resolution.lower()
        if resolution not in RESOLUTIONS:
            raise VideoError(
                "bad_request", f"Luma makes clips at {', '.join(RESOLUTIONS)}, not {resolution}."
            )
        shape["resolution"] = resolution
    return shape


_OPTIONS = {"name", "model", "poll_interval", *CONNECTION_OPTIONS}


def create_provider(options: Mapping[str, Any]) -> LumaVideoProvider:
    """The factory registered with the plugin host: unknown options are ignored."""
    return LumaVideoProvider(**{k: v for k, v in options.items() if k in _OPTIONS})
