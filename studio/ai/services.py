"""What video and image providers share: their errors, in kinds Studio acts on, and being
built by name through the plugin host.

Each provider maps its service's failures to one of these kinds, with one sentence a person
can act on. The job queues retry the transient ones, and forms and dialogs word the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

ServiceErrorKind = Literal[
    "rejected",  # the prompt or image was refused (moderation, policy)
    "bad_request",  # a parameter the service does not accept
    "quota",  # out of credit / quota
    "rate_limited",  # too many requests for now
    "auth",  # missing or refused API key
    "not_found",  # the service does not know the job
    "expired",  # the result was deleted by the service
    "unreachable",  # no connection, DNS, timeout, a download cut off
    "server",  # the service failed (5xx)
    "failed",  # the job ran and failed
    "unsupported",  # this provider cannot do what was asked
    "gone",  # the service no longer offers this API (it was shut down)
]

# Errors that may go away by themselves: polling keeps trying after them.
TRANSIENT: frozenset[str] = frozenset({"rate_limited", "unreachable", "server"})


class ServiceError(Exception):
    """A call to a service that failed. `str(error)` is one sentence a person can act on;
    `retry_after` is the seconds the service asked to wait (a 429's Retry-After)."""

    def __init__(
        self, kind: ServiceErrorKind, message: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.kind: ServiceErrorKind = kind
        self.message = message
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return self.kind in TRANSIENT

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.kind!r}, {self.message!r})"


def build_provider(
    host: Any, kind: str, name: str, options: Mapping[str, Any] | None, error: type[ServiceError]
) -> Any:
    """The provider `name` of `kind` ("video_providers", "image_providers") made by its
    registered factory with `options`; `error("unsupported", ...)` when none is registered."""
    try:
        factory = host.get(kind, name)
    except KeyError as exc:
        raise error("unsupported", str(exc.args[0])) from None
    try:
        provider = factory(dict(options or {}))
    except (TypeError, ValueError) as exc:  # settings.json options that make no sense
        raise error("bad_request", f"The settings of {name!r} cannot be used: {exc}") from None
    if not getattr(provider, "name", None):
        provider.name = name
    return provider


def destination_of(provider: Any) -> str | None:
    """Where a provider sends what it is given (prompts, photos), said to the person before
    anything is sent: its `destination` (plugin API 2, optional: a host such as
    "api.openai.com" or "192.168.1.20:8188", or words such as "this computer"); for a
    plugin without one, the host of its `base_url`; None when it says nothing."""
    where = getattr(provider, "destination", None)
    if isinstance(where, str) and where.strip():
        return where.strip()
    base_url = getattr(provider, "base_url", None)
    if isinstance(base_url, str) and base_url:
        return urlsplit(base_url).netloc or base_url
    return None
