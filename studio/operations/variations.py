"""Variations: N generations of one prompt at once, each a fork of the same version, and
keeping the one the person likes (the others stay in History).

`Generator` offers these through this mixin: a variation is prepared once and answered N
times with the generator's own steps (`_prepare`, `_answer`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from studio.ai.answer import EventCallback
from studio.core.records import Version
from studio.errors import StudioError
from studio.operations.conversation import Request
from studio.operations.outcomes import Outcome

MAX_VARIATIONS = 8


@dataclass
class VariationRun:
    """N generations of one prompt running at once; cancel any one with `cancel(i)`."""

    group: str
    base: int | None
    tasks: list[asyncio.Task[Outcome]]

    def cancel(self, index: int) -> None:
        self.tasks[index].cancel()

    def cancel_all(self) -> None:
        for task in self.tasks:
            task.cancel()

    async def wait(self) -> list[Outcome]:
        """Every variation's outcome, in order (a task cancelled early reads "cancelled")."""
        await asyncio.gather(*self.tasks, return_exceptions=True)
        outcomes = []
        for i, task in enumerate(self.tasks):
            if task.cancelled():
                outcomes.append(
                    Outcome("generate", "cancelled", "Stopped before it began.", variation=i + 1)
                )
            elif task.exception() is not None:
                raise task.exception()  # a bug, not a failed request: let it show
            else:
                outcomes.append(task.result())
        return outcomes


class Variations:
    """The variation operations of `studio.operations.generator.Generator`."""

    project: Any

    def start_variations(
        self,
        prompt: str,
        n: int = 3,
        *,
        base: int | None = None,
        on_event_for: Callable[[int], EventCallback | None] | None = None,
    ) -> VariationRun:
        """Start `n` generations of one prompt at once (tasks on the running loop).

        Each that succeeds becomes a version whose parent is the base, without moving the
        head; `keep_variation` picks one. Cancelling one task leaves the others running."""
        prompt = prompt.strip()
        if not prompt:
            raise StudioError("the prompt is empty: say what to make or change")
        if not 1 <= n <= MAX_VARIATIONS:
            raise StudioError(f"variations must be between 1 and {MAX_VARIATIONS}, not {n}")
        group = uuid.uuid4().hex[:10]
        request = Request("generate", prompt, self._base(base), group=group)
        # One request, prepared once, shared: cancelling a variation must not cancel it.
        prepared = asyncio.ensure_future(self._prepare(request, variations=n))  # type: ignore[attr-defined]
        tasks = [
            asyncio.ensure_future(
                self._variation(request, prepared, i, on_event_for(i) if on_event_for else None)
            )
            for i in range(n)
        ]
        return VariationRun(group, request.base, tasks)

    def keep_variation(self, version_id: int) -> Version:
        """Make a variation the head (the others stay in History) and say so."""
        version = self.project.version(version_id)
        self.project.set_head(version_id)
        self.project.add_message(
            "status",
            f"Kept variation {version.meta.get('variation', '?')} as version {version_id}.",
            version=version_id,
            meta={"kept": version_id, "group": version.meta.get("group"), "level": "ok"},
        )
        return version

    async def _variation(
        self, request: Request, prepared: asyncio.Future[Any], index: int, on_event: Any
    ) -> Outcome:
        ready = await asyncio.shield(prepared)
        return await self._answer(request, ready, on_event, variation=index + 1)  # type: ignore[attr-defined]
