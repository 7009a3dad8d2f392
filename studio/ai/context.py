"""Building the messages for a request within the model's context window.

What goes in: the system prompt, the recent conversation, the project's current files,
the asset manifest, and the new prompt (or the errors to fix, with the code around them).
When it does not fit, what matters least goes first: the oldest conversation, then files
the request does not touch (named, not shown), then the far parts of large files, keeping
the lines around what the prompt names and around each error to fix. What was left out is
listed in words for the person; a request that cannot fit even so says how many tokens it
needs (`BuiltContext.fits`, `needed_tokens`) and is not sent.

What the person showed with the prompt (`studio.ai.attachments`: pictures, a marked frame,
what they pointed at) is described in the request, and its pictures follow the text as image
parts of the last message when the model takes pictures. `BuiltContext.parts` says what each
part of the request costs (system, conversation, code, assets, request, pictures): the
meter before sending shows it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from studio.ai.attachments import Attachment, attachment_request, image_parts, part_tokens
from studio.ai.prompts import error_places, fix_prompt, system_prompt
from studio.ai.providers import ChatMessage, ContentPart
from studio.ai.stream_parser import parse_answer
from studio.ai.tokens import count_tokens
from studio.words import plural

__all__ = [
    "BuiltContext",
    "TokenBudget",
    "answer_room",
    "build_messages",
    "plan_budget",
    "format_assets",
    "format_files",
]

MESSAGE_OVERHEAD = 4  # tokens a chat message costs beyond its text
MIN_KEPT_LINES = 40  # a cut file keeps at least this many lines
ERROR_WINDOW = 20  # lines kept on each side of an error's line when its file is cut
MIN_CUT_LINES = 3  # a shorter run between kept lines stays (its marker would cost as much)
MARKER_CHARS = 120  # about what a "lines left out" marker costs


ENTRY = "index.html"
# A word of the prompt worth finding in the code: four characters or more ("the", "add" find
# too many lines to keep), and not one that every request and every game has.
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{3,}")
_COMMON_WORDS = (
    "make more less that this with from into when then than them they game code file please "
    "should would could have give want like also just only some each what where there their "
    "about after before while player players"
)
_COMMON = frozenset(_COMMON_WORDS.split())


@lru_cache(maxsize=256)
def _tokens(text: str, scale: float) -> int:
    return count_tokens(text, scale)


@dataclass(frozen=True, slots=True)
class TokenBudget:
    context_window: int = 128_000
    reserved_output: int = 16_000  # room kept for the answer
    scale: float = 1.0  # the server's tokens per token Studio counts (1: not measured)

    @property
    def available(self) -> int:
        return max(0, self.context_window - self.reserved_output)

    def cost(self, messages: Sequence[ChatMessage]) -> int:
        return sum(self.content_cost(m["content"]) + MESSAGE_OVERHEAD for m in messages)

    def content_cost(self, content: str | Sequence[ContentPart]) -> int:
        """Text counted (times the model's scale); pictures by the tile rule, unscaled."""
        if isinstance(content, str):
            return _tokens(content, self.scale)
        return sum(part_tokens(p, lambda text: _tokens(text, self.scale)) for p in content)


MIN_ANSWER = 1_024  # tokens an answer gets at the least (a few edits)
DEFAULT_ANSWER = 16_000  # what an answer may take when the window is large


def plan_budget(
    window: int, max_tokens: int | None, *, has_code: bool, scale: float = 1.0
) -> TokenBudget:
    """Room for the answer in a window of `window` tokens: `max_tokens` (or 16,000) when
    the window is large; in a small one a quarter of it when the game exists (the answer
    is edits), half when it is to be written whole."""
    share = window // 4 if has_code else window // 2
    reserved = min(max_tokens or DEFAULT_ANSWER, max(MIN_ANSWER, share))
    return TokenBudget(context_window=window, reserved_output=reserved, scale=scale)


def answer_room(window: int, prompt_tokens: int) -> int:
    """The most an answer can ask for after a prompt of `prompt_tokens`, with a margin for
    the difference between Studio's count and the server's."""
    margin = max(128, window // 32)
    return window - prompt_tokens - margin


@dataclass(slots=True)
class BuiltContext:
    messages: list[ChatMessage]
    estimated_tokens: int
    left_out: list[str] = field(default_factory=list)  # e.g. "lines 120–480 of index.html"
    fits: bool = True
    needed_tokens: int = 0  # the request with nothing left out, answer room included
    scale: float = 1.0  # the budget's: what `estimated_tokens` was counted with
    # Tokens by part: system, conversation, code, assets, request, pictures (see PARTS).
    parts: dict[str, int] = field(default_factory=dict)


PARTS = ("system", "conversation", "code", "assets", "request", "pictures")


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover - unreachable


_PICTURE_KINDS = {"sprite_sheet": "sprite sheet", "ui": "UI picture", "hero": "hero picture"}


def _picture_extras(asset: Mapping[str, object]) -> list[str]:
    """A sprite sheet's frames and grid, and the point a picture stands on."""
    extras = []
    layout = asset.get("layout")
    if isinstance(layout, Mapping):
        extras.append(
            f"{asset.get('frames')} frames of {layout.get('frame_width')}×"
            f"{layout.get('frame_height')} in {layout.get('columns')} columns × "
            f"{layout.get('rows')} rows"
        )
    anchor = asset.get("anchor")
    if isinstance(anchor, list | tuple) and len(anchor) == 2:
        extras.append(f"feet at {anchor[0]},{anchor[1]}")
    return extras


def format_assets(assets: Sequence[Mapping[str, object]]) -> str:
    """The manifest as lines the model can use: URL, kind, dimensions, duration, file size;
    a picture says its kind, a sheet its frames and grid, and where it stands (no file size:
    the code has no use for it)."""
    lines = []
    for asset in assets:
        name = str(asset.get("name", "")).strip()
        if not name:
            continue
        url = name if name.startswith("assets/") else f"assets/{name}"
        picture = str(asset.get("picture") or "")
        facts = [_PICTURE_KINDS.get(picture, picture) or str(asset.get("kind") or "file")]
        width, height = asset.get("width"), asset.get("height")
        if width and height:
            facts.append(f"{width}×{height}")
        duration = asset.get("duration")
        if isinstance(duration, int | float) and duration > 0:
            facts.append(f"{duration:.1f} s")
        size = asset.get("size")
        if picture:
            facts += _picture_extras(asset)
        elif isinstance(size, int | float):
            facts.append(_size(size))
        lines.append(f"- {url} ({', '.join(facts)})")
    return "\n".join(lines)


def _ordered(files: Mapping[str, str]) -> list[str]:
    return sorted(files, key=lambda p: (p != "index.html", p.count("/"), p))


def format_files(files: Mapping[str, str], omitted: Mapping[str, str] = {}) -> str:  # noqa: B006
    """The files as the model reads them; `omitted` files (left out to fit the context
    window) are named with their size, so the model knows they exist and leaves them be."""
    if not files and not omitted:
        return "The project has no files yet."
    parts = ["The project's files as they are now:"]
    for path in _ordered(files):
        text = files[path]
        if text and not text.endswith("\n"):
            text += "\n"
        parts.append(f'<current_file path="{path}">\n{text}</current_file>')
    for path in _ordered(omitted):
        lines = omitted[path].count("\n") + 1
        parts.append(
            f"({path}: {plural(lines, 'line')}, not shown to fit the context window; keep it as "
            "it is and do not write it anew.)"
        )
    return "\n\n".join(parts)


def _project_parts(
    files: Mapping[str, str],
    assets: Sequence[Mapping[str, object]],
    request: str,
    omitted: Mapping[str, str],
) -> tuple[str, str, str]:
    """The last message's three texts: the code, the asset manifest, the request."""
    manifest = format_assets(assets)
    return (
        format_files(files, omitted),
        f"Assets the game may use:\n{manifest}" if manifest else "The project has no assets.",
        f"Request:\n{request.strip()}",
    )


def _compact(role: str, text: str) -> str:
    """Old answers carry code that is stale now: keep the prose and name the blocks."""
    if role != "assistant":
        return text
    answer = parse_answer(text)
    if not answer.has_code:
        return text
    done = list(dict.fromkeys(b.path for b in answer.blocks))
    note = f"(changed {', '.join(done)})" if done else "(code omitted)"
    return f"{answer.message}\n\n{note}".strip()


def _cut_middle(
    text: str, excess_chars: int, keep: Sequence[int] = ()
) -> tuple[str, list[tuple[int, int]]]:
    """Drop middle runs of lines worth at least `excess_chars`, keeping the head, the tail
    and ERROR_WINDOW lines around each line in `keep` (1-based: where errors happened).
    Returns the text and the runs left out (1-based, inclusive)."""
    lines = text.split("\n")
    n = len(lines)
    if n <= MIN_KEPT_LINES:
        return text, []
    kept = [False] * n
    for line in keep:
        for i in range(max(0, line - 1 - ERROR_WINDOW), min(n, line + ERROR_WINDOW)):
            kept[i] = True
    window_chars = sum(len(line) + 1 for line, k in zip(lines, kept, strict=True) if k)
    keep_chars = max(0, len(text) - excess_chars - MARKER_CHARS * (len(keep) + 1) - window_chars)
    head, used = 0, 0
    while head < n and used + len(lines[head]) + 1 <= keep_chars * 0.6:
        used += len(lines[head]) + 1
        head += 1
    tail, used_tail = 0, 0
    while tail < n - head and used + used_tail + len(lines[n - 1 - tail]) + 1 <= keep_chars:
        used_tail += len(lines[n - 1 - tail]) + 1
        tail += 1
    head = max(head, MIN_KEPT_LINES // 2)
    tail = max(tail, MIN_KEPT_LINES // 2)
    for i in [*range(min(head, n)), *range(max(0, n - tail), n)]:
        kept[i] = True
    spans: list[tuple[int, int]] = []  # 0-based, inclusive
    start = None
    for i, k in enumerate([*kept, True]):
        if not k and start is None:
            start = i
        elif k and start is not None:
            if i - start >= MIN_CUT_LINES:
                spans.append((start, i - 1))
            start = None
    if not spans:
        return text, []
    out: list[str] = []
    done = 0
    for first, last in spans:
        out += lines[done:first]
        out.append(
            f"… [lines {first + 1}–{last + 1} of {n} are left out here to fit the context "
            "window; do not edit them] …"
        )
        done = last + 1
    out += lines[done:]
    return "\n".join(out), [(first + 1, last + 1) for first, last in spans]


def _named_lines(text: str, words: set[str]) -> list[int]:
    """1-based numbers of the lines of `text` that name one of `words`."""
    if not words:
        return []
    return [
        i + 1
        for i, line in enumerate(text.split("\n"))
        if any(w.lower() in words for w in _WORD.findall(line))
    ]


def _prompt_words(prompt: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(prompt)} - _COMMON


def _touched(path: str, text: str, prompt: str, words: set[str], errors: set[str]) -> bool:
    """Whether a request is about this file: its entry file, a file it names or an error
    came from, or one whose code uses a word of the prompt."""
    name = path.rsplit("/", 1)[-1]
    if path == ENTRY or path in errors or name in prompt:
        return True
    return any(w.lower() in words for w in _WORD.findall(text))


def build_messages(
    prompt: str,
    files: Mapping[str, str],
    *,
    system: str | None = None,
    assets: Sequence[Mapping[str, object]] = (),
    conversation: Sequence[tuple[str, str]] = (),
    errors: Sequence[Mapping[str, object]] | None = None,
    budget: TokenBudget | None = None,
    max_messages: int = 20,
    attachments: Sequence[Attachment] = (),
    pictures: bool = True,
) -> BuiltContext:
    """Messages for a generation (or, with `errors`, a fix) that fit `budget`.

    `conversation` is (role, text) pairs, oldest first; only the last `max_messages` are
    considered. For a fix, `prompt` is an optional note from the person. `attachments` are
    described in the request; their pictures are sent only with `pictures` (the model takes
    them), never cut to fit.
    """
    budget = budget or TokenBudget()
    system_text = system if system is not None else system_prompt()
    request = fix_prompt(errors, note=prompt, files=files) if errors is not None else prompt
    request = attachment_request(request, attachments, with_pictures=pictures)
    images = image_parts(attachments) if pictures else []
    error_lines: dict[str, list[int]] = {}
    for path, line in error_places(errors or (), files):
        error_lines.setdefault(path, []).append(line)
    history: list[ChatMessage] = [
        {"role": "assistant" if role == "assistant" else "user", "content": _compact(role, text)}
        for role, text in list(conversation)[-max_messages:]
        if text.strip()
    ]
    view = dict(files)
    listed = list(assets)  # the asset list: library entries may go, the game's own stay
    omitted: dict[str, str] = {}
    left_out: list[str] = []

    def assemble() -> list[ChatMessage]:
        text = "\n\n".join(_project_parts(view, listed, request, omitted))
        content: str | list[ContentPart] = (
            [{"type": "text", "text": text}, *images] if images else text
        )
        return [
            {"role": "system", "content": system_text},
            *history,
            {"role": "user", "content": content},
        ]

    messages = assemble()
    needed = budget.cost(messages) + budget.reserved_output

    def over() -> int:
        return budget.cost(messages) - budget.available

    dropped = 0
    while over() > 0 and history:
        # Whole exchanges go: a question without its answer only confuses.
        history.pop(0)
        dropped += 1
        if history and history[0]["role"] == "assistant":
            history.pop(0)
            dropped += 1
        messages = assemble()
    if dropped:
        left_out.append(f"{dropped} earlier message{'s' if dropped > 1 else ''} of the chat")

    words = _prompt_words(prompt)
    library = [
        a
        for a in listed
        if a.get("library") and str(a.get("name", "")).lower() not in prompt.lower()
    ]
    if over() > 0 and library:
        # Pictures and clips the game does not use yet: the prompt names the ones it wants.
        listed = [a for a in listed if a not in library]
        messages = assemble()
        left_out.append(
            f"{len(library)} asset{'s' if len(library) > 1 else ''} of the library "
            "(not listed: the game does not use them)"
        )

    untouched = [  # small files cost little and help the model see the whole: they stay
        p
        for p in view
        if view[p].count("\n") > MIN_KEPT_LINES
        and not _touched(p, view[p], prompt, words, set(error_lines))
    ]
    for path in sorted(untouched, key=lambda p: -len(view[p])):
        if over() <= 0:
            break
        omitted[path] = view.pop(path)
        left_out.append(f"{path} (not shown: the request does not touch it)")
        messages = assemble()

    originals = dict(view)
    done: set[str] = set()
    while over() > 0:
        candidates = [p for p in view if p not in done]
        if not candidates:
            break
        path = max(candidates, key=lambda p: len(view[p]))
        done.add(path)
        text = originals[path]
        chars_per_token = len(text) / max(1, _tokens(text, budget.scale))
        keep = [*error_lines.get(path, ()), *_named_lines(text, words)]
        excess = over() * chars_per_token
        for _ in range(4):  # the count of what stays is an estimate: cut more if it must
            view[path], spans = _cut_middle(text, math.ceil(excess), keep)
            messages = assemble()
            if over() <= 0 or not spans:
                break
            excess += over() * chars_per_token * 1.2
        left_out += [f"lines {first}–{last} of {path}" for first, last in spans]
    tokens = budget.cost(messages)
    fits = tokens <= budget.available
    if not fits:
        left_out.append("nothing more could be left out: the request is still too long")
    code, manifest, asked = _project_parts(view, listed, request, omitted)
    parts = {
        "system": budget.cost(messages[:1]),
        "conversation": budget.cost(history),
        "code": _tokens(code, budget.scale),
        "assets": _tokens(manifest, budget.scale),
        "request": _tokens(asked, budget.scale) + MESSAGE_OVERHEAD,
        "pictures": budget.content_cost(images),
    }
    return BuiltContext(messages, tokens, left_out, fits, needed, budget.scale, parts)
