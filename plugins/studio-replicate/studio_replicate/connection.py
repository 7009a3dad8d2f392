"""One connection to Replicate through the official `replicate` SDK, shared by the video
and image providers: the client made at first use, calls with their errors in words a
person can act on, picture inputs, and fetching results.

The SDK (`replicate` 1.0.7, `replicate/client.py`) talks to `base_url` (default
`https://api.replicate.com`; it adds `/v1/...` itself) with `Authorization: Bearer <token>`.
Its transport retries GET, PUT and DELETE on 429, 503 and 504 by itself (up to ten tries,
waiting as `Retry-After` says, else backing off), so a poll rides out a short outage; a
create (POST) is never retried, and its 429 reaches us. `ReplicateError` keeps the
problem+json fields (`title`, `detail`, `status`) but not the headers, so an httpx response
hook notes the `Retry-After` of a 429 for the call that got it.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import io
import os
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from studio.ai.errors import parse_retry_after, scrub
from studio.ai.formats import PICTURE_SUFFIX, picture_mime
from studio.ai.http_download import fetch_bytes, stream_to_file, write_whole
from studio.ai.sdk_client import LazyClient, service_key, short_reason
from studio.ai.services import ServiceError

if TYPE_CHECKING:
    import httpx
    import replicate

__all__ = [
    "DEFAULT_BASE_URL",
    "ENV_TOKEN",
    "Connection",
    "create_prediction",
    "failure_text",
    "output_urls",
]

DEFAULT_BASE_URL = "https://api.replicate.com"
ENV_TOKEN = "REPLICATE_API_TOKEN"  # the variable the SDK itself reads
# Replicate's own advice (replicate.com/docs/topics/predictions/input-files): data URLs for
# small files, the files API for bigger ones.
DATA_URL_LIMIT = 256 * 1024

_REJECTED = re.compile(r"sensitive|nsfw|safety|moderat|content polic|flagged|E005", re.I)
_THROTTLE_WAIT = re.compile(r"(?:in|~)\s*~?(\d+(?:\.\d+)?)\s*s", re.I)

# The Retry-After of the last 429 seen by the running task (set by the response hook).
_retry_after: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "replicate_retry_after", default=None
)

T = TypeVar("T")


async def _note_retry_after(response: httpx.Response) -> None:
    if response.status_code == 429:
        _retry_after.set(response.headers.get("retry-after"))


class Connection:
    """The SDK client for one provider, made on a worker thread at the first call (importing
    the SDK and its pydantic models, and looking the token up in the keyring, both take
    time), and the mapping of every failure to `error(kind, sentence)`."""

    def __init__(
        self,
        *,
        name: str,
        error: type[ServiceError],
        base_url: str | None = None,
        api_key: str | None = None,
        key_name: str | None = None,
        api_key_env: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.name = name
        self.error = error
        url = (base_url or os.environ.get("REPLICATE_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        # People copy the documented base (…/v1); the SDK adds /v1 to every path itself.
        self.base_url = url[:-3] if url.endswith("/v1") else url
        self.timeout = timeout
        self._key = (key_name or name, api_key, api_key_env)
        self._has_key = bool(api_key)
        self._secrets: list[str | None] = [api_key]
        self._client: LazyClient[replicate.Client] = LazyClient(
            self._make_client,
            service=f"Replicate {name!r}",
            error=error,
            close=lambda client: client._async_client.aclose(),  # the SDK has no close
            secrets=self._secrets,
        )

    @property
    def host(self) -> str:
        parts = urlsplit(self.base_url)
        return (parts.hostname or self.base_url) + (f":{parts.port}" if parts.port else "")

    def _make_client(self) -> replicate.Client:
        import httpx
        import replicate

        name, explicit, env_var = self._key
        token = service_key(name, explicit, ENV_TOKEN, named_env=env_var)
        self._has_key = bool(token)
        self._secrets.append(token)
        client = replicate.Client(
            api_token=token,
            base_url=self.base_url,
            timeout=httpx.Timeout(self.timeout, connect=min(10.0, self.timeout)),
            event_hooks={"response": [_note_retry_after]},
        )
        client._async_client  # noqa: B018 (builds the httpx client here, off the event loop)
        return client

    async def client(self) -> replicate.Client:
        return await self._client.get()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def call(
        self, request: Callable[[replicate.Client], Awaitable[T]], action: str, remote_id: str = ""
    ) -> T:
        """`request(client)`, with every failure turned into `self.error`."""
        client = await self.client()
        _retry_after.set(None)
        try:
            return await request(client)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise self.map_error(exc, action, remote_id) from None

    # -- the calls the providers make ----------------------------------------------------

    async def create(
        self,
        model: str,
        inputs: dict[str, Any],
        pictures: dict[str, Any],
        options: Mapping[str, Any],
    ) -> Any:
        """A new prediction of `model`: `inputs`, the `pictures` (bytes by input name), then
        `options` (a model's own inputs, by Replicate's names, which win)."""
        files, strategy = self.files(pictures)
        body = inputs | files | dict(options)
        return await self.call(lambda c: create_prediction(c, model, body, strategy), "submit")

    async def get(self, prediction_id: str, action: str = "poll") -> Any:
        return await self.call(
            lambda c: c.predictions.async_get(prediction_id), action, prediction_id
        )

    async def cancel(self, prediction_id: str) -> None:
        await self.call(
            lambda c: c.predictions.async_cancel(prediction_id), "cancel", prediction_id
        )

    async def check(self) -> None:
        """One cheap authenticated call (`GET /v1/account`) for Settings' Test connection."""
        await self.call(lambda c: c.accounts.async_current(), "check")

    def map_error(self, exc: Exception, action: str, remote_id: str = "") -> ServiceError:
        import httpx
        from replicate.exceptions import ReplicateError

        error, host = self.error, self.host
        if isinstance(exc, httpx.TimeoutException):
            return error("unreachable", f"Replicate at {host} did not answer in time.")
        if isinstance(exc, httpx.TransportError):
            reason = short_reason(exc)
            return error("unreachable", self.clean(f"Cannot reach Replicate at {host}: {reason}."))
        if not isinstance(exc, ReplicateError):
            # A body the SDK could not read (not JSON, not a prediction): the service's fault.
            return error("server", f"Replicate at {host} sent an answer Studio cannot read.")
        status = exc.status or 0
        detail = self.clean((exc.detail or exc.title or "").strip().rstrip(".")) or f"HTTP {status}"
        if status == 401:
            hint = (
                "check the token"
                if self._has_key
                else f"store a token for {self._key[0]!r} or set {self._key[2] or ENV_TOKEN}"
            )
            return error("auth", f"Replicate refused the API token (401): {hint}.")
        if status == 402:
            return error("quota", f"Out of credit on Replicate: {detail}.")
        if status == 403:
            return error("auth", f"Replicate does not allow this token to {action}: {detail}.")
        if status == 429:
            wait = parse_retry_after(_retry_after.get())
            if wait is None and (found := _THROTTLE_WAIT.search(detail)):
                wait = float(found.group(1))
            return error(
                "rate_limited", f"Too many requests to Replicate: {detail}.", retry_after=wait
            )
        if status == 404:
            if action == "submit":
                return error("bad_request", f"Replicate does not know that model: {detail}.")
            return error("not_found", f"Replicate does not know the prediction {remote_id}.")
        if status == 410:
            return error("gone", f"Replicate no longer offers this: {detail}.")
        if status >= 500:
            return error("server", f"Replicate failed ({status}): {detail}.")
        if _REJECTED.search(detail):
            return error("rejected", f"Replicate refused the request: {detail}.")
        return error("bad_request", f"Replicate did not accept the {action}: {detail}.")

    def clean(self, text: str) -> str:
        return scrub(text, self._secrets)

    # -- inputs and outputs ---------------------------------------------------------------

    @staticmethod
    def files(pictures: dict[str, bytes | list[bytes]]) -> tuple[dict[str, Any], str]:
        """Pictures as file objects the SDK encodes, and how: small ones as data URLs
        ("base64"), otherwise uploaded through `POST /v1/files` ("url")."""
        total = 0
        encoded: dict[str, Any] = {}
        for key, value in pictures.items():
            items = value if isinstance(value, list) else [value]
            files = []
            for i, data in enumerate(items):
                suffix = PICTURE_SUFFIX[picture_mime(data) or "image/webp"]
                buffer = io.BytesIO(data)
                buffer.name = f"{key}-{i}{suffix}"  # the SDK guesses the type from the name
                files.append(buffer)
                total += len(data)
            encoded[key] = files if isinstance(value, list) else files[0]
        return encoded, ("base64" if total <= DATA_URL_LIMIT else "url")

    async def fetch(self, url: str, dest: Path) -> Path:
        """A result to `dest`, whole or not at all (Replicate's result URLs live an hour)."""
        if url.startswith("data:"):
            return await asyncio.to_thread(write_whole, dest, self._data_url(url))
        return await stream_to_file(url, dest, error=self.error)

    async def fetch_bytes(self, url: str) -> bytes:
        if url.startswith("data:"):
            return self._data_url(url)
        return await fetch_bytes(url, error=self.error)

    def _data_url(self, url: str) -> bytes:
        try:
            return base64.b64decode(url.split(",", 1)[1], validate=True)
        except (IndexError, ValueError):
            raise self.error("server", "Replicate sent a result Studio cannot read.") from None


