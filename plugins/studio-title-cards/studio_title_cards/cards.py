"""What a title card shows: the text, colours, size, length and style, from a prompt.

The prompt's first line is the title, further lines the subtitle. Lines of the form
`key: value` set options for this card only:

    Level 2
    Mind the gap!
    background: #1d3557
    color: gold
    font-size: 96

Keys: `background`, `color` (also `colour`, `text-color`), `font-size`, `style`. The
request's `model` picks the style too (`intro`, `level`, `outro`); the provider's options
give the defaults.

A story's clip prompt (`studio.story.prompts.clip_prompt`) adds lines for filmed clips,
`Visual style: …` and `Cast: …`: a card does not draw those (the story's player shows its
own caption under the card, and a card does not look like anything described there).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import asdict, dataclass
from typing import Any

STYLES = ("intro", "level", "outro")
DEFAULT_STYLE = "intro"
DEFAULT_SECONDS = 4
MIN_SECONDS, MAX_SECONDS = 1, 60
DEFAULT_SIZE = "1280x720"
SIZES = ("1280x720", "720x1280", "1920x1080", "1080x1920", "640x360", "1080x1080")
DEFAULT_FPS = 30

# Per style: background, text colour (the options and the prompt override them).
STYLE_COLOURS = {
    "intro": ("#10182a", "#ffffff"),
    "level": ("#1d3557", "#f1faee"),
    "outro": ("#000000", "#ffffff"),
}
NAMED_COLOURS = {
    "black": "000000",
    "white": "ffffff",
    "red": "e63946",
    "green": "2a9d8f",
    "blue": "1d4ed8",
    "navy": "0b1d51",
    "teal": "008080",
    "cyan": "00e5ff",
    "yellow": "ffd60a",
    "gold": "ffc300",
    "orange": "f77f00",
    "pink": "ff6b9a",
    "purple": "6a4c93",
    "magenta": "ff00ff",
    "gray": "808080",
    "grey": "808080",
}
_HEX = re.compile(r"^(?:#|0x)?([0-9a-f]{3}|[0-9a-f]{6})$", re.I)
_DIRECTIVE = re.compile(
    r"^\s*(background|colou?r|text[-_ ]colou?r|font[-_ ]size|style)\s*:\s*(\S.*?)\s*$", re.I
)
# Average advance of a DejaVu Sans Bold character, in ems: for wrapping without measuring.
CHAR_WIDTH = 0.64
LINE_GAP = 0.25  # of the line's font size
SUBTITLE_SCALE = 0.45


class CardError(ValueError):
    """A request this provider cannot draw; the message says what to change."""


@dataclass(frozen=True)
class Line:
    text: str
    size: int
    y: int  # top of the line, in pixels
    subtitle: bool


@dataclass(frozen=True)
class CardSpec:
    """Everything needed to draw one card; stored as JSON beside the job so a job that was
    running when Studio closed is drawn again, the same, when it asks after it."""

    title: str
    subtitle: tuple[str, ...] = ()
    seconds: float = DEFAULT_SECONDS
    width: int = 1280
    height: int = 720
    fps: int = DEFAULT_FPS
    style: str = DEFAULT_STYLE
    background: str = "0x10182a"
    text_color: str = "0xffffff"
    font_size: int = 0  # 0: from the height
    font: str = ""
    image: str | None = None  # a picture behind the text, slowly zoomed and panned
    zoom: float = 0.15  # how much the picture grows over the clip
    dim: float = 0.55  # how bright the picture stays under the text

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def text(self) -> str:
        return "\n".join((self.title, *self.subtitle))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["subtitle"] = list(self.subtitle)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CardSpec:
        return cls(**{**data, "subtitle": tuple(data.get("subtitle", ()))})


def colour(value: Any, what: str) -> str:
    """`#abc`, `#aabbcc`, `0xaabbcc` or a name → ffmpeg's `0xaabbcc`."""
    text = str(value).strip().lower()
    if text in NAMED_COLOURS:
        return "0x" + NAMED_COLOURS[text]
    match = _HEX.match(text)
    if not match:
        names = ", ".join(sorted(NAMED_COLOURS))
        raise CardError(f"The {what} {value!r} is not a colour: use #RRGGBB or one of {names}.")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "0x" + digits


def parse_size(value: Any) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[x×]\s*(\d+)\s*", str(value))
    if not match:
        raise CardError(f"The size {value!r} is not WIDTHxHEIGHT, e.g. 1280x720.")
    width, height = int(match.group(1)), int(match.group(2))
    if not (64 <= width <= 3840 and 64 <= height <= 3840) or width % 2 or height % 2:
        raise CardError(f"The size {value} must be even numbers between 64 and 3840.")
    return width, height


