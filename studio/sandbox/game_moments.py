"""What a game showed at a moment of an AI playtest, and what one action changed. Qt-free.

The sandbox's `GameSession` fills these in; the agent's operation reads them to tell the
model what happened (`studio.operations.playtester_tools`), and findings are judged on them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from studio.sandbox.input_script import Action

__all__ = ["Change", "Moment", "PageText", "Replay"]


@dataclass(frozen=True)
class PageText:
    """The page as indexed text: the items a player can use (numbered), the visible words
    and the canvases, in the page's order."""

    title: str = ""
    size: tuple[int, int] = (0, 0)
    lines: tuple[str, ...] = ()
    truncated: bool = False

    @classmethod
    def from_json(cls, text: Any) -> PageText:
        try:
            data = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return cls()
        size = data.get("size")
        lines = data.get("lines")
        return cls(
            title=str(data.get("title") or "")[:120],
            size=(int(size[0]), int(size[1]))
            if isinstance(size, list) and len(size) == 2
            else (0, 0),
            lines=tuple(str(line)[:200] for line in lines) if isinstance(lines, list) else (),
            truncated=bool(data.get("truncated")),
        )

    def render(self) -> str:
        head = f'Page "{self.title}" {self.size[0]}x{self.size[1]}'
        more = ["(more below, left out)"] if self.truncated else []
        return "\n".join([head, *self.lines, *more]) if self.lines else head + "\n(nothing shown)"


@dataclass(frozen=True)
class Moment:
    """One instant of play: the game time, `window.studio.state()` (None when the game has
    no such hook or it failed: `state_error` says why) and the page as text."""

    game_time: float
    state: Any = None
    state_error: str | None = None
    page: PageText = field(default_factory=PageText)


@dataclass
class Change:
    """What one action (or a wait, `action` None) did."""

    action: Action | None
    before: Moment
    after: Moment
    picture: float = 0.0  # share of the picture that changed visibly (0 … 1)
    errors: list[dict[str, Any]] = field(default_factory=list)  # errors logged meanwhile
    stopped: str | None = None  # the game died meanwhile: why (hung, crashed)
    delivered: bool = True  # the page received the action's key or pointer events


@dataclass
class Replay:
    """A recorded script played again: the moment just before its last action, the end,
    and what went wrong on the way."""

    before: Moment | None
    after: Moment | None
    picture: float = 0.0  # picture change across the last action
    errors: list[dict[str, Any]] = field(default_factory=list)
    stopped: str | None = None
    problem: str | None = None  # it could not be replayed: why

    @property
    def completed(self) -> bool:
        return self.problem is None and self.after is not None
