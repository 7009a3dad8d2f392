"""An `openai.AsyncOpenAI` client made when a call first needs it, on a worker thread.

Forms make providers on the GUI thread and read their capabilities, so making one must do
no I/O. The `openai` package takes about a second to import and a keyring look-up can take
another, so both happen on a worker thread the first time a call needs the client, and
every call waiting meanwhile gets the same client. The key is resolved as
`studio.config.keys` says (the stored key of `key_name`, a named variable, OPENAI_API_KEY)
and kept out of every message (`clean`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from studio.ai.errors import scrub
from studio.ai.services import ServiceError

if TYPE_CHECKING:
    import openai

__all__ = ["DEFAULT_BASE_URL", "LazyClient", "openai_module", "short_reason"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"


def openai_module():
    """The `openai` package, imported on first use."""
    import openai

    return openai


def short_reason(exc: BaseException) -> str:
    """The first line of an OS or HTTP library error, without its `[Errno N]`."""
    text = str(exc).strip() or type(exc).__name__
    return re.sub(r"^\[Errno -?\d+\]\s*", "", text.splitlines()[0])[:200]


class LazyClient:
    """`await lazy.get()` is the client; `host` and `clean(text)` word messages."""

    def __init__(
        self,
        *,
        name: str,
        what: str,
        error: type[ServiceError],
        base_url: str | None = None,
        api_key: str | None = None,
        key_name: str | None = None,
        api_key_env: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
        warm_up: Callable[[openai.AsyncOpenAI], None] | None = None,
    ) -> None:
        self.name = name
        self.what = what  # "image provider": for "The image provider 'x' cannot start"
        self.error = error
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        self.has_key = bool(api_key)
        self._key_args = (key_name or name, api_key, api_key_env)
        self._client_args = {"timeout": timeout, "max_retries": max_retries}
        self._warm_up = warm_up
        self._secrets: list[str | None] = [api_key]
        self._client: openai.AsyncOpenAI | None = None
        self._connecting: asyncio.Future[openai.AsyncOpenAI] | None = None

    @property
    def host(self) -> str:
        parts = urlsplit(self.base_url)
        if not parts.hostname:
            return self.clean(self.base_url)
        return parts.hostname + (f":{parts.port}" if parts.port else "")

    @property
    def official(self) -> bool:
        """Whether this is OpenAI's own service (not a gateway or a local server)."""
        return urlsplit(self.base_url).hostname == "api.openai.com"

    def clean(self, text: str) -> str:
        return scrub(text, self._secrets)

    def _make(self) -> openai.AsyncOpenAI:
        """Import `openai`, look the key up and make the client (blocking: a worker thread)."""
        from studio.config import keys

        openai = openai_module()
        key_name, explicit, env_var = self._key_args
        key = explicit or keys.resolve_api_key(key_name, env_var=env_var)
        self.has_key = bool(key)
        self._secrets.append(key)
        # Local servers often need no key, but the client insists on one.
        client = openai.AsyncOpenAI(
            base_url=self.base_url, api_key=key or "no-key", **self._client_args
        )
        if self._warm_up is not None:
            with contextlib.suppress(Exception):  # only a head start
                self._warm_up(client)
        return client

    async def get(self) -> openai.AsyncOpenAI:
        """The client, made on a worker thread the first time (calls wait for the same one)."""
        if self._client is not None:
            return self._client
        connecting = self._connecting
        if connecting is None or connecting.cancelled():
            connecting = asyncio.ensure_future(asyncio.to_thread(self._make))
            connecting.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._connecting = connecting
        try:
            # Shielded: one caller cancelled must not cancel the others' client.
            client = await asyncio.shield(connecting)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if self._connecting is connecting:
                self._connecting = None  # the next call tries again
            reason = self.clean(str(exc).strip() or type(exc).__name__)
            raise self.error(
                "unsupported", f"The {self.what} {self.name!r} cannot start: {reason}."
            ) from None
        self._client = client
        return client

    async def aclose(self) -> None:
        connecting, self._connecting = self._connecting, None
        client, self._client = self._client, None
        if client is None and connecting is not None and not connecting.cancelled():
            with contextlib.suppress(Exception):  # it failed: nothing to close
                client = await connecting
        if client is not None:
            await client.close()
