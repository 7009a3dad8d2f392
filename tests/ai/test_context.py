from __future__ import annotations

from studio.ai.context import TokenBudget, build_messages, format_assets
from studio.ai.prompts import (
    continue_prompt,
    fix_prompt,
    load_prompt,
    render,
    retry_edit_prompt,
    system_prompt,
)
from studio.ai.tokens import count_tokens
from studio.config.resources import resource_path

ASSETS = [
    {
        "name": "jump.webm",
        "kind": "video",
        "size": 123_456,
        "duration": 2.5,
        "width": 640,
        "height": 360,
    },
    {"name": "assets/hero.png", "kind": "image", "size": 2048, "width": 64, "height": 64},
]


def test_resource_path_finds_the_prompts() -> None:
    assert resource_path("prompts", "system.md").is_file()


def test_prompts_load_and_teach_the_contract() -> None:
    system = system_prompt()
    for needle in (
        "index.html",
        "assets/<name>",
        "window.studio",
        "advance(ms)",
        "state()",
        "touch",
        "requestAnimationFrame",
        "CDN",
        '<file path="index.html">',
        "<<<<<<< SEARCH",
        ">>>>>>> REPLACE",
        "placeholders",
    ):
        assert needle in system, needle
    assert "{{" not in continue_prompt()
    for name in ("system", "fix", "retry_edit", "continue"):
        assert load_prompt(name).strip()


def test_render_leaves_other_braces_alone() -> None:
    assert render("a {{x}} { b }", x="1") == "a 1 { b }"


def test_fix_and_retry_prompts_fill_in() -> None:
    text = fix_prompt(
        [{"message": "ReferenceError: foo is not defined", "source": "index.html", "line": 12}],
        note="it crashes on jump",
    )
    assert "ReferenceError: foo is not defined (index.html:12)" in text
    assert "it crashes on jump" in text and "{{" not in text
    assert "BLOCKS HERE" in retry_edit_prompt("BLOCKS HERE")


def test_format_assets() -> None:
    text = format_assets(ASSETS)
    assert "- assets/jump.webm (video, 640×360, 2.5 s, 120.6 KB)" in text
    assert "- assets/hero.png (image, 64×64, 2.0 KB)" in text


