"""Knobs: the values a game declares tunable in `window.studio.params`. Qt-free.

The declaration (the game contract, the system prompt, every starter template):

    const PARAMS = {
      gravity: { value: 2300, min: 800, max: 5000, step: 50, label: 'Gravity' },
      doubleJump: { value: true, label: 'Double jump' },
    };
    window.studio = { state() { … }, advance(ms) { … }, params: PARAMS };

and the game reads `PARAMS.gravity.value` where it uses it, so a new value applies at once.
A list of `{name, value, min, max, step, label}` reads the same.

Two readers, one rule for what a knob is:

- `clean_knobs(raw)`: what a running page reported (it may be hostile: thousands of
  entries, ranges of 1e308, script in labels) as knobs safe to show, or nothing;
- `declared_knobs(files)`: the declarations written in the source with where their values
  are, for `studio knobs` and for `write_values`, which puts new values into the source as
  search/replace edits applied by `studio.ai.edits.apply_edits`, the one way code changes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from studio.ai.blocks import EditBlock
from studio.ai.edits import apply_edits
from studio.errors import StudioError

__all__ = [
    "MAX_KNOBS",
    "DeclaredKnob",
    "Knob",
    "KnobError",
    "Knobs",
    "clean_knobs",
    "declared_knobs",
    "parse_value",
    "write_values",
]

MAX_KNOBS = 40  # shown; a game that declares more gets the first ones and a note
MAX_STEPS = 10_000  # positions of a slider: a finer step is widened
LIMIT = 1e9  # the largest value, minimum or maximum a knob may have
LABEL_CHARS = 60
_NAME = re.compile(r"^[A-Za-z_$][\w$]{0,47}$")


class KnobError(StudioError):
    """Values that cannot be written back; the message says why, for a person."""


@dataclass(frozen=True)
class Knob:
    name: str
    value: float | bool
    min: float = 0.0
    max: float = 1.0
    step: float = 0.01
    label: str = ""

    @property
    def switch(self) -> bool:
        return isinstance(self.value, bool)

    @property
    def steps(self) -> int:
        """Slider positions from `min` to `max`."""
        return 1 if self.switch else max(1, round((self.max - self.min) / self.step))

    def position(self, value: float) -> int:
        return min(self.steps, max(0, round((value - self.min) / self.step)))

    def at(self, position: int) -> float:
        return self.fit(self.min + position * self.step)

    def fit(self, value: float) -> float:
        """`value` inside the range, on a step, without float noise (0.30000000000000004)."""
        value = min(self.max, max(self.min, value))
        snapped = self.min + round((value - self.min) / self.step) * self.step
        return round(min(self.max, snapped), self.decimals)

    @property
    def decimals(self) -> int:
        """Digits after the point that the step and the range need."""
        digits = 0
        for number in (self.step, self.min):
            text = f"{number:.10f}".rstrip("0")
            digits = max(digits, len(text.split(".")[1]) if "." in text else 0)
        return min(digits, 10)

    def literal(self, value: float | bool) -> str:
        """`value` as the game's JavaScript writes it."""
        if isinstance(value, bool):
            return "true" if value else "false"
        text = f"{self.fit(value):.{self.decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text

    def describe(self) -> str:
        """`NAME VALUE MIN..MAX LABEL`: one line of `studio knobs`."""
        if self.switch:
            span = "false..true"
        else:
            span = f"{self.literal(self.min)}..{self.literal(self.max)}"
        return f"{self.name} {self.literal(self.value)} {span} {self.label}".rstrip()


@dataclass(frozen=True)
class Knobs:
    knobs: tuple[Knob, ...] = ()
    problems: tuple[str, ...] = ()  # what was left out and why, in words

    def get(self, name: str) -> Knob | None:
        return next((k for k in self.knobs if k.name == name), None)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) and abs(value) <= LIMIT else None


def _label(value: Any, name: str) -> str:
    """A label as plain words: no markup is ever interpreted, control characters go."""
    text = " ".join(str(value).split()) if isinstance(value, str) else ""
    text = "".join(c for c in text if c.isprintable())
    text = text[:LABEL_CHARS]
    return text or name


def _knob(name: Any, entry: Any) -> tuple[Knob | None, str]:
    """One declared knob, or None and why it cannot be shown."""
    if not isinstance(name, str) or not _NAME.match(name):
        return None, "a knob with a name that is not a plain identifier"
    if not isinstance(entry, Mapping):
        return None, f"{name}: not a {{value, min, max}} object"
    value, label = entry.get("value"), _label(entry.get("label"), name)
    if isinstance(value, bool):
        return Knob(name, value, 0.0, 1.0, 1.0, label), ""
    value = _number(value)
    low, high = _number(entry.get("min")), _number(entry.get("max"))
    if value is None:
        return None, f"{name}: its value is not a number or true/false within ±1e9"
    if low is None or high is None or not low < high:
        return None, f"{name}: it needs a min below its max, within ±1e9"
    step = _number(entry.get("step"))
    if step is None or step <= 0:
        step = (high - low) / 100
    step = max(step, (high - low) / MAX_STEPS)
    return Knob(name, min(high, max(low, value)), low, high, step, label), ""


