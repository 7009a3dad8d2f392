"""The video provider: any Replicate video model, through the official SDK's predictions.

- submit: `predictions.async_create(model="owner/name", input=...)`, which is `POST
  /v1/models/{owner}/{name}/predictions`; with a version ("owner/name:<id>" or a bare id)
  `predictions.async_create(version=..., input=...)`, `POST /v1/predictions`.
  Pictures go as data URLs or through `POST /v1/files` (the SDK encodes them).
- poll: `predictions.async_get(id)`, `GET /v1/predictions/{id}`: starting → processing →
  succeeded | failed | canceled. Progress comes from the model's logs (the SDK's
  `Prediction.progress` reads the last tqdm line); Replicate sends no polling hint.
- download: the output URL, fetched at once (it lives an hour) with
  `studio.ai.http_download.stream_to_file`.
- cancel: `predictions.async_cancel(id)`, `POST /v1/predictions/{id}/cancel`.
- check: `accounts.async_current()`, `GET /v1/account`.

A finished prediction's real cost goes in `VideoStatus.extra["cost_usd"]`: the model's
per-second price times the clip's length, or, for a model billed by GPU time, the
`hardware_price` option times `metrics.predict_time`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from studio.ai.formats import nearest_aspect, resolution_of
from studio.ai.video_provider import (
    Variant,
    VideoCapabilities,
    VideoError,
    VideoPrice,
    VideoRequest,
    VideoStatus,
)
from studio_replicate.catalogue import (
    DEFAULT_VIDEO_MODEL,
    VIDEO_MODELS,
    VideoModel,
    listed,
    video_model,
)
from studio_replicate.connection import Connection, failure_text, output_urls

__all__ = ["ReplicateVideoProvider", "create_provider"]

RESULT_LIFE = 3600.0  # seconds Replicate keeps an API prediction's output files
_MODEL_NAME = re.compile(r"^[\w.-]+/[\w.-]+(:[0-9a-f]{8,})?$|^[0-9a-f]{64}$")
_STATES = {"starting": "queued", "processing": "in_progress", "succeeded": "completed"}


class ReplicateVideoProvider:
    """Options (settings.json `video_providers.replicate`, or flags): `base_url`, `model`
    ("owner/name", default Veo 3.1 Fast), `version` (pins the model's version), `api_key`,
    `key_name` (whose stored key; default the provider's name), `api_key_env` (default
    REPLICATE_API_TOKEN), `timeout`, `hardware_price` (dollars per second of GPU time, for
    models billed that way)."""

    def __init__(
        self,
        *,
        name: str = "replicate",
        base_url: str | None = None,
        api_key: str | None = None,
        model: str | None = None,
        version: str | None = None,
        key_name: str | None = None,
        api_key_env: str | None = None,
        timeout: float = 60.0,
        hardware_price: float | None = None,
    ) -> None:
        self.name = name
        self.model = model or DEFAULT_VIDEO_MODEL
        self.version = version
        self.hardware_price = hardware_price
        self.connection = Connection(
            name=name,
            error=VideoError,
            base_url=base_url,
            api_key=api_key,
            key_name=key_name,
            api_key_env=api_key_env,
            timeout=timeout,
        )
        self._models = listed(self.model, VIDEO_MODELS)
        self._prices: dict[str, VideoPrice] = {
            n: m.price for n, m in VIDEO_MODELS.items() if m.price is not None
        }
        self.capabilities = self.capabilities_for(self.model)

    def __repr__(self) -> str:
        return f"ReplicateVideoProvider(name={self.name!r}, host={self.connection.host!r})"

    def capabilities_for(self, model: str | None = None) -> VideoCapabilities:
        return video_model(model or self.model).capabilities(self._models, self._prices)

    # -- jobs -----------------------------------------------------------------------------

    async def submit(self, request: VideoRequest) -> str:
        if not request.prompt.strip():
            raise VideoError("bad_request", "The prompt is empty: say what the clip should show.")
        model = request.model or self.model
        if self.version and ":" not in model and model == self.model:
            model = f"{model}:{self.version}"
        if not _MODEL_NAME.match(model):
            raise VideoError(
                "bad_request", f"{model!r} is not a Replicate model: name it as owner/name."
            )
        inputs, pictures = build_input(video_model(model), request)
        prediction = await self.connection.create(model, inputs, pictures, request.options)
        return prediction.id

    async def poll(self, remote_id: str) -> VideoStatus:
        prediction = await self.connection.get(remote_id)
        inputs = prediction.input or {}
        spec = video_model(prediction.model or self.model)
        seconds = _number(inputs.get(spec.duration or "duration")) or spec.default_seconds
        extra: dict[str, Any] = {"replicate_status": prediction.status}
        if prediction.status == "failed":
            text, code = failure_text(prediction.error)
            return VideoStatus("failed", error=text, error_code=code, extra=extra)
        if prediction.status == "canceled":
            message = "The prediction was cancelled on Replicate."
            return VideoStatus("failed", error=message, error_code="canceled", extra=extra)
        progress = 0.0
        if prediction.status == "processing" and prediction.progress is not None:
            progress = max(0.0, min(0.99, prediction.progress.percentage))
        expires_at = None
        if prediction.status == "succeeded":
            progress = 1.0
            predict_time = _number((prediction.metrics or {}).get("predict_time"))
            if predict_time is not None:
                extra["predict_time"] = predict_time
            cost = self._cost(spec, inputs, seconds, predict_time)
            if cost is not None:
                extra["cost_usd"] = cost
            expires_at = _timestamp(prediction.completed_at)
            expires_at = expires_at + RESULT_LIFE if expires_at else None
        return VideoStatus(
            _STATES.get(prediction.status, "in_progress"),
            progress=progress,
            expires_at=expires_at,
            seconds=seconds,
            model=prediction.model,
            extra=extra,
        )

    async def download(self, remote_id: str, variant: Variant, dest: Path) -> Path:
        if variant != "video":
            raise VideoError("unsupported", f"Replicate makes no {variant} for a video.")
        prediction = await self.connection.get(remote_id, "download")
        if prediction.status != "succeeded":
            raise VideoError(
                "failed", f"The prediction {remote_id} has no video ({prediction.status})."
            )
        urls = output_urls(prediction.output)
        if prediction.output is None:  # Replicate deletes outputs (data_removed) after an hour
            raise VideoError(
                "expired",
                f"The result of {remote_id} is no longer on Replicate (it keeps results for an "
                "hour); generate it again.",
            )
        if not urls:
            shown = str(prediction.output)[:80]
            raise VideoError("failed", f"{prediction.model} finished without a video: {shown!r}.")
        return await self.connection.fetch(urls[0], Path(dest))

    async def cancel(self, remote_id: str) -> None:
        await self.connection.cancel(remote_id)

    async def remix(self, remote_id: str, prompt: str) -> str:
        raise VideoError("unsupported", "Replicate's video models cannot remix a clip.")

    async def extend(self, remote_id: str, prompt: str, seconds: int) -> str:
        raise VideoError("unsupported", "Replicate's video models cannot extend a clip.")

    async def check(self) -> None:
        """One cheap authenticated call (Settings' Test connection)."""
        await self.connection.check()

    async def aclose(self) -> None:
        await self.connection.aclose()

    def _cost(
        self, spec: VideoModel, inputs: Mapping[str, Any], seconds: float | None, gpu: float | None
    ) -> float | None:
        if spec.price is not None and seconds:
            audio = bool(inputs.get(spec.audio, spec.audio_default)) if spec.audio else False
            return spec.price.cost(seconds, audio=audio, resolution=_resolution_of(spec, inputs))
        if self.hardware_price is not None and gpu is not None:
            return round(gpu * self.hardware_price, 4)
        return None


def build_input(spec: VideoModel, request: VideoRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """The model's inputs for `request` (pictures apart, as bytes by input name). Raises
    VideoError when the model cannot do what was asked, naming what it can."""
    inputs: dict[str, Any] = {"prompt": request.prompt}
    pictures: dict[str, Any] = {}
    model = spec.name

    def need(field: str | None, what: str) -> str:
        if field is None:
            raise VideoError("unsupported", f"{model} on Replicate takes no {what}.")
        return field

    aspect, resolution = request.aspect, request.resolution
    if request.size and spec.size:
        if spec.sizes and request.size not in spec.sizes:
            raise VideoError(
                "bad_request", f"{model} makes {', '.join(spec.sizes)}, not {request.size}."
            )
        inputs[spec.size] = request.size.replace("x", "*")
    elif request.size:  # a size in pixels, for a model that takes a shape and a resolution
        aspect = aspect or nearest_aspect(request.size, spec.aspect_ratios)
        resolution = resolution or resolution_of(request.size, spec.resolutions)
    if request.seconds:
        if spec.durations and request.seconds not in spec.durations and spec.duration:
            choices = ", ".join(str(d) for d in spec.durations)
            raise VideoError(
                "bad_request", f"{model} makes clips of {choices} s, not {request.seconds} s."
            )
        if spec.duration:
            inputs[spec.duration] = int(request.seconds)
    if aspect and spec.aspect_ratio:
        _one_of(model, "aspect ratio", aspect, spec.aspect_ratios)
        inputs[spec.aspect_ratio] = aspect
    if resolution:
        _one_of(model, "resolution", resolution, spec.resolutions)
        inputs[need(spec.resolution, "resolution")] = spec.resolution_values.get(
            resolution, resolution
        )
    if request.image:
        pictures[need(spec.image, "first frame")] = request.image
    elif spec.image_required:
        raise VideoError(
            "bad_request", f"{model} makes a clip from a picture: give it a first frame."
        )
    if request.last_frame:
        pictures[need(spec.last_frame, "last frame")] = request.last_frame
        inputs |= spec.with_last_frame
    if request.references:
        field = need(spec.references, "reference pictures")
        if len(request.references) > spec.max_references:
            raise VideoError(
                "bad_request", f"{model} takes at most {spec.max_references} reference pictures."
            )
        refs = list(request.references)
        pictures[field] = refs if spec.references_as_list else refs[0]
    if request.audio is not None:
        inputs[need(spec.audio, "sound setting")] = bool(request.audio)
    if request.negative_prompt:
        inputs[need(spec.negative_prompt, "negative prompt")] = request.negative_prompt
    if request.seed is not None:
        inputs[need(spec.seed, "seed")] = int(request.seed)
    return inputs, pictures


def _one_of(model: str, what: str, value: str, choices: tuple[str, ...]) -> None:
    if choices and value not in choices:
        raise VideoError(
            "bad_request", f"{model} offers the {what}s {', '.join(choices)}, not {value}."
        )


def _resolution_of(spec: VideoModel, inputs: Mapping[str, Any]) -> str | None:
    if spec.size and inputs.get(spec.size):
        return str(inputs[spec.size]).replace("*", "x")
    value = inputs.get(spec.resolution) if spec.resolution else None
    if value is None:
        return spec.default_resolution
    back = {v: k for k, v in spec.resolution_values.items()}
    return back.get(value, str(value))


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _timestamp(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


_OPTIONS = {
    "name",
    "base_url",
    "api_key",
    "model",
    "version",
    "key_name",
    "api_key_env",
    "timeout",
    "hardware_price",
}


def create_provider(options: Mapping[str, Any]) -> ReplicateVideoProvider:
    """The factory registered with the plugin host: unknown options are ignored."""
    return ReplicateVideoProvider(**{k: v for k, v in options.items() if k in _OPTIONS})
