"""The connection to Luma that the video and picture providers share: the official `lumaai`
SDK's `AsyncLumaAI` client, made on a worker thread at first use, its errors in Studio's
words, and a finished generation's files fetched.

The SDK sends `Authorization: Bearer <key>` (`_client.py`); `base_url` is the API's root,
`https://api.lumalabs.ai/dream-machine/v1` by default, so tests and proxies point it
elsewhere.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from studio.ai.http_download import stream_to_file
from studio.ai.sdk_client import SdkConnection
from studio.ai.services import ServiceError

if TYPE_CHECKING:
    import lumaai

__all__ = ["CONNECTION_OPTIONS", "DEFAULT_BASE_URL", "ENV_KEY", "POLL_INTERVAL", "LumaConnection"]

DEFAULT_BASE_URL = "https://api.lumalabs.ai/dream-machine/v1"
ENV_KEY = "LUMAAI_API_KEY"  # the variable the SDK itself reads
# Luma gives no hint; the SDK's README polls a generation every three seconds.
POLL_INTERVAL = 3.0
CONNECTION_OPTIONS = frozenset({"base_url", "api_key", "key_name", "timeout", "max_retries"})


class LumaConnection(SdkConnection["lumaai.AsyncLumaAI"]):
    """Options: `base_url`, `api_key` (else the key stored for `key_name`, else
    LUMAAI_API_KEY), `timeout`, `max_retries` (the SDK's own retries of connection errors,
    429 and 5xx)."""

    service = "Luma"
    env_key = ENV_KEY
    default_base_url = DEFAULT_BASE_URL
    key_name = "luma"

    def sdk(self) -> ModuleType:
        import lumaai

        return lumaai

    def make_client(self, key: str) -> lumaai.AsyncLumaAI:
        return self.sdk().AsyncLumaAI(auth_token=key, base_url=self.base_url, **self.client_args)

    async def generation(
        self, generation_id: str, action: str, *, error: type[ServiceError] = ServiceError
    ) -> Any:
        """GET /generations/{id}."""
        return await self.call(
            lambda c: c.generations.get(generation_id), action, generation_id, error=error
        )

    async def credit_left(self, *, error: type[ServiceError]) -> None:
        """Raise `error("quota")` when the account has no credit (GET /credits, in cents)."""
        credits = await self.call(lambda c: c.credits.get(), "check", error=error)
        if credits.credit_balance <= 0:
            raise error(
                "quota", "The Luma account has no credit left: top it up in Luma's API console."
            )

    async def asset_url(self, generation_id: str, asset: str, *, error: type[ServiceError]) -> str:
        """The current link to a finished generation's `asset` ("video" or "image"): the
        generation is fetched again for it. Fetch the file at once."""
        generation = await self.generation(generation_id, "download", error=error)
        url = getattr(generation.assets, asset, None) if generation.assets else None
        if generation.state != "completed" or not url:
            state = generation.state or "unknown"
            raise error("failed", f"Luma's generation {generation_id} has no {asset} ({state}).")
        return str(url)

    async def fetch_asset(
        self, generation_id: str, asset: str, dest: Path, *, error: type[ServiceError]
    ) -> Path:
        """Write a finished generation's `asset` to `dest`, whole or not at all."""
        url = await self.asset_url(generation_id, asset, error=error)
        return await stream_to_file(url, dest, error=error)
