"""The check language of bench suites: what a check says, read from TOML and validated.

A check is either a generic check, by name or as a table with its options:

    "loads"                                    the page loaded, no load errors
    "animates"                                 the picture changes with no input
    "reacts_to_keys"                           keys change the state (or the picture);
    { check = "reacts_to_keys", keys = ["Space", "ArrowLeft"] }   the suite's `keys` if none
    "reacts_to_taps"                           taps/clicks change the state (or the picture);
    { check = "reacts_to_taps", taps = [[0.5, 0.5]] }   points as fractions of the view
    "no_console_errors"                        no errors while playing (whole playtest)
    { check = "no_console_errors", seconds = 3 }        ... playing at least 3 s
    "fits_phone_viewport"                      at 390x844 the page has no scrollbars and
    { check = "fits_phone_viewport", viewport = [360, 640] }   every canvas is on screen
    "has_state_hook"                           `window.studio.state()` answers

or a state check on `window.studio.state()`:

    { state = "PATH", CONDITION = VALUE, ..., [MOMENT] }

PATH is dotted (`player.vy`, `enemies.0.x`); `length` counts an array, string or object.
Conditions (all given must hold):

    exists = true|false    equals = V    not_equals = V    one_of = [V, ...]
    min = N    max = N     type = "number"|"string"|"boolean"|"array"|"object"|"null"
    changes = true|false   increases = true    decreases = true

The moment the value is read:

    at = "start"           the first sample, before any input
    at = "end"             the last sample (the default)
    after_keys = ["Space"] right after pressing these keys (hold = seconds, default 0.15)
    after_taps = [[0.5, 0.5]]   right after these taps

`changes`/`increases`/`decreases` compare two readings: before and after the keys or taps
of the check; else the start and the end of the playtest; with `compare = "previous"` (in a
follow-up) the same moment in the previous step's game. An optional `label` names the check
in the report. Nothing in a suite is ever run as code.

An agent check asks the AI playtester (`studio.operations.agent_playtest`) to reach a goal
with keys, taps and the page, so a suite measures playability, not just liveness:

    { agent = "score at least 3", state = "score", min = 3 }   passes when the state
                                        condition holds after one of its actions
    { agent = "reach the exit", steps = 15 }   without a condition: when the model says
                                        it reached the goal; steps: its turns (default 20)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from studio.errors import StudioError
from studio.sandbox.input_script import valid_key

__all__ = [
    "CHANGE_CONDITIONS",
    "Check",
    "DEFAULT_KEYS",
    "DEFAULT_PHONE",
    "DEFAULT_TAPS",
    "GENERIC",
    "VALUE_CONDITIONS",
    "parse_check",
    "parse_keys",
    "parse_taps",
    "parse_viewport",
    "valid_key",
]

GENERIC = (
    "loads",
    "animates",
    "reacts_to_keys",
    "reacts_to_taps",
    "no_console_errors",
    "fits_phone_viewport",
    "has_state_hook",
)
_GENERIC_OPTIONS: dict[str, set[str]] = {
    "loads": set(),
    "animates": set(),
    "reacts_to_keys": {"keys", "hold"},
    "reacts_to_taps": {"taps"},
    "no_console_errors": {"seconds"},
    "fits_phone_viewport": {"viewport"},
    "has_state_hook": set(),
}
VALUE_CONDITIONS = ("exists", "equals", "not_equals", "one_of", "min", "max", "type")
CHANGE_CONDITIONS = ("changes", "increases", "decreases")
_STATE_OPTIONS = {"state", "at", "after_keys", "after_taps", "hold", "compare", "label"}
TYPES = ("number", "string", "boolean", "array", "object", "null")

DEFAULT_KEYS = ("Space", "Enter", "ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown")
DEFAULT_TAPS = ((0.5, 0.5), (0.3, 0.7), (0.7, 0.7))
DEFAULT_PHONE = (390, 844)
DEFAULT_HOLD = 0.15
DEFAULT_AGENT_STEPS = 20


@dataclass
class Check:
    """One check of a step. `kind` is a generic check's name or "state"."""

    kind: str
    label: str
    keys: tuple[str, ...] = ()
    taps: tuple[tuple[float, float], ...] = ()
    hold: float = DEFAULT_HOLD
    seconds: float | None = None
    viewport: tuple[int, int] | None = None
    path: str = ""
    at: str = "end"
    compare: str | None = None
    conditions: dict[str, Any] = field(default_factory=dict)
    goal: str = ""  # an agent check's goal, in words for the model
    agent_steps: int = 0  # an agent check's turns at most

    @property
    def trigger(self) -> str | None:
        """ "keys" or "taps" when the check presses something of its own."""
        if self.kind in ("reacts_to_keys", "reacts_to_taps"):
            return self.kind.removeprefix("reacts_to_")
        if self.kind == "state" and self.keys:
            return "keys"
        if self.kind == "state" and self.taps:
            return "taps"
        return None

    @property
    def compares(self) -> bool:
        return any(c in self.conditions for c in CHANGE_CONDITIONS)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "label": self.label}
        if self.kind == "state":
            out.update(path=self.path, at=self.at, conditions=self.conditions)
            if self.keys:
                out["after_keys"] = list(self.keys)
            if self.taps:
                out["after_taps"] = [list(t) for t in self.taps]
            if self.compare:
                out["compare"] = self.compare
        return out


