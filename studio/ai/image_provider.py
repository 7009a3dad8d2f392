"""The interface an image provider offers (built-in or from a plugin), Qt-free and async.

A provider turns a request into pictures. Plugins register a factory through the plugin
host, as for video:

    @hookimpl
    def register_image_providers(register):
        register("my-service", lambda options: MyImages(**options))

The factory receives a plain dict of options (`base_url`, `model`, `api_key`, ...) from the
person's settings (`image_providers.<name>` in settings.json) and command-line flags; keys
are never stored there. As for video providers, making a provider and reading its
`capabilities` must be quick and do no I/O: clients and keys are made at the first call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from studio.ai.services import ServiceError, build_provider

__all__ = [
    "ImageCapabilities",
    "ImageError",
    "ImagePrice",
    "ImageProvider",
    "ImageProviderFactory",
    "ImageRequest",
    "ImageResult",
    "image_capabilities_of",
    "make_image_provider",
]


class ImageError(ServiceError):
    """An image provider call that failed. `str(error)` is one sentence a person can act on."""


@dataclass(frozen=True, slots=True)
class ImagePrice:
    """What one picture costs on a service, in US dollars, by size ("" for any size)."""

    per_image: Mapping[str, float] = field(default_factory=dict)

    def cost(self, size: str | None, count: int = 1) -> float:
        each = self.per_image.get(size or "", self.per_image.get("", 0.0))
        return round(each * count, 4)


@dataclass(frozen=True, slots=True)
class ImageCapabilities:
    """What a provider (or one of its models) can do, for forms to offer only what works."""

    sizes: tuple[str, ...] = ("1024x1024",)
    models: tuple[str, ...] = ()
    transparent: bool = False  # a transparent background can be asked for
    edit: bool = False  # input pictures to change or combine
    mask: bool = False  # with `edit`: a mask marks where to change
    max_inputs: int = 0  # input pictures a request may carry
    max_count: int = 1  # pictures one request may make
    seed: bool = False
    prices: Mapping[str, ImagePrice] = field(default_factory=dict)  # by model


@dataclass(frozen=True, slots=True)
class ImageRequest:
    """New pictures. `inputs` (PNG/JPEG bytes) are changed or combined (an edit) when given;
    `mask` (PNG with transparency where to change) goes with the first input; `options`
    carries a model's own inputs that have no field here (by the service's names)."""

    prompt: str
    size: str | None = None
    model: str | None = None
    count: int = 1
    transparent: bool = False
    inputs: tuple[bytes, ...] = ()
    mask: bytes | None = None
    quality: str | None = None
    seed: int | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImageResult:
    data: bytes
    mime: str = "image/png"
    revised_prompt: str | None = None  # the prompt as the service rewrote it, if it said


@runtime_checkable
class ImageProvider(Protocol):
    """A text/image-to-image service. Every method raises `ImageError` on failure.

    Optional, as for video providers: `capabilities_for(model)` and `async check()`."""

    name: str
    capabilities: ImageCapabilities

    async def generate(self, request: ImageRequest) -> list[ImageResult]:
        """Make the pictures (waiting for a queued service to finish)."""
        ...

    async def aclose(self) -> None: ...


ImageProviderFactory = Callable[[Mapping[str, Any]], ImageProvider]


def image_capabilities_of(provider: ImageProvider, model: str | None = None) -> ImageCapabilities:
    """What `provider` can do with `model` (its default model when None)."""
    per_model = getattr(provider, "capabilities_for", None)
    return per_model(model) if callable(per_model) else provider.capabilities


def make_image_provider(
    host: Any, name: str, options: Mapping[str, Any] | None = None
) -> ImageProvider:
    """Build the registered image provider `name`; a clear ImageError if unknown."""
    return build_provider(host, "image_providers", name, options, ImageError)
