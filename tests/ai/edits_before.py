"""Studio's edit matching as it was before issue 21 (difflib's SequenceMatcher, the text
split and normalised again for every block), kept only as the oracle that
test_edits_equivalence.py compares the faster matcher with. Helpers that did not change are
imported from `studio.ai.edits` (re-indenting too: that cydifflib's opcodes are difflib's
is tested on its own).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from difflib import SequenceMatcher

from studio.ai.blocks import CodeBlock, EditBlock, FileComplete
from studio.ai.edits import (
    FUZZY_ANCHORS,
    FUZZY_THRESHOLD,
    BlockResult,
    EditResult,
    _ambiguous,
    _closest,
    _join,
    _lines,
    _norm,
    _reindent,
    _trim_blank,
    detect_placeholders,
)


def apply_edits(
    files: Mapping[str, str], blocks: Iterable[CodeBlock], *, threshold: float = FUZZY_THRESHOLD
) -> EditResult:
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
        # Today's wording (the wording is not a choice this oracle keeps).
        else f"the code to replace does not match {block.path}"
        + (
            f" (the nearest lines are {score:.0%} alike)"
            if score >= 0.5
            else " (nothing like them)"
        )
    )
    return None, BlockResult(block, "failed", round(score, 3), reason, closest, where)
