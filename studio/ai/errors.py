"""Errors of code generation, in words a person can act on, with secrets scrubbed."""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Iterable
from typing import Literal

__all__ = ["ErrorKind", "GenerationError", "parse_retry_after", "scrub"]

ErrorKind = Literal[
    "auth",
    "unknown_model",
    "context_too_long",
    "rate_limited",
    "bad_request",
    "server",
    "timeout",
    "connection",
    "cut_off",
    "no_code",
    "empty",  # the server ended the answer without sending any text
]

_MASK = "***"


class GenerationError(Exception):
    """A failed request or answer. `kind` says what went wrong, `message` says it in words.

    `retry_after` (seconds) is set for rate limits when the service said how long to wait.
    """

    def __init__(self, kind: ErrorKind, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"GenerationError({self.kind!r}, {self.message!r})"


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every secret (and `Bearer <anything>`) in `text` with a mask."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, _MASK)
    return re.sub(r"(?i)(bearer\s+)[^\s\"',]+", r"\1" + _MASK, text)


def parse_retry_after(
    value: str | None, *, value_ms: str | None = None, now: float | None = None
) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or HTTP date) or `retry-after-ms`."""
    if value_ms:
        try:
            return max(0.0, float(value_ms) / 1000)
        except ValueError:
            pass
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
