"""Runway's video tasks as a Studio video provider, through the official `runwayml` SDK.

- submit: `POST /v1/image_to_video` when there is a first (or last) frame, else
  `POST /v1/text_to_video` (gen4_turbo only animates pictures);
- poll: `GET /v1/tasks/{id}`: PENDING and THROTTLED are queued, RUNNING reports its
  progress, SUCCEEDED is completed, FAILED carries `failure` and `failureCode` (SAFETY.* is a
  refused prompt or picture), CANCELLED is a failure;
- download: the task is fetched again for fresh result URLs, the first one streamed to disk;
- cancel: `DELETE /v1/tasks/{id}` (stops a pending, throttled or running task);
- remix: Aleph (`POST /v1/video_to_video`) redoes a finished clip with a new prompt;
- extend: Runway's API has none, so continuing a clip uses its last frame (Studio does that).

A job started before Studio restarted is polled by its task id like any other.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from studio.ai.video_provider import (
    Variant,
    VideoCapabilities,
    VideoError,
    VideoRequest,
    VideoStatus,
)
from studio_runway.client import CONNECTION_OPTIONS, POLL_INTERVAL, RunwayConnection, failure_text
from studio_runway.models import DEFAULT_MODEL, REMIX_MODEL, capabilities_for, model_spec, ratio_for

__all__ = ["RunwayVideoProvider", "create_provider"]

log = logging.getLogger(__name__)

_QUEUED = {"PENDING": "waiting to start", "THROTTLED": "waiting: the account's tier is busy"}


class RunwayVideoProvider:
    """Options (settings.json `video_providers.runway`, or flags): `base_url`, `model`
    (default gen4.5), `api_key`, `key_name`, `timeout`, `max_retries`, `runway_version`,
    `poll_interval` (seconds between polls, the API's five by default)."""

    def __init__(
        self,
        *,
        name: str = "runway",
        model: str | None = None,
        poll_interval: float = POLL_INTERVAL,
        **connection: Any,
    ) -> None:
        self.name = name
        self.model = model or DEFAULT_MODEL
        self.poll_interval = poll_interval
        self.connection = RunwayConnection(**connection)

    def __repr__(self) -> str:
        return f"RunwayVideoProvider(name={self.name!r}, host={self.connection.host!r})"

    @property
    def capabilities(self) -> VideoCapabilities:
        return capabilities_for(self.model)

    def capabilities_for(self, model: str | None) -> VideoCapabilities:
        return capabilities_for(model or self.model)

    async def aclose(self) -> None:
        await self.connection.aclose()

    async def check(self) -> None:
        """One cheap authenticated call (GET /v1/organization) for Test connection."""
        org = await self.connection.call(
            lambda c: c.organization.retrieve(), "check", error=VideoError
        )
        if org.credit_balance <= 0:
            raise VideoError(
                "quota", "The Runway account has no credits left: add credits in its portal."
            )

    # -- jobs -----------------------------------------------------------------------------

    async def submit(self, request: VideoRequest) -> str:
        prompt = request.prompt.strip()
        model = request.model or self.model
        spec = model_spec(model)
        caps = spec.capabilities
        frames = await self._frames(request, caps)
        if not frames and not spec.text_to_video:
            raise VideoError(
                "bad_request",
                f"Runway's {model} makes clips from a picture only: add a first frame, or "
                "pick gen4.5 or veo3.1 for a clip from text alone.",
            )
        if not prompt and not frames:
            raise VideoError("bad_request", "The prompt is empty: say what the clip should show.")
        body: dict[str, Any] = {
            "model": model,
            "ratio": ratio_for(model, request, text_only=not frames),
        }
        if prompt:
            body["prompt_text"] = prompt
        seconds = request.seconds or (5 if 5 in caps.durations else caps.durations[-1])
        if seconds not in caps.durations:
            raise VideoError(
                "bad_request",
                f"Runway's {model} makes clips of {_listing(caps.durations)} seconds, "
                f"not {seconds}.",
            )
        body["duration"] = int(seconds)
        if request.seed is not None:
            body["seed"] = int(request.seed)
        if caps.audio and request.audio is not None:
            body["audio"] = bool(request.audio)
        if caps.negative_prompt and request.negative_prompt:
            body["negative_prompt"] = request.negative_prompt
        extra = dict(request.options) or None  # a model's own inputs, by Runway's names
        if frames:
            # One first frame goes as a plain URI; keyframes as a list with positions.
            first_only = len(frames) == 1 and frames[0]["position"] == "first"
            body["prompt_image"] = frames[0]["uri"] if first_only else frames
            created = await self.connection.call(
                lambda c: c.image_to_video.create(**body, extra_body=extra),
                "request",
                error=VideoError,
            )
        else:
            created = await self.connection.call(
                lambda c: c.text_to_video.create(**body, extra_body=extra),
                "request",
                error=VideoError,
            )
        return created.id

    async def _frames(self, request: VideoRequest, caps: VideoCapabilities) -> list[dict[str, str]]:
        if request.references:
            raise VideoError(
                "unsupported",
                "Runway's video models take no reference pictures; use a first frame.",
            )
        if request.last_frame and not caps.last_frame:
            raise VideoError(
                "unsupported",
                "This Runway model cannot end on a given picture; veo3.1 and veo3.1_fast can.",
            )
        frames = []
        for data, position in ((request.image, "first"), (request.last_frame, "last")):
            if data:
                uri = await self.connection.picture_uri(data, error=VideoError)
                frames.append({"uri": uri, "position": position})
        return frames

    async def poll(self, remote_id: str) -> VideoStatus:
        task = await self.connection.task(remote_id, "poll", error=VideoError)
        extra: dict[str, Any] = {"runway_status": task.status}
        cost = getattr(task, "cost", None) or getattr(task, "estimated_cost", None)
        if cost is not None:
            extra["credits"] = cost.credits
        after = self.poll_interval
        if task.status in _QUEUED:
            return VideoStatus(
                "queued", poll_after=after, extra=extra | {"note": _QUEUED[task.status]}
            )
        if task.status == "RUNNING":
            progress = max(0.0, min(1.0, float(task.progress or 0)))
            return VideoStatus("in_progress", progress, poll_after=after, extra=extra)
        if task.status == "SUCCEEDED":
            return VideoStatus("completed", 1.0, extra=extra)
        if task.status == "CANCELLED":
            return VideoStatus("failed", error="The task was cancelled on Runway.", extra=extra)
        code = getattr(task, "failure_code", None)
        return VideoStatus(
            "failed",
            error=failure_text(code, getattr(task, "failure", "")),
            error_code=code,
            extra=extra,
        )

    async def download(self, remote_id: str, variant: Variant, dest: Path) -> Path:
        if variant != "video":
            raise VideoError("unsupported", f"Runway hands out no {variant}, only the video.")
        return await self.connection.fetch_output(remote_id, Path(dest), error=VideoError)

    async def cancel(self, remote_id: str) -> None:
        try:
            await self.connection.call(
                lambda c: c.tasks.delete(remote_id), "cancel", remote_id, error=VideoError
            )
        except VideoError as exc:  # already gone, or no contact: Studio stops waiting anyway
            log.info("could not cancel %s on %s: %s", remote_id, self.connection.host, exc)

    async def remix(self, remote_id: str, prompt: str) -> str:
        task = await self.connection.task(remote_id, "remix", error=VideoError)
        if task.status != "SUCCEEDED" or not task.output:
            raise VideoError(
                "bad_request", f"Runway's task {remote_id} has no finished clip to remix."
            )
        created = await self.connection.call(
            lambda c: c.video_to_video.create(
                model=REMIX_MODEL, video_uri=task.output[0], prompt_text=prompt
            ),
            "remix",
            remote_id,
            error=VideoError,
        )
        return created.id

    async def extend(self, remote_id: str, prompt: str, seconds: int) -> str:
        raise VideoError(
            "unsupported",
            "Runway's API cannot extend a clip; continue it from its last frame instead.",
        )


def _listing(values: tuple[int, ...]) -> str:
    return (
        ", ".join(str(v) for v in values[:-1]) + f" or {values[-1]}"
        if len(values) > 1
        else str(values[0])
    )


_OPTIONS = {"name", "model", "poll_interval", *CONNECTION_OPTIONS}


def create_provider(options: Mapping[str, Any]) -> RunwayVideoProvider:
    """The factory registered with the plugin host: unknown options are ignored."""
    return RunwayVideoProvider(**{k: v for k, v in options.items() if k in _OPTIONS})
