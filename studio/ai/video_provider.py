"""The interface a video provider offers (built-in or from a plugin), Qt-free and async.

A provider turns a request into a remote job, reports the job's state, downloads its
results and can cancel it. Plugins register a factory through the plugin host:

    @hookimpl
    def register_video_providers(register):
        register("my-service", lambda options: MyProvider(**options))

The factory receives a plain dict of options (`base_url`, `model`, `api_key`, ...), taken
from the person's settings (`video_providers.<name>` in settings.json) and from command-line
flags; keys are never stored there (see `studio.ai.video_openai.resolve_api_key`).

The UI calls the factory, and reads `capabilities`, on its GUI thread (to fill its form
when a project opens), so both must be quick and do no I/O: import heavy client libraries,
look up keys (a keyring can take a second) and make network clients on a worker thread at
the first call that needs them (`asyncio.to_thread`), as `OpenAIVideoProvider.connect` does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from studio.ai.services import ServiceError, ServiceErrorKind, build_provider

__all__ = [
    "RemoteStatus",
    "Variant",
    "VideoCapabilities",
    "VideoPrice",
    "VideoError",
    "VideoErrorKind",
    "VideoProvider",
    "VideoProviderFactory",
    "VideoRequest",
    "VideoStatus",
    "capabilities_of",
    "label_of",
    "make_provider",
    "provider_options",
    "strict_capabilities",
]

RemoteStatus = Literal["queued", "in_progress", "completed", "failed"]
Variant = Literal["video", "thumbnail", "spritesheet"]

# The kinds of `VideoError` (shared with image providers: `studio.ai.services`).
VideoErrorKind = ServiceErrorKind


class VideoError(ServiceError):
    """A video provider call that failed. `str(error)` is one sentence a person can act on."""


@dataclass(frozen=True, slots=True)
class VideoPrice:
    """What a clip costs on a service, in US dollars: `per_clip` plus `per_second` times its
    length (`per_second_audio` instead when sound is made), times the factor of the
    resolution (or size, for services that take one) asked for (`resolution_factor`, 1 when
    it is not listed)."""

    per_second: float = 0.0
    per_clip: float = 0.0
    per_second_audio: float | None = None
    resolution_factor: Mapping[str, float] = field(default_factory=dict)

    def cost(self, seconds: float, *, audio: bool = False, resolution: str | None = None) -> float:
        rate = self.per_second_audio if audio and self.per_second_audio is not None else None
        factor = self.resolution_factor.get(resolution or "", 1.0)
        return round((self.per_clip + seconds * (rate or self.per_second)) * factor, 4)


@dataclass(frozen=True, slots=True)
class VideoCapabilities:
    """What a provider (or one of its models) can do, for forms to offer only what works.

    A service that takes a size in pixels lists `sizes`; one that takes an aspect ratio and
    a resolution lists `aspect_ratios` and `resolutions` (and no sizes).

    From a provider with `capabilities_for` (plugin API 2) the lists are what the model
    accepts: the queue refuses any other length, size, aspect ratio or resolution with a
    clear sentence before anything is sent (`studio.ai.video_options`). From a provider
    without it (API 1) lengths and sizes are what forms offer, and other values are left
    to the service."""

    durations: tuple[int, ...] = (4, 8, 12)
    sizes: tuple[str, ...] = ("1280x720", "720x1280")
    aspect_ratios: tuple[str, ...] = ()  # "16:9", "9:16", "1:1", ...
    resolutions: tuple[str, ...] = ()  # "720p", "1080p", ...
    image_reference: bool = False  # a first frame: image to video
    last_frame: bool = False  # a picture the clip ends on
    reference_images: int = 0  # how many pictures of characters or style a request may carry
    audio: bool = False  # the model makes sound, and a request may turn it off
    negative_prompt: bool = False
    seed: bool = False
    remix: bool = False
    extend: bool = False
    extend_durations: tuple[int, ...] = ()
    variants: tuple[str, ...] = ("video",)
    # Whether `cancel` stops the job on the service; otherwise Studio only stops waiting.
    remote_cancel: bool = False
    models: tuple[str, ...] = ()
    # What each model costs (by model name; "" for the provider's only or default model).
    prices: Mapping[str, VideoPrice] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VideoRequest:
    """A new clip. `image` is a first frame and `last_frame` the picture it ends on (PNG or
    JPEG bytes); `references` are pictures of characters or style the clip should keep;
    `options` carries a model's own inputs that have no field here (by the service's names).
    A field left None is the service's default."""

    prompt: str
    seconds: int | None = None
    size: str | None = None
    model: str | None = None
    image: bytes | None = None
    image_name: str = "reference.png"
    aspect: str | None = None
    resolution: str | None = None
    last_frame: bytes | None = None
    references: tuple[bytes, ...] = ()
    audio: bool | None = None
    negative_prompt: str | None = None
    seed: int | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VideoStatus:
    """A job's state on the service. `progress` is 0..1; `poll_after` is seconds the
    service asked us to wait before the next poll (None: it did not say)."""

    status: RemoteStatus
    progress: float = 0.0
    error: str | None = None
    error_code: str | None = None
    poll_after: float | None = None
    expires_at: float | None = None
    seconds: float | None = None
    size: str | None = None
    model: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.status in ("completed", "failed")


