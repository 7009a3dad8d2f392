"""How the video queue paces its work: how often it asks a service about a job
(`PollPolicy`) and how many jobs each provider runs at once (`Slots`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass

__all__ = ["PollPolicy", "Slots"]


@dataclass(frozen=True)
class PollPolicy:
    """How often to ask the service. A wait the service asks for wins, within bounds."""

    first: float = 2.0  # seconds before the second poll when the service says nothing
    factor: float = 1.5
    longest: float = 20.0
    min_suggested: float = 0.01
    max_suggested: float = 60.0
    # Consecutive transient errors (no connection, 5xx, 429) before a job waits for the
    # next start; each waits as the service said, or backs off like a poll.
    max_transient: int = 6

    def next(self, interval: float) -> float:
        return min(interval * self.factor, self.longest)

    def suggested(self, seconds: float) -> float:
        return min(max(seconds, self.min_suggested), self.max_suggested)


class Slots:
    """A counting limit whose release needs no await (it runs in `finally` blocks)."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.used = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> None:
        while self.used >= self.limit:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake()  # woken, then cancelled: pass the turn on
                raise
            finally:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
        self.used += 1

    def take(self) -> None:
        self.used += 1

    def release(self) -> None:
        self.used = max(0, self.used - 1)
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
