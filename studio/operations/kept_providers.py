"""The providers a video queue has built, kept by name and built anew when what they are
built from changed (a plugin switched off and on, settings or a key edited): a job about to
use a kept provider first asks `stamp(name)` and compares the answer with the one the
provider was built under. Providers replaced while a job may still use them are closed
only with the queue.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from studio.ai.video_provider import VideoError, VideoProvider

__all__ = ["KeptProviders", "ProviderSource", "ProviderStamp"]

log = logging.getLogger(__name__)

ProviderSource = Callable[[str], VideoProvider]
# What provider `name` would be built from now; compared with `==` to the last answer.
ProviderStamp = Callable[[str], Awaitable[object]]

_UNKNOWN = object()  # the stamp of a provider built without asking (equal to nothing)


@dataclass
class _Kept:
    provider: VideoProvider
    stamp: object = _UNKNOWN


class KeptProviders:
    """`get(name)` builds with `make` and keeps; `await current(name)` checks `stamp`."""

    def __init__(self, make: ProviderSource, stamp: ProviderStamp | None = None) -> None:
        self._make = make
        self._stamp = stamp
        self._kept: dict[str, _Kept] = {}
        self._retired: list[VideoProvider] = []  # replaced, maybe still used by a job

    def get(self, name: str) -> VideoProvider:
        kept = self._kept.get(name)
        if kept is None:
            kept = self._kept[name] = _Kept(self._build(name))
        return kept.provider

    async def current(self, name: str) -> VideoProvider:
        if self._stamp is None:
            return self.get(name)
        try:
            stamp = await self._stamp(name)
        except Exception:  # cannot tell: keep what there is rather than fail the job
            log.exception("could not check video provider %s for changes", name)
            return self.get(name)
        kept = self._kept.get(name)
        if kept is not None and kept.stamp == stamp:
            return kept.provider
        provider = self._build(name)
        if kept is not None:
            self._retired.append(kept.provider)
        self._kept[name] = _Kept(provider, stamp)
        return provider

    def forget(self) -> None:
        self._retired.extend(kept.provider for kept in self._kept.values())
        self._kept.clear()

    async def aclose(self) -> None:
        providers = [kept.provider for kept in self._kept.values()] + self._retired
        self._kept, self._retired = {}, []
        for provider in providers:
            with contextlib.suppress(Exception):
                await provider.aclose()

    def _build(self, name: str) -> VideoProvider:
        try:
            return self._make(name)
        except VideoError:
            raise
        except Exception as exc:  # e.g. a plugin that was disabled or failed
            raise VideoError(
                "unsupported", f"The video provider {name!r} is not available: {exc}"
            ) from None
