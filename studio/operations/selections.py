"""What the person shows with a prompt, made into attachments (`studio.ai.attachments`):
a picture they gave, the game's frame with their marks, an element of the page or a region
of the frame they picked in the Preview. Qt-free: the Preview hands over what it read from
the page and grabbed from the screen; the CLI hands over files.

What a page says about itself is untrusted: every value is checked, cut to a sensible
length and kept as plain words (the model reads it as the page's text, nothing more). The
source lines of a picked element are found in the version's files, where they can be.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.ai.attachments import Attachment, Picture
from studio.errors import StudioError

__all__ = [
    "STATE_CHARS",
    "SourceSpan",
    "annotation_attachment",
    "element_attachment",
    "picture_attachment",
    "picture_file_attachment",
    "region_attachment",
    "source_spans",
]

STATE_CHARS = 2_000  # of the game's state, what goes with a pick
TEXT_CHARS = 200
AROUND = 2  # lines shown on each side of the line that made an element
MAX_SPANS = 3
_TAG = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_CLASS = re.compile(r"^[A-Za-z_-][\w-]{0,40}$")


def _picture(data: bytes, name: str) -> Picture:
    # Pillow and NumPy load with the first picture: the Chat panel imports this module at start.
    from studio.media.pictures.for_model import picture_for_model

    fitted = picture_for_model(data, name)
    return Picture(fitted.data, fitted.mime, fitted.width, fitted.height)


def picture_attachment(data: bytes, name: str) -> Attachment:
    """A picture the person dropped or pasted (a sketch, a screenshot of a game to imitate)."""
    return Attachment("picture", name, picture=_picture(data, name))


def picture_file_attachment(path: Path) -> Attachment:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StudioError(f"cannot read {path}: {exc.strerror or exc}") from None
    return picture_attachment(data, path.name)


def annotation_attachment(png: bytes, version: int | None) -> Attachment:
    label = f"marked frame of v{version}" if version is not None else "marked frame"
    return Attachment("annotation", label, picture=_picture(png, label))


def _plain(value: Any, limit: int) -> str:
    """Page text as one line of plain words, at most `limit` characters."""
    text = " ".join(str(value or "").split())
    text = "".join(c for c in text if c.isprintable())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _box(value: Any) -> tuple[float, float, float, float] | None:
    if not isinstance(value, list | tuple) or len(value) != 4:
        return None
    try:
        box = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(v) and abs(v) < 1e6 for v in box) or box[2] < 0 or box[3] < 0:
        return None
    return box  # type: ignore[return-value]


def _state(state: str | None) -> str:
    """The game's `window.studio.state()` as JSON text, cut to STATE_CHARS."""
    if not state:
        return ""
    try:
        text = json.dumps(json.loads(state), separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        text = _plain(state, STATE_CHARS)
    if len(text) > STATE_CHARS:
        text = text[: STATE_CHARS - 1] + "…"
    return text


@dataclass(frozen=True)
class SourceSpan:
    path: str
    first: int  # 1-based, inclusive
    last: int
    lines: tuple[str, ...]

    def quoted(self) -> str:
        numbered = [f"{self.first + i}: {line}" for i, line in enumerate(self.lines)]
        return f"{self.path} lines {self.first}–{self.last}:\n" + "\n".join(numbered)


def _needles(element: Mapping[str, Any]) -> list[re.Pattern[str]]:
    """Ways the source may have made the element, the surest first."""
    found: list[re.Pattern[str]] = []
    tag_text = str(element.get("open") or "")
    if tag_text:
        found.append(re.compile(re.escape(tag_text)))
    ident = str(element.get("id") or "")
    if ident:
        quoted = re.escape(ident)
        found.append(
            re.compile(
                rf"""\bid\s*=\s*["']?{quoted}\b|getElementById\(\s*["']{quoted}["']|["'`]#{quoted}\b|\$\(\s*["']{quoted}["']"""
            )
        )
    text = str(element.get("text") or "")
    if len(text) >= 3:
        found.append(re.compile(re.escape(_html_escaped(text[:40]))))
        found.append(re.compile(re.escape(text[:40])))
    for name in element.get("classes") or []:
        found.append(re.compile(rf"""class(?:Name)?\s*=\s*["'][^"'\n]*\b{re.escape(name)}\b"""))
    return found


def _html_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def source_spans(files: Mapping[str, str], element: Mapping[str, Any]) -> list[SourceSpan]:
    """Where in `files` the picked element was made: lines around the first kind of match
    that finds at most MAX_SPANS places (none when every kind finds nothing or too much)."""
    for needle in _needles(element):
        places = [
            (path, text.count("\n", 0, m.start()) + 1)
            for path, text in files.items()
            for m in needle.finditer(text)
        ]
        places = list(dict.fromkeys(places))
        if not places or len(places) > MAX_SPANS:
            continue
        spans = []
        for path, line in places:
            lines = files[path].split("\n")
            first, last = max(1, line - AROUND), min(len(lines), line + AROUND)
            spans.append(SourceSpan(path, first, last, tuple(lines[first - 1 : last])))
        return spans
    return []


def clean_element(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The picked element's description as Studio keeps it, from what the page said."""
    tag = str(raw.get("tag") or "").lower()
    classes = [c for c in (raw.get("classes") or [])[:8] if isinstance(c, str) and _CLASS.match(c)]
    element = {
        "tag": tag if _TAG.match(tag) else "element",
        "id": _plain(raw.get("id"), 80),
        "classes": classes,
        "selector": _plain(raw.get("selector"), 200),
        "text": _plain(raw.get("text"), TEXT_CHARS),
        "open": _plain(raw.get("open"), 300),
        "box": _box(raw.get("box")),
    }
    return element


def element_label(element: Mapping[str, Any]) -> str:
    label = str(element["tag"])
    if element.get("id"):
        label += f"#{element['id']}"
    elif element.get("classes"):
        label += "." + ".".join(element["classes"][:2])
    return label[:60]


def element_attachment(
    raw: Mapping[str, Any],
    files: Mapping[str, str],
    *,
    crop: bytes | None = None,
    state: str | None = None,
    version: int | None = None,
) -> Attachment:
    """An element the person picked in the running game (`raw` as the page described it)."""
    element = clean_element(raw)
    label = element_label(element)
    where = f" of v{version}" if version is not None else ""
    lines = [f"The element the person picked in the running game{where}: <{label}>"]
    if element["selector"]:
        lines.append(f"selector: {element['selector']}")
    if element["text"]:
        lines.append(f"text: “{element['text']}”")
    if element["box"]:
        x, y, w, h = element["box"]
        lines.append(f"box: x {x:.0f}, y {y:.0f}, {w:.0f}×{h:.0f} CSS px")
    spans = source_spans(files, element)
    if spans:
        lines.append("made by:\n" + "\n".join(s.quoted() for s in spans))
    else:
        lines.append("(Studio did not find the lines that made it in the source.)")
    if text := _state(state):
        lines.append(f"the game's state then (window.studio.state()): {text}")
    meta = {"selector": element["selector"], "spans": [[s.path, s.first, s.last] for s in spans]}
    picture = _picture(crop, label) if crop else None
    return Attachment("element", label, "\n".join(lines), picture, meta)


def region_attachment(
    box: Sequence[float],
    viewport: Sequence[float],
    *,
    crop: bytes | None,
    state: str | None = None,
    what: str = "",
    version: int | None = None,
) -> Attachment:
    """A region of the frame the person marked (a click or a dragged box), in CSS pixels of
    a `viewport` (width, height), on `what` was under it (e.g. "canvas#game")."""
    x, y, w, h = (float(v) for v in box)
    where = f" of v{version}" if version is not None else ""
    on = f" on {_plain(what, 60)}" if what else ""
    lines = [
        f"A region the person marked in the running game{where}{on}: x {x:.0f}–{x + w:.0f}, "
        f"y {y:.0f}–{y + h:.0f} of a {viewport[0]:.0f}×{viewport[1]:.0f} CSS px view"
    ]
    if text := _state(state):
        lines.append(f"the game's state then (window.studio.state()): {text}")
    label = f"region {w:.0f}×{h:.0f} at {x:.0f},{y:.0f}"
    picture = _picture(crop, label) if crop else None
    return Attachment("region", label, "\n".join(lines), picture, {"box": [x, y, w, h]})
