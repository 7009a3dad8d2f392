"""A chat provider that gives the event loop back while it streams, so the GUI keeps its frames."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from studio.ai.providers import ChatProvider


class PacedProvider:
    """A provider whose stream hands the event loop back at least every `SLICE` seconds.

    A fast service delivers chunks in bursts (a socket read holds hundreds), and the client
    decodes them one after another without awaiting anything, so a burst would hold the GUI
    thread for tens of milliseconds. Yielding between chunks now and then keeps frames and
    input flowing; it costs nothing when chunks come slower than that."""

    SLICE = 0.003

    def __init__(self, inner: ChatProvider) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", "")

    async def list_models(self) -> list[str]:
        return await self.inner.list_models()

    async def stream_chat(self, messages: Any, **options: Any) -> AsyncIterator[Any]:
        chunks = self.inner.stream_chat(messages, **options)
        async with contextlib.aclosing(chunks):  # a cancelled stream is closed, not leaked
            mark = time.perf_counter()
            async for chunk in chunks:
                yield chunk
                if time.perf_counter() - mark >= self.SLICE:
                    await asyncio.sleep(0)
                    mark = time.perf_counter()
