"""The AI playtester's tools: their JSON schemas for the model, reading a call's arguments
into an action, and telling the model what an action changed. Qt-free.

Coordinates the model sees and gives are CSS pixels of the game's view (a screenshot from
`look` has the same size); scripts keep fractions of the view, so they replay at any size.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from studio.ai.tool_calls import function_tool
from studio.errors import StudioError
from studio.operations.playtest_findings import KINDS
from studio.sandbox.game_moments import Change, Moment
from studio.sandbox.input_script import MAX_TEXT, Action, valid_key
from studio.scoring.observe import MISSING, changed_paths, resolve

__all__ = ["ACTIONS", "describe_change", "parse_action", "tool_specs"]

ACTIONS = ("press", "type", "tap", "drag", "wait")
MAX_HOLD_MS = 5000
MAX_WAIT_MS = 10_000
MAX_RESULT = 3000
_REASON = {"type": "string", "description": "Why, in one short sentence (shown to the person)."}
_CHECK = {
    "type": "object",
    "description": "A condition that holds when the game works, read right after your last "
    'action; Studio replays your steps to confirm the bug. E.g. {"state": "score", "min": 1}, '
    '{"state": "player.x", "changes": true}, {"page_contains": "You win"}. Conditions: '
    "equals, not_equals, min, max, exists, changes, increases, decreases.",
}


def tool_specs(*, vision: bool) -> list[dict[str, Any]]:
    """The tools offered to the model; `look` only to a model that takes images."""
    tools = [
        function_tool(
            "press",
            "Press keys together, hold them, release them. DOM key names: ArrowLeft, "
            "ArrowRight, ArrowUp, ArrowDown, Space, Enter, Escape, Tab, KeyW, Digit1, ...",
            {
                "keys": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "hold_ms": {"type": "integer", "description": "default 150"},
                "reason": _REASON,
            },
            ["keys"],
        ),
        function_tool(
            "type",
            "Type text, into page item `index` when given (it is clicked first).",
            {"text": {"type": "string"}, "index": {"type": "integer"}, "reason": _REASON},
            ["text"],
        ),
        function_tool(
            "tap",
            "Click or tap: at x, y (CSS pixels of the game view), or on page item `index`.",
            {
                "x": {"type": "number"},
                "y": {"type": "number"},
                "index": {"type": "integer"},
                "reason": _REASON,
            },
        ),
        function_tool(
            "drag",
            "Press at the first point, move through the others, release (a swipe).",
            {
                "path": {
                    "type": "array",
                    "items": {"type": "array", "items": {"type": "number"}},
                    "description": "[[x, y], ...] in CSS pixels, 2 to 20 points",
                },
                "duration_ms": {"type": "integer", "description": "default 300"},
                "reason": _REASON,
            },
            ["path"],
        ),
        function_tool(
            "wait",
            "Let the game run without input (game time when the game has a game clock).",
            {"ms": {"type": "integer"}, "reason": _REASON},
            ["ms"],
        ),
        function_tool("state", "The game's own state: window.studio.state(), when it has one."),
        function_tool(
            "page",
            "The page as text: the items you can use, each with an index for tap and type, "
            "the visible words, the canvases and their sizes.",
        ),
    ]
    if vision:
        tools.append(function_tool("look", "A screenshot of the game view now."))
    tools += [
        function_tool(
            "report",
            "Report one real problem a player would hit.",
            {
                "kind": {"type": "string", "enum": list(KINDS)},
                "title": {"type": "string", "description": "The problem in a few words."},
                "steps": {"type": "string", "description": "What you did to see it."},
                "expected": {"type": "string"},
                "actual": {"type": "string", "description": "What happened instead."},
                "check": _CHECK,
            },
            ["kind", "title", "expected", "actual"],
        ),
        function_tool(
            "finish",
            "End the playtest.",
            {
                "summary": {"type": "string", "description": "One or two sentences."},
                "goal_reached": {"type": "boolean"},
            },
            ["summary"],
        ),
    ]
    return tools


# -- reading arguments ------------------------------------------------------------------


def _number(
    args: Mapping[str, Any], name: str, low: float, high: float, default: Any = None
) -> float:
    value = args.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise StudioError(f"{name} must be a number")
    if not low <= value <= high:
        raise StudioError(f"{name} must be from {low:g} to {high:g}, not {value:g}")
    return float(value)


def _index(args: Mapping[str, Any]) -> int | None:
    index = args.get("index")
    if index is None:
        return None
    if isinstance(index, bool) or not isinstance(index, int) or index < 1:
        raise StudioError("index must be an item number from page() (1, 2, ...)")
    return index


def _fraction(x: float, y: float, viewport: tuple[int, int]) -> tuple[float, float]:
    return x / viewport[0], y / viewport[1]


def _point(value: Any, viewport: tuple[int, int]) -> tuple[float, float]:
    if not (isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2):
        raise StudioError("each point is [x, y]")
    x = _number({"x": value[0]}, "x", 0, viewport[0])
    y = _number({"y": value[1]}, "y", 0, viewport[1])
    return _fraction(x, y, viewport)


def parse_action(
    name: str, args: Mapping[str, Any], viewport: tuple[int, int]
) -> tuple[Action | None, float]:
    """An action tool's arguments as (action, seconds to wait): a wait has no action.
    StudioError says what is wrong, for the model to try again."""
    if name == "press":
        keys = args.get("keys")
        if isinstance(keys, str):
            keys = [keys]
        if (
            not isinstance(keys, list)
            or not 1 <= len(keys) <= 4
            or not all(isinstance(k, str) for k in keys)
        ):
            raise StudioError("keys must be a list of 1 to 4 key names")
        unknown = [k for k in keys if not valid_key(k)]
        if unknown:
            raise StudioError(
                f"unknown key {unknown[0]!r}: use DOM names such as ArrowLeft, Space, Enter, KeyW"
            )
        hold = _number(args, "hold_ms", 16, MAX_HOLD_MS, 150) / 1000
        return Action(0.0, "key", keys=tuple(keys), hold=hold), 0.0
    if name == "type":
        text = args.get("text")
        if not isinstance(text, str) or not text or len(text) > MAX_TEXT:
            raise StudioError(f"text must be 1 to {MAX_TEXT} characters")
        if any(ord(c) > 255 or not c.isprintable() for c in text):
            raise StudioError("text can hold printable Latin letters, digits and signs only")
        return Action(0.0, "type", text=text, element=_index(args)), 0.0
    if name == "tap":
        index = _index(args)
        if index is not None:
            return Action(0.0, "tap", element=index), 0.0
        if "x" not in args or "y" not in args:
            raise StudioError("tap needs x and y (CSS pixels) or an index from page()")
        x = _number(args, "x", 0, viewport[0])
        y = _number(args, "y", 0, viewport[1])
        return Action(0.0, "tap", point=_fraction(x, y, viewport)), 0.0
    if name == "drag":
        path = args.get("path")
        if not isinstance(path, list) or not 2 <= len(path) <= 20:
            raise StudioError("path must be a list of 2 to 20 [x, y] points")
        hold = _number(args, "duration_ms", 16, MAX_HOLD_MS, 300) / 1000
        return Action(0.0, "drag", path=tuple(_point(p, viewport) for p in path), hold=hold), 0.0
    if name == "wait":
        return None, _number(args, "ms", 1, MAX_WAIT_MS) / 1000
    raise StudioError(f"{name} is not an action")


# -- telling the model ------------------------------------------------------------------


def short(value: Any, limit: int = 60) -> str:
    if value is MISSING:
        return "–"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def state_text(moment: Moment, limit: int = MAX_RESULT) -> str:
    if moment.state_error:
        return moment.state_error
    text = json.dumps(moment.state, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _state_change(before: Moment, after: Moment) -> str:
    if after.state_error:
        return f"state: {after.state_error}"
    if after.state is None and before.state is None:
        return ""
    paths = sorted(changed_paths(before.state, after.state))
    if not paths:
        return "state: unchanged"
    shown = [
        f"{p} {short(resolve(before.state, p), 30)} → {short(resolve(after.state, p), 30)}"
        for p in paths[:10]
    ]
    more = f" (+{len(paths) - 10} more)" if len(paths) > 10 else ""
    return "state: " + "; ".join(shown) + more


def _page_change(before: Moment, after: Moment) -> str:
    old, new = set(before.page.lines), set(after.page.lines)
    gone = [line for line in before.page.lines if line not in new]
    came = [line for line in after.page.lines if line not in old]
    if not gone and not came:
        return "page text: unchanged"
    out = (
        ["page text:"] + [f"  + {line}" for line in came[:6]] + [f"  - {line}" for line in gone[:6]]
    )
    if len(came) > 6 or len(gone) > 6:
        out.append("  (more; call page() for all of it)")
    return "\n".join(out)


def describe_change(change: Change, did: str) -> str:
    """What an action changed, for the model: game time, state, picture, page, errors."""
    lines = [f"{did}; game time {change.before.game_time:.2f} → {change.after.game_time:.2f} s"]
    if not change.delivered:
        lines.append("the page did not receive the input events (nothing had focus?)")
    state = _state_change(change.before, change.after)
    if state:
        lines.append(state)
    lines.append(f"picture: {change.picture:.1%} of it changed")
    lines.append(_page_change(change.before, change.after))
    for error in change.errors[:3]:
        where = f" ({error.get('source')}:{error.get('line')})" if error.get("source") else ""
        lines.append(f"error: {str(error.get('message', ''))[:200]}{where}")
    if change.stopped:
        lines.append(f"the game stopped: {change.stopped}. The playtest ends here.")
    text = "\n".join(lines)
    return text if len(text) <= MAX_RESULT else text[: MAX_RESULT - 1] + "…"


def did_words(action: Action | None, wait: float, viewport: tuple[int, int]) -> str:
    """What was done, in words (for the model and the person)."""
    if action is None:
        return f"waited {wait * 1000:.0f} ms"
    width, height = viewport
    if action.kind == "key":
        return f"held {' + '.join(action.keys)} for {action.hold * 1000:.0f} ms"
    if action.kind == "type":
        into = f" into item {action.element}" if action.element is not None else ""
        return f"typed {action.text!r}{into}"
    if action.kind == "tap" and action.element is not None:
        label = f" “{action.label}”" if action.label else ""
        return f"tapped item {action.element}{label}"
    if action.kind == "tap":
        x, y = action.point or (0.5, 0.5)
        return f"tapped at {x * width:.0f}, {y * height:.0f}"
    return f"dragged through {len(action.path)} points in {action.hold * 1000:.0f} ms"
