"""The faster matcher (issue 21) makes the same choices as the one before it.

Generated files and answers go through `studio.ai.edits.apply_edits` and through the
matcher as it was (`tests/ai/edits_before.py`, difflib and a re-split per block); the files,
each block's outcome (how, similarity, reason, closest region) and the whole files written
or refused must be equal. The cases cover exact, re-indented, blank-line and fuzzy matches,
ambiguous ones, misses, blocks with no line in common with the file (the trigram anchors),
empty SEARCHes, CRLF, tabs, files without a last newline, and several blocks on one file.
"""

from __future__ import annotations

import random

import pytest

from studio.ai.blocks import CodeBlock, EditBlock, FileComplete
from studio.ai.edits import apply_block, apply_edits
from tests.ai import edits_before

WORDS = ["player", "enemy", "score", "speed", "jump", "x", "vy", "frames", "W", "dt", "e"]
REPEATED = ["}", "", "  return;", "    break;", "  }", "} else {", "  e.x += e.vx * dt;"]


def _line(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(REPEATED)
    indent = rng.choice(["", "  ", "    ", "\t", "\t  ", "        "])
    words = [rng.choice(WORDS) for _ in range(rng.randint(1, 7))]
    line = indent + rng.choice([" = ", " += ", "(", " ", "."]).join(words)
    return line + rng.choice([";", " {", "", ";  ", ");"])


def _file(rng: random.Random) -> str:
    lines = [_line(rng) for _ in range(rng.randint(0, 120))]
    text = "\n".join(lines)
    return text + "\n" if rng.random() < 0.85 else text


def _mutate(rng: random.Random, lines: list[str]) -> list[str]:
    """A SEARCH as a model might get it wrong."""
    kind = rng.choice(["same", "indent", "spaces", "blank", "typo", "typo", "words", "all"])
    out = list(lines)
    if kind == "indent":
        out = [("  " if rng.random() < 0.7 else "\t") + line.lstrip() for line in out]
    elif kind == "spaces":
        out = [line.replace(" ", "  ").rstrip() + rng.choice(["", " "]) for line in out]
    elif kind == "blank" and out:
        out.insert(rng.randrange(len(out) + 1), "")
    elif kind == "typo" and out:
        at = rng.randrange(len(out))
        out[at] = out[at].replace(rng.choice(WORDS), rng.choice(WORDS), 1) + "x"
    elif kind == "words":
        out = [line.replace("e", "E", 1) for line in out]
    elif kind == "all":  # no line left as it was: anchors come from trigrams
        out = [line.replace("e", "3").replace("a", "4") + " //" for line in out]
    return out


def _block(rng: random.Random, path: str, text: str) -> CodeBlock:
    lines = text.split("\n")
    roll = rng.random()
    if roll < 0.05:
        return EditBlock(path, rng.choice(["", "\n", "  \n"]), "let made = 1;\n")
    if roll < 0.08:
        return FileComplete(path, "// rest of the code ...\n" if rng.random() < 0.5 else text)
    if roll < 0.12:
        search = [_line(rng) for _ in range(rng.randint(1, 6))]  # from nowhere
    else:
        size = rng.randint(1, 12)
        # Some reach the end of the file, where its last newline is at stake.
        start = max(0, len(lines) - size) if roll < 0.3 else rng.randrange(max(1, len(lines)))
        search = _mutate(rng, lines[start : start + size])
    replace = [_line(rng) for _ in range(rng.randint(0, 5))] + [""] * (rng.random() < 0.2)
    end = "\r\n" if rng.random() < 0.05 else "\n"
    return EditBlock(
        path,
        "".join(s + end for s in search) + ("\n" if rng.random() < 0.1 else ""),
        "".join(r + end for r in replace),
    )


def _same(new: object, old: object) -> None:
    assert new.files == old.files
    assert new.written == old.written and new.refused == old.refused
    assert new.results == old.results


@pytest.mark.parametrize("seed", range(6))
def test_the_same_choices_as_before_on_generated_answers(seed: int) -> None:
    rng = random.Random(seed)
    outcomes: set[str] = set()
    for _ in range(100):
        files = {"game.js": _file(rng), "style.css": _file(rng)}
        blocks = []
        for _ in range(rng.randint(1, 5)):
            path = rng.choice(["game.js", "game.js", "style.css", "new.js"])
            blocks.append(_block(rng, path, files.get(path, "")))
        threshold = rng.choice([0.85, 0.85, 0.6])
        new = apply_edits(files, blocks, threshold=threshold)
        _same(new, edits_before.apply_edits(files, blocks, threshold=threshold))
        outcomes |= {r.how for r in new.results}
        for block in blocks:
            if isinstance(block, EditBlock):
                text = files.get(block.path)
                assert apply_block(text, block) == edits_before.apply_block(text, block)
    assert outcomes >= {"exact", "whitespace", "fuzzy", "failed"}  # the cases reach them all


def test_the_same_choices_in_a_long_file_with_repeated_lines() -> None:
    rng = random.Random(99)
    lines = []
    for i in range(300):
        lines += [f"function enemy{i % 40}Update(e, dt) {{", "  e.x += e.vx * dt;", "}", ""]
    text = "\n".join(lines) + "\n"
    for _ in range(30):
        blocks = [_block(rng, "f.js", text) for _ in range(3)]
        _same(apply_edits({"f.js": text}, blocks), edits_before.apply_edits({"f.js": text}, blocks))


def test_cydifflib_matches_as_difflib_does() -> None:
    """The matcher scores windows and re-indents with cydifflib: the same blocks, ratios and
    opcodes as the standard library's SequenceMatcher, on text and on lists of lines."""
    import difflib

    import cydifflib

    rng = random.Random(7)
    for _ in range(1500):
        a = "\n".join(_line(rng) for _ in range(rng.randint(0, 6)))
        b = "\n".join(_line(rng) for _ in range(rng.randint(0, 6)))
        if rng.random() < 0.5:
            b = a.replace("e", "E", 1) + rng.choice(["", ";", "\n}"])
        ours = cydifflib.SequenceMatcher(None, a, b, autojunk=False)
        theirs = difflib.SequenceMatcher(None, a, b, autojunk=False)
        assert ours.ratio() == theirs.ratio()
        assert ours.get_matching_blocks() == theirs.get_matching_blocks()
        la, lb = a.split("\n"), b.split("\n")
        ours_lines = cydifflib.SequenceMatcher(None, la, lb)
        assert ours_lines.get_opcodes() == difflib.SequenceMatcher(None, la, lb).get_opcodes()
