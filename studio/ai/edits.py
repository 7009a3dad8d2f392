"""Applying an answer's blocks to file text: whole files, and search/replace edits applied
forgivingly (exact, whitespace, fuzzy). `apply_edits` is the one way an answer changes code,
for the version that is saved and for the draft that plays while the answer streams.

Matching works on whole lines: a SEARCH never matches half a line. Each way of matching
must find exactly one place; an ambiguous block fails rather than guessing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Literal

from studio.ai.blocks import CodeBlock, EditBlock, FileComplete

__all__ = [
    "BlockResult",
    "EditResult",
    "apply_block",
    "apply_edits",
    "detect_placeholders",
]

How = Literal["exact", "whitespace", "fuzzy", "created", "failed"]

FUZZY_THRESHOLD = 0.85
CONTEXT_LINES = 3  # shown around the closest region of a failed block
FUZZY_ANCHORS = 4  # lines most like a SEARCH line that are tried as a window's place


@dataclass(frozen=True, slots=True)
class BlockResult:
    """What became of one block."""

    block: EditBlock
    how: How
    similarity: float = 1.0
    reason: str = ""
    closest: str = ""  # failed: the best-matching region with a little context
    closest_lines: tuple[int, int] | None = None  # 1-based, inclusive, of `closest`

    @property
    def ok(self) -> bool:
        return self.how != "failed"


@dataclass(slots=True)
class EditResult:
    files: dict[str, str]  # the input files with every block that applied
    results: list[BlockResult] = field(default_factory=list)  # each edit block's, in order
    written: list[str] = field(default_factory=list)  # whole files written
    refused: dict[str, list[str]] = field(default_factory=dict)  # whole files: placeholders

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failed(self) -> list[BlockResult]:
        return [r for r in self.results if not r.ok]

    @property
    def applied(self) -> list[BlockResult]:
        return [r for r in self.results if r.ok]


def apply_edits(
    files: Mapping[str, str],
    blocks: Iterable[CodeBlock],
    *,
    threshold: float = FUZZY_THRESHOLD,
) -> EditResult:
    """Apply blocks in order to a copy of `files`. A whole file replaces the old text, unless
    it leaves parts out as placeholders (refused); an edit that does not match is skipped."""
    result = EditResult(files=dict(files))
    for block in blocks:
        if isinstance(block, FileComplete):
            lazy = detect_placeholders(block.content, result.files.get(block.path))
            if lazy:
                result.refused[block.path] = lazy
            else:
                result.files[block.path] = block.content
                result.written.append(block.path)
            continue
        new_text, outcome = apply_block(result.files.get(block.path), block, threshold=threshold)
        if new_text is not None:
            result.files[block.path] = new_text
        result.results.append(outcome)
    return result


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _norm(line: str) -> str:
    return " ".join(line.split())


def _trim_blank(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _width(indent: str) -> int:
    return len(indent.expandtabs(4))


def _make_indent(width: int, like: str) -> str:
    if "\t" in like:
        return "\t" * (width // 4) + " " * (width % 4)
    return " " * width


def _indent_map(search: list[str], found: list[str]) -> dict[int, str]:
    """Indentation width in SEARCH -> indentation in the text, from lines that correspond."""
    pairs = SequenceMatcher(None, [_norm(x) for x in search], [_norm(x) for x in found])
    mapping: dict[int, str] = {}
    for tag, i1, i2, j1, j2 in pairs.get_opcodes():
        if tag in ("equal", "replace") and i2 - i1 == j2 - j1:
            for s_line, t_line in zip(search[i1:i2], found[j1:j2], strict=True):
                if s_line.strip() and t_line.strip():
                    mapping.setdefault(_width(_indent(s_line)), _indent(t_line))
    return mapping


def _reindent(replace: list[str], search: list[str], found: list[str]) -> list[str]:
    """Give the replacement the text's indentation where SEARCH's differed from it.

    Widths SEARCH used map to what the text has there; other widths are placed by the
    step between the two deepest known levels (e.g. 2-space SEARCH into 4-space text).
    """
    mapping = _indent_map(search, found)
    if not mapping or all(
        _indent(line) == mapping.get(_width(_indent(line)), _indent(line))
        for line in search
        if line.strip()
    ):
        return replace
    keys = sorted(mapping)
    step = 1.0
    if len(keys) >= 2:
        (k1, k2) = keys[-2:]
        step = (_width(mapping[k2]) - _width(mapping[k1])) / (k2 - k1)
    out = []
    for line in replace:
        body = line.lstrip(" \t")
        if not body:
            out.append(line)
            continue
        width = _width(_indent(line))
        if width in mapping:
            out.append(mapping[width] + body)
            continue
        below = [k for k in keys if k <= width]
        base = below[-1] if below else keys[0]
        new_width = max(0, _width(mapping[base]) + round((width - base) * step))
        out.append(_make_indent(new_width, mapping[base]) + body)
    return out


def _find_exact(text: list[str], search: list[str]) -> list[int]:
    n = len(search)
    first = search[0]
    return [i for i in range(len(text) - n + 1) if text[i] == first and text[i : i + n] == search]


def _find_whitespace(text: list[str], search: list[str]) -> list[tuple[int, int]]:
    """Matches ignoring indentation, inner spacing and blank lines: (start, end) ranges."""
    wanted = [_norm(line) for line in search if line.strip()]
    if not wanted:
        return []
    kept = [(i, _norm(line)) for i, line in enumerate(text) if line.strip()]
    norms = [n for _, n in kept]
    n = len(wanted)
    return [
        (kept[j][0], kept[j + n - 1][0] + 1)
        for j in range(len(norms) - n + 1)
        if norms[j] == wanted[0] and norms[j : j + n] == wanted
    ]


def _anchors(normed: list[str], search: list[str]) -> set[int]:
    """Window starts worth scoring: where a distinctive SEARCH line sits in the text.

    Scoring every window of a long file is slow; a block that is close enough to apply
    almost always shares a line with the text. Without one, the text lines most like a
    few SEARCH lines are used.
    """
    wanted = [_norm(line) for line in search]
    counts: dict[str, int] = {}
    for line in normed:
        counts[line] = counts.get(line, 0) + 1
    offsets: dict[str, list[int]] = {}
    for k, line in enumerate(wanted):
        if len(line) >= 4 and counts.get(line, 0) <= 10:
            offsets.setdefault(line, []).append(k)
    starts = {
        max(0, i - k) for i, line in enumerate(normed) if line in offsets for k in offsets[line]
    }
    if starts:
        return starts
    # No line in common: take the text lines most like a few SEARCH lines, by character
    # trigrams (set arithmetic is fast where SequenceMatcher over every line is not).
    grams = [_trigrams(line) for line in normed]
    probes = [k for k, line in enumerate(wanted) if len(line) >= 4]
    for k in sorted({probes[0], probes[len(probes) // 2], probes[-1]} if probes else ()):
        target = _trigrams(wanted[k])
        scores = sorted(
            ((len(target & g) / len(target | g), i) for i, g in enumerate(grams) if g),
            reverse=True,
        )
        starts.update(max(0, i - k) for score, i in scores[:FUZZY_ANCHORS] if score >= 0.4)
    return starts


def _trigrams(line: str) -> set[str]:
    return {line[i : i + 3] for i in range(max(1, len(line) - 2))} if line else set()


def _find_fuzzy(
    text: list[str], search: list[str], threshold: float
) -> tuple[float, tuple[int, int] | None, bool]:
    """Best window by SequenceMatcher ratio: (score, range, unique)."""
    n = len(search)
    if not text or not n:
        return 0.0, None, False
    normed = [_norm(line) for line in text]
    spread = max(1, n // 10)
    sizes = sorted({max(1, n + d) for d in range(-spread, spread + 1)})
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2("\n".join(_norm(line) for line in search))
    scored: list[tuple[float, int, int]] = []
    best = 0.0
    for start in sorted(_anchors(normed, search)):
        for size in sizes:
            end = min(len(text), start + size)
            if end <= start:
                continue
            matcher.set_seq1("\n".join(normed[start:end]))
            floor = best - 0.011
            if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
                continue
            score = matcher.ratio()
            if score >= floor:
                scored.append((score, start, end))
                best = max(best, score)
    if not scored:
        return 0.0, None, False
    scored.sort(key=lambda item: (-item[0], item[1]))
    score, start, end = scored[0]
    # Another window that does not overlap the best one and scores about as well: ambiguous.
    rival = any(
        s >= threshold and s >= score - 0.01 and (e2 <= start or s2 >= end)
        for s, s2, e2 in scored[1:]
    )
    return score, (start, end), not rival


def _closest(text: list[str], span: tuple[int, int] | None) -> tuple[str, tuple[int, int] | None]:
    if span is None or not text:
        return "", None
    start = max(0, span[0] - CONTEXT_LINES)
    end = min(len(text), span[1] + CONTEXT_LINES)
    return _join(text[start:end]), (start + 1, end)


def _join(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _splice(text: list[str], start: int, end: int, new: list[str], had_newline: bool) -> str:
    out = _join(text[:start] + new + text[end:])
    return out if had_newline or not out else out[:-1]


def apply_block(
    text: str | None, block: EditBlock, *, threshold: float = FUZZY_THRESHOLD
) -> tuple[str | None, BlockResult]:
    """Apply one block to `text` (None: the file does not exist).

    Returns the new text (None when the block failed) and what happened.
    """
    search = _lines(block.search.replace("\r\n", "\n"))
    replace = _lines(block.replace.replace("\r\n", "\n"))
    if not _trim_blank(search):
        if text is None or not text.strip():
            return _join(replace), BlockResult(block, "created")
        return None, BlockResult(
            block, "failed", 0.0, f"SEARCH is empty but {block.path} already has content"
        )
    if text is None:
        return None, BlockResult(block, "failed", 0.0, f"{block.path} does not exist")

    had_newline = text.endswith("\n") or not text
    lines = _lines(text)

    for s_lines, r_lines in ((search, replace), (_trim_blank(search), _trim_blank(replace))):
        found = _find_exact(lines, s_lines)
        if len(found) == 1:
            start = found[0]
            new = _splice(lines, start, start + len(s_lines), r_lines, had_newline)
            return new, BlockResult(block, "exact")
        if len(found) > 1:
            return None, _ambiguous(block, lines, (found[0], found[0] + len(s_lines)), found)

    search, replace = _trim_blank(search), _trim_blank(replace)
    spans = _find_whitespace(lines, search)
    if len(spans) == 1:
        start, end = spans[0]
        new_lines = _reindent(replace, search, lines[start:end])
        return _splice(lines, start, end, new_lines, had_newline), BlockResult(block, "whitespace")
    if len(spans) > 1:
        return None, _ambiguous(block, lines, spans[0], [s for s, _ in spans])

    score, span, unique = _find_fuzzy(lines, search, threshold)
    if span is not None and score >= threshold and unique:
        start, end = span
        new_lines = _reindent(replace, search, lines[start:end])
        new = _splice(lines, start, end, new_lines, had_newline)
        return new, BlockResult(block, "fuzzy", round(score, 3))
    closest, where = _closest(lines, span)
    reason = (
        f"SEARCH matches several places in {block.path} about equally well"
        if span is not None and score >= threshold
        else f"the code to replace does not match {block.path}" + _closest_words(score)
    )
    return None, BlockResult(block, "failed", round(score, 3), reason, closest, where)


def _closest_words(score: float) -> str:
    """How close the nearest lines came, when they came close at all."""
    return f" (the nearest lines are {score:.0%} alike)" if score >= 0.5 else " (nothing like them)"


def _ambiguous(
    block: EditBlock, lines: list[str], span: tuple[int, int], starts: list[int]
) -> BlockResult:
    closest, where = _closest(lines, span)
    places = ", ".join(str(s + 1) for s in starts[:5])
    reason = f"SEARCH matches {len(starts)} places in {block.path} (lines {places})"
    return BlockResult(block, "failed", 1.0, reason, closest, where)


# -- lazy placeholders ----------------------------------------------------------------------

_COMMENT = re.compile(
    r"^\s*(?://+|/\*+|<!--|#+|\*+|\{/\*)\s*(?P<body>.*?)\s*(?:\*+/\}?|-->)?\s*$", re.DOTALL
)
_ELLIPSIS = r"(?:\.{3,}|…)"
_LAZY_WORDS = re.compile(
    r"\b(?:rest\s+of|remaining|remainder|existing|unchanged|same\s+as\s+(?:before|above|the\s+"
    r"original)|as\s+before|previous(?:ly)?|omitted|for\s+brevity|keep\s+(?:the\s+)?(?:rest|"
    r"existing)|other\s+(?:code|functions|methods|styles)|code\s+(?:here|continues|goes\s+here)"
    r"|etc\.?|no\s+changes?|not\s+shown|stays?\s+the\s+same|remains?\s+the\s+same)\b",
    re.IGNORECASE,
)
_PHRASE_ONLY = re.compile(
    r"^\(?\s*(?:same\s+as\s+before|unchanged|rest\s+of\s+(?:the\s+)?(?:code|file)(?:\s+"
    r"unchanged)?|existing\s+code|as\s+before|previous\s+code)\s*\)?\.?$",
    re.IGNORECASE,
)


def _is_placeholder(line: str) -> bool:
    stripped = line.strip()
    if re.fullmatch(_ELLIPSIS, stripped):
        return True
    match = _COMMENT.match(stripped)
    if not match:
        return False
    body = match.group("body").strip()
    if not body:
        return False
    if re.fullmatch(rf"[\[\(]?\s*{_ELLIPSIS}\s*[\]\)]?", body):
        return True
    if _PHRASE_ONLY.match(body):
        return True
    return bool(re.search(_ELLIPSIS, body) and _LAZY_WORDS.search(body))


def detect_placeholders(new_text: str, old_text: str | None) -> list[str]:
    """Lazy placeholder lines in a whole file that replaces `old_text`.

    A new file (no old text) is never refused, and a line the old file already had
    (the same comment, written by a person) is not counted.
    """
    if not old_text or not old_text.strip():
        return []
    old = {line.strip() for line in old_text.splitlines()}
    return [
        line.strip()
        for line in new_text.splitlines()
        if line.strip() not in old and _is_placeholder(line)
    ]
