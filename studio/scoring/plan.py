"""The input script of a step's playtest, built so that every check can be judged from it.

One playtest per game: first a quiet stretch (does it animate on its own, what is the state
at the start), then one *segment* of inputs per check that presses something, then the
generic keys and taps segments (always there, so every game's reaction to input is
measured), each followed by a quiet gap. A segment is identified by the number of inputs
sent before and after it, which the playtest reports with every sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from studio.scoring.checks import DEFAULT_HOLD, DEFAULT_KEYS, DEFAULT_TAPS, Check

__all__ = ["Plan", "Segment", "Timing", "build_plan"]

KEY_GAP = 0.1  # between two key presses (after the hold)
TAP_GAP = 0.15  # between two taps


@dataclass(frozen=True)
class Timing:
    """How long the quiet parts last (tests shorten them)."""

    idle: float = 1.2  # before the first input
    gap: float = 0.6  # after each segment
    tail: float = 0.3  # after the last gap


@dataclass
class Segment:
    kind: str  # "keys" or "taps"
    start: int  # inputs sent before it
    end: int  # inputs sent after it
    at: float  # seconds after load when its first input goes
    hold: float = DEFAULT_HOLD
    checks: list[int] = field(default_factory=list)  # indexes into Plan.checks
    generic: bool = False  # the always-there keys/taps segment


@dataclass
class Plan:
    checks: list[Check]
    inputs: list[dict[str, Any]]
    segments: list[Segment]
    seconds: float
    viewport: tuple[int, int]
    phone: tuple[int, int] | None  # a second, short playtest at this size

    def segment_of(self, index: int) -> Segment | None:
        for segment in self.segments:
            if index in segment.checks:
                return segment
        return None

    def generic(self, kind: str) -> Segment | None:
        """The segment that measures a game's reaction to keys or taps in general."""
        for segment in self.segments:
            if segment.generic and segment.kind == kind:
                return segment
        return None


def build_plan(
    checks: Sequence[Check],
    *,
    seconds: float,
    viewport: tuple[int, int],
    timing: Timing | None = None,
    keys: Sequence[str] = DEFAULT_KEYS,
    taps: Sequence[tuple[float, float]] = DEFAULT_TAPS,
) -> Plan:
    """The plan for `checks`; `keys` and `taps` make the generic segments (when no
    reacts_to_keys / reacts_to_taps check brings its own)."""
    timing = timing or Timing()
    checks = list(checks)
    inputs: list[dict[str, Any]] = []
    segments: list[Segment] = []
    t = timing.idle

    def add(kind: str, items: Sequence[Any], hold: float, generic: bool = False) -> Segment:
        nonlocal t
        segment = Segment(kind, len(inputs), len(inputs), round(t, 3), hold, generic=generic)
        for item in items:
            if kind == "keys":
                inputs.append({"at": round(t, 3), "key": item, "hold": hold})
                t += hold + KEY_GAP
            else:
                inputs.append({"at": round(t, 3), "tap": list(item)})
                t += TAP_GAP
        segment.end = len(inputs)
        t += timing.gap
        segments.append(segment)
        return segment

    # Checks that press something get their own segment, in the suite's order...
    for i, check in enumerate(checks):
        if check.kind == "state" and check.trigger:
            items = check.keys if check.trigger == "keys" else check.taps
            add(check.trigger, items, check.hold).checks.append(i)
    # ...then the reactions to keys and to taps, asked for or not.
    for kind, default in (("keys", keys), ("taps", taps)):
        asked = [i for i, c in enumerate(checks) if c.kind == f"reacts_to_{kind}"]
        if not asked:
            add(kind, default, DEFAULT_HOLD, generic=True)
            continue
        for n, i in enumerate(asked):
            check = checks[i]
            items = (check.keys if kind == "keys" else check.taps) or default
            add(kind, items, check.hold, generic=n == 0).checks.append(i)
    wanted = max(
        [seconds] + [c.seconds or 0.0 for c in checks if c.kind == "no_console_errors"],
    )
    phones = [c.viewport for c in checks if c.kind == "fits_phone_viewport" and c.viewport]
    return Plan(
        checks=checks,
        inputs=inputs,
        segments=segments,
        seconds=round(max(wanted, t + timing.tail), 3),
        viewport=viewport,
        phone=phones[0] if phones else None,
    )
