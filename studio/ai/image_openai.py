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
import os
import re
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from studio.ai import formats
from studio.ai.http_download import fetch_bytes
from studio.ai.image_openai_models import LEGACY_MODELS, MODELS, TODAYS_MODELS, model_info
from studio.ai.image_provider import ImageCapabilities, ImageError, ImageRequest, ImageResult
from studio.ai.sdk_client import SdkConnection, ServiceWords, error_detail, service_key

if TYPE_CHECKING:
    import openai

__all__ = ["DEFAULT_MODEL", "OpenAIImageProvider", "create_provider", "picture_mime"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-image-1.5"  # known prices, transparency, edits that keep a likeness
ENV_KEY = "OPENAI_API_KEY"

_GONE = re.compile(r"shut down|retired|deprecated|no longer (available|supported|offered)", re.I)
# Inputs a request's `options` may carry that the SDK takes by name; others go in the body.
_SDK_OPTIONS = frozenset(
    {"moderation", "input_fidelity", "output_format", "output_compression", "style", "user"}
)


class OpenAIImagesConnection(SdkConnection["openai.AsyncOpenAI"]):
    """The `openai` client for the Images API at any base URL. The key: given, else the one
    stored for `key_name` (default the provider's name), else `api_key_env`'s variable or
    OPENAI_API_KEY. A local OpenAI-compatible server may need none: then none is sent."""

    service = "OpenAI Images"
    env_key = ENV_KEY
    default_base_url = DEFAULT_BASE_URL
    key_name = "openai"

    def __init__(self, *, name: str, api_key_env: str | None = None, **options: Any) -> None:
        base_url = options.pop("base_url", None) or _environ_base_url()
        super().__init__(
            base_url=base_url, key_name=options.pop("key_name", None) or name, **options
        )
        self.env_var = api_key_env or ENV_KEY
        self.words = ServiceWords(
            self.service, f"store a key for {self._key[0]!r} or set {self.env_var}"
        )

    def sdk(self) -> ModuleType:
        import openai

        return openai

    def _connect(self) -> openai.AsyncOpenAI:
        """The key, looked up here (a worker thread): given, else a variable the person
        named, else the stored one, else OPENAI_API_KEY. The client insists on a key, so a
        keyless local server gets a placeholder."""
        name, explicit = self._key
        named = os.environ.get(self.env_var, "").strip() if self.env_var != ENV_KEY else ""
        key = explicit or named or service_key(name, None, ENV_KEY)
        self._secrets.append(key)
        return self.make_client(key or "no-key")

    def make_client(self, key: str) -> openai.AsyncOpenAI:
        return self.sdk().AsyncOpenAI(base_url=self.base_url, api_key=key, **self.client_args)

    @property
    def official(self) -> bool:
        """Whether this is OpenAI's own service (not a gateway or a local server)."""
        return urlsplit(self.base_url).hostname == "api.openai.com"


def _own_error(connection: OpenAIImagesConnection, model: str, exc: Exception) -> ImageError | None:
    """What the Images API says its own way: a model it does not know or no longer offers
    (404 `model_not_found`), and a size the model does not make (`param: size`)."""
    body = getattr(exc, "body", None)
    if not isinstance(body, Mapping) or getattr(exc, "status_code", 0) >= 500:
        return None
    detail = connection.clean(error_detail(body).rstrip(".")) or "no reason given"
    host = connection.host
    if body.get("code") == "model_not_found" or _GONE.search(detail):
        if _GONE.search(detail) or model in LEGACY_MODELS:
            return ImageError(
                "gone",
                f"{host} no longer offers the model {model} ({detail}); pick another model, "
                f"such as {DEFAULT_MODEL}.",
            )
        return ImageError("bad_request", f"{host} does not offer the model {model}: {detail}.")
    if body.get("param") == "size":
        return ImageError("bad_request", f"The model {model} does not make that size: {detail}.")
    return None


def _environ_base_url() -> str | None:
    return os.environ.get("OPENAI_BASE_URL") or None


def picture_mime(data: bytes) -> str | None:
    """The type of a PNG, JPEG, GIF or WebP picture from its first bytes (None: not one)."""
    return formats.picture_mime(data, gif=True)


def _upload(data: bytes, stem: str) -> tuple[str, bytes, str]:
    mime = picture_mime(data) or "application/octet-stream"
    return (f"{stem}{formats.PICTURE_SUFFIX.get(mime, '.png')}", data, mime)


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
        model: str | None = None,
        quality: str | None = None,
        response_format: str | None = None,
        models: Sequence[str] | None = None,
        sizes: Sequence[str] | None = None,
        timeout: float = 180.0,
        **connection: Any,
    ) -> None:
        self.name = name
        self.connection = OpenAIImagesConnection(name=name, timeout=timeout, **connection)
        self.model = model or DEFAULT_MODEL
        self.quality = quality
        self.response_format = response_format
        self.sizes = tuple(sizes) if sizes else None
        if models:
            self.models = tuple(models)
        elif self.connection.official:
            self.models = TODAYS_MODELS  # OpenAI no longer serves the legacy ones
        else:
            self.models = TODAYS_MODELS + LEGACY_MODELS
        if self.model not in self.models:
            self.models = (self.model, *self.models)

    def __repr__(self) -> str:
        return f"OpenAIImageProvider(name={self.name!r}, host={self.host!r})"

    @property
    def label(self) -> str:
        """What forms call it: OpenAI's service, or one that speaks its Images API."""
        if self.connection.official:
            return "OpenAI Images"
        return f"OpenAI-compatible images ({self.host})"

    @property
    def base_url(self) -> str:
        return self.connection.base_url

    @property
    def host(self) -> str:
        return self.connection.host

    @property
    def capabilities(self) -> ImageCapabilities:
        return self.capabilities_for(None)

    def capabilities_for(self, model: str | None) -> ImageCapabilities:
        """What `model` (the default one when None) can do, at the quality asked for."""
        return model_info(model or self.model).capabilities(self.models, self.quality, self.sizes)

    async def aclose(self) -> None:
        await self.connection.aclose()

    # -- calls ----------------------------------------------------------------------------

    async def check(self) -> None:
        """One cheap authenticated call (`GET /models/{model}`) for Test connection."""
        await self._call(lambda c: c.models.with_raw_response.retrieve(self.model), "check")

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
        if request.inputs:
            images = [_upload(data, f"input-{i + 1}") for i, data in enumerate(request.inputs)]
            body["image"] = images[0] if len(images) == 1 else images
            if request.mask:
                body["mask"] = ("mask.png", request.mask, "image/png")
            raw = await self._call(lambda c: c.images.with_raw_response.edit(**body), "edit", model)
        else:
            raw = await self._call(
                lambda c: c.images.with_raw_response.generate(**body), "generate", model
            )
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
                data = await fetch_bytes(item.url, error=ImageError)  # the link lives minutes
            else:
                continue
            mime = picture_mime(data)
            if mime is None:
                raise ImageError("server", f"{self.host} sent something that is not a picture.")
            results.append(ImageResult(data, mime, item.revised_prompt))
        if not results:
            raise ImageError("failed", f"{self.host} answered without a picture; try again.")
        return results

    # -- errors ---------------------------------------------------------------------------

    async def _call(self, request: Any, action: str, model: str | None = None) -> Any:
        """`request(client)`; a failure is an ImageError of the shared kinds, one sentence."""
        connection, model = self.connection, model or self.model
        return await connection.call(
            request, action, error=ImageError, own=lambda exc: _own_error(connection, model, exc)
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
