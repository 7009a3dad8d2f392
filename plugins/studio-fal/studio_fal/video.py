"""Studio's video provider "fal": any video model on fal.ai through its queue, with the
official `fal-client`.

A job is a queue request: submitted to the model's endpoint (`AsyncClient.submit`), polled
with its logs (`status(..., with_logs=True)`: IN_QUEUE with its place, IN_PROGRESS with
the model's log lines, COMPLETED), its result read (`result`) and its video fetched at
once from fal's CDN. Pictures (first frame, last frame, references) are uploaded to fal's
storage first (`upload`) and sent as URLs. `cancel` asks fal to drop or stop the request.

The remote id is `<endpoint>#<request id>`: fal needs the model to find a request, so a job
started before Studio restarted is polled by a new provider from its id alone.

Progress: fal gives no percentage, so it is read from the last log line that has one
("Generating: 40%"); the queue place and the log lines go to `VideoStatus.extra`
(`queue_position`, `logs`, and `text`, one line to show).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
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
from studio_fal.connection import CONNECTION_OPTIONS, FalConnection
from studio_fal.errors import failure_text
from studio_fal.video_models import DEFAULT_MODEL, MODELS, Route, VideoModel, video_model

__all__ = ["FalVideoProvider", "create_provider"]

log = logging.getLogger(__name__)

_PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%")
_PRICES: Mapping[str, VideoPrice] = {m.id: m.price for m in MODELS if m.price is not None}


class FalVideoProvider:
    """Options (settings.json `video_providers.fal`, or flags): `model` (a model id from
    the list, or any fal endpoint) and the connection's (`FalConnection`): `base_url`
    (fal's hosts elsewhere: tests, a proxy), `api_key`, `key_name` (whose stored key:
    "fal"), `api_key_env` (default FAL_KEY), `timeout` (seconds per call)."""

    def __init__(self, *, name: str = "fal", model: str | None = None, **connection: Any) -> None:
        self.name = name
        self.model = model or DEFAULT_MODEL
        self.fal = FalConnection(VideoError, **connection)
        self._videos: dict[str, str] = {}  # remote id -> the video's URL on fal
        self.capabilities = self.capabilities_for(None)

    def __repr__(self) -> str:
        return f"FalVideoProvider(name={self.name!r}, host={self.fal.host!r})"

    def capabilities_for(self, model: str | None) -> VideoCapabilities:
        chosen = video_model(model or self.model)
        names = tuple(m.id for m in MODELS)
        if not video_model(self.model).known:
            names = (self.model, *names)  # the person's own model first
        return chosen.capabilities(names, _PRICES)

    # -- jobs -----------------------------------------------------------------------------

    async def submit(self, request: VideoRequest) -> str:
        if not request.prompt.strip():
            raise VideoError("bad_request", "The prompt is empty: say what the clip should show.")
        model = video_model(request.model or self.model)
        route = _route(model, request)
        arguments = {"prompt": request.prompt, **_shape(model, route, request)}
        if request.negative_prompt and model.negative_prompt:
            arguments["negative_prompt"] = request.negative_prompt
        if request.seed is not None and model.seed:
            arguments["seed"] = int(request.seed)
        arguments |= await self._pictures(route, request)
        arguments |= dict(request.options)
        handle = await self.fal.call(
            "submit", route.endpoint, lambda c: c.submit(route.endpoint, arguments)
        )
        return f"{route.endpoint}#{handle.request_id}"

    async def _pictures(self, route: Route, request: VideoRequest) -> dict[str, Any]:
        """The request's pictures uploaded to fal, by the route's input names."""
        pictures: dict[str, Any] = {}
        if request.image is not None and route.image:
            pictures[route.image] = await self.fal.upload(request.image, request.image_name)
        if request.last_frame is not None and route.last:
            pictures[route.last] = await self.fal.upload(request.last_frame, "last-frame.png")
        if request.references and route.references:
            pictures[route.references] = [
                await self.fal.upload(data, f"reference-{n}.png")
                for n, data in enumerate(request.references, 1)
            ]
        return pictures

    async def poll(self, remote_id: str) -> VideoStatus:
        import fal_client

        endpoint, request_id = _split(remote_id)
        status = await self.fal.call(
            "poll", remote_id, lambda c: c.status(endpoint, request_id, with_logs=True)
        )
        if isinstance(status, fal_client.Queued):
            place = int(status.position)
            text = "Next in fal's queue" if place <= 0 else f"In fal's queue, {place} ahead"
            return VideoStatus("queued", extra={"queue_position": place, "text": text})
        entries = [e for e in status.logs or [] if isinstance(e, dict)]
        logs = [str(e.get("message") or "") for e in entries]
        extra = {"logs": logs[-20:], "text": logs[-1] if logs else "Generating on fal"}
        if isinstance(status, fal_client.InProgress):
            return VideoStatus("in_progress", _progress(logs), extra=extra)
        if status.error:
            text = failure_text(status.error, status.error_type, self.fal.secrets)
            return VideoStatus("failed", error=text, error_code=status.error_type, extra=extra)
        try:
            self._videos[remote_id] = await self._video_url(remote_id)
        except VideoError as exc:
            if exc.kind not in ("rejected", "bad_request", "failed"):
                raise
            return VideoStatus("failed", error=exc.message, error_code=exc.kind, extra=extra)
        return VideoStatus("completed", 1.0, extra=extra)

    async def _video_url(self, remote_id: str) -> str:
        endpoint, request_id = _split(remote_id)
        result = await self.fal.call("result", remote_id, lambda c: c.result(endpoint, request_id))
        video = result.get("video") if isinstance(result, dict) else None
        url = video.get("url") if isinstance(video, dict) else video
        if not isinstance(url, str) or not url:
            keys = ", ".join(sorted(result)) if isinstance(result, dict) else type(result).__name__
            raise VideoError("failed", f"fal's answer for {remote_id} holds no video ({keys}).")
        return url

    async def download(self, remote_id: str, variant: Variant, dest: Path) -> Path:
        if variant != "video":
            raise VideoError("unsupported", f"fal gives the video only, not a {variant}.")
        url = self._videos.get(remote_id) or await self._video_url(remote_id)
        from studio.ai.http_download import stream_to_file  # imported by the connection

        path = await stream_to_file(url, Path(dest), error=VideoError)
        self._videos.pop(remote_id, None)
        return path

    async def cancel(self, remote_id: str) -> None:
        """fal drops a queued request and signals a running one to stop (PUT .../cancel);
        one that already finished stays as it is."""
        endpoint, request_id = _split(remote_id)
        try:
            await self.fal.call("cancel", remote_id, lambda c: c.cancel(endpoint, request_id))
        except VideoError as exc:
            log.info("fal did not cancel %s: %s", remote_id, exc)

    async def remix(self, remote_id: str, prompt: str) -> str:
        raise VideoError("unsupported", "fal's models do not remix a clip: make a new one.")

    async def extend(self, remote_id: str, prompt: str, seconds: int) -> str:
        raise VideoError(
            "unsupported",
            "This fal provider does not extend clips: continue from the clip's last frame.",
        )

    async def check(self) -> None:
        await self.fal.check()

    async def aclose(self) -> None:
        await self.fal.aclose()


def _split(remote_id: str) -> tuple[str, str]:
    endpoint, _, request_id = remote_id.rpartition("#")
    if not endpoint or not request_id:
        raise VideoError("not_found", f"{remote_id!r} is not a fal request id.")
    return endpoint, request_id


def _route(model: VideoModel, request: VideoRequest) -> Route:
    if request.last_frame is not None and request.image is None and model.text is not None:
        raise VideoError("bad_request", f"{model.title} needs a first frame to go with a last one.")
    route = model.route(
        image=request.image is not None,
        last=request.last_frame is not None,
        references=bool(request.references),
    )
    if route is None:
        what = (
            "reference pictures"
            if request.references
            else "a last frame"
            if request.last_frame is not None
            else "a prompt alone (it needs a picture to start from)"
        )
        raise VideoError("unsupported", f"{model.title} on fal does not take {what}.")
    if request.image is not None and route.image is None:
        raise VideoError(
            "unsupported", f"{model.title} takes reference pictures or a first frame, not both."
        )
    return route


def _shape(model: VideoModel, route: Route, request: VideoRequest) -> dict[str, Any]:
    """Length, aspect ratio, resolution and sound, by the model's names and values; what a
    listed model does not offer is refused rather than silently changed."""
    shape: dict[str, Any] = {}
    if request.seconds:
        if model.known and request.seconds not in model.durations:
            lengths = ", ".join(str(d) for d in model.durations)
            raise VideoError(
                "bad_request",
                f"{model.title} makes clips of {lengths} seconds, not {request.seconds}.",
            )
        shape[model.duration_field] = model.length(int(request.seconds))
    aspect = request.aspect or nearest_aspect(request.size, model.aspect_ratios)
    if aspect and route.aspect and model.aspect_ratios:
        if model.known and aspect not in model.aspect_ratios:
            raise VideoError("bad_request", f"{model.title} does not make {aspect} clips.")
        shape["aspect_ratio"] = aspect
    resolution = request.resolution or resolution_of(request.size, model.resolutions)
    if resolution:
        if model.known and resolution not in model.resolutions:
            raise VideoError("bad_request", f"{model.title} does not make {resolution} clips.")
        shape["resolution"] = resolution
    if request.audio is not None:
        if model.audio:
            shape["generate_audio"] = bool(request.audio)
        elif request.audio and model.known:
            raise VideoError("unsupported", f"{model.title} makes no sound.")
    return shape


def _progress(logs: list[str]) -> float:
    for line in reversed(logs):
        found = _PERCENT.findall(line)
        if found:
            return max(0.0, min(1.0, float(found[-1]) / 100.0))
    return 0.0


_OPTIONS = {"name", "model", *CONNECTION_OPTIONS}


def create_provider(options: Mapping[str, Any]) -> FalVideoProvider:
    """The factory registered with the plugin host: unknown options are ignored."""
    return FalVideoProvider(**{k: v for k, v in options.items() if k in _OPTIONS})