_FOR_FILM = re.compile(r"^\s*(visual style|cast)\s*:", re.I)


def parse_prompt(prompt: str) -> tuple[list[str], dict[str, str]]:
    """The prompt's text lines and its `key: value` options."""
    lines, options = [], {}
    for raw in prompt.splitlines():
        match = _DIRECTIVE.match(raw)
        if match:
            key = re.sub(r"[-_ ]", "", match.group(1).lower()).replace("colour", "color")
            options["text_color" if key in ("color", "textcolor") else key] = match.group(2)
        elif raw.strip() and not _FOR_FILM.match(raw):
            lines.append(raw.strip())
    return lines, options


def build_spec(
    prompt: str,
    *,
    seconds: float | None = None,
    size: str | None = None,
    style: str | None = None,
    options: dict[str, Any] | None = None,
) -> CardSpec:
    """A card from a prompt and the request's fields, over the provider's `options`."""
    options = dict(options or {})
    lines, inline = parse_prompt(prompt)
    if not lines:
        raise CardError("The card has no text: write what it should say in the prompt.")
    chosen = (inline.get("style") or style or options.get("style") or DEFAULT_STYLE).lower()
    if chosen not in STYLES:
        raise CardError(f"There is no title card style {chosen!r}; use {', '.join(STYLES)}.")
    length = seconds if seconds is not None else options.get("seconds", DEFAULT_SECONDS)
    try:
        length = float(length)
    except (TypeError, ValueError):
        raise CardError(f"The length {length!r} is not a number of seconds.") from None
    if not MIN_SECONDS <= length <= MAX_SECONDS:
        raise CardError(
            f"A title card lasts {MIN_SECONDS} to {MAX_SECONDS} seconds, not {length:g}."
        )
    width, height = parse_size(size or options.get("size") or DEFAULT_SIZE)
    bg_default, fg_default = STYLE_COLOURS[chosen]
    background = colour(
        inline.get("background") or options.get("background") or bg_default, "background"
    )
    text_color = colour(
        inline.get("text_color") or options.get("text_color") or fg_default, "text colour"
    )
    font_size = inline.get("fontsize") or options.get("font_size") or 0
    try:
        font_size = int(font_size)
    except (TypeError, ValueError):
        raise CardError(f"The font size {font_size!r} is not a whole number.") from None
    if font_size and not 8 <= font_size <= height // 2:
        raise CardError(f"The font size {font_size} must be between 8 and {height // 2}.")
    try:
        fps = int(options.get("fps") or DEFAULT_FPS)
    except (TypeError, ValueError):
        raise CardError(f"fps {options.get('fps')!r} is not a whole number.") from None
    if not 1 <= fps <= 60:
        raise CardError(f"fps must be between 1 and 60, not {fps}.")
    return CardSpec(
        title=lines[0],
        subtitle=tuple(lines[1:]),
        seconds=length,
        width=width,
        height=height,
        fps=fps,
        style=chosen,
        background=background,
        text_color=text_color,
        font_size=font_size,
        font=str(options.get("font") or ""),
    )


def layout(spec: CardSpec) -> list[Line]:
    """The lines to draw, wrapped to the width, shrunk until they fit, centred as a block."""
    size = spec.font_size or max(12, round(min(spec.width, spec.height) * 0.11))
    while True:
        sub_size = max(10, round(size * SUBTITLE_SCALE))
        last = size <= 12  # the smallest size: split words rather than overflow
        title = _wrap(spec.title, size, spec.width, split=last)
        subtitle = [w for t in spec.subtitle for w in _wrap(t, sub_size, spec.width, split=last)]
        heights = [(t, size, False) for t in title] + [(s, sub_size, True) for s in subtitle]
        total = sum(round(h * (1 + LINE_GAP)) for _, h, _ in heights)
        total += round(sub_size * 0.6) if subtitle else 0
        fits = all(len(t) <= _columns(h, spec.width) for t, h, _ in heights)
        if (fits and total <= spec.height * 0.85 and len(title) <= 3) or last:
            break
        size = max(12, int(size * 0.88))
    y = (spec.height - total) // 2
    lines = []
    for i, (text, h, is_sub) in enumerate(heights):
        if is_sub and (i == 0 or not heights[i - 1][2]):
            y += round(sub_size * 0.6)  # a little air between title and subtitle
        lines.append(Line(text, h, y, is_sub))
        y += round(h * (1 + LINE_GAP))
    return lines


def _columns(size: int, width: int) -> int:
    return max(4, int(width * 0.9 / (size * CHAR_WIDTH)))


def _wrap(text: str, size: int, width: int, *, split: bool = False) -> list[str]:
    # Words are not split: a word too long for the line makes the text smaller instead.
    return textwrap.wrap(text, _columns(size, width), break_long_words=split) or [text]
