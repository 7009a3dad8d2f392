"""Studio's image provider "fal-images": FLUX, Imagen, Gemini image and background removal
on fal.ai, through the same queue and client as the video provider.

`generate` submits a queue request, waits for it (polling its status, backing off from a
quarter of a second to two), reads the result and fetches its pictures from fal's CDN at
once. Input pictures are uploaded to fal's storage and sent as URLs. A request that takes
longer than `wait` seconds, or a generate that is cancelled, is cancelled on fal too.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from typing import Any

from studio.ai.formats import picture_mime
from studio.ai.image_provider import (
    ImageCapabilities,
    ImageError,
    ImagePrice,
    ImageRequest,
    ImageResult,
)
from studio_fal.connection import CONNECTION_OPTIONS, FalConnection
from studio_fal.errors import failure_kind, failure_text
from studio_fal.image_models import DEFAULT_IMAGE_MODEL, IMAGE_MODELS, ImageModel, image_model

__all__ = ["FalImageProvider", "create_image_provider"]

_PRICES: dict[str, ImagePrice] = {m.id: m.price for m in IMAGE_MODELS}
_TROUBLES = 3  # passing troubles in a row while waiting before giving up


class FalImageProvider:
    """Options (settings.json `image_providers.fal-images`): `model`, `wait` (seconds to
    wait for the pictures) and the connection's, as for the video provider (`key_name`
    "fal" by default: the key the video provider uses)."""

    def __init__(
        self,
        *,
        name: str = "fal-images",
        model: str | None = None,
        wait: float = 300.0,
        **connection: Any,
    ) -> None:
        self.name = name
        self.model = model or DEFAULT_IMAGE_MODEL
        self.wait = wait
        self.fal = FalConnection(ImageError, **connection)
        self.capabilities = self.capabilities_for(None)

    def capabilities_for(self, model: str | None) -> ImageCapabilities:
        names = tuple(m.id for m in IMAGE_MODELS)
        if not image_model(self.model).known:
            names = (self.model, *names)
        return image_model(model or self.model).capabilities(names, _PRICES)

    async def generate(self, request: ImageRequest) -> list[ImageResult]:
        model = image_model(request.model or self.model)
        endpoint = _endpoint(model, request)
        arguments = model.arguments(request)
        if request.inputs:
            urls = [
                await self.fal.upload(data, f"input-{n}.png")
                for n, data in enumerate(request.inputs, 1)
            ]
            arguments[model.inputs] = urls if model.inputs.endswith("s") else urls[0]
        arguments |= dict(request.options)
        handle = await self.fal.call("submit", endpoint, lambda c: c.submit(endpoint, arguments))
        try:
            await self._finish(endpoint, handle)
        except asyncio.CancelledError:
            await self._drop(handle)
            raise
        result = await self.fal.call("result", endpoint, lambda c: handle.get())
        return await self._fetch(result, endpoint)

    async def _finish(self, endpoint: str, handle: Any) -> None:
        """Wait until fal says COMPLETED; raise if the request failed there or took too
        long. Passing troubles (no connection, 5xx, 429) are tried again a few times."""
        import fal_client

        request_id = handle.request_id
        deadline = time.monotonic() + self.wait
        delay, troubles = 0.25, 0
        while True:
            try:
                status = await self.fal.call(
                    "poll", request_id, lambda c: c.status(endpoint, request_id)
                )
            except ImageError as exc:
                troubles += 1
                if not exc.transient or troubles > _TROUBLES:
                    raise
                await asyncio.sleep(min(exc.retry_after or delay, 10.0))
                continue
            troubles = 0
            if isinstance(status, fal_client.Completed):
                if status.error:
                    kind = failure_kind(status.error, status.error_type)
                    text = failure_text(
                        status.error, status.error_type, self.fal.secrets, "picture"
                    )
                    raise ImageError(kind, text)
                return
            if time.monotonic() + delay > deadline:
                await self._drop(handle)
                raise ImageError(
                    "unreachable", f"fal did not finish the pictures in {self.wait:g} seconds."
                )
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 2.0)

    async def _drop(self, handle: Any) -> None:
        """Ask fal to stop a request Studio no longer waits for (best effort)."""
        with contextlib.suppress(Exception):
            await asyncio.shield(handle.cancel())

    async def _fetch(self, result: Any, endpoint: str) -> list[ImageResult]:
        """The pictures of a result, fetched from fal at once (whole, or an ImageError)."""
        result = result if isinstance(result, Mapping) else {}
        files = result.get("images") or [result.get("image")]
        urls = [f.get("url") for f in files if isinstance(f, Mapping) and f.get("url")]
        if not urls:
            raise ImageError("failed", f"fal's answer from {endpoint} holds no picture.")
        from studio.ai.http_download import fetch_bytes  # imported by the connection

        pictures = []
        for url in urls:
            data = await fetch_bytes(url, error=ImageError)
            pictures.append(ImageResult(data, picture_mime(data) or "image/png"))
        return pictures

    async def check(self) -> None:
        await self.fal.check()

    async def aclose(self) -> None:
        await self.fal.aclose()


def _endpoint(model: ImageModel, request: ImageRequest) -> str:
    if request.mask is not None:
        raise ImageError("unsupported", f"{model.title} on fal takes no mask.")
    if request.transparent and not model.transparent:
        raise ImageError(
            "unsupported",
            f"{model.title} cannot make a transparent background: make the picture, then "
            "remove its background with fal-ai/bria/background/remove.",
        )
    if request.count > model.max_count:
        raise ImageError("bad_request", f"{model.title} makes at most {model.max_count} at once.")
    if request.inputs:
        if model.edit is None or len(request.inputs) > model.max_inputs:
            most = model.max_inputs if model.edit else 0
            raise ImageError("unsupported", f"{model.title} takes at most {most} input pictures.")
        return model.edit
    if model.text is None:
        raise ImageError("bad_request", f"{model.title} needs a picture to work on.")
    if model.prompt and not request.prompt.strip():
        raise ImageError("bad_request", "The prompt is empty: say what the picture should show.")
    return model.text


_OPTIONS = {"name", "model", "wait", *CONNECTION_OPTIONS}


def create_image_provider(options: Mapping[str, Any]) -> FalImageProvider:
    """The factory registered with the plugin host: unknown options are ignored."""
    return FalImageProvider(**{k: v for k, v in options.items() if k in _OPTIONS})