def clean_knobs(raw: Any) -> Knobs:
    """The knobs a page reported (a list of `{name, …}` or a mapping of name to entry)."""
    if isinstance(raw, Mapping):
        entries = list(raw.items())
    elif isinstance(raw, list):
        entries = [(e.get("name"), e) if isinstance(e, Mapping) else (None, e) for e in raw]
    else:
        return Knobs()
    knobs: list[Knob] = []
    problems: list[str] = []
    seen: set[str] = set()
    for name, entry in entries:
        if len(knobs) == MAX_KNOBS:
            problems.append(
                f"{len(entries) - len(knobs)} more knobs not shown (at most {MAX_KNOBS})"
            )
            break
        knob, why = _knob(name, entry)
        if knob is None or knob.name in seen:
            if len(problems) < 10:
                problems.append(why or f"{name}: declared twice")
            continue
        seen.add(knob.name)
        knobs.append(knob)
    return Knobs(tuple(knobs), tuple(problems))


def parse_value(knob: Knob, text: str) -> float | bool:
    """A value typed by a person (`--set NAME=VALUE`) for `knob`; a clear error otherwise."""
    cleaned = text.strip().lower()
    if knob.switch:
        if cleaned in ("true", "on", "yes", "1"):
            return True
        if cleaned in ("false", "off", "no", "0"):
            return False
        raise KnobError(f"{knob.name} is a switch: give true or false, not {text!r}")
    try:
        value = float(cleaned)
    except ValueError:
        raise KnobError(f"{knob.name} takes a number, not {text!r}") from None
    if not (math.isfinite(value) and knob.min <= value <= knob.max):
        raise KnobError(
            f"{knob.name} goes from {knob.literal(knob.min)} to {knob.literal(knob.max)}, "
            f"not {text.strip()}"
        )
    return knob.fit(value)


# -- the declarations in the source ------------------------------------------------------

_BLOCK_START = re.compile(r"\b[\w$.]*params\s*(?:=|:)\s*([{\[])", re.IGNORECASE)
_LITERAL = r"(?:true|false|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
_OBJECT_ENTRY = re.compile(
    r"""(?:(["'])(?P<quoted>[A-Za-z_$][\w$]*)\1|(?P<name>[A-Za-z_$][\w$]*))\s*:\s*\{(?P<body>[^{}]*)\}"""
)
_LIST_ENTRY = re.compile(r"\{(?P<body>[^{}]*)\}")
_FIELD = re.compile(rf"\b(value|min|max|step)\s*:\s*({_LITERAL})")
_LABEL = re.compile(r"""\blabel\s*:\s*(["'`])((?:\\.|(?!\1).)*)\1""")
_LIST_NAME = re.compile(r"""\bname\s*:\s*(["'`])([A-Za-z_$][\w$]*)\1""")


@dataclass(frozen=True)
class DeclaredKnob:
    knob: Knob
    path: str
    start: int  # where the value's literal is in the file's text
    end: int


_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)


def _scripts(path: str, text: str) -> list[tuple[int, int]]:
    """Where the script is: an HTML file's `<script>` elements, any other file whole."""
    if not path.lower().endswith((".html", ".htm")):
        return [(0, len(text))]
    return [(m.start(1), m.end(1)) for m in _SCRIPT.finditer(text)]


def _code_starts(text: str, start: int, end: int) -> set[int]:
    """Positions in [start, end) that are code: not inside a string or a comment."""
    code: set[int] = set()
    i = start
    while i < end:
        c = text[i]
        if c in "\"'`":
            i += 1
            while i < end and text[i] != c:
                i += 2 if text[i] == "\\" else 1
        elif text.startswith("//", i):
            i = text.find("\n", i, end)
            i = end if i < 0 else i
        elif text.startswith("/*", i):
            i = text.find("*/", i + 2, end)
            i = end if i < 0 else i + 1
        else:
            code.add(i)
        i += 1
    return code


def _closing(text: str, start: int) -> int:
    """The index of the bracket closing the one at `start` (strings and comments skipped);
    -1 when it is never closed."""
    pairs = {"{": "}", "[": "]", "(": ")"}
    stack = [pairs[text[start]]]
    i = start + 1
    while i < len(text):
        c = text[i]
        if c in "\"'`":
            i += 1
            while i < len(text) and text[i] != c:
                i += 2 if text[i] == "\\" else 1
        elif text.startswith("//", i):
            i = text.find("\n", i)
            i = len(text) if i < 0 else i
        elif text.startswith("/*", i):
            i = text.find("*/", i + 2)
            i = len(text) if i < 0 else i + 1
        elif c in pairs:
            stack.append(pairs[c])
        elif c in ")]}":
            if c != stack.pop():
                return -1
            if not stack:
                return i
        i += 1
    return -1


def _entries(body_text: str, list_form: bool) -> Iterable[tuple[str, re.Match[str]]]:
    if list_form:
        for m in _LIST_ENTRY.finditer(body_text):
            name = _LIST_NAME.search(m.group("body"))
            if name:
                yield name.group(2), m
    else:
        for m in _OBJECT_ENTRY.finditer(body_text):
            yield m.group("quoted") or m.group("name"), m


