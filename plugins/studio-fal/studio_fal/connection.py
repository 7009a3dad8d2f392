"""One provider's way to fal: the official `fal-client`'s AsyncClient, made at first use.

Making a provider does no I/O (the UI makes one on its GUI thread): `fal_client` is
imported, the key looked up (a keyring can take a second) and the client made on a worker
thread at the first call (`studio.ai.sdk_client.LazyClient`). The key is sent as fal wants
it, `Authorization: Key <key>` (fal_client/auth.py `AuthCredentials`). With `base_url` the
client's requests go there instead of fal's hosts (`studio_fal.routing`); without it, it is
fal-client as it ships.

Every call goes through `call`, which turns what fal-client raises into the provider's
error class (`studio_fal.errors.map_error`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from studio.ai.errors import scrub
from studio.ai.formats import picture_mime
from studio.ai.sdk_client import LazyClient, service_key
from studio.ai.services import ServiceError
from studio_fal.errors import map_error

if TYPE_CHECKING:
    import fal_client

__all__ = ["API_URL", "CONNECTION_OPTIONS", "ENV_KEY", "FalConnection"]

T = TypeVar("T")

API_URL = "https://api.fal.ai"  # fal's Platform API (the billing call of `check`)
ENV_KEY = "FAL_KEY"  # the variable fal's own tools read
# The options a provider passes on to its connection.
CONNECTION_OPTIONS = frozenset({"base_url", "api_key", "key_name", "api_key_env", "timeout"})


class FalConnection:
    """The fal client of one provider. `error` is the class raised (VideoError, ImageError)."""

    def __init__(
        self,
        error: type[ServiceError],
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        key_name: str = "fal",
        api_key_env: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.error = error
        self.base_url = (base_url or "").rstrip("/") or None
        self.key_name = key_name
        self.timeout = timeout
        self._api_key = api_key
        self._api_key_env = api_key_env
        self._secrets: list[str | None] = [api_key]
        self._client: LazyClient[fal_client.AsyncClient] = LazyClient(
            self._make, service="fal", error=error, secrets=self._secrets
        )

    @property
    def host(self) -> str:
        if self.base_url:
            parts = urlsplit(self.base_url)
            return parts.netloc or self.base_url
        return "fal.ai"

    def clean(self, text: str) -> str:
        return scrub(text, self._secrets)

    @property
    def secrets(self) -> list[str | None]:
        return self._secrets

    # -- the client -----------------------------------------------------------------------

    def _key(self) -> str:
        """The key: given, else the variable named by `api_key_env`, else stored for
        `key_name`, else $FAL_KEY (blocking: the keyring)."""
        key = service_key(self.key_name, self._api_key, ENV_KEY, named_env=self._api_key_env)
        if not key:
            raise self.error(
                "auth",
                f"No fal API key: store one for {self.key_name!r} in Settings › Video, "
                f"or set {self._api_key_env or ENV_KEY}.",
            )
        self._secrets.append(key)
        return key

    def _make(self) -> fal_client.AsyncClient:
        """Import fal-client, find the key, make the client (blocking: a worker thread)."""
        import studio.ai.http_download  # noqa: F401  (httpx2, for results: off the event loop)

        key = self._key()
        if self.base_url:
            from studio_fal.routing import RoutedClient

            return RoutedClient(key=key, default_timeout=self.timeout, base_url=self.base_url)
        import fal_client

        return fal_client.AsyncClient(key=key, default_timeout=self.timeout)

    async def client(self) -> fal_client.AsyncClient:
        return await self._client.get()

    async def call(
        self,
        action: str,
        target: str,
        work: Callable[[fal_client.AsyncClient], Awaitable[T]],
    ) -> T:
        """`work(client)`, with fal's failures raised as `self.error`."""
        client = await self.client()
        try:
            return await work(client)
        except ServiceError:
            raise
        except Exception as exc:
            if not _from_fal(exc):
                raise
            raise map_error(
                exc, self.error, host=self.host, action=action, target=target, secrets=self._secrets
            ) from None

    async def upload(self, data: bytes, name: str) -> str:
        """A picture on fal's storage (the SDK's upload: CDN first, then storage); its URL."""
        mime = picture_mime(data) or "image/png"
        return await self.call("upload", name, lambda c: c.upload(data, mime, file_name=name))

    async def aclose(self) -> None:
        await self._client.aclose()  # fal-client's own has no close; the routed one has

    # -- Test connection --------------------------------------------------------------------

    async def check(self) -> None:
        """One cheap authenticated call: the account's balance (fal's Platform API,
        `GET /v1/account/billing?expand=credits`). 401: the key is refused; 403 locked: no
        credit; 403 otherwise: the key works but may not read billing, which is fine."""
        import httpx

        key = await asyncio.to_thread(self._key)
        url = f"{self.base_url or API_URL}/v1/account/billing"
        try:
            async with httpx.AsyncClient(timeout=httpx.Timeout(15.0)) as http:
                response = await http.get(
                    url, params={"expand": "credits"}, headers={"Authorization": f"Key {key}"}
                )
        except httpx.HTTPError as exc:
            raise map_error(
                exc, self.error, host=self.host, action="check", secrets=self._secrets
            ) from None
        body = _json(response)
        detail = self.clean(str(body.get("detail") or "")).rstrip(".")
        if response.status_code == 401:
            raise self.error("auth", f"fal refused the API key (401): {detail or 'check it'}.")
        if response.status_code == 403 and "lock" in detail.lower():
            raise self.error("quota", f"Your fal account is out of credit: {detail}.")
        if response.status_code == 403:
            return  # a key for models only: it was accepted
        if response.status_code >= 500:
            raise self.error("server", f"fal failed ({response.status_code}): {detail}.")
        if response.status_code >= 400:
            raise self.error("bad_request", f"fal did not accept the check: {detail}.")
        balance = (body.get("credits") or {}).get("current_balance")
        if isinstance(balance, int | float) and balance <= 0:
            raise self.error(
                "quota",
                f"Your fal account has no credit left (balance ${balance:.2f}): top up at "
                "fal.ai/dashboard/billing.",
            )


def _from_fal(exc: BaseException) -> bool:
    """Whether `exc` is fal's or its HTTP stack's (and not a bug of this plugin): fal-client
    raises FalClientError and httpx's errors, and ValueError / KeyError on an answer it
    cannot read (an unknown status, a missing field)."""
    import httpx
    from fal_client import FalClientError

    return isinstance(exc, FalClientError | httpx.HTTPError | ValueError | KeyError)


def _json(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
