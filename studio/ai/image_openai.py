"""The built-in image provider: the OpenAI Images API (`client.images`) at any base URL.

Endpoints used (through the `openai` client, never by hand), as the API reference gives
them (developers.openai.com/api/docs/api-reference/images):

- `POST /images/generations` (JSON): a prompt, `model`, `n`, `size`, `quality`,
  `background="transparent"` with `output_format="png"` for a see-through background.
- `POST /images/edits` (multipart): the input pictures as `image` (one) or `image[]`
  (several, up to 16), an optional `mask` (a PNG whose transparent pixels mark where to
  change the first picture), and the same fields.
- `GET /models/{model}`: the cheap authenticated call behind Test connection (`check`).

Each picture comes back as `b64_json` (GPT image models always answer so) or as a `url`
(older models and some gateways, asked with the `response_format` option) that lives for a
short while: it is fetched at once, whole or not at all (`studio.ai.http_download`).

What each model offers and costs is in `studio.ai.image_openai_models`; a model the table
does not know (a gateway's own) is offered like today's GPT image models, without a price.
Failures become `ImageError`s of the shared kinds, one sentence each: a refused prompt
(`moderation_blocked`), a rate limit with the wait the service asked for (`retry_after`),
no credit, a refused key, a size or parameter the model does not take, a model that was
shut down, a server that failed or cannot be reached.
"""

from __future__ import annotations

import base64
import binascii
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.ai.errors import parse_retry_after
from studio.ai.http_download import stream_to_file
from studio.ai.image_openai_models import (
    LEGACY_MODELS,
    MODELS,
    TODAYS_MODELS,
    model_info,
)
from studio.ai.image_provider import ImageCapabilities, ImageError, ImageRequest, ImageResult
from studio.ai.openai_client import LazyClient, openai_module, short_reason

if TYPE_CHECKING:
    import openai

__all__ = ["DEFAULT_MODEL", "OpenAIImageProvider", "create_provider", "picture_mime"]

DEFAULT_MODEL = "gpt-image-1.5"  # known prices, transparency, edits that keep a likeness

_REJECTED = re.compile(r"moderation|safety|content[_ ]?polic|refus|blocked", re.I)
_QUOTA = re.compile(r"quota|billing|credit|spend[_ ]limit", re.I)
_GONE = re.compile(r"shut down|retired|deprecated|no longer (available|supported|offered)", re.I)
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
)
# Inputs a request's `options` may carry that the SDK takes by name; others go in the body.
_SDK_OPTIONS = frozenset(
    {"moderation", "input_fidelity", "output_format", "output_compression", "style", "user"}
)


