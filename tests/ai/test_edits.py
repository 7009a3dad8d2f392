from __future__ import annotations

import pytest

from studio.ai.blocks import EditBlock
from studio.ai.edits import apply_block, apply_edits, detect_placeholders

GAME = """const W = 640, H = 480;
let speed = 2;

function update(dt) {
    player.x += speed * dt;
    if (player.x > W) {
        player.x = 0;
    }
}

function draw() {
    ctx.fillStyle = 'black';
    ctx.fillRect(0, 0, W, H);
    ctx.fillStyle = 'white';
    ctx.fillRect(player.x, player.y, 10, 10);
}
"""


def block(search: str, replace: str, path: str = "game.js") -> EditBlock:
    return EditBlock(path, search, replace)


def test_exact() -> None:
    new, result = apply_block(GAME, block("let speed = 2;\n", "let speed = 3;\n"))
    assert result.how == "exact"
    assert new == GAME.replace("let speed = 2;", "let speed = 3;")


def test_exact_is_whole_lines_only() -> None:
    # "speed = 2;" is inside a line: a SEARCH never matches half a line exactly.
    new, result = apply_block(GAME, block("speed = 2;\n", "speed = 9;\n"))
    assert result.how != "exact"


def test_whitespace_normalised_reindents_replacement() -> None:
    search = "if (player.x > W) {\n  player.x = 0;\n}\n"
    replace = "if (player.x > W) {\n  player.x = 0;\n  score += 1;\n}\n"
    new, result = apply_block(GAME, block(search, replace))
    assert result.how == "whitespace"
    assert "    if (player.x > W) {\n        player.x = 0;\n        score += 1;\n    }\n" in new


def test_whitespace_ignores_trailing_spaces_and_blank_lines() -> None:
    search = "let speed = 2;   \n\n\nfunction update(dt) {\n"
    new, result = apply_block(GAME, block(search, "let speed = 5;\n\nfunction update(dt) {\n"))
    assert result.how in ("exact", "whitespace")
    assert "let speed = 5;\n\nfunction update(dt) {" in new


def test_fuzzy() -> None:
    search = (
        "function draw() {\n"
        '    ctx.fillStyle = "black";\n'
        "    ctx.fillRect(0, 0, W, H);\n"
        '    ctx.fillStyle = "white";\n'
        "    ctx.fillRect(player.x, player.y, 10, 10);\n"
        "}\n"
    )
    replace = search.replace('"black"', '"navy"')
    new, result = apply_block(GAME, block(search, replace))
    assert result.how == "fuzzy"
    assert result.similarity >= 0.85
    assert 'ctx.fillStyle = "navy";' in new
    assert "function update(dt) {" in new
    assert new.count("function draw()") == 1


def test_no_match_fails_with_closest_region() -> None:
    search = "function draw() {\n    ctx.clearRect(0, 0, 100, 100);\n    paintEverything();\n}\n"
    new, result = apply_block(GAME, block(search, "x\n"))
    assert new is None
    assert result.how == "failed"
    assert "does not match" in result.reason
    assert "function draw() {" in result.closest
    assert result.closest_lines is not None


def test_ambiguous_exact_fails() -> None:
    text = "a();\nb();\na();\n"
    new, result = apply_block(text, block("a();\n", "c();\n"))
    assert new is None and "2 places" in result.reason


def test_empty_search_creates_missing_file() -> None:
    new, result = apply_block(None, block("", "hello\n", "new.js"))
    assert result.how == "created" and new == "hello\n"


def test_empty_search_on_existing_file_fails() -> None:
    new, result = apply_block(GAME, block("", "x\n"))
    assert new is None and result.how == "failed"


def test_missing_file_fails() -> None:
    new, result = apply_block(None, block("x\n", "y\n"))
    assert new is None and "does not exist" in result.reason


def test_file_without_final_newline_keeps_it_that_way() -> None:
    new, _ = apply_block("a\nb", block("b\n", "c\n"))
    assert new == "a\nc"


def test_deletion() -> None:
    new, result = apply_block(GAME, block("let speed = 2;\n", ""))
    assert result.ok and "speed = 2" not in new


def test_apply_edits_in_order_and_skips_failures() -> None:
    files = {"game.js": GAME}
    result = apply_edits(
        files,
        [
            block("let speed = 2;\n", "let speed = 3;\n"),
            block("let speed = 3;\n", "let speed = 4;\n"),
            block("nothing like this at all\n", "x\n"),
            block("", "body {}\n", "style.css"),
        ],
    )
    assert [r.how for r in result.results] == ["exact", "exact", "failed", "created"]
    assert "let speed = 4;" in result.files["game.js"]
    assert result.files["style.css"] == "body {}\n"
    assert not result.ok and len(result.failed) == 1
    assert files == {"game.js": GAME}  # the input is not touched


def test_fuzzy_in_a_long_file_is_quick() -> None:
    import time

    lines = [f"function f{i}(x) {{ return x * {i} + {i % 7}; }}" for i in range(5000)]
    text = "\n".join(lines) + "\n"
    search = "\n".join(lines[2500:2506]).replace("return", "retrun") + "\n"
    started = time.perf_counter()
    new, result = apply_block(text, block(search, "// replaced\n"))
    assert result.how == "fuzzy"
    assert new.count("// replaced") == 1 and "function f2500(" not in new
    assert time.perf_counter() - started < 2.0


PLACEHOLDERS = [
    "// ... rest of code unchanged ...",
    "/* ...existing code... */",
    "<!-- ... -->",
    "<!-- ... rest of the page ... -->",
    "// (same as before)",
    "    // ...",
    "// … existing functions …",
    "# ... remaining code ...",
    "{/* ... */}",
]


@pytest.mark.parametrize("line", PLACEHOLDERS)
def test_placeholders_detected(line: str) -> None:
    new = f"<html>\n{line}\n</html>\n"
    assert detect_placeholders(new, "<html>\n<body></body>\n</html>\n") == [line.strip()]


@pytest.mark.parametrize(
    "line",
    [
        "// Move the player",
        "const rest = [...items];",
        "// TODO: add levels...",
        "<!-- main canvas -->",
        "fn(...args);",
    ],
)
def test_ordinary_comments_are_not_placeholders(line: str) -> None:
    assert detect_placeholders(f"a\n{line}\nb\n", "old\n") == []


def test_placeholders_in_a_new_file_are_allowed() -> None:
    assert detect_placeholders("// ... rest of code unchanged ...\n", None) == []
    assert detect_placeholders("// ... rest of code unchanged ...\n", "") == []


def test_placeholder_the_old_file_already_had_is_not_counted() -> None:
    old = "a\n// ...\n"
    assert detect_placeholders("b\n// ...\n", old) == []
