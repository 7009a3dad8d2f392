"""The automatic fix's look at a new version: play it, then read what went wrong.

Where a version is played differs by face: the Preview in the app, a headless playtest for
`studio generate --fix` (`studio.sandbox.playtest.HeadlessPlayer`), the bench's probed
playtest. Each is a `VersionPlayer`, whose `play_for_errors` the generator's `check` awaits.
A place where versions play all the time (the Preview) implements it with
`errors_once_loaded`: wait until the version is the one playing and has loaded, let it run
a moment, read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

LOAD_LIMIT = 15.0  # seconds to wait for a version to load before reading nothing
SETTLE = 2.0  # seconds a new version plays before its errors are read

Errors = list[dict[str, Any]]


class VersionPlayer(Protocol):
    async def play_for_errors(self, version_id: int) -> Errors:
        """Play the version as a person would see it; return what went wrong."""
        ...


class LiveView(Protocol):
    """A place where versions play one after another (the Preview)."""

    @property
    def version_id(self) -> int | None: ...

    @property
    def loading(self) -> bool: ...

    def errors(self) -> Sequence[dict[str, Any]]: ...


async def errors_once_loaded(
    view: LiveView, version_id: int, *, load_limit: float = LOAD_LIMIT, settle: float = SETTLE
) -> Errors:
    """The view's errors once it has played `version_id` for `settle` seconds; none when it
    did not load that version within `load_limit` (the person picked another meanwhile)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + load_limit
    while (view.version_id != version_id or view.loading) and loop.time() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(settle)
    return list(view.errors()) if view.version_id == version_id else []
