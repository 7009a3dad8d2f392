"""The image provider: Replicate's picture models (FLUX, Imagen, Nano Banana, or any model by
name), through the same predictions as video: create, poll until done, fetch the pictures
at once (their URLs live an hour)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from typing import Any

from studio.ai.formats import nearest_aspect, picture_mime
from studio.ai.image_provider import (
    ImageCapabilities,
    ImageError,
    ImagePrice,
    ImageRequest,
    ImageResult,
)
from studio_replicate.catalogue import (
    DEFAULT_IMAGE_MODEL,
    IMAGE_MODELS,
    ImageModel,
    image_model,
    listed,
)
from studio_replicate.connection import Connection, failure_text, output_urls

__all__ = ["ReplicateImageProvider", "create_image_provider"]


class ReplicateImageProvider:
    """Options (settings.json `image_providers.replicate-images`): as the video provider's,
    plus `wait` (seconds to wait for the pictures, default 300) and `poll_interval`."""

    def __init__(
        self,
        *,
        name: str = "replicate-images",
        base_url: str | None = None,
        api_key: str | None = None,
        model: str | None = None,
        key_name: str | None = None,
        api_key_env: str | None = None,
        timeout: float = 60.0,
        wait: float = 300.0,
        poll_interval: float = 1.0,
    ) -> None:
        self.name = name
        self.model = model or DEFAULT_IMAGE_MODEL
        self.wait = wait
        self.poll_interval = poll_interval
        # One key for pictures and video: the person stores one Replicate token.
        self.connection = Connection(
            name=name,
            error=ImageError,
            base_url=base_url,
            api_key=api_key,
            key_name=key_name or "replicate",
            api_key_env=api_key_env,
            timeout=timeout,
        )
        self._models = listed(self.model, IMAGE_MODELS)
        self._prices = {n: ImagePrice({"": m.price}) for n, m in IMAGE_MODELS.items()}
        self.capabilities = self.capabilities_for(self.model)

    def capabilities_for(self, model: str | None = None) -> ImageCapabilities:
        return image_model(model or self.model).capabilities(self._models, self._prices)

    async def generate(self, request: ImageRequest) -> list[ImageResult]:
        if not request.prompt.strip():
            raise ImageError(
                "bad_request", "The prompt is empty: say what the picture should show."
            )
        spec = image_model(request.model or self.model)
        inputs, pictures = _build_input(spec, request)
        prediction = await self.connection.create(spec.name, inputs, pictures, request.options)
        prediction = await self._finish(prediction.id)
        urls = output_urls(prediction.output)
        if not urls:
            if prediction.output is None:
                raise ImageError("expired", "Replicate finished but its pictures are already gone.")
            raise ImageError("failed", f"{spec.name} finished without a picture.")
        results = []
        for url in urls[: max(1, request.count)]:
            data = await self.connection.fetch_bytes(url)
            mime = picture_mime(data)
            if mime is None:
                raise ImageError("server", "Replicate sent something that is not a picture.")
            results.append(ImageResult(data, mime))
        return results

    async def _finish(self, prediction_id: str) -> Any:
        """Poll until the prediction is done; cancel it if it takes longer than `wait`."""
        deadline = time.monotonic() + self.wait
        interval = self.poll_interval
        while True:
            prediction = await self.connection.get(prediction_id)
            if prediction.status == "succeeded":
                return prediction
            if prediction.status in ("failed", "canceled"):
                text, code = failure_text(prediction.error or "it was cancelled")
                raise ImageError("rejected" if code else "failed", text)
            if time.monotonic() > deadline:
                await self.cancel(prediction_id)
                raise ImageError(
                    "server", f"Replicate did not finish the pictures in {self.wait:.0f} s."
                )
            await asyncio.sleep(interval)
            interval = min(interval * 1.5, 5.0)

    async def cancel(self, prediction_id: str) -> None:
        with contextlib.suppress(ImageError):  # it may have finished meanwhile
            await self.connection.cancel(prediction_id)

    async def check(self) -> None:
        await self.connection.check()

    async def aclose(self) -> None:
        await self.connection.aclose()


def _build_input(spec: ImageModel, request: ImageRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    inputs: dict[str, Any] = {"prompt": request.prompt}
    pictures: dict[str, Any] = {}
    model = spec.name
    if request.transparent or request.mask is not None:
        what = "transparent backgrounds" if request.transparent else "masks"
        raise ImageError("unsupported", f"{model} on Replicate makes no {what}.")
    if request.size:
        aspect = nearest_aspect(request.size, spec.aspect_ratios)
        if aspect is None:
            raise ImageError("bad_request", f"{request.size!r} is not a size (WIDTHxHEIGHT).")
        inputs["aspect_ratio"] = aspect
    if request.count > 1:
        if spec.count is None or request.count > spec.max_count:
            raise ImageError("bad_request", f"{model} makes at most {spec.max_count} a request.")
        inputs[spec.count] = request.count
    if request.inputs:
        if spec.inputs is None or len(request.inputs) > spec.max_inputs:
            raise ImageError(
                "unsupported", f"{model} takes at most {spec.max_inputs} pictures to change."
            )
        items = list(request.inputs)
        pictures[spec.inputs] = items if spec.inputs_as_list else items[0]
    if request.seed is not None:
        if spec.seed is None:
            raise ImageError("unsupported", f"{model} on Replicate takes no seed.")
        inputs[spec.seed] = int(request.seed)
    if spec.output_format:
        inputs[spec.output_format] = "png"
    return inputs, pictures


_OPTIONS = {
    "name",
    "base_url",
    "api_key",
    "model",
    "key_name",
    "api_key_env",
    "timeout",
    "wait",
    "poll_interval",
}


def create_image_provider(options: Mapping[str, Any]) -> ReplicateImageProvider:
    return ReplicateImageProvider(**{k: v for k, v in options.items() if k in _OPTIONS})
