"""Fixtures for the service tests: each service's local server, and providers pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from studio.testing.servers.fal import FalServer
from studio.testing.servers.video import server_clip


@pytest.fixture
def fal_server() -> Iterator[FalServer]:
    with FalServer(server_clip()) as server:
        yield server


@pytest.fixture
async def fal(fal_server: FalServer) -> AsyncIterator[Callable[..., Any]]:
    """`fal(ProviderClass, **options)`: a provider pointed at `fal_server`, closed after."""
    made: list[Any] = []

    def build(cls: type, **options: Any) -> Any:
        options.setdefault("base_url", fal_server.base_url)
        options.setdefault("api_key", fal_server.api_key)
        made.append(cls(**options))
        return made[-1]

    yield build
    for provider in made:
        await provider.aclose()
