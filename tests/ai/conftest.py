"""Fixtures for the AI tests: a scripted chat server on 127.0.0.1 and providers for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from studio.ai.chat_provider import OpenAIChatProvider
from tests.ai.chat_server import TEST_API_KEY, ChatServer


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    with ChatServer() as server:
        yield server


@pytest.fixture
async def make_chat_provider(
    chat_server: ChatServer,
) -> AsyncIterator[Callable[..., OpenAIChatProvider]]:
    """Build providers pointed at `chat_server` (closed after the test)."""
    made: list[OpenAIChatProvider] = []

    def make(**kwargs: Any) -> OpenAIChatProvider:
        kwargs.setdefault("base_url", chat_server.base_url)
        kwargs.setdefault("api_key", TEST_API_KEY)
        kwargs.setdefault("timeout", 5.0)
        kwargs.setdefault("backoff", 0.05)
        provider = OpenAIChatProvider(**kwargs)
        made.append(provider)
        return provider

    yield make
    for provider in made:
        await provider.aclose()


@pytest.fixture
async def chat_provider(
    make_chat_provider: Callable[..., OpenAIChatProvider],
) -> OpenAIChatProvider:
    return make_chat_provider()
