"""What a bench playtest saw: the playtest's report plus samples taken while it ran.

A sample is taken a few times a second by the bench's playtest runner (studio.scoring.play):
the number of inputs sent so far, the game's `window.studio.state()`, the page's layout
(viewport, scroll size, canvas boxes) and a tiny grey picture of the view. Everything here
is plain data, so the checks are judged without Qt.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from studio.sandbox.report import report_errors

__all__ = [
    "MISSING",
    "PICTURE_SIZE",
    "PROBE_JS",
    "Observation",
    "PhoneLayout",
    "Sample",
    "changed_paths",
    "fits",
    "picture_difference",
    "resolve",
]

PICTURE_SIZE = (48, 36)  # the grey thumbnails compared for reactions without a state hook

# Runs in the game's page; returns one JSON text. Reads only, changes nothing.
PROBE_JS = """(() => {
  const out = {hook: false, state: null, layout: null};
  try {
    const s = window.studio;
    if (s && typeof s.state === 'function') {
      out.hook = true;
      out.state = JSON.stringify(s.state());
    }
  } catch (e) { out.error = String(e); }
  try {
    const d = document.documentElement, b = document.body;
    const boxes = [];
    for (const el of document.querySelectorAll('canvas')) {
      const r = el.getBoundingClientRect();
      if (r.width * r.height > 0) boxes.push([r.left, r.top, r.right, r.bottom].map(Math.round));
    }
    out.layout = {vw: innerWidth, vh: innerHeight, cw: d.clientWidth, ch: d.clientHeight,
      sw: Math.max(d.scrollWidth, b ? b.scrollWidth : 0),
      sh: Math.max(d.scrollHeight, b ? b.scrollHeight : 0), canvases: boxes};
  } catch (e) { /* no document yet */ }
  return JSON.stringify(out);
})()"""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass
class Sample:
    t: float  # seconds since the playtest started
    sent: int  # inputs sent when it was taken
    quiet: float  # seconds since the last input was sent (or since the start)
    hook: bool = False  # window.studio.state exists
    state: Any = None  # what it returned (parsed JSON)
    error: str | None = None  # what it threw
    layout: dict[str, Any] | None = None
    picture: bytes | None = None  # PICTURE_SIZE grey levels, row by row

    @classmethod
    def from_probe(
        cls, text: Any, *, t: float, sent: int, quiet: float, picture: bytes | None
    ) -> Sample:
        sample = cls(t=t, sent=sent, quiet=quiet, picture=picture)
        try:
            data = json.loads(text) if isinstance(text, str) and text else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        sample.hook = bool(data.get("hook"))
        sample.error = data.get("error") if isinstance(data.get("error"), str) else None
        raw = data.get("state")
        if sample.hook and isinstance(raw, str):
            try:
                sample.state = json.loads(raw)
            except ValueError:
                sample.error = sample.error or "state() returned something that is not JSON"
        layout = data.get("layout")
        sample.layout = layout if isinstance(layout, dict) else None
        return sample


@dataclass
class PhoneLayout:
    viewport: tuple[int, int]
    loaded: bool = False
    layout: dict[str, Any] | None = None
    screenshot: str | None = None
    problem: str | None = None  # why it could not be measured


@dataclass
class Observation:
    """One playtest of one version, as the checks see it."""

    report: dict[str, Any]  # PlaytestReport.to_dict()
    samples: list[Sample] = field(default_factory=list)
    phone: PhoneLayout | None = None
    screenshot: str | None = None
    thumbnail: str | None = None
    agents: dict[int, dict[str, Any]] = field(default_factory=dict)  # agent checks' plays

    # -- the report ----------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return bool(self.report.get("loaded"))

    @property
    def load_errors(self) -> list[dict[str, Any]]:
        return list(self.report.get("load_errors") or [])

    @property
    def console_errors(self) -> list[dict[str, Any]]:
        return list(self.report.get("console_errors") or [])

    @property
    def hung(self) -> bool:
        return bool(self.report.get("hung"))

    @property
    def crashed(self) -> bool:
        return bool(self.report.get("crashed"))

    @property
    def animated(self) -> bool:
        return bool(self.report.get("animated"))

    def errors(self) -> list[dict[str, Any]]:
        """What goes to the model for an automatic fix: the errors a person would see."""
        return report_errors(self.report)

    # -- the samples ---------------------------------------------------------------------

    @property
    def has_hook(self) -> bool:
        return any(s.hook and s.error is None for s in self.samples) or bool(
            self.report.get("has_state_hook")
        )

    def states(self) -> list[Sample]:
        return [s for s in self.samples if s.hook and s.error is None]

    def first_state(self) -> Sample | None:
        quiet = [s for s in self.states() if s.sent == 0]
        return quiet[0] if quiet else None

    def last_state(self) -> Sample | None:
        states = self.states()
        return states[-1] if states else None

    def state_at(self, moment: str) -> Any:
        sample = self.first_state() if moment == "start" else self.last_state()
        if sample is not None:
            return sample.state
        samples = self.report.get("state_samples") or []  # the playtest's own, if any
        if samples:
            return samples[0] if moment == "start" else samples[-1]
        return MISSING

    def with_count(self, sent: int, *, states: bool = True) -> list[Sample]:
        pool = self.states() if states else [s for s in self.samples if s.picture]
        return [s for s in pool if s.sent == sent]


# -- reading state values ---------------------------------------------------------------


def resolve(state: Any, path: str) -> Any:
    """The value at a dotted path (`player.vy`, `enemies.0.x`, `enemies.length`)."""
    current = state
    for part in path.split("."):
        if isinstance(current, dict):
            if part in current:
                current = current[part]
            elif part == "length":
                current = len(current)
            else:
                return MISSING
        elif isinstance(current, list):
            if part == "length":
                current = len(current)
            elif part.lstrip("-").isdigit() and -len(current) <= int(part) < len(current):
                current = current[int(part)]
            else:
                return MISSING
        elif isinstance(current, str) and part == "length":
            current = len(current)
        else:
            return MISSING
    return current


def _leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        yield (f"{prefix}.length" if prefix else "length", len(value))
        for i, item in enumerate(value[:50]):
            yield from _leaves(item, f"{prefix}.{i}" if prefix else str(i))
    else:
        yield prefix, value


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (type(a) is type(b) and a == b)
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def changed_paths(before: Any, after: Any) -> set[str]:
    """Leaf paths whose value differs (or that appear or disappear) between two states."""
    a, b = dict(_leaves(before)), dict(_leaves(after))
    return {
        p for p in a.keys() | b.keys() if p not in a or p not in b or not same_value(a[p], b[p])
    }


# -- pictures and layout ----------------------------------------------------------------


def picture_difference(a: bytes | None, b: bytes | None) -> float:
    """Share of the tiny grey pixels that differ visibly (0 … 1)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    return sum(1 for x, y in zip(a, b, strict=True) if abs(x - y) > 8) / len(a)


def fits(layout: dict[str, Any] | None) -> tuple[bool, str]:
    """Whether the page fits its viewport: no scrolling, no scrollbar, canvases on screen."""
    if not layout:
        return False, "the page's layout could not be measured"
    try:
        vw, vh = int(layout["vw"]), int(layout["vh"])
        sw, sh = int(layout["sw"]), int(layout["sh"])
        cw, ch = int(layout["cw"]), int(layout["ch"])
        boxes = [list(map(int, b)) for b in layout.get("canvases") or []]
    except (KeyError, TypeError, ValueError):
        return False, "the page's layout could not be measured"
    problems = []
    if sw > vw + 1 or sh > vh + 1:
        problems.append(f"the page is {sw}×{sh} in a {vw}×{vh} screen (it scrolls)")
    elif cw < vw - 1 or ch < vh - 1:
        problems.append("the page shows scrollbars")
    for left, top, right, bottom in boxes:
        if left < -1 or top < -1 or right > vw + 1 or bottom > vh + 1:
            problems.append(
                f"a {right - left}×{bottom - top} canvas at ({left}, {top}) "
                f"sticks out of the {vw}×{vh} screen"
            )
            break
    if problems:
        return False, "; ".join(problems)
    return True, f"fits {vw}×{vh}"
