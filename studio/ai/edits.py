"""Applying an answer's blocks to file text: whole files, and search/replace edits applied
forgivingly (exact, whitespace, fuzzy). `apply_edits` is the one way an answer changes code,
for the version that is saved and for the draft that plays while the answer streams.

Matching works on whole lines: a SEARCH never matches half a line. Each way of matching
must find exactly one place; an ambiguous block fails rather than guessing.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from cydifflib import SequenceMatcher

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
    # A file being edited stays split into lines (and normalised ones) from one block to the
    # next; its text is joined again when a whole file needs it, and at the end.
    working: dict[str, _Text] = {}

    def settle(path: str) -> None:
        doc = working.pop(path, None)
        if doc is not None and doc.changed:
            result.files[path] = doc.text()

    for block in blocks:
        if isinstance(block, FileComplete):
            settle(block.path)
            lazy = detect_placeholders(block.content, result.files.get(block.path))
            if lazy:
                result.refused[block.path] = lazy
            else:
                result.files[block.path] = block.content
                result.written.append(block.path)
            continue
        doc = working.get(block.path)
        if doc is None:
            text = result.files.get(block.path)
            doc = None if text is None else working.setdefault(block.path, _Text(text))
        made, outcome = _apply(doc, block, threshold)
        if made is not None:  # a new file, or one that only had blank lines
            working.pop(block.path, None)
            result.files[block.path] = made
        result.results.append(outcome)
    for path in list(working):
        settle(path)
    return result


class _Text:
    """A file's text as lines while blocks apply to it, with each line's whitespace-
    normalised form beside them (made when a block first needs it). Splicing keeps both,
    so a long file is split and normalised once, not once per block."""

    __slots__ = ("changed", "had_newline", "lines", "_normed")

    def __init__(self, text: str) -> None:
        self.lines = _lines(text)
        self.had_newline = text.endswith("\n") or not text
        self.changed = False
        self._normed: list[str] | None = None

    @property
    def normed(self) -> list[str]:
        if self._normed is None:
            self._normed = [_norm(line) for line in self.lines]
        return self._normed

    def text(self) -> str:
        if not self.lines:
            return ""
        body = "\n".join(self.lines)
        return body + "\n" if self.had_newline else body

    def splice(self, start: int, end: int, new: list[str]) -> None:
        self.lines[start:end] = new
        if self._normed is not None:
            self._normed[start:end] = [_norm(line) for line in new]
        self.changed = True
        # As if the text were joined and split again: a last empty line without a newline
        # after it is the newline of the line before.
        if not self.had_newline and (not self.lines or self.lines[-1] == ""):
            self.had_newline = True
            if self.lines:
                self.lines.pop()
                if self._normed is not None:
                    self._normed.pop()


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
    """Starts of every place the lines of `search` stand in `text` (list.index does the
    scanning, at C speed)."""
    n, first, found = len(search), search[0], []
    last = len(text) - n  # the last start where `search` fits
    i = 0
    while True:
        try:
            i = text.index(first, i, last + 1)
        except ValueError:
            return found
        if text[i : i + n] == search:
            found.append(i)
        i += 1


def _find_whitespace(normed: list[str], search: list[str]) -> list[tuple[int, int]]:
    """Matches ignoring indentation, inner spacing and blank lines: (start, end) ranges.
    `normed` is the text's lines normalised (a blank line is empty)."""
    wanted = [_norm(line) for line in search if line.strip()]
    if not wanted:
        return []
    spans, size, i = [], len(normed), 0
    while True:
        try:
            i = normed.index(wanted[0], i)
        except ValueError:
            return spans
        j, k = i, 1
        while k < len(wanted):  # the next lines that are not blank must be the rest
            j += 1
            while j < size and not normed[j]:
                j += 1
            if j == size or normed[j] != wanted[k]:
                break
            k += 1
        if k == len(wanted):
            spans.append((i, j + 1))
        i += 1


