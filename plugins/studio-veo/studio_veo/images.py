"""Pictures from Google's Gemini image models ("Nano Banana") through `google-genai`.

Imagen, and with it `models.generate_images`, is gone (see `studio_veo.models`), so pictures
come from `models.generate_content` with `response_modalities=["IMAGE"]`:
`POST {version}/models/{model}:generateContent` on the Gemini API (the default, a key from
Google AI Studio) or `.../publishers/google/models/{model}:generateContent` on Agent
Platform, with `{"contents": [{"role": "user", "parts": [{"text"}, {"inlineData"}...]}],
"generationConfig": {"responseModalities": ["IMAGE"], "imageConfig": {"aspectRatio",
"imageSize"}, "seed"}}`. The answer's parts carry the picture as `inlineData` (base64);
a refusal is a `promptFeedback.blockReason`, or a candidate whose `finishReason` is a safety
one (IMAGE_SAFETY, PROHIBITED_CONTENT, ...) and that holds no picture.

One request makes one picture: `count` pictures are that many requests at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from studio.ai.formats import picture_mime
from studio.ai.image_provider import ImageCapabilities, ImageError, ImageRequest, ImageResult
from studio_veo.connection import GoogleConnection, Platform, known
from studio_veo.models import (
    DEFAULT_IMAGE_MODEL,
    IMAGE_MODELS,
    IMAGE_SIZES,
    RETIRED,
    image_capabilities,
)

if TYPE_CHECKING:
    from google.genai import types

__all__ = ["GeminiImageProvider", "create_provider"]

# Finish and block reasons that mean Google's filters refused (types.FinishReason,
# types.BlockedReason).
REFUSALS = frozenset(
    {"SAFETY", "IMAGE_SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "JAILBREAK", "OTHER"}
)


class GeminiImageProvider:
    """Pictures on Gemini image models. Options as for Veo (`model`, `base_url`,
    `api_version`, `key_name`, `api_key_env`, `timeout`), plus `platform`: "gemini-api"
    (default) or "agent-platform" (then `project` and `location` may replace the key)."""

    def __init__(
        self,
        *,
        name: str = "gemini-image",
        model: str | None = None,
        platform: Platform = "gemini-api",
        **connection: Any,
    ) -> None:
        self.name = name
        self.model = model or DEFAULT_IMAGE_MODEL
        self.capabilities: ImageCapabilities = image_capabilities(self.model)
        self.google = GoogleConnection(name=name, platform=platform, error=ImageError, **connection)
        self.base_url = self.google.address  # Settings shows it as the default address

    def capabilities_for(self, model: str | None) -> ImageCapabilities:
        return image_capabilities(model or self.model)

    async def aclose(self) -> None:
        await self.google.aclose()

    async def check(self) -> None:
        client = await self.google.client()
        await self.google.call(client.models.get(model=self.model), "connection test", self.model)

    async def generate(self, request: ImageRequest) -> list[ImageResult]:
        model = request.model or self.model
        pictures, settings = self._inputs(model, request)
        client = await self.google.client()
        from google.genai import types

        parts = [types.Part.from_text(text=request.prompt)] + [
            types.Part.from_bytes(data=data, mime_type=mime) for data, mime in pictures
        ]

        async def one(index: int) -> ImageResult:
            seed = settings.get("seed")
            config = types.GenerateContentConfig(
                response_modalities=["IMAGE"],
                image_config=types.ImageConfig(**settings["image"]) if settings["image"] else None,
                seed=None if seed is None else seed + index,
            )
            answer = await self.google.call(
                client.models.generate_content(model=model, contents=parts, config=config),
                "picture",
            )
            return _picture(answer)

        tasks = [asyncio.ensure_future(one(i)) for i in range(request.count)]
        try:
            return list(await asyncio.gather(*tasks))
        finally:
            for task in tasks:  # one failed: do not pay for the others
                task.cancel()

    def _inputs(
        self, model: str, request: ImageRequest
    ) -> tuple[list[tuple[bytes, str]], dict[str, Any]]:
        """The input pictures with their MIME types, and the picture settings; refuses
        offline what the model cannot do."""
        retired = RETIRED.get(model)
        if retired is not None:
            raise ImageError(
                "gone",
                f"Google shut {model} down on {retired.shut_down}; pick {retired.replacement}.",
            )
        caps = image_capabilities(model)
        known = model in IMAGE_MODELS
        if not request.prompt.strip():
            raise ImageError(
                "bad_request", "The prompt is empty: say what the picture should show."
            )
        if request.mask is not None or request.transparent:
            what = "masks" if request.mask is not None else "transparent backgrounds"
            raise ImageError("unsupported", f"Gemini image models take no {what}.")
        if not 1 <= request.count <= caps.max_count:
            raise ImageError("bad_request", f"Ask for 1 to {caps.max_count} pictures at once.")
        if known and len(request.inputs) > caps.max_inputs:
            raise ImageError("bad_request", f"{model} takes at most {caps.max_inputs} pictures.")
        image: dict[str, str] = {}
        if request.size:
            if request.size not in IMAGE_SIZES:
                raise ImageError(
                    "bad_request",
                    f"{model} makes pictures of {', '.join(IMAGE_SIZES)} pixels, "
                    f"not {request.size}.",
                )
            image["aspect_ratio"], image["image_size"] = IMAGE_SIZES[request.size]
        pictures: list[tuple[bytes, str]] = []
        for data in request.inputs:
            mime = picture_mime(data)
            if mime is None:
                raise ImageError("bad_request", "An input picture is not a PNG, JPEG or WebP.")
            pictures.append((data, mime))
        settings: dict[str, Any] = {"image": image}
        if request.seed is not None:
            settings["seed"] = int(request.seed)
        return pictures, settings


def _picture(answer: types.GenerateContentResponse) -> ImageResult:
    feedback = answer.prompt_feedback
    if feedback is not None and feedback.block_reason:
        reason = _name(feedback.block_reason)
        detail = feedback.block_reason_message or reason
        raise ImageError("rejected", f"Google refused the prompt ({detail}).")
    candidate = answer.candidates[0] if answer.candidates else None
    parts = (candidate.content.parts or []) if candidate and candidate.content else []
    text = " ".join(p.text.strip() for p in parts if p.text).strip()
    for part in parts:
        blob = part.inline_data
        if blob is not None and blob.data:
            mime = blob.mime_type or picture_mime(blob.data) or "image/png"
            return ImageResult(data=blob.data, mime=mime, revised_prompt=text or None)
    reason = _name(candidate.finish_reason) if candidate and candidate.finish_reason else ""
    if reason in REFUSALS:
        detail = (candidate.finish_message if candidate else None) or text or reason
        raise ImageError("rejected", f"Google's filters refused the picture ({detail}).")
    raise ImageError("failed", f"Google answered without a picture{': ' + text if text else ''}.")


def _name(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def create_provider(options: Mapping[str, Any]) -> GeminiImageProvider:
    """The factory registered with the plugin host: options it does not know are ignored."""
    return GeminiImageProvider(**known(options, "name", "model", "platform"))