# -- reading ----------------------------------------------------------------------------


def _fail(where: str, message: str) -> StudioError:
    return StudioError(f"{where}: {message}")


def parse_keys(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(k, str) for k in value):
        raise _fail(where, 'keys must be a non-empty list of key names such as "Space"')
    for key in value:
        if not valid_key(key):
            raise _fail(
                where,
                f"unknown key {key!r} (use DOM names: ArrowUp, Space, Enter, Escape, KeyW, "
                "Digit1, ...)",
            )
    return tuple(value)


def _point(value: Any, where: str) -> tuple[float, float]:
    ok = (
        isinstance(value, list)
        and len(value) == 2
        and all(_is_number(v) and 0 <= v <= 1 for v in value)
    )
    if not ok:
        raise _fail(where, f"a tap is [x, y] with fractions of the view from 0 to 1, not {value!r}")
    return float(value[0]), float(value[1])


def parse_taps(value: Any, where: str) -> tuple[tuple[float, float], ...]:
    if isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value):
        value = [value]  # one point
    if not isinstance(value, list) or not value:
        raise _fail(where, "taps must be a list of [x, y] points")
    return tuple(_point(v, where) for v in value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _seconds(value: Any, where: str, name: str, low: float, high: float) -> float:
    if not _is_number(value) or not low <= value <= high:
        raise _fail(where, f"{name} must be a number from {low:g} to {high:g}, not {value!r}")
    return float(value)


def parse_viewport(value: Any, where: str) -> tuple[int, int]:
    ok = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and 64 <= v <= 8192 for v in value)
    )
    if not ok:
        raise _fail(
            where, f"viewport must be [width, height] in pixels (64 to 8192), not {value!r}"
        )
    return int(value[0]), int(value[1])


def _check_path(path: Any, where: str) -> str:
    if not isinstance(path, str) or not path.strip():
        raise _fail(where, 'state must name a value in window.studio.state(), e.g. "score"')
    parts = path.strip().split(".")
    if any(not p for p in parts):
        raise _fail(where, f"state path {path!r} has an empty part")
    return path.strip()


