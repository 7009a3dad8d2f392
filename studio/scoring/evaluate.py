"""Judging checks against what a playtest saw (Qt-free, no code from the suite is run)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any

from studio.scoring.checks import Check
from studio.scoring.observe import (
    MISSING,
    Observation,
    Sample,
    changed_paths,
    fits,
    picture_difference,
    resolve,
    same_value,
)
from studio.scoring.plan import Plan, Segment

__all__ = ["CheckResult", "Reaction", "evaluate", "evaluate_all", "judge_state", "reaction"]

SETTLE = 0.3  # seconds after an input before the game counts as left alone again
PICTURE_MIN = 0.01  # share of the picture a reaction must change (without a state hook)
_RUNTIME_KINDS = ("console", "uncaught", "rejection")


@dataclass
class CheckResult:
    kind: str
    label: str
    passed: bool
    detail: str
    agent: dict[str, Any] | None = None  # an agent check's play: steps, screenshots, end

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.agent is None:
            del data["agent"]
        return data


@dataclass
class Reaction:
    reacted: bool
    detail: str
    judged_by: str  # "state", "picture" or "none"


def _short(value: Any, limit: int = 60) -> str:
    if value is MISSING:
        return "missing"
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _error_line(error: dict[str, Any]) -> str:
    where = f" ({error.get('source')}:{error.get('line')})" if error.get("source") else ""
    return f"{str(error.get('message', ''))[:160]}{where}"


# -- reactions --------------------------------------------------------------------------


def _last(samples: list[Sample]) -> Sample | None:
    return samples[-1] if samples else None


def _left_alone(obs: Observation, segment: Segment, *, states: bool) -> list[Sample]:
    """Samples of the game settled and left alone just before `segment`, to tell what
    changes on its own; when a short gap held fewer than two, those before the first input
    (else every value that ticks by itself would pass for a reaction)."""
    for sent in dict.fromkeys((segment.start, 0)):
        quiet = [s for s in obs.with_count(sent, states=states) if s.quiet >= SETTLE]
        if len(quiet) >= 2:
            return quiet
    return []


def reaction(obs: Observation, segment: Segment | None) -> Reaction:
    """Did the inputs of `segment` change the game beyond what changes on its own?

    With a state hook: a state value that changed across the segment but not across the
    quiet stretch just before it (see `_left_alone`). Without: the picture changed clearly
    more across the segment than across that quiet stretch."""
    if segment is None or segment.end == segment.start:
        return Reaction(False, "no inputs were sent", "none")
    if obs.hung or obs.crashed:
        return Reaction(False, "the game stopped before it could be played", "none")
    if obs.has_hook:
        before = _last(obs.with_count(segment.start))
        after = _last(obs.with_count(segment.end))
        if before is None or after is None:
            return Reaction(False, "no state was read around the inputs", "state")
        changed = changed_paths(before.state, after.state)
        quiet = _left_alone(obs, segment, states=True)
        noise = changed_paths(quiet[0].state, quiet[-1].state) if quiet else set()
        own = sorted(changed - noise)
        if own:
            return Reaction(True, "changed " + ", ".join(own[:4]), "state")
        if changed:
            return Reaction(False, "only values that change on their own changed", "state")
        return Reaction(False, "the state did not change", "state")
    before = _last(obs.with_count(segment.start, states=False))
    after = _last(obs.with_count(segment.end, states=False))
    if before is None or after is None:
        return Reaction(False, "no picture was taken around the inputs", "picture")
    quiet = _left_alone(obs, segment, states=False)
    noise = picture_difference(quiet[0].picture, quiet[-1].picture) if quiet else 0.0
    moved = picture_difference(before.picture, after.picture)
    if moved >= PICTURE_MIN and moved > noise * 1.5 + PICTURE_MIN:
        return Reaction(True, f"the picture changed ({moved:.0%}; no state hook)", "picture")
    return Reaction(
        False, f"the picture did not change more than on its own ({moved:.0%})", "picture"
    )


# -- conditions -------------------------------------------------------------------------


def _equal(a: Any, b: Any) -> bool:
    if a is MISSING or b is MISSING:
        return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return same_value(a, b)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _value_condition(name: str, expected: Any, value: Any, path: str) -> str | None:
    """None when it holds, else why not."""
    if name == "exists":
        there = value is not MISSING
        if there == expected:
            return None
        return f"{path} is missing from the state" if expected else f"{path} is there"
    if value is MISSING:
        return f"{path} is missing from the state"
    if name == "equals":
        return None if _equal(value, expected) else f"{path} is {_short(value)}"
    if name == "not_equals":
        return None if not _equal(value, expected) else f"{path} is {_short(value)}"
    if name == "one_of":
        return None if any(_equal(value, e) for e in expected) else f"{path} is {_short(value)}"
    if name in ("min", "max"):
        if not _number(value):
            return f"{path} is {_short(value)}, not a number"
        ok = value >= expected if name == "min" else value <= expected
        return None if ok else f"{path} is {_short(value)}"
    if name == "type":
        return None if _type(value) == expected else f"{path} is {_type(value)} {_short(value)}"
    raise ValueError(name)


def _change_condition(name: str, expected: Any, before: Any, after: Any, path: str) -> str | None:
    if before is MISSING or after is MISSING:
        which = "before" if before is MISSING else "after"
        return f"{path} is missing from the state ({which})"
    went = f"{path} went from {_short(before, 30)} to {_short(after, 30)}"
    if name == "changes":
        changed = not _equal(before, after)
        if changed == expected:
            return None
        return went if not expected else f"{path} stayed {_short(after)}"
    if not (_number(before) and _number(after)):
        return f"{went}: not numbers"
    ok = after > before if name == "increases" else after < before
    return None if ok else went


def _state_check(
    check: Check, index: int, plan: Plan, obs: Observation, previous: Observation | None
) -> tuple[bool, str]:
    if not obs.loaded:
        return False, "the game did not load"
    if not obs.has_hook:
        return False, "the game has no window.studio.state()"
    path = check.path
    if check.trigger:
        segment = plan.segment_of(index)
        before_s = _last(obs.with_count(segment.start)) if segment else None
        after_s = _last(obs.with_count(segment.end)) if segment else None
        if after_s is None:
            return False, "no state was read after the inputs (did the game stop?)"
        after = resolve(after_s.state, path)
        before = resolve(before_s.state, path) if before_s is not None else MISSING
        value = after
    elif check.compare == "previous":
        if previous is None or not previous.loaded:
            return False, "the previous version could not be played to compare with"
        value = after = resolve(obs.state_at(check.at), path)
        before = resolve(previous.state_at(check.at), path)
    else:
        value = resolve(obs.state_at(check.at), path)
        before = resolve(obs.state_at("start"), path)
        after = resolve(obs.state_at("end"), path)
    return judge_state(check, value, before, after)


def judge_state(check: Check, value: Any, before: Any, after: Any) -> tuple[bool, str]:
    """A state check's conditions on the values read (MISSING where absent): `value` for
    value conditions, `before` and `after` for changes. (passed, what was seen)."""
    path = check.path
    problems = []
    for name, expected in check.conditions.items():
        if name in ("changes", "increases", "decreases"):
            problem = _change_condition(name, expected, before, after, path)
        else:
            problem = _value_condition(name, expected, value, path)
        if problem:
            problems.append(problem)
    if problems:
        return False, "; ".join(dict.fromkeys(problems))
    if check.compares:
        return True, f"{path}: {_short(before, 30)} → {_short(after, 30)}"
    return True, f"{path} = {_short(value)}"


def _generic(check: Check, index: int, plan: Plan, obs: Observation) -> tuple[bool, str]:
    kind = check.kind
    if kind == "loads":
        if obs.load_errors:
            more = f" (+{len(obs.load_errors) - 1} more)" if len(obs.load_errors) > 1 else ""
            return False, _error_line(obs.load_errors[0]) + more
        if obs.loaded:
            return True, "loaded"
        if obs.hung:
            return False, "the game hung while loading"
        if obs.crashed:
            return False, f"the game crashed ({obs.report.get('crash_reason') or 'renderer'})"
        return False, "the game did not load"
    if not obs.loaded:
        return False, "the game did not load"
    if kind == "animates":
        if obs.animated:
            return True, f"animates ({obs.report.get('fps') or '?'} fps)"
        if obs.hung or obs.crashed:
            return False, "the game stopped (hung or crashed)"
        return False, "the picture never changed on its own"
    if kind in ("reacts_to_keys", "reacts_to_taps"):
        result = reaction(obs, plan.segment_of(index))
        return result.reacted, result.detail
    if kind == "no_console_errors":
        errors = [
            *[e for e in obs.load_errors if e.get("kind") in _RUNTIME_KINDS],
            *obs.console_errors,
        ]
        if obs.hung:
            return False, "the game stopped responding (an endless loop?)"
        if obs.crashed:
            return False, f"the game crashed ({obs.report.get('crash_reason') or 'renderer'})"
        if errors:
            more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
            return False, _error_line(errors[0]) + more
        played = float(obs.report.get("seconds") or 0)
        return True, f"none in {played:.1f} s"
    if kind == "fits_phone_viewport":
        phone = obs.phone
        if phone is None:
            return False, "the game was not played at phone size"
        if not phone.loaded:
            return False, phone.problem or "the game did not load at phone size"
        return fits(phone.layout)
    if kind == "has_state_hook":
        if obs.has_hook:
            return True, "window.studio.state() answers"
        errors = [s.error for s in obs.samples if s.error]
        if errors:
            return False, f"window.studio.state() threw: {errors[0][:120]}"
        return False, "the game has no window.studio.state()"
    raise ValueError(f"unknown check {kind}")


def evaluate(
    check: Check, index: int, plan: Plan, obs: Observation, previous: Observation | None = None
) -> CheckResult:
    if check.kind == "agent":
        played = obs.agents.get(index)
        if played is None:
            return CheckResult(check.kind, check.label, False, "the agent did not play")
        return CheckResult(check.kind, check.label, played["passed"], played["detail"], played)
    if check.kind == "state":
        passed, detail = _state_check(check, index, plan, obs, previous)
    else:
        passed, detail = _generic(check, index, plan, obs)
    return CheckResult(check.kind, check.label, passed, detail)


def evaluate_all(
    plan: Plan, obs: Observation, previous: Observation | None = None
) -> list[CheckResult]:
    return [evaluate(c, i, plan, obs, previous) for i, c in enumerate(plan.checks)]