def test_messages_layout() -> None:
    built = build_messages(
        "make the ball faster",
        {"game.js": "let speed = 2;\n", "index.html": "<html></html>\n"},
        system="SYSTEM",
        assets=ASSETS,
        conversation=[
            ("user", "make pong"),
            ("assistant", 'Here it is.\n<file path="index.html">\n<html></html>\n</file>'),
        ],
    )
    roles = [m["role"] for m in built.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert built.messages[0]["content"] == "SYSTEM"
    # Old answers lose their stale code but keep their prose.
    assert built.messages[2]["content"] == "Here it is.\n\n(changed index.html)"
    final = built.messages[-1]["content"]
    assert final.index('<current_file path="index.html">') < final.index("game.js")
    assert "assets/jump.webm" in final
    assert final.rstrip().endswith("make the ball faster")
    assert built.left_out == [] and built.fits


def test_fix_uses_the_errors() -> None:
    built = build_messages(
        "",
        {"index.html": "x\n"},
        system="S",
        errors=[{"message": "TypeError: x is null", "source": "index.html", "line": 3}],
    )
    assert "TypeError: x is null (index.html:3)" in built.messages[-1]["content"]


def test_oldest_conversation_dropped_first() -> None:
    conversation = [
        ("user" if i % 2 == 0 else "assistant", f"message {i} " * 200) for i in range(10)
    ]
    budget = TokenBudget(context_window=2600, reserved_output=500)
    built = build_messages(
        "go", {"index.html": "x\n"}, system="S", conversation=conversation, budget=budget
    )
    assert built.fits
    assert built.estimated_tokens <= budget.available
    kept = [m["content"] for m in built.messages[1:-1]]
    assert kept and kept[-1].startswith("message 9 ")
    assert not any(k.startswith("message 0 ") for k in kept)
    assert built.messages[1]["role"] == "user"
    assert built.left_out and "earlier message" in built.left_out[0]


def test_large_files_are_cut_in_the_middle_after_the_conversation() -> None:
    big = "".join(f"line {i} of the big game file with some code in it;\n" for i in range(2000))
    budget = TokenBudget(context_window=8000, reserved_output=2000)
    built = build_messages(
        "go",
        {"index.html": big, "small.js": "x\n"},
        system="S",
        conversation=[("user", "hi"), ("assistant", "hello")],
        budget=budget,
    )
    assert built.fits, built.left_out
    assert built.estimated_tokens <= budget.available
    assert built.left_out[0].startswith("2 earlier messages")
    assert built.left_out[1].startswith("lines ") and built.left_out[1].endswith("of index.html")
    final = built.messages[-1]["content"]
    assert "line 0 of the big" in final and "line 1999 of the big" in final
    assert "left out here to fit the context window" in final
    assert '<current_file path="small.js">\nx\n' in final


def test_reports_when_nothing_more_can_go() -> None:
    built = build_messages(
        "p" * 40_000, {}, system="S", budget=TokenBudget(context_window=1000, reserved_output=100)
    )
    assert not built.fits and built.left_out


def test_count_tokens() -> None:
    assert count_tokens("") == 0
    assert count_tokens(" word" * 10) == 10  # a word with its space is one token


BIG = "".join(f"line {i + 1} of the big game file with some code in it;\n" for i in range(3000))
BUDGET = TokenBudget(context_window=9000, reserved_output=2000)


def test_a_cut_keeps_the_lines_around_each_error() -> None:
    """The error is in the middle of a file too large to send whole: the lines around it
    stay in the file sent, and the fix prompt quotes them, marked."""
    errors = [
        {"message": "TypeError: boom", "source": "index.html", "line": 1500},
        {"message": "ReferenceError: gone", "source": "index.html", "line": 2400},
        {"message": "elsewhere", "source": "other.js", "line": 7},  # no such file: no quote
    ]
    built = build_messages("", {"index.html": BIG}, system="S", errors=errors, budget=BUDGET)
    assert built.fits, built.left_out
    final = built.messages[-1]["content"]
    sent = final[final.index('<current_file path="index.html">') : final.index("</current_file>")]
    for n in (1, 1480, 1500, 1520, 2400, 3000):
        assert f"\nline {n} of the big" in sent, n
    for n in (1000, 1470, 1530, 2000):
        assert f"\nline {n} of the big" not in sent, n
    spans = [s for s in built.left_out if s.endswith("of index.html")]
    assert len(spans) == 3  # before, between and after the two errors' windows
    cut = [tuple(int(x) for x in s.split()[1].split("–")) for s in spans]
    assert all(not first <= line <= last for first, last in cut for line in (1500, 2400))
    # The fix prompt quotes the code at each error, the line itself marked.
    assert "index.html, lines 1494–1506:" in final
    assert "1500> line 1500 of the big game file" in final
    assert "1499  line 1499 of the big game file" in final
    assert "2400> line 2400 of the big" in final and "other.js, lines" not in final


def test_without_errors_the_middle_of_a_large_file_goes() -> None:
    """(The control for the test above: the same budget cuts the middle whole.)"""
    built = build_messages("go", {"index.html": BIG}, system="S", budget=BUDGET)
    assert built.fits
    final = built.messages[-1]["content"]
    assert "\nline 1500 of the big" not in final and "\nline 3000 of the big" in final
    assert len(built.left_out) == 1 and "The code where" not in final


def test_quoted_lines_stay_inside_the_file() -> None:
    text = fix_prompt(
        [{"message": "SyntaxError", "source": "a.js", "line": 2}], files={"a.js": "one\ntwo\n"}
    )
    assert "a.js, lines 1–2:\n1  one\n2> two\n" in text
    assert "line numbers and the > mark are not part of it" in text
    assert "The code where" not in fix_prompt([{"message": "x", "source": "a.js", "line": 9}])


def test_library_assets_the_game_does_not_use_go_before_its_code() -> None:
    """A small window: pictures of the library the game does not use are left out of the
    list (the prompt can still name one), the game's own stay, and the code stays whole."""
    own = {"name": "hero.png", "kind": "image", "mime": "image/png", "width": 32, "height": 32}
    library = [
        {"name": f"coin-{i}.png", "kind": "image", "mime": "image/png", "library": True}
        for i in range(300)
    ]
    library.append({"name": "castle.png", "kind": "image", "mime": "image/png", "library": True})
    game = {"index.html": "<canvas></canvas>\n" * 30}
    budget = TokenBudget(context_window=3000, reserved_output=1000)
    built = build_messages(
        "put castle.png behind the level", game, system="S", assets=[own, *library], budget=budget
    )
    assert built.fits, built.left_out
    final = built.messages[-1]["content"]
    assert "assets/hero.png" in final and "assets/castle.png" in final
    assert "coin-7.png" not in final
    assert built.left_out == ["300 assets of the library (not listed: the game does not use them)"]