def _declared_in(path: str, text: str) -> list[DeclaredKnob]:
    found = []
    blocks = []
    for start, end in _scripts(path, text):
        code = _code_starts(text, start, end)
        blocks += [b for b in _BLOCK_START.finditer(text, start, end) if b.start() in code]
    for block in blocks:
        open_at = block.start(1)
        close_at = _closing(text, open_at)
        if close_at < 0:
            continue
        inner = text[open_at + 1 : close_at]
        for name, entry in _entries(inner, text[open_at] == "["):
            body = entry.group("body")
            fields = {f.group(1): f for f in _FIELD.finditer(body)}
            if "value" not in fields:
                continue  # a value that is not a literal cannot be read or written here
            values = {k: _js_value(f.group(2)) for k, f in fields.items()}
            label = _LABEL.search(body)
            values["label"] = label.group(2) if label else ""
            knob, _why = _knob(name, values)
            if knob is None:
                continue
            at = open_at + 1 + entry.start("body") + fields["value"].start(2)
            found.append(DeclaredKnob(knob, path, at, at + len(fields["value"].group(2))))
    return found


def _js_value(literal: str) -> float | bool:
    if literal in ("true", "false"):
        return literal == "true"
    return float(literal)


def declared_knobs(files: Mapping[str, str]) -> list[DeclaredKnob]:
    """Every knob declared with a literal value in a `params` object or list of the files,
    in file order (`index.html` first)."""
    ordered = sorted(files, key=lambda p: (p != "index.html", p))
    return [k for path in ordered for k in _declared_in(path, files[path])]


def _search_lines(text: str, start: int, end: int) -> tuple[int, int]:
    """Character span of the whole lines around [start, end) that occur once in `text`."""
    first = text.rfind("\n", 0, start) + 1
    last = text.find("\n", end)
    last = len(text) if last < 0 else last + 1
    while text.count(text[first:last]) > 1 and (first > 0 or last < len(text)):
        first = text.rfind("\n", 0, max(0, first - 1)) + 1
        nxt = text.find("\n", last)
        last = len(text) if nxt < 0 else nxt + 1
    return first, last


def write_values(
    files: Mapping[str, str], values: Mapping[str, float | bool]
) -> tuple[dict[str, str], list[tuple[Knob, float | bool]]]:
    """The files with the knobs' new values written where they are declared, and what
    changed ((knob as it was, new value)). Raises KnobError, writing nothing, when a knob's
    declaration cannot be found once, a value does not suit its knob, or an edit fails."""
    declared: dict[str, list[DeclaredKnob]] = {}
    for d in declared_knobs(files):
        declared.setdefault(d.knob.name, []).append(d)
    changes: list[tuple[DeclaredKnob, str]] = []
    for name, value in values.items():
        places = declared.get(name, [])
        if not places:
            raise KnobError(
                f"Studio cannot find where the knob {name} is declared in the source: it "
                f"looks for `{name}: {{ value: …, min: …, max: … }}` with a number (or "
                "true/false) as its value inside the game's params. Nothing was written."
            )
        if len(places) > 1:
            where = ", ".join(sorted({p.path for p in places}))
            raise KnobError(
                f"The knob {name} is declared {len(places)} times ({where}): Studio does not "
                "know which to change. Nothing was written."
            )
        place = places[0]
        if isinstance(value, bool) != place.knob.switch:
            kind = "true or false" if place.knob.switch else "a number"
            raise KnobError(f"The knob {name} takes {kind}. Nothing was written.")
        literal = place.knob.literal(value)
        if literal != files[place.path][place.start : place.end]:
            changes.append((place, literal))
    blocks = []
    by_path: dict[str, list[tuple[DeclaredKnob, str]]] = {}
    for place, literal in changes:
        by_path.setdefault(place.path, []).append((place, literal))
    for path, edits in by_path.items():
        text = files[path]
        # Each edit replaces the lines around its value; values on shared lines go together.
        spans: list[tuple[int, int, list[tuple[DeclaredKnob, str]]]] = []
        for place, literal in sorted(edits, key=lambda e: e[0].start):
            first, last = _search_lines(text, place.start, place.end)
            if spans and first < spans[-1][1]:
                spans[-1] = (
                    spans[-1][0],
                    max(last, spans[-1][1]),
                    [*spans[-1][2], (place, literal)],
                )
            else:
                spans.append((first, last, [(place, literal)]))
        for first, last, group in spans:
            new = text[first:last]
            for place, literal in sorted(group, key=lambda e: -e[0].start):
                at = place.start - first
                new = new[:at] + literal + new[place.end - first :]
            blocks.append(EditBlock(path, text[first:last], new))
    result = apply_edits(files, blocks)
    if not result.ok or any(r.how != "exact" for r in result.results):
        reasons = "; ".join(r.reason for r in result.failed) or "an edit did not match exactly"
        raise KnobError(f"The values could not be written into the source ({reasons}).")
    made = [(place.knob, _js_value(literal)) for place, literal in changes]
    return result.files, made
