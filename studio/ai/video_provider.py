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

__all__ = [
    "RemoteStatus",
    "Variant",
    "VideoCapabilities",
    "VideoError",
    "VideoErrorKind",
    "VideoProvider",
    "VideoProviderFactory",
    "VideoRequest",
    "VideoStatus",
    "make_provider",
    "provider_options",
]

RemoteStatus = Literal["queued", "in_progress", "completed", "failed"]
Variant = Literal["video", "thumbnail", "spritesheet"]

VideoErrorKind = Literal[
    "rejected",  # the prompt or image was refused (moderation, policy)
    "bad_request",  # a parameter the service does not accept
    "quota",  # out of credit / quota
    "rate_limited",  # too many requests for now
    "auth",  # missing or refused API key
    "not_found",  # the service does not know the job
    "expired",  # the result was deleted by the service
    "unreachable",  # no connection, DNS, timeout
    "server",  # the service failed (5xx)
    "failed",  # the job ran and failed
    "unsupported",  # this provider cannot do what was asked
]

# Errors that may go away by themselves: polling keeps trying after them.
TRANSIENT: frozenset[str] = frozenset({"rate_limited", "unreachable", "server"})


class VideoError(Exception):
    """A provider call that failed. `str(error)` is one sentence a person can act on."""

    def __init__(
        self, kind: VideoErrorKind, message: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.kind: VideoErrorKind = kind
        self.message = message
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return self.kind in TRANSIENT

    def __repr__(self) -> str:
        return f"VideoError({self.kind!r}, {self.message!r})"


@dataclass(frozen=True, slots=True)
class VideoCapabilities:
    """What a provider can do, for forms to offer only what will work."""

    durations: tuple[int, ...] = (4, 8, 12)
    sizes: tuple[str, ...] = ("1280x720", "720x1280")
    image_reference: bool = False
    remix: bool = False
    extend: bool = False
    extend_durations: tuple[int, ...] = ()
    variants: tuple[str, ...] = ("video",)
    # Whether `cancel` stops the job on the service; otherwise Studio only stops waiting.
    remote_cancel: bool = False
    models: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VideoRequest:
    """A new clip. `image` is a reference picture (PNG/JPEG bytes) for image-to-video."""

    prompt: str
    seconds: int | None = None
    size: str | None = None
    model: str | None = None
    image: bytes | None = None
    image_name: str = "reference.png"


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
    """A text/image-to-video service. Every method raises `VideoError` on failure."""

    name: str
    capabilities: VideoCapabilities

    async def submit(self, request: VideoRequest) -> str:
        """Start a job; return its remote id."""
        ...

    async def poll(self, remote_id: str) -> VideoStatus: ...

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


VideoProviderFactory = Callable[[Mapping[str, Any]], VideoProvider]


def provider_options(
    settings: Any, name: str, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The options for provider `name`: settings.json's `video_providers.<name>`, then
    `overrides` (e.g. `--base-url`), leaving out empty values. `settings` needs `.get`."""
    options: dict[str, Any] = {}
    if settings is not None:
        stored = (settings.get("video_providers") or {}).get(name) or {}
        if isinstance(stored, Mapping):
            options.update({k: v for k, v in stored.items() if k != "api_key"})
    options.update({k: v for k, v in (overrides or {}).items() if v not in (None, "")})
    return options


def make_provider(host: Any, name: str, options: Mapping[str, Any] | None = None) -> VideoProvider:
    """Build the registered provider `name` with `options`; a clear VideoError if unknown."""
    try:
        factory = host.get("video_providers", name)
    except KeyError as exc:
        raise VideoError("unsupported", str(exc.args[0])) from None
    provider = factory(dict(options or {}))
    if not getattr(provider, "name", None):
        provider.name = name
    return provider
