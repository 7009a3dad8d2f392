"""What the tests of the Google providers (plugin studio-veo) share."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from studio.testing.servers.veo import GoogleServer

KEY = "AIza-google-test-SECRET-7f3c"


@contextlib.asynccontextmanager
async def providers(kind: type, server: GoogleServer) -> AsyncIterator[Callable[..., Any]]:
    """Make providers of `kind` pointed at `server` with its key; closed at the end."""
    made: list[Any] = []

    def build(**options: Any) -> Any:
        made.append(kind(**{"base_url": server.base_url, "api_key": KEY, "timeout": 10} | options))
        return made[-1]

    try:
        yield build
    finally:
        for provider in made:
            await provider.aclose()
