"""fal-client with its requests sent to another address: a local test server or a proxy.

Why this exists: fal-client 1.0.3 builds its URLs from module constants fixed to https when
it is imported (`QUEUE_URL_FORMAT = f"https://{FAL_QUEUE_RUN_HOST}/"`; the FAL_RUN_HOST and
FAL_QUEUE_RUN_HOST variables change the host name only, and `REST_URL` / `CDN_URL` not at
all), and it makes its httpx clients itself (`AsyncClient._client`, `_cdn_client`, and a
fresh one in `AsyncCDNTokenManager._refresh_token` for the upload token). So it cannot be
pointed at a plain-http address by configuration. `RoutedClient` keeps all of the SDK (the
request bodies, the auth header, retries, status parsing, the upload flow and its fallback)
and only gives those httpx clients a transport that sends what is meant for fal's hosts to
`base_url`. The names it overrides are the SDK's private ones: the plugin requires
fal-client below 2, and its tests go through each of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import fal_client
import httpx
from asyncstdlib import cached_property as async_cached_property
from fal_client.client import USER_AGENT, AsyncCDNTokenManager

__all__ = ["FAL_HOSTS", "RoutedClient", "reroute"]

# Every host fal-client talks to, with its backup domains (client.py `_BACKUP_DOMAINS`), and
# fal's Platform API.
FAL_HOSTS = frozenset(
    {
        "queue.fal.run",
        "fal.run",
        "queue.falrun.com",
        "falrun.com",
        "rest.fal.ai",
        "v3.fal.media",
        "api.fal.ai",
    }
)


def reroute(url: httpx.URL, base: httpx.URL) -> httpx.URL:
    """`url` on `base` when it is meant for one of fal's hosts (path kept after base's)."""
    if url.host not in FAL_HOSTS:
        return url
    return url.copy_with(
        scheme=base.scheme,
        host=base.host,
        port=base.port,
        path=base.path.rstrip("/") + url.path,
    )


class _RouteTransport(httpx.AsyncBaseTransport):
    def __init__(self, base: httpx.URL) -> None:
        self._base = base
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = reroute(request.url, self._base)
        if url is not request.url:
            request.url = url
            request.headers["Host"] = url.netloc.decode("ascii")
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass(unsafe_hash=True)
class RoutedClient(fal_client.AsyncClient):
    """`fal_client.AsyncClient` whose requests for fal's hosts go to `base_url`."""

    base_url: str = ""
    _made: list[httpx.AsyncClient] = field(default_factory=list, hash=False, compare=False)

    def _http(self, headers: dict[str, str]) -> httpx.AsyncClient:
        transport = _RouteTransport(httpx.URL(self.base_url))
        client = httpx.AsyncClient(
            transport=transport, headers=headers, timeout=self.default_timeout
        )
        self._made.append(client)
        return client

    @async_cached_property(asyncio.Lock)
    async def _client(self) -> httpx.AsyncClient:
        # As AsyncClient._client makes it, with the routing transport.
        auth = await self._auth
        return self._http({"Authorization": auth.header_value, "User-Agent": USER_AGENT})

    @asynccontextmanager
    async def _cdn_client(self) -> AsyncIterator[httpx.AsyncClient]:
        client = self._http({"User-Agent": USER_AGENT})
        try:
            yield client
        finally:
            self._made.remove(client)
            await client.aclose()

    @async_cached_property(asyncio.Lock)
    async def _token_manager(self) -> AsyncCDNTokenManager:
        manager = AsyncCDNTokenManager(await self._auth)
        # It posts with a client of its own to this URL: the token endpoint on base_url.
        manager._url = str(reroute(httpx.URL(manager._url), httpx.URL(self.base_url)))
        return manager

    async def aclose(self) -> None:
        made, self._made[:] = list(self._made), []
        for client in made:
            await client.aclose()
