"""Luma's Photon pictures as a Studio image provider: `POST /generations/image`, the
generation polled at `GET /generations/{id}` until `assets.image` is there, then fetched.

Photon takes reference pictures only as web addresses, so requests with input pictures are
refused (`edit` is False). Luma makes one picture per generation; several are several
generations.

Prices (Luma's API pricing page, billed by the pixel): about $0.015 for a 1080p picture
from photon-1 and $0.004 from photon-flash-1. Settings can override them.
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
from studio_luma.client import CONNECTION_OPTIONS, LumaConnection

__all__ = ["LumaImageProvider", "create_provider"]

# Photon takes an aspect ratio; these are the sizes Studio asks for, by their aspect.
_ASPECT_OF = {"1920x1080": "16:9", "1080x1920": "9:16", "1080x1080": "1:1", "1440x1080": "4:3"}
_ASPECT_OF |= {"1080x1440": "3:4", "2520x1080": "21:9", "1080x2520": "9:21"}
PRICES: Mapping[str, ImagePrice] = {
    "photon-1": ImagePrice({"": 0.015}),
    "photon-flash-1": ImagePrice({"": 0.004}),
}
DEFAULT_MODEL = "photon-1"


class LumaImageProvider:
    """Options (settings.json `image_providers.luma-images`): those of the video provider
    (`base_url`, `api_key`, `key_name`, ...), `model` (default photon-1), `poll_interval`
    and `wait` (seconds before giving up on a picture)."""

    def __init__(
        self,
        *,
        name: str = "luma-images",
        model: str | None = None,
        poll_interval: float = 2.0,
        wait: float = 300.0,
        **connection: Any,
    ) -> None:
        self.name = name
        self.model = model or DEFAULT_MODEL
        self.poll_interval = poll_interval
        self.wait = wait
        self.connection = LumaConnection(**connection)  # the "luma" key by default
        self.capabilities = ImageCapabilities(
            sizes=tuple(_ASPECT_OF), models=tuple(PRICES), max_count=4, prices=PRICES
        )

    def capabilities_for(self, model: str | None) -> ImageCapabilities:
        return self.capabilities

    async def aclose(self) -> None:
        await self.connection.aclose()

    async def check(self) -> None:
        await self.connection.credit_left(error=ImageError)

    async def generate(self, request: ImageRequest) -> list[ImageResult]:
        if not request.prompt.strip():
            raise ImageError(
                "bad_request", "The prompt is empty: say what the picture should show."
            )
        if request.inputs or request.mask:
            raise ImageError(
                "unsupported", "Luma takes reference pictures only as web addresses, not files."
            )
        size = request.size or "1920x1080"
        aspect = _ASPECT_OF.get(size)
        if aspect is None:
            raise ImageError(
                "bad_request", f"Luma makes pictures of {', '.join(_ASPECT_OF)}, not {size}."
            )
        body = {"model": request.model or self.model, "prompt": request.prompt.strip()}
        body |= {"aspect_ratio": aspect, "format": "png"}
        extra = dict(request.options) or None
        ids = []
        for _ in range(max(1, min(request.count, 4))):
            created = await self.connection.call(
                lambda c: c.generations.image.create(**body, extra_body=extra),
                "request",
                error=ImageError,
            )
            ids.append(str(created.id))
        return list(await asyncio.gather(*(self._result(i) for i in ids)))

    async def _result(self, generation_id: str) -> ImageResult:
        deadline = time.monotonic() + self.wait
        while True:
            generation = await self.connection.generation(generation_id, "poll", error=ImageError)
            if generation.state == "completed":
                break
            if generation.state == "failed":
                reason = (generation.failure_reason or "no reason given").rstrip(".")
                kind = "rejected" if "moderation" in reason.lower() else "failed"
                raise ImageError(kind, f"The picture failed on Luma: {reason}.")
            if time.monotonic() > deadline:
                raise ImageError(
                    "unreachable", f"Luma did not finish the picture in {self.wait:.0f} s."
                )
            await asyncio.sleep(self.poll_interval)
        url = await self.connection.asset_url(generation_id, "image", error=ImageError)
        data = await fetch_bytes(url, error=ImageError)
        return ImageResult(data, picture_mime(data) or "image/png")


_OPTIONS = {"name", "model", "poll_interval", "wait", *CONNECTION_OPTIONS}


def create_provider(options: Mapping[str, Any]) -> LumaImageProvider:
    return LumaImageProvider(**{k: v for k, v in options.items() if k in _OPTIONS})