def _anchors(normed: list[str], search: list[str]) -> set[int]:
    """Window starts worth scoring: where a distinctive SEARCH line sits in the text.

    Scoring every window of a long file is slow; a block that is close enough to apply
    almost always shares a line with the text. Without one, the text lines most like a
    few SEARCH lines are used.
    """
    wanted = [_norm(line) for line in search]
    counts = Counter(normed)
    offsets: dict[str, list[int]] = {}
    for k, line in enumerate(wanted):
        if len(line) >= 4 and counts[line] <= 10:
            offsets.setdefault(line, []).append(k)
    starts = {
        max(0, i - k) for line, ks in offsets.items() for i in _places(normed, line) for k in ks
    }
    if starts:
        return starts
    # No line in common: take the text lines most like a few SEARCH lines, by character
    # trigrams (set arithmetic is fast where SequenceMatcher over every line is not).
    grams = [_trigrams(line) for line in normed]
    probes = [k for k, line in enumerate(wanted) if len(line) >= 4]
    for k in sorted({probes[0], probes[len(probes) // 2], probes[-1]} if probes else ()):
        target = _trigrams(wanted[k])
        size = len(target)
        best = heapq.nlargest(
            FUZZY_ANCHORS,
            (
                (common / (size + len(g) - common), i)
                for i, g in enumerate(grams)
                if g
                for common in (len(target & g),)
            ),
        )
        starts.update(max(0, i - k) for score, i in best if score >= 0.4)
    return starts


def _places(lines: list[str], line: str) -> list[int]:
    """Every index of `line` in `lines`."""
    found, i = [], 0
    while True:
        try:
            i = lines.index(line, i)
        except ValueError:
            return found
        found.append(i)
        i += 1


def _trigrams(line: str) -> set[str] | set[tuple[str, str, str]]:
    """A line's character trigrams (as tuples: zip makes them at C speed); a line shorter
    than three characters is its own one gram."""
    if len(line) < 3:
        return {line} if line else set()
    return set(zip(line, line[1:], line[2:], strict=False))


def _find_fuzzy(
    normed: list[str], search: list[str], threshold: float
) -> tuple[float, tuple[int, int] | None, bool]:
    """Best window by SequenceMatcher ratio: (score, range, unique).

    The Indel similarity (rapidfuzz: the longest common subsequence, which no set of
    matching blocks exceeds) bounds SequenceMatcher's ratio from above and costs little, so
    windows are scored from the highest bound down, and a window whose bound is below the
    best score found (less the margin the rivals are kept within) is never scored. What is
    chosen does not depend on the order: the best window and its rivals are always scored.
    """
    from rapidfuzz.distance import Indel  # here: 10-15 ms to import, needed on no first screen

    n = len(search)
    if not normed or not n:
        return 0.0, None, False
    spread = max(1, n // 10)
    sizes = sorted({max(1, n + d) for d in range(-spread, spread + 1)})
    wanted = "\n".join(_norm(line) for line in search)
    windows: list[tuple[float, int, int, str]] = []
    for start in _anchors(normed, search):
        for end in sorted({min(len(normed), start + size) for size in sizes}):
            if end > start:
                window = "\n".join(normed[start:end])
                total = len(window) + len(wanted)
                bound = (total - Indel.distance(window, wanted)) / total
                windows.append((bound, start, end, window))
    windows.sort(key=lambda w: (-w[0], w[1], w[2]))
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(wanted)
    scored: list[tuple[float, int, int]] = []
    best = 0.0
    for bound, start, end, window in windows:
        floor = best - 0.011
        if bound < floor:
            break  # and so is every bound after it
        matcher.set_seq1(window)
        score = matcher.ratio()
        if score >= floor:
            scored.append((score, start, end))
            best = max(best, score)
    if not scored:
        return 0.0, None, False
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
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


def apply_block(
    text: str | None, block: EditBlock, *, threshold: float = FUZZY_THRESHOLD
) -> tuple[str | None, BlockResult]:
    """Apply one block to `text` (None: the file does not exist).

    Returns the new text (None when the block failed) and what happened.
    """
    doc = None if text is None else _Text(text)
    made, outcome = _apply(doc, block, threshold)
    if made is not None or not outcome.ok:
        return made, outcome
    return doc.text() if doc is not None else None, outcome


def _apply(doc: _Text | None, block: EditBlock, threshold: float) -> tuple[str | None, BlockResult]:
    """Apply one block to `doc` in place. Returns the text of a file made anew (a SEARCH
    that is empty, on a file that is missing or blank), else None, and what happened."""
    search = _lines(block.search.replace("\r\n", "\n"))
    replace = _lines(block.replace.replace("\r\n", "\n"))
    if not _trim_blank(search):
        if doc is None or not any(line.strip() for line in doc.lines):
            return _join(replace), BlockResult(block, "created")
        return None, BlockResult(
            block, "failed", 0.0, f"SEARCH is empty but {block.path} already has content"
        )
    if doc is None:
        return None, BlockResult(block, "failed", 0.0, f"{block.path} does not exist")
    lines = doc.lines

    trimmed = _trim_blank(search), _trim_blank(replace)
    for s_lines, r_lines in ((search, replace), trimmed):
        found = _find_exact(lines, s_lines)
        if len(found) == 1:
            doc.splice(found[0], found[0] + len(s_lines), r_lines)
            return None, BlockResult(block, "exact")
        if len(found) > 1:
            return None, _ambiguous(block, lines, (found[0], found[0] + len(s_lines)), found)

    search, replace = trimmed
    spans = _find_whitespace(doc.normed, search)
    if len(spans) == 1:
        start, end = spans[0]
        doc.splice(start, end, _reindent(replace, search, lines[start:end]))
        return None, BlockResult(block, "whitespace")
    if len(spans) > 1:
        return None, _ambiguous(block, lines, spans[0], [s for s, _ in spans])

    score, span, unique = _find_fuzzy(doc.normed, search, threshold)
    if span is not None and score >= threshold and unique:
        start, end = span
        doc.splice(start, end, _reindent(replace, search, lines[start:end]))
        return None, BlockResult(block, "fuzzy", round(score, 3))
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