async def create_prediction(
    client: replicate.Client, model: str, inputs: dict[str, Any], strategy: str
) -> Any:
    """A prediction of `model`: "owner/name" runs the model's current version (`POST
    /v1/models/{owner}/{name}/predictions`); "owner/name:<id>" or a bare version id runs
    that version (`POST /v1/predictions`). `client.models.predictions` is called directly
    because `client.predictions.async_create(model=...)` drops `file_encoding_strategy`
    (replicate 1.0.7, prediction.py), which would upload even the smallest picture."""
    if ":" in model or "/" not in model:
        return await client.predictions.async_create(
            version=model, input=inputs, file_encoding_strategy=strategy
        )
    return await client.models.predictions.async_create(
        model=model, input=inputs, file_encoding_strategy=strategy
    )


def output_urls(output: Any) -> list[str]:
    """The result URLs in a prediction's output: a URL, a list of them, or a dict."""
    values: Iterable[Any]
    if isinstance(output, str):
        values = [output]
    elif isinstance(output, dict):
        values = output.values()
    elif isinstance(output, list):
        values = output
    else:
        return []
    return [v for v in values if isinstance(v, str) and v.startswith(("http:", "https:", "data:"))]


def failure_text(error: str | None) -> tuple[str, str | None]:
    """A failed prediction's error in one sentence, and a code ("rejected" when refused)."""
    detail = (error or "").strip().rstrip(".") or "no reason given"
    detail = detail.splitlines()[-1][:300]
    if _REJECTED.search(detail):
        return f"Replicate refused the prompt or picture: {detail}.", "rejected"
    return f"The prediction failed on Replicate: {detail}.", None
