"""fal's failures in Studio's error kinds, each in one sentence a person can act on.

What fal sends (see `studio.testing.servers.fal` for the sources): a refused input is 422
with `detail` a list of {loc, msg, type}; infrastructure failures are `{"detail": str,
"error_type": str}`; an account out of credit is 403 "User is locked. Reason: Exhausted
balance"; a refused key is 401. `fal_client` raises `FalClientHTTPError` for these (after
retrying 429 and ingress 502-504 itself) and lets httpx's errors through for a connection
that failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from studio.ai.errors import parse_retry_after, scrub
from studio.ai.sdk_client import error_detail, short_reason
from studio.ai.services import ServiceError

__all__ = ["failure_kind", "failure_text", "map_error"]

_QUOTA = re.compile(r"exhausted balance|top up|insufficient (balance|credit)|out of credit", re.I)
_POLICY = "content_policy_violation"


def _detail_text(detail: Any) -> str:
    """`detail` as words: a string as it is, a list of {loc, msg} as "field: msg; ..."."""
    return error_detail({"detail": detail}).rstrip(".")


def _types(detail: Any, error_type: str | None) -> set[str]:
    found = {error_type} if error_type else set()
    if isinstance(detail, list):
        found |= {str(i.get("type")) for i in detail if isinstance(i, dict) and i.get("type")}
    return found


def failure_kind(detail: Any, error_type: str | None) -> str:
    """ "rejected" for flagged content, else "failed"."""
    return "rejected" if _POLICY in _types(detail, error_type) else "failed"


def failure_text(
    detail: Any, error_type: str | None, secrets: Iterable[str | None] = (), what: str = "video"
) -> str:
    """One sentence for a request that ran on fal and failed (making a `what`)."""
    words = scrub(_detail_text(detail), secrets) or (error_type or "no reason given")
    if failure_kind(detail, error_type) == "rejected":
        return f"fal refused the request: {words}. Change the prompt or the pictures."
    suffix = f" ({error_type})" if error_type and error_type not in words else ""
    return f"The {what} failed on fal: {words}{suffix}."


def map_error(
    exc: BaseException,
    error: type[ServiceError],
    *,
    host: str,
    action: str,
    target: str = "",
    secrets: Iterable[str | None] = (),
) -> ServiceError:
    """The ServiceError (of class `error`) for `exc`, raised while doing `action` (submit,
    poll, result, download, cancel, upload, check) on `target` (a model or request)."""
    import httpx
    from fal_client import FalClientHTTPError

    secrets = list(secrets)
    if isinstance(exc, httpx.TimeoutException):
        return error("unreachable", f"fal at {host} did not answer in time.")
    if isinstance(exc, httpx.TransportError):
        reason = scrub(short_reason(exc), secrets)
        return error("unreachable", f"Cannot reach fal at {host}: {reason}.")
    if not isinstance(exc, FalClientHTTPError):
        text = scrub(str(exc) or type(exc).__name__, secrets)
        return error("server", f"fal answered in a way Studio does not understand: {text}.")
    status = exc.status_code
    detail = _detail_text(exc.message)
    detail = scrub(detail, secrets) or f"HTTP {status}"
    if status == 401:
        return error("auth", f"fal refused the API key (401): {detail}. Check the key for fal.")
    if status in (402, 403, 429) and _QUOTA.search(detail):
        return error("quota", f"Your fal account is out of credit: {detail}.")
    if status == 403:
        return error("auth", f"fal does not allow this key to {action}: {detail}.")
    if status == 429:
        wait = parse_retry_after(exc.response_headers.get("retry-after"))
        return error(
            "rate_limited", f"Too many requests to fal for now: {detail}.", retry_after=wait
        )
    if status in (404, 410):
        if action in ("download", "result"):
            return error(
                "expired",
                f"The result of {target} is no longer on fal (fal deletes results after a "
                "while); generate it again.",
            )
        if action == "submit" and status == 410:
            return error("gone", f"fal no longer offers {target!r} ({detail}): pick another model.")
        if action == "submit":
            return error("bad_request", f"fal has no model {target!r} ({detail}): check the id.")
        return error("not_found", f"fal does not know the request {target} ({detail}).")
    if status >= 500:
        kind = f", {exc.error_type}" if exc.error_type else ""
        return error("server", f"fal failed ({status}{kind}): {detail}.")
    if failure_kind(exc.message, exc.error_type) == "rejected":
        return error("rejected", failure_text(exc.message, exc.error_type, secrets))
    return error("bad_request", f"fal did not accept the {action}: {detail}.")
