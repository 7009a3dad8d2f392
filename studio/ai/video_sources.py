"""Video providers built by name from the plugin host and the person's settings.

`HostVideoProviders` is what a `VideoQueue` is given: calling it builds the provider `name`
with its options (settings.json `video_providers.<name>`, then `overrides[name]`), and its
`stamp(name)` says what such a provider is built from right now: the host's registration
(a plugin disabled and enabled again registers anew), the options, and the stored key. The
queue compares stamps before a job uses a provider it built earlier and builds a new one
when they differ, so switching a plugin off and on, or editing Settings, takes effect
without reopening the project.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

from studio.ai.provider_sources import HostProviders
from studio.ai.video_cost import price_overrides
from studio.ai.video_provider import VideoPrice, VideoProvider, make_provider

__all__ = ["HostVideoProviders", "ProviderStamp"]

SECTION = "video_providers"


class ProviderStamp:
    """What one provider is built from. Equal only for the very same registration."""

    __slots__ = ("key", "options", "registration")

    def __init__(self, registration: object, options: str, key: str) -> None:
        self.registration, self.options, self.key = registration, options, key

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ProviderStamp)
            and self.registration is other.registration
            and (self.options, self.key) == (other.options, other.key)
        )

    __hash__ = None  # type: ignore[assignment]  # compared, never a dict key


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()  # no secret kept in memory as text


class HostVideoProviders(HostProviders):
    """`source(name)` builds provider `name`; `await source.stamp(name)` for the queue."""

    section = SECTION

    def __call__(self, name: str) -> VideoProvider:
        return make_provider(self.host, name, self.options(name))

    def price_overrides(self) -> dict[str, dict[str, VideoPrice]]:
        """The prices the person set in Settings › Video (`studio.ai.video_cost`)."""
        return price_overrides(self._settings())

    async def stamp(self, name: str) -> ProviderStamp:
        registration = next((r for r in self.host.registrations(SECTION) if r.name == name), None)
        # Settings file and key store (a keyring can take a second): on a worker thread.
        options, key = await asyncio.to_thread(self._options_and_key, name)
        return ProviderStamp(registration, options, key)

    def _options_and_key(self, name: str) -> tuple[str, str]:
        from studio.config import keys

        options = self.options(name)
        key_name = str(options.get("key_name") or name)
        key = keys.resolve_api_key(key_name, env_var=options.get("api_key_env"))
        return _digest(options), _digest(key)