@runtime_checkable
class VideoProvider(Protocol):
    """A text/image-to-video service. Every method raises `VideoError` on failure.

    Optional, found with `getattr` (plugins written for API 1 lack them):
    `capabilities_for(model) -> VideoCapabilities`, what one model can do (see
    `capabilities_of`); `async check() -> None`, one cheap authenticated call that
    raises `VideoError` ("auth", "quota", "unreachable", ...) for Settings' Test connection
    (see `studio.ai.service_check`); and `label: str`, the name people know the service by,
    for forms and lists (see `label_of`).
    """

    name: str
    capabilities: VideoCapabilities

    async def submit(self, request: VideoRequest) -> str:
        """Start a job; return its remote id."""
        ...

    async def poll(self, remote_id: str) -> VideoStatus:
        """The job's state. A job started before Studio restarted is polled by the same id."""
        ...

    async def download(self, remote_id: str, variant: Variant, dest: Path) -> Path:
        """Write a finished job's `variant` to `dest` (whole or not at all)."""
        ...

    async def cancel(self, remote_id: str) -> None: ...

    async def remix(self, remote_id: str, prompt: str) -> str:
        """A new job that redoes a finished one with a new prompt; return its remote id."""
        ...

    async def extend(self, remote_id: str, prompt: str, seconds: int) -> str:
        """A new job that continues a finished one by `seconds`; return its remote id."""
        ...

    async def aclose(self) -> None: ...


def capabilities_of(provider: VideoProvider, model: str | None = None) -> VideoCapabilities:
    """What `provider` can do with `model` (its default model when None)."""
    per_model = getattr(provider, "capabilities_for", None)
    return per_model(model) if callable(per_model) else provider.capabilities


def strict_capabilities(provider: VideoProvider) -> bool:
    """Whether `provider` describes each model exactly (`capabilities_for`, plugin API 2),
    so that a length or size it does not list would be refused by the service."""
    return callable(getattr(provider, "capabilities_for", None))


def label_of(provider: Any, name: str | None = None) -> str:
    """What forms call `provider`: its `label`, else its registered name."""
    label = getattr(provider, "label", None)
    if isinstance(label, str) and label.strip():
        return label.strip()
    return name or str(getattr(provider, "name", "") or "")


VideoProviderFactory = Callable[[Mapping[str, Any]], VideoProvider]


def provider_options(
    settings: Any,
    name: str,
    overrides: Mapping[str, Any] | None = None,
    *,
    section: str = "video_providers",
) -> dict[str, Any]:
    """The options for provider `name`: settings.json's `<section>.<name>`, then `overrides`
    (e.g. `--base-url`), leaving out empty values. `settings` needs `.get`."""
    options: dict[str, Any] = {}
    if settings is not None:
        stored = (settings.get(section) or {}).get(name) or {}
        if isinstance(stored, Mapping):
            options.update({k: v for k, v in stored.items() if k != "api_key"})
    options.update({k: v for k, v in (overrides or {}).items() if v not in (None, "")})
    return options


def make_provider(host: Any, name: str, options: Mapping[str, Any] | None = None) -> VideoProvider:
    """Build the registered provider `name` with `options`; a clear VideoError if unknown."""
    return build_provider(host, "video_providers", name, options, VideoError)