def _generic(name: str, options: Mapping[str, Any], where: str) -> Check:
    if name not in GENERIC:
        raise _fail(where, f"unknown check {name!r} (generic checks: {', '.join(GENERIC)})")
    unknown = set(options) - _GENERIC_OPTIONS[name] - {"check", "label"}
    if unknown:
        allowed = ", ".join(sorted(_GENERIC_OPTIONS[name])) or "none"
        raise _fail(
            where, f"{name} has no option {', '.join(sorted(unknown))} (options: {allowed})"
        )
    check = Check(name, "")
    # Without keys or taps of their own, the reactions use the suite's (see plan.py).
    if name == "reacts_to_keys":
        if "keys" in options:
            check.keys = parse_keys(options["keys"], where)
        check.hold = _seconds(options.get("hold", DEFAULT_HOLD), where, "hold", 0.02, 3)
    elif name == "reacts_to_taps" and "taps" in options:
        check.taps = parse_taps(options["taps"], where)
    elif name == "no_console_errors" and "seconds" in options:
        check.seconds = _seconds(options["seconds"], where, "seconds", 0.5, 120)
    elif name == "fits_phone_viewport":
        check.viewport = parse_viewport(options.get("viewport", list(DEFAULT_PHONE)), where)
    check.label = str(options.get("label") or generic_label(check))
    return check


def generic_label(check: Check) -> str:
    name = check.kind
    if name == "reacts_to_keys":
        if not check.keys:
            return "reacts to keys"
        keys = ", ".join(check.keys[:4]) + ("…" if len(check.keys) > 4 else "")
        return f"reacts to keys ({keys})"
    if name == "reacts_to_taps":
        return f"reacts to taps ({len(check.taps)})" if check.taps else "reacts to taps"
    if name == "no_console_errors":
        return (
            f"no console errors for {check.seconds:g} s" if check.seconds else "no console errors"
        )
    if name == "fits_phone_viewport":
        w, h = check.viewport or DEFAULT_PHONE
        return f"fits a {w}×{h} phone screen"
    return {"has_state_hook": "has window.studio.state()"}.get(name, name.replace("_", " "))


def _state(spec: Mapping[str, Any], where: str, *, followup: bool) -> Check:
    path = _check_path(spec.get("state"), where)
    unknown = set(spec) - _STATE_OPTIONS - set(VALUE_CONDITIONS) - set(CHANGE_CONDITIONS)
    if unknown:
        known = ", ".join([*VALUE_CONDITIONS, *CHANGE_CONDITIONS])
        raise _fail(
            where,
            f"unknown key {', '.join(sorted(unknown))} in a state check (conditions: {known}; "
            "moments: at, after_keys, after_taps; also hold, compare, label)",
        )
    check = Check("state", "", path=path)
    conditions: dict[str, Any] = {}
    for name in (*VALUE_CONDITIONS, *CHANGE_CONDITIONS):
        if name in spec:
            conditions[name] = spec[name]
    if not conditions:
        raise _fail(where, f"the state check of {path!r} has no condition (e.g. exists = true)")
    check.conditions = conditions
    for name in ("exists", "changes"):
        if name in conditions and not isinstance(conditions[name], bool):
            raise _fail(where, f"{name} must be true or false")
    for name in ("increases", "decreases"):
        if name in conditions and conditions[name] is not True:
            raise _fail(where, f"{name} must be true (use the other one for the opposite)")
    for name in ("min", "max"):
        if name in conditions and not _is_number(conditions[name]):
            raise _fail(where, f"{name} must be a number")
    if "one_of" in conditions and not isinstance(conditions["one_of"], list):
        raise _fail(where, "one_of must be a list of values")
    if "type" in conditions and conditions["type"] not in TYPES:
        raise _fail(where, f"type must be one of {', '.join(TYPES)}")
    if "after_keys" in spec and "after_taps" in spec:
        raise _fail(where, "a check presses keys or taps, not both: split it in two")
    if "after_keys" in spec:
        check.keys = parse_keys(spec["after_keys"], where)
        check.hold = _seconds(spec.get("hold", DEFAULT_HOLD), where, "hold", 0.02, 3)
    elif "after_taps" in spec:
        check.taps = parse_taps(spec["after_taps"], where)
    elif "hold" in spec:
        raise _fail(where, "hold is for after_keys")
    at = spec.get("at")
    if at is not None:
        if at not in ("start", "end"):
            raise _fail(where, f'at must be "start" or "end", not {at!r}')
        if check.keys or check.taps:
            raise _fail(where, "a check is read at a moment or after inputs, not both")
        check.at = at
    compare = spec.get("compare")
    if compare is not None:
        if compare != "previous":
            raise _fail(where, f'compare can only be "previous", not {compare!r}')
        if not followup:
            raise _fail(where, 'compare = "previous" is for follow-ups (there is no previous game)')
        if check.keys or check.taps:
            raise _fail(where, 'compare = "previous" reads at "start" or "end", not after inputs')
        if not check.compares:
            raise _fail(where, 'compare = "previous" needs changes, increases or decreases')
        check.compare = compare
    check.label = str(spec.get("label") or state_label(check))
    return check


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    return str(value)


