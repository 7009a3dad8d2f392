"""The `google-genai` client both providers share, and Google's errors in Studio's words.

Making a provider does no I/O (the UI makes one on its GUI thread): the SDK (over half a
second to import), the key (a keyring look-up can take a second) and the client are made on
a worker thread at the first call that needs them (`GoogleConnection.client`, a
`studio.ai.sdk_client.LazyClient`).

Two platforms, as the SDK names them: "agent-platform" (Gemini Enterprise Agent Platform,
formerly Vertex AI: `Client(enterprise=True, ...)`, an Agent Platform API key or a Google
Cloud project with Application Default Credentials) and "gemini-api" (the Gemini Developer
API: a key from Google AI Studio). The key goes in the `x-goog-api-key` header
(`_api_client.BaseApiClient.__init__`). The SDK never retries here (`HttpRetryOptions
(attempts=1)`): Studio's queue decides when to ask again, as Google's `RetryInfo` says.

Errors follow Google's error model (AIP-193, cloud.google.com/apis/design/errors): a body
`{"error": {"code", "message", "status", "details": [...]}}`, where `details` may carry
`google.rpc.ErrorInfo` (a `reason` such as API_KEY_INVALID or BILLING_DISABLED) and
`google.rpc.RetryInfo` (`retryDelay`, how long to wait after RESOURCE_EXHAUSTED).
`google.genai.errors.APIError` keeps the body in `.details` and the HTTP response in
`.response`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from studio.ai.errors import parse_retry_after, scrub
from studio.ai.sdk_client import LazyClient, service_key, short_reason
from studio.ai.services import ServiceError

if TYPE_CHECKING:
    from google.genai.client import AsyncClient

__all__ = [
    "CONNECTION_OPTIONS",
    "DEFAULT_HOSTS",
    "GoogleConnection",
    "Platform",
    "known",
]

Platform = Literal["agent-platform", "gemini-api"]
DEFAULT_HOSTS: dict[str, str] = {
    "agent-platform": "aiplatform.googleapis.com",
    "gemini-api": "generativelanguage.googleapis.com",
}
ENV_KEYS = ("GOOGLE_API_KEY", "GEMINI_API_KEY")  # the variables the SDK itself reads
# The options of GoogleConnection a provider's settings may carry (see its __init__).
CONNECTION_OPTIONS = frozenset(
    {
        "base_url",
        "api_key",
        "key_name",
        "api_key_env",
        "project",
        "location",
        "api_version",
        "timeout",
    }
)

# Google's words when its safety filters refuse a prompt or a picture (Agent Platform's
# "Responsible AI" support-code messages, Gemini's block reasons).
REFUSED = re.compile(
    r"responsible ai|usage guidelines|sensitive words|violat|prohibited|safety|blocked"
    r"|rai[_ ]|harmful|minor|celebrity",
    re.I,
)
_NO_CREDIT = re.compile(r"billing|credit|prepay|plan and|top.?up", re.I)


def known(options: Mapping[str, Any], *own: str) -> dict[str, Any]:
    """The options a provider takes (the connection's and its `own`); others are ignored."""
    return {k: v for k, v in options.items() if k in CONNECTION_OPTIONS or k in own}


def _genai() -> Any:
    """The SDK, imported on first use (a worker thread: it takes over half a second)."""
    from google import genai

    return genai


class GoogleConnection:
    """One `google.genai` async client for a provider, made at first use."""

    def __init__(
        self,
        *,
        name: str,
        platform: Platform,
        error: type[ServiceError],
        base_url: str | None = None,
        api_key: str | None = None,
        key_name: str | None = None,
        api_key_env: str | None = None,
        project: str | None = None,
        location: str | None = None,
        api_version: str | None = None,
        timeout: float = 120.0,
    ) -> None:
        if platform not in DEFAULT_HOSTS:
            raise error("bad_request", f"Unknown Google platform {platform!r}: {_platforms()}.")
        self.name = name
        self.platform: Platform = platform
        self.error = error
        self.base_url = base_url
        self.project = project
        self.location = location
        self._key_args = (key_name or name, api_key, api_key_env)
        self._http = {"api_version": api_version, "timeout": int(timeout * 1000)}
        self.key: str | None = api_key
        self._secrets: list[str | None] = [api_key]
        self._client: LazyClient[AsyncClient] = LazyClient(
            self._make_client, service=f"Google {name!r}", error=error, secrets=self._secrets
        )

    @property
    def address(self) -> str:
        """The API's root URL (the SDK adds the version): the one given, or Google's."""
        return self.base_url or f"https://{DEFAULT_HOSTS[self.platform]}/"

    @property
    def host(self) -> str:
        if not self.base_url:
            return DEFAULT_HOSTS[self.platform]
        parts = urlsplit(self.base_url)
        return (parts.hostname or self.base_url) + (f":{parts.port}" if parts.port else "")

    # -- the client -----------------------------------------------------------------------

    def _make_client(self) -> Any:
        """Import the SDK, find the key and make the client (blocking: a worker thread).
        The key: given, else the variable the person named, else the one stored for this
        provider, else the variables the SDK reads (never OPENAI_API_KEY)."""
        genai = _genai()
        from google.genai import types

        name, explicit, env_var = self._key_args
        key = service_key(name, explicit, ENV_KEYS, named_env=env_var)
        self.key = key
        self._secrets.append(key)
        if not key and not (self.platform == "agent-platform" and self.project):
            raise self.error("auth", self._missing_key())
        options = types.HttpOptions(
            base_url=self.base_url,
            api_version=self._http["api_version"],
            timeout=self._http["timeout"],
            retry_options=types.HttpRetryOptions(attempts=1),
        )
        if self.platform == "agent-platform":
            client = genai.Client(
                enterprise=True,
                api_key=key or None,
                project=self.project,
                location=self.location,
                http_options=options,
            )
        else:
            client = genai.Client(api_key=key, http_options=options)
        with contextlib.suppress(Exception):  # only a head start for the first request
            import importlib

            importlib.import_module("anyio._backends._asyncio")
        return client.aio

    async def client(self) -> AsyncClient:
        """The client, made on a worker thread by the first call (the others wait for it)."""
        return await self._client.get()

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- errors ---------------------------------------------------------------------------

    async def call(self, request: Awaitable[Any], action: str, subject: str = "") -> Any:
        """`await request`, with any failure turned into one of Studio's error kinds."""
        try:
            return await request
        except (ServiceError, asyncio.CancelledError):
            raise
        except Exception as exc:
            raise self.failure(exc, action, subject) from None

    def clean(self, text: str) -> str:
        return scrub(text, self._secrets)

    def _missing_key(self) -> str:
        if self.platform == "agent-platform":
            return (
                f"No key for {self.name}: store an Agent Platform API key for {self.name!r} "
                "(Google Cloud console › Agent Platform › API keys), set GOOGLE_API_KEY, or give "
                "a Google Cloud project (option 'project') signed in with gcloud."
            )
        return (
            f"No key for {self.name}: store a Gemini API key for {self.name!r} "
            "(Google AI Studio › Get API key) or set GEMINI_API_KEY."
        )

    def failure(self, exc: BaseException, action: str, subject: str = "") -> ServiceError:
        """One sentence for each way a call to Google fails, with the key scrubbed out."""
        from google.genai import errors

        error, host = self.error, self.host
        if isinstance(exc, errors.APIError):
            return self._api_failure(exc, action, subject)
        import httpx2

        if isinstance(exc, httpx2.TimeoutException):
            return error("unreachable", f"Google ({host}) did not answer in time.")
        if isinstance(exc, httpx2.RemoteProtocolError):
            return error("unreachable", f"The answer from {host} was cut off; try again.")
        if isinstance(exc, (httpx2.TransportError, OSError)):
            return error(
                "unreachable", self.clean(f"Cannot reach Google at {host}: {short_reason(exc)}.")
            )
        if type(exc).__module__.startswith("google.auth"):
            return error("auth", self.clean(f"No usable Google credentials: {short_reason(exc)}."))
        if isinstance(exc, ValueError):  # the SDK refused the request before sending it
            return error("bad_request", self.clean(f"Google's SDK refused the {action}: {exc}."))
        return error("server", self.clean(f"The {action} at {host} failed: {short_reason(exc)}."))

    def _api_failure(self, exc: Any, action: str, subject: str) -> ServiceError:
        error, host = self.error, self.host
        body = exc.details.get("error", exc.details) if isinstance(exc.details, Mapping) else {}
        body = body if isinstance(body, Mapping) else {}
        code = int(exc.code or 0)
        status = str(exc.status or body.get("status") or "")
        message = self.clean(str(exc.message or body.get("message") or f"HTTP {code}").strip())
        message = message.rstrip(".")
        reason = _detail(body, "ErrorInfo", "reason") or ""
        if reason in ("API_KEY_INVALID", "API_KEY_SERVICE_BLOCKED") or code == 401:
            return error(
                "auth", f"Google ({host}) refused the API key ({message}): {self._hint()}."
            )
        if reason == "BILLING_DISABLED" or (code in (403, 429) and _NO_CREDIT.search(message)):
            return error(
                "quota",
                f"No credit at Google: {message}. Turn billing on (or top up) for the "
                "project and try again.",
            )
        if code == 403:
            return error("auth", f"Google does not allow this: {message}.")
        if code == 429:
            response = getattr(exc, "response", None)
            headers = response.headers if response is not None else {}
            wait = parse_retry_after(headers.get("retry-after"))
            if wait is None:
                wait = _seconds(_detail(body, "RetryInfo", "retryDelay"))
            return error(
                "rate_limited", f"Too many requests to Google for now: {message}.", retry_after=wait
            )
        if code == 404:
            if "no longer available" in message or "shut down" in message:
                return error("gone", f"Google no longer offers this: {message}.")
            if action == "download":
                return error(
                    "expired",
                    f"Google no longer has the result of {subject or 'this job'} (results are "
                    "kept for a limited time); generate it again.",
                )
            return error("not_found", f"Google does not know {subject or 'this'}: {message}.")
        if code >= 500:
            return error("server", f"Google failed ({code} {status}): {message}.")
        if REFUSED.search(message):
            return error("rejected", f"Google refused the prompt: {message}.")
        return error("bad_request", f"Google did not accept the {action}: {message}.")

    def _hint(self) -> str:
        if not self.key:
            return self._missing_key().rstrip(".")
        if self.platform == "agent-platform":
            return (
                "check the key; Veo takes an Agent Platform API key, a Gemini API key from AI "
                "Studio no longer reaches it"
            )
        return "check the key in Google AI Studio"


def _detail(body: Mapping[str, Any], kind: str, field: str) -> Any:
    """`field` of the first `google.rpc.<kind>` in the error's details."""
    for item in body.get("details") or ():
        if isinstance(item, Mapping) and str(item.get("@type", "")).endswith(f"google.rpc.{kind}"):
            return item.get(field)
    return None


def _seconds(duration: Any) -> float | None:
    """A protobuf Duration in JSON ("2s", "1.500s") in seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)s\s*", str(duration or ""))
    return float(match.group(1)) if match else None


def _platforms() -> str:
    return " or ".join(repr(p) for p in DEFAULT_HOSTS)
