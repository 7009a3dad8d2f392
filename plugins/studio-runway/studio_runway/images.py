"""Runway's pictures as a Studio image provider: `POST /v1/text_to_image` (Gen-4 Image),
a task polled at `GET /v1/tasks/{id}` like a video's, its result fetched at once.

Gen-4 Image takes up to three reference pictures (`referenceImages`, each with a `tag` the
prompt can name as @tag); Gen-4 Image Turbo needs at least one. One task makes one picture,
so a request for several starts several tasks.

Prices (Runway's API pricing page, $0.01 a credit): gen4_image 5 credits at 720p and 8 at
1080p, gen4_image_turbo 2. Settings can override them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from studio.ai.formats import picture_mime
from studio.ai.http_download import fetch_bytes
from studio.ai.image_provider import (
    ImageCapabilities,
    ImageError,
    ImagePrice,
    ImageRequest,
    ImageResult,
)
from studio_runway.client import CONNECTION_OPTIONS, RunwayConnection, failure_text

__all__ = ["RunwayImageProvider", "create_provider"]

_SIZES = ("1920x1080", "1080x1920", "1024x1024", "1360x768", "1280x720", "720x1280", "1080x1080")
_HD = {"1920x1080", "1080x1920", "1080x1080"}
PRICES: Mapping[str, ImagePrice] = {
    "gen4_image": ImagePrice({"": 0.05, **{size: 0.08 for size in _HD}}),
    "gen4_image_turbo": ImagePrice({"": 0.02}),
}
DEFAULT_MODEL = "gen4_image"


class RunwayImageProvider:
    """Options (settings.json `image_providers.runway-images`): those of the video provider
    (`base_url`, `api_key`, `key_name`, ...), `model` (default gen4_image), `poll_interval`
    and `wait` (seconds before giving up on a picture)."""

    def __init__(
        self,
        *,
        name: str = "runway-images",
        model: str | None = None,
        poll_interval: float = 2.0,
        wait: float = 300.0,
        key_name: str | None = None,
        **connection: Any,
    ) -> None:
        self.name = name
        self.model = model or DEFAULT_MODEL
        self.poll_interval = poll_interval
        self.wait = wait
        # The same Runway account as the video provider: its key by default.
        self.connection = RunwayConnection(key_name=key_name or "runway", **connection)

    @property
    def capabilities(self) -> ImageCapabilities:
        return self.capabilities_for(self.model)

    def capabilities_for(self, model: str | None) -> ImageCapabilities:
        return ImageCapabilities(
            sizes=_SIZES,
            models=tuple(PRICES),
            edit=True,
            max_inputs=3,
            max_count=4,
            seed=True,
            prices=PRICES,
        )

    async def aclose(self) -> None:
        await self.connection.aclose()

    async def check(self) -> None:
        org = await self.connection.call(
            lambda c: c.organization.retrieve(), "check", error=ImageError
        )
        if org.credit_balance <= 0:
            raise ImageError(
                "quota", "The Runway account has no credits left: add credits in its portal."
            )

    async def generate(self, request: ImageRequest) -> list[ImageResult]:
        if not request.prompt.strip():
            raise ImageError(
                "bad_request", "The prompt is empty: say what the picture should show."
            )
        model = request.model or self.model
        size = request.size or _SIZES[0]
        if size not in _SIZES:
            raise ImageError(
                "bad_request", f"Runway makes pictures of {', '.join(_SIZES)}, not {size}."
            )
        if len(request.inputs) > 3:
            raise ImageError("bad_request", "Runway takes at most three reference pictures.")
        body: dict[str, Any] = {"model": model, "prompt_text": request.prompt.strip()}
        body["ratio"] = size.replace("x", ":")
        if request.seed is not None:
            body["seed"] = int(request.seed)
        if request.inputs:
            body["reference_images"] = [
                {"uri": await self.connection.picture_uri(data, error=ImageError), "tag": f"ref{i}"}
                for i, data in enumerate(request.inputs, 1)
            ]
        extra = dict(request.options) or None
        count = max(1, min(request.count, 4))
        ids = []
        for _ in range(count):
            created = await self.connection.call(
                lambda c: c.text_to_image.create(**body, extra_body=extra),
                "request",
                error=ImageError,
            )
            ids.append(created.id)
        return list(await asyncio.gather(*(self._result(task_id) for task_id in ids)))

    async def _result(self, task_id: str) -> ImageResult:
        deadline = time.monotonic() + self.wait
        while True:
            task = await self.connection.task(task_id, "poll", error=ImageError)
            if task.status == "SUCCEEDED":
                break
            if task.status in ("FAILED", "CANCELLED"):
                code = getattr(task, "failure_code", None) or ""
                text = failure_text(code, getattr(task, "failure", None), "picture")
                raise ImageError("rejected" if code.startswith("SAFETY.") else "failed", text)
            if time.monotonic() > deadline:
                raise ImageError(
                    "unreachable", f"Runway did not finish the picture in {self.wait:.0f} s."
                )
            await asyncio.sleep(self.poll_interval)
        url = await self.connection.output_url(task_id, error=ImageError)
        data = await fetch_bytes(url, error=ImageError)
        return ImageResult(data, picture_mime(data) or "image/png")


_OPTIONS = {"name", "model", "poll_interval", "wait", *CONNECTION_OPTIONS}


def create_provider(options: Mapping[str, Any]) -> RunwayImageProvider:
    return RunwayImageProvider(**{k: v for k, v in options.items() if k in _OPTIONS})