def state_label(check: Check) -> str:
    parts = []
    c = check.conditions
    if "exists" in c:
        parts.append("exists" if c["exists"] else "is absent")
    if "equals" in c:
        parts.append(f"= {_value_text(c['equals'])}")
    if "not_equals" in c:
        parts.append(f"≠ {_value_text(c['not_equals'])}")
    if "one_of" in c:
        parts.append(f"in {_value_text(c['one_of'])}")
    if "min" in c:
        parts.append(f"≥ {c['min']}")
    if "max" in c:
        parts.append(f"≤ {c['max']}")
    if "type" in c:
        parts.append(f"is {c['type']}")
    if "changes" in c:
        parts.append("changes" if c["changes"] else "stays the same")
    if "increases" in c:
        parts.append("increases")
    if "decreases" in c:
        parts.append("decreases")
    text = f"{check.path} {' and '.join(parts)}"
    if check.keys:
        return f"{text} after keys {', '.join(check.keys)}"
    if check.taps:
        return f"{text} after {len(check.taps)} tap{'s' if len(check.taps) > 1 else ''}"
    if check.compare:
        return f"{text} from the previous version (at {check.at})"
    if check.compares:
        return f"{text} while playing"
    return f"{text} at {check.at}" if check.at == "start" else text


def _agent(spec: Mapping[str, Any], where: str) -> Check:
    goal = spec.get("agent")
    if not isinstance(goal, str) or not goal.strip():
        raise _fail(where, 'agent must be the goal in words, e.g. agent = "reach the exit"')
    steps = spec.get("steps", DEFAULT_AGENT_STEPS)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 200:
        raise _fail(where, f"steps must be a whole number from 1 to 200, not {steps!r}")
    condition = {k: v for k, v in spec.items() if k not in ("agent", "steps", "label")}
    check = Check("agent", "", goal=goal.strip(), agent_steps=steps)
    if condition:
        read = _state(condition, where, followup=False)
        if read.keys or read.taps or read.compares or read.at != "end":
            raise _fail(where, "an agent's goal is a value condition (equals, min, max, ...)")
        check.path, check.conditions = read.path, read.conditions
    check.label = str(spec.get("label") or f"agent: {check.goal}")
    return check


def parse_check(spec: Any, where: str, *, followup: bool = False) -> Check:
    """One check from its TOML form (a name or a table)."""
    if isinstance(spec, str):
        return _generic(spec, {}, where)
    if not isinstance(spec, Mapping):
        raise _fail(where, f"a check is a name or a table, not {spec!r}")
    if "agent" in spec:
        return _agent(spec, where)
    if "check" in spec and "state" in spec:
        raise _fail(where, "a check has either check = NAME or state = PATH, not both")
    if "check" in spec:
        if not isinstance(spec["check"], str):
            raise _fail(where, "check must be a name")
        return _generic(spec["check"], spec, where)
    if "state" in spec:
        return _state(spec, where, followup=followup)
    raise _fail(where, "a check table needs check = NAME, state = PATH or agent = GOAL")


def parse_checks(specs: Any, where: str, *, followup: bool = False) -> list[Check]:
    if specs is None:
        return []
    if not isinstance(specs, Sequence) or isinstance(specs, str):
        raise _fail(where, "checks must be a list")
    return [
        parse_check(spec, f"{where} check {i + 1}", followup=followup)
        for i, spec in enumerate(specs)
    ]
