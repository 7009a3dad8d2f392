"""A local video provider for tests of what Studio sends and keeps: it makes real H.264
clips with ffmpeg (a test pattern as long as asked), keeps every request it was sent, and
describes its model exactly (`capabilities_for`, plugin API 2) with whatever capabilities a
test gives it. Jobs live in a `Service` shared by every provider made on it, so a provider
made after "a restart" polls and downloads the jobs of an earlier one, as a real service.

It reports what a service may report: a cost (`VideoStatus.extra["cost_usd"]`) and until
when the result is kept (`expires_at`). An extension is a new job whose clip is the source
clip's length plus the seconds added, as services hand them back.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.ai.video_provider import (
    VideoCapabilities,
    VideoError,
    VideoPrice,
    VideoRequest,
    VideoStatus,
)
from studio.testing.clips import make_test_clip

RICH = VideoCapabilities(
    durations=(1, 2),
    sizes=(),
    aspect_ratios=("16:9", "9:16"),
    resolutions=("720p", "1080p"),
    image_reference=True,
    last_frame=True,
    reference_images=3,
    audio=True,
    negative_prompt=True,
    seed=True,
    extend=True,
    extend_durations=(1, 2),
    models=("local-1", "local-1-mini"),
    prices={
        "local-1": VideoPrice(
            per_second=0.4, per_second_audio=0.6, resolution_factor={"1080p": 1.5}
        ),
        "local-1-mini": VideoPrice(per_clip=0.05, per_second=0.1),
    },
)


@dataclass
class Job:
    request: VideoRequest | None  # None: an extension
    seconds: float
    kind: str = "generate"
    source: str | None = None
    polls: int = 0


@dataclass
class Service:
    """The jobs of a local "service"; `steps` polls until one is done."""

    steps: int = 1
    cost: float | None = None  # reported with every finished job
    expires_in: float | None = 3600.0
    jobs: dict[str, Job] = field(default_factory=dict)

    @property
    def requests(self) -> list[VideoRequest]:
        return [j.request for j in self.jobs.values() if j.request is not None]


class LocalModels:
    """A provider on a `Service`; `caps` describes every model (`per_model` overrides)."""

    name = "local"
    label = "Local test models"

    def __init__(
        self,
        service: Service,
        *,
        caps: VideoCapabilities = RICH,
        per_model: dict[str, VideoCapabilities] | None = None,
        size: tuple[int, int] = (160, 90),
    ) -> None:
        self.service = service
        self.capabilities = caps
        self.per_model = per_model or {}
        self.size = size

    def capabilities_for(self, model: str | None = None) -> VideoCapabilities:
        return self.per_model.get(model or "", self.capabilities)

    async def submit(self, request: VideoRequest) -> str:
        job_id = f"job-{len(self.service.jobs) + 1}"
        self.service.jobs[job_id] = Job(request, float(request.seconds or 1))
        return job_id

    async def poll(self, remote_id: str) -> VideoStatus:
        job = self._job(remote_id)
        job.polls += 1
        if job.polls < self.service.steps:
            return VideoStatus("in_progress", job.polls / self.service.steps, poll_after=0.01)
        extra = {"cost_usd": self.service.cost} if self.service.cost is not None else {}
        expires = time.time() + self.service.expires_in if self.service.expires_in else None
        return VideoStatus("completed", 1.0, expires_at=expires, extra=extra)

    async def download(self, remote_id: str, variant: str, dest: Path) -> Path:
        job = self._job(remote_id)
        await asyncio.to_thread(make_test_clip, dest, job.seconds, self.size)
        return dest

    async def extend(self, remote_id: str, prompt: str, seconds: int) -> str:
        source = self._job(remote_id)
        job_id = f"job-{len(self.service.jobs) + 1}"
        self.service.jobs[job_id] = Job(
            None, source.seconds + seconds, kind="extend", source=remote_id
        )
        return job_id

    async def remix(self, remote_id: str, prompt: str) -> str:
        source = self._job(remote_id)
        assert source.request is not None
        return await self.submit(dataclasses.replace(source.request, prompt=prompt))

    async def cancel(self, remote_id: str) -> None:
        self.service.jobs.pop(remote_id, None)

    async def aclose(self) -> None:
        pass

    def _job(self, remote_id: str) -> Job:
        if remote_id not in self.service.jobs:
            raise VideoError("not_found", f"No job {remote_id}.")
        return self.service.jobs[remote_id]


def local_source(service: Service, **options: Any):
    """A provider source for a `VideoQueue`: every name gets a `LocalModels`."""
    return lambda name: LocalModels(service, **options)


def add_local(host: Any, service: Service, **options: Any) -> None:
    """Register `LocalModels` on `service` as the video provider "local", as a plugin
    (API 2) does, on the plugin `host`."""
    from studio.plugins import hookimpl

    module = types.ModuleType("studio_test_local_videos")
    module.STUDIO_API = 2  # type: ignore[attr-defined]

    @hookimpl
    def register_video_providers(register):
        register("local", lambda _options: LocalModels(service, **options))

    module.register_video_providers = register_video_providers  # type: ignore[attr-defined]
    host.add_module("local", module)