def picture_mime(data: bytes) -> str | None:
    """The type of a PNG, JPEG, GIF or WebP picture from its first bytes (None: not one)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for sig, mime in _SIGNATURES if data.startswith(sig)), None)


def _upload(data: bytes, stem: str) -> tuple[str, bytes, str]:
    mime = picture_mime(data) or "application/octet-stream"
    suffix = {"image/jpeg": ".jpg", "image/webp": ".webp", "image/gif": ".gif"}.get(mime, ".png")
    return (f"{stem}{suffix}", data, mime)


class OpenAIImageProvider:
    """Pictures through `openai.AsyncOpenAI(base_url=..., api_key=...).images`.

    Options (settings.json `image_providers.openai`, or flags): `base_url` (default
    OPENAI_BASE_URL or OpenAI's), `model` (default gpt-image-1.5), `quality` (default the
    model's: medium for GPT image models), `response_format` ("url" or "b64_json", for models
    and gateways that take it), `models` and `sizes` (what a gateway offers, for the form),
    `key_name`, `api_key_env`, `timeout`, `max_retries` (the `openai` client's own retries).
    """

    def __init__(
        self,
        *,
        name: str = "openai",
        base_url: str | None = None,
        api_key: str | None = None,
        model: str | None = None,
        quality: str | None = None,
        response_format: str | None = None,
        models: Sequence[str] | None = None,
        sizes: Sequence[str] | None = None,
        key_name: str | None = None,
        api_key_env: str | None = None,
        timeout: float = 180.0,
        max_retries: int = 2,
    ) -> None:
        self.name = name
        self.client = LazyClient(
            name=name,
            what="image provider",
            error=ImageError,
            base_url=base_url,
            api_key=api_key,
            key_name=key_name,
            api_key_env=api_key_env,
            timeout=timeout,
            max_retries=max_retries,
        )
        self.model = model or DEFAULT_MODEL
        self.quality = quality
        self.response_format = response_format
        self.sizes = tuple(sizes) if sizes else None
        if models:
            self.models = tuple(models)
        elif self.client.official:
            self.models = TODAYS_MODELS  # OpenAI no longer serves the legacy ones
        else:
            self.models = TODAYS_MODELS + LEGACY_MODELS
        if self.model not in self.models:
            self.models = (self.model, *self.models)

    def __repr__(self) -> str:
        return f"OpenAIImageProvider(name={self.name!r}, host={self.host!r})"

    @property
    def base_url(self) -> str:
        return self.client.base_url

    @property
    def host(self) -> str:
        return self.client.host

    @property
    def capabilities(self) -> ImageCapabilities:
        return self.capabilities_for(None)

    def capabilities_for(self, model: str | None) -> ImageCapabilities:
        """What `model` (the default one when None) can do, at the quality asked for."""
        return model_info(model or self.model).capabilities(self.models, self.quality, self.sizes)

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- calls ----------------------------------------------------------------------------

    async def check(self) -> None:
        """One cheap authenticated call (`GET /models/{model}`) for Test connection."""
        client = await self.client.get()
        await self._call(client.models.with_raw_response.retrieve(self.model), "check")

    async def generate(self, request: ImageRequest) -> list[ImageResult]:
        """The pictures, as the request says: an edit of `request.inputs` when there are any."""
        if not request.prompt.strip():
            raise ImageError("bad_request", "The prompt is empty: say what the picture shows.")
        model = request.model or self.model
        info = model_info(model)
        if request.inputs and not info.edit:
            raise ImageError("unsupported", f"The model {model} cannot change a picture.")
        if request.mask and not (request.inputs and info.mask):
            raise ImageError(
                "unsupported", "A mask needs a picture to change, and a model that takes one."
            )
        if len(request.inputs) > info.max_inputs and request.inputs:
            raise ImageError(
                "bad_request", f"{model} takes at most {info.max_inputs} input pictures."
            )
        if request.transparent and not info.transparent:
            raise ImageError(
                "unsupported", f"The model {model} cannot make a transparent background."
            )
        body = self._body(request, model)
        client = await self.client.get()
        if request.inputs:
            images = [_upload(data, f"input-{i + 1}") for i, data in enumerate(request.inputs)]
            body["image"] = images[0] if len(images) == 1 else images
            if request.mask:
                body["mask"] = ("mask.png", request.mask, "image/png")
            call = client.images.with_raw_response.edit(**body)
        else:
            call = client.images.with_raw_response.generate(**body)
        raw = await self._call(call, "edit" if request.inputs else "generate", model)
        return await self._results(raw.parse())

    def _body(self, request: ImageRequest, model: str) -> dict[str, Any]:
        info = model_info(model)
        body: dict[str, Any] = {"prompt": request.prompt, "model": model}
        if request.count != 1:
            body["n"] = int(request.count)
        if request.size:
            body["size"] = request.size
        quality = info.quality(request.quality or self.quality)
        if quality:
            body["quality"] = quality
        if request.transparent:
            body["background"] = "transparent"
            body["output_format"] = "png"  # transparency needs PNG (or WebP)
        if self.response_format and (info.response_format or model not in MODELS):
            body["response_format"] = self.response_format
        extra = {k: v for k, v in request.options.items() if k not in _SDK_OPTIONS}
        body.update({k: v for k, v in request.options.items() if k in _SDK_OPTIONS})
        if extra:
            body["extra_body"] = extra
        return body

    async def _results(self, response: Any) -> list[ImageResult]:
        results = []
        for item in response.data or []:
            if item.b64_json:
                try:
                    data = base64.b64decode(item.b64_json, validate=True)
                except (binascii.Error, ValueError):
                    raise ImageError(
                        "server", f"{self.host} sent a picture that is not valid base64."
                    ) from None
            elif item.url:
                data = await self._fetch(item.url)
            else:
                continue
            mime = picture_mime(data)
            if mime is None:
                raise ImageError("server", f"{self.host} sent something that is not a picture.")
            results.append(ImageResult(data, mime, item.revised_prompt))
        if not results:
            raise ImageError("failed", f"{self.host} answered without a picture; try again.")
        return results

    async def _fetch(self, url: str) -> bytes:
        """A result given as a URL: fetched at once (such links live minutes)."""
        with tempfile.TemporaryDirectory(prefix="studio-image-") as folder:
            path = await stream_to_file(url, Path(folder) / "picture", error=ImageError)
            return path.read_bytes()

    # -- errors ---------------------------------------------------------------------------

    async def _call(self, request: Any, action: str, model: str | None = None) -> Any:
        try:
            return await request
        except openai_module().OpenAIError as exc:
            raise self._map(exc, action, model or self.model) from None

    def _map(self, exc: openai.OpenAIError, action: str, model: str) -> ImageError:
        """One sentence for each way a call fails, with the key scrubbed out."""
        openai, host, clean = openai_module(), self.host, self.client.clean
        if isinstance(exc, openai.APITimeoutError):
            return ImageError("unreachable", f"The image service at {host} did not answer in time.")
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc.__context__
            reason = f": {short_reason(cause)}" if cause else ""
            return ImageError(
                "unreachable", clean(f"Cannot reach the image service at {host}{reason}.")
            )
        if not isinstance(exc, openai.APIStatusError):
            return ImageError("server", clean(f"The image service at {host} failed: {exc}"))
        status = exc.status_code
        body = exc.body if isinstance(exc.body, Mapping) else {}
        code = str(body.get("code") or exc.code or "")
        param = str(body.get("param") or "")
        detail = clean(str(body.get("message") or "").strip().rstrip(".") or f"HTTP {status}")
        if status == 401:
            hint = (
                "check the key"
                if self.client.has_key
                else (f"store a key for {self.name!r} or set OPENAI_API_KEY")
            )
            return ImageError(
                "auth", f"The image service at {host} refused the API key (401): {hint}."
            )
        if status == 403:
            return ImageError("auth", f"The image service at {host} does not allow this: {detail}.")
        if status == 429:
            if code in ("insufficient_quota", "billing_hard_limit_reached") or _QUOTA.search(
                f"{code} {detail}"
            ):
                return ImageError(
                    "quota", f"Out of credit at {host}: {detail}. Check the account's billing."
                )
            headers = exc.response.headers
            wait = parse_retry_after(
                headers.get("retry-after"), value_ms=headers.get("retry-after-ms")
            )
            return ImageError(
                "rate_limited", f"Too many requests to {host} for now: {detail}.", retry_after=wait
            )
        if status >= 500:
            return ImageError("server", f"The image service at {host} failed ({status}): {detail}.")
        if code == "model_not_found" or _GONE.search(detail):
            if _GONE.search(detail) or model in LEGACY_MODELS:
                return ImageError(
                    "gone",
                    f"{host} no longer offers the model {model} ({detail}); pick another "
                    f"model, such as {DEFAULT_MODEL}.",
                )
            return ImageError("bad_request", f"{host} does not offer the model {model}: {detail}.")
        if code == "moderation_blocked" or _REJECTED.search(f"{code} {detail}"):
            return ImageError(
                "rejected",
                f"The service refused the request: {detail}. Change the prompt or picture.",
            )
        if param == "size":
            return ImageError(
                "bad_request", f"The model {model} does not make that size: {detail}."
            )
        what = f" ({param})" if param else ""
        return ImageError(
            "bad_request", f"The service did not accept the {action}{what}: {detail}."
        )


_OPTIONS = {
    "name",
    "base_url",
    "api_key",
    "model",
    "quality",
    "response_format",
    "models",
    "sizes",
    "key_name",
    "api_key_env",
    "timeout",
    "max_retries",
}


def create_provider(options: Mapping[str, Any]) -> OpenAIImageProvider:
    """The factory registered with the plugin host: unknown options are ignored."""
    return OpenAIImageProvider(**{k: v for k, v in options.items() if k in _OPTIONS})
