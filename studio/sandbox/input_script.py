"""The input script of a recorded playtest: every action with its time, replayable. Qt-free.

`studio playtest --inputs FILE` reads a JSON list. The older form is a list of steps
(`studio.sandbox.playtest.parse_inputs`); a recorded script starts with a header and then
holds one item per action, at its time in seconds:

    [{"script": "studio-inputs", "version": 2, "clock": "game", "seed": 7,
      "viewport": [800, 600], "length": 4.2},
     {"at": 0.0, "key": "ArrowRight", "hold": 0.5},         a key held for half a second
     {"at": 0.5, "keys": ["ArrowRight", "Space"], "hold": 0.25},   keys held together
     {"at": 0.75, "tap": [0.5, 0.62]},                      a tap, as fractions of the view
     {"at": 0.8, "element": 3, "label": "Start", "tap": [0.5, 0.4]},   a tap on page() item 3
     {"at": 0.85, "type": "Ada", "element": 1, "label": "Name"},        text typed into item 1
     {"at": 1.0, "drag": [[0.2, 0.5], [0.8, 0.5]], "hold": 0.3}]        a drag along a path

Clock "game": the game's clock stands still between actions and moves only through
`window.studio.advance(ms)`, one tick of 1/60 s at a time, with `Math.random` seeded by
`seed`; the same script then plays the same way every time. Clock "real" (a game without
`advance`): the times are seconds after the game loaded, and play may differ a little.
`length` is the script's last moment: a replay runs the clock on to it after the last action.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from studio.errors import StudioError

__all__ = [
    "TAP_HOLD",
    "TICK",
    "Action",
    "InputScript",
    "is_recorded_script",
    "ticks",
    "valid_key",
]

HEADER = "studio-inputs"
FORMAT = 2
TICK = 1 / 60  # seconds: the step of game time
TAP_HOLD = 0.05  # seconds a tap holds the button down
MAX_HOLD = 10.0
MAX_TEXT = 200

# The DOM key names a playtest can press (studio.sandbox.playtest.qt_key, kept Qt-free).
_NAMED_KEYS = {
    "ArrowUp",
    "ArrowDown",
    "ArrowLeft",
    "ArrowRight",
    "Space",
    " ",
    "Enter",
    "Escape",
    "Tab",
    "Shift",
    "Control",
    "Backspace",
}


def valid_key(name: str) -> bool:
    if name in _NAMED_KEYS:
        return True
    rest = name.removeprefix("Key").removeprefix("Digit")
    return len(rest) == 1 and rest.isascii() and rest.isalnum()


def ticks(seconds: float) -> int:
    """Seconds of game time as whole ticks (how the game clock moves)."""
    return max(0, round(seconds / TICK))


def _round(seconds: float) -> float:
    return round(ticks(seconds) * TICK, 4)


@dataclass(frozen=True)
class Action:
    """One input. `kind`: "key" (keys held together for `hold`), "tap" (a point, or the
    page item `element`), "type" (text, into `element` when given) or "drag" (along
    `path`, taking `hold`)."""

    at: float
    kind: str
    keys: tuple[str, ...] = ()
    hold: float = 0.0
    point: tuple[float, float] | None = None  # fractions of the view
    path: tuple[tuple[float, float], ...] = ()
    text: str = ""
    element: int | None = None  # the item's index in page()
    label: str = ""  # the item's words when it was used

    @property
    def duration(self) -> float:
        """Game time the action takes (typing itself takes none: the clock stands still)."""
        if self.kind == "tap" or (self.kind == "type" and self.element is not None):
            return TAP_HOLD  # typing into an item clicks it first
        return self.hold if self.kind in ("key", "drag") else 0.0

    @property
    def end(self) -> float:
        return self.at + self.duration

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at": round(self.at, 4)}
        if self.kind == "key":
            if len(self.keys) == 1:
                out["key"] = self.keys[0]
            else:
                out["keys"] = list(self.keys)
            out["hold"] = round(self.hold, 4)
        elif self.kind == "type":
            out["type"] = self.text
        elif self.kind == "drag":
            out["drag"] = [[round(x, 4), round(y, 4)] for x, y in self.path]
            out["hold"] = round(self.hold, 4)
        if self.element is not None:
            out["element"] = self.element
            if self.label:
                out["label"] = self.label
        if self.point is not None:
            out["tap"] = [round(self.point[0], 4), round(self.point[1], 4)]
        return out

    def describe(self) -> str:
        """The action in words, for a person reading a report."""
        when = f"at {self.at:.2f} s"
        item = f" item {self.element}" + (f' "{self.label}"' if self.label else "")
        if self.kind == "key":
            return f"{when}: hold {' + '.join(self.keys)} for {self.hold * 1000:.0f} ms"
        if self.kind == "type":
            into = f" into{item}" if self.element is not None else ""
            return f"{when}: type {self.text!r}{into}"
        if self.kind == "drag":
            return f"{when}: drag through {len(self.path)} points in {self.hold * 1000:.0f} ms"
        if self.element is not None:
            return f"{when}: tap{item}"
        x, y = self.point or (0.5, 0.5)
        return f"{when}: tap at {x:.0%} across, {y:.0%} down"


@dataclass
class InputScript:
    clock: str = "game"  # "game" or "real" (see the module doc)
    seed: int = 1
    viewport: tuple[int, int] = (800, 600)
    length: float = 0.0
    actions: list[Action] = field(default_factory=list)

    @property
    def game_clock(self) -> bool:
        return self.clock == "game"

    def add(self, action: Action) -> None:
        self.actions.append(action)
        self.length = max(self.length, action.end)

    def until(self, length: float) -> InputScript:
        """A copy that ends at `length` (the actions begun by then)."""
        actions = [a for a in self.actions if a.at <= length + 1e-9]
        return replace(self, actions=actions, length=max(length, *(a.end for a in actions), 0.0))

    def to_json(self) -> list[dict[str, Any]]:
        header = {
            "script": HEADER,
            "version": FORMAT,
            "clock": self.clock,
            "seed": self.seed,
            "viewport": list(self.viewport),
            "length": round(self.length, 4),
        }
        return [header, *(a.to_json() for a in self.actions)]

    def describe(self) -> list[str]:
        return [a.describe() for a in self.actions]

    @classmethod
    def from_json(cls, data: Any) -> InputScript:
        """Read a recorded script; a clear StudioError for anything malformed."""
        if not is_recorded_script(data):
            raise StudioError("not a recorded input script (its first item is not the header)")
        header = data[0]
        if header.get("version") != FORMAT:
            raise StudioError(f"input script version {header.get('version')!r} is not {FORMAT}")
        clock = header.get("clock")
        if clock not in ("game", "real"):
            raise StudioError(f'the script\'s clock must be "game" or "real", not {clock!r}')
        script = cls(
            clock=clock,
            seed=_int(header.get("seed", 1), "seed"),
            viewport=_viewport(header.get("viewport", [800, 600])),
        )
        for number, raw in enumerate(data[1:], start=1):
            script.add(_action(raw, number))
        script.length = max(script.length, _seconds(header.get("length", 0), "length"))
        return script


def is_recorded_script(data: Any) -> bool:
    return (
        isinstance(data, list)
        and bool(data)
        and isinstance(data[0], dict)
        and data[0].get("script") == HEADER
    )


# -- reading ----------------------------------------------------------------------------


def _fail(number: int, message: str) -> StudioError:
    return StudioError(f"input script action {number}: {message}")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise StudioError(f"the script's {what} must be a whole number, not {value!r}")
    return value


def _seconds(value: Any, what: str, high: float = 24 * 3600) -> float:
    if not _number(value) or not 0 <= value <= high:
        raise StudioError(f"{what} must be seconds from 0 to {high:g}, not {value!r}")
    return float(value)


def _viewport(value: Any) -> tuple[int, int]:
    ok = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and 64 <= v <= 8192 for v in value)
    )
    if not ok:
        raise StudioError(f"the script's viewport must be [width, height], not {value!r}")
    return value[0], value[1]


def _point(value: Any, number: int) -> tuple[float, float]:
    ok = (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(_number(v) and 0 <= v <= 1 for v in value)
    )
    if not ok:
        raise _fail(number, f"a point is [x, y] as fractions of the view, not {value!r}")
    return float(value[0]), float(value[1])


def _keys(value: Any, number: int) -> tuple[str, ...]:
    keys = [value] if isinstance(value, str) else value
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        raise _fail(number, "keys must be a non-empty list of key names")
    for key in keys:
        if not valid_key(key):
            raise _fail(number, f"unknown key {key!r}")
    return tuple(keys)


def _action(raw: Any, number: int) -> Action:
    if not isinstance(raw, dict):
        raise _fail(number, "is not an object")
    try:
        at = _round(_seconds(raw.get("at"), "at"))
        element = raw.get("element")
        if element is not None and (not isinstance(element, int) or isinstance(element, bool)):
            raise _fail(number, "element must be an item number of page()")
        label = str(raw.get("label") or "")[:MAX_TEXT]
        if "key" in raw or "keys" in raw:
            hold = _round(_seconds(raw.get("hold", TICK), "hold", MAX_HOLD))
            return Action(at, "key", keys=_keys(raw.get("keys", raw.get("key")), number), hold=hold)
        if "type" in raw:
            text = raw["type"]
            if not isinstance(text, str) or not text or len(text) > MAX_TEXT:
                raise _fail(number, f"type must be text of 1 to {MAX_TEXT} characters")
            return Action(at, "type", text=text, element=element, label=label)
        if "drag" in raw:
            path = raw["drag"]
            if not isinstance(path, list) or not 2 <= len(path) <= 50:
                raise _fail(number, "drag must be a list of 2 to 50 points")
            hold = _round(_seconds(raw.get("hold", 0.2), "hold", MAX_HOLD))
            return Action(at, "drag", path=tuple(_point(p, number) for p in path), hold=hold)
        if "tap" in raw or element is not None:
            point = _point(raw["tap"], number) if "tap" in raw else None
            return Action(at, "tap", point=point, element=element, label=label)
    except StudioError as exc:
        if str(exc).startswith("input script action"):
            raise
        raise _fail(number, str(exc)) from None
    raise _fail(number, "has no key, keys, tap, element, type or drag")
