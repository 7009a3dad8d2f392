from __future__ import annotations

import pytest

from studio.ai.blocks import (
    EditBlock,
    EditComplete,
    EditStarted,
    Event,
    FileComplete,
    FileDelta,
    FileStarted,
    Incomplete,
    MessageText,
)
from studio.ai.stream_parser import StreamParser, coalesce, parse_answer

SAMPLE = """Here is your game! Use the arrow keys or tap.

```html
<file path="index.html">
<!DOCTYPE html>
<html>
<body>
  <canvas id="c"></canvas>
  <script>const msg = `a < b`; if (a<b) {}</script>
</body>
</html>
</file>
```

Then I tuned the speed:
<edit path='game.js'>
```js
<<<<<<< SEARCH
const speed = 2;
=======
const speed = 3;
>>>>>>> REPLACE
<<<<<<< SEARCH
  jump();
=======
  jump(1.5);
>>>>>>> REPLACE
```
</edit>

<file path="style.css">
```css
body { margin: 0 }
```
</file>
Done: <b>enjoy</b>, and <fi is not a tag.
"""

INDEX = """<!DOCTYPE html>
<html>
<body>
  <canvas id="c"></canvas>
  <script>const msg = `a < b`; if (a<b) {}</script>
</body>
</html>
"""


def run(chunks: list[str]) -> list[Event]:
    parser = StreamParser()
    events: list[Event] = []
    for chunk in chunks:
        events += parser.feed(chunk)
    events += parser.finish()
    return coalesce(events)


def test_sample_events() -> None:
    events = run([SAMPLE])
    assert events == [
        MessageText("Here is your game! Use the arrow keys or tap.\n\n"),
        FileStarted("index.html"),
        FileDelta("index.html", INDEX),
        FileComplete("index.html", INDEX),
        MessageText("\nThen I tuned the speed:\n"),
        EditStarted("game.js"),
        EditBlock("game.js", "const speed = 2;\n", "const speed = 3;\n"),
        EditBlock("game.js", "  jump();\n", "  jump(1.5);\n"),
        EditComplete("game.js", 2, ""),
        MessageText("\n\n"),
        FileStarted("style.css"),
        FileDelta("style.css", "body { margin: 0 }\n"),
        FileComplete("style.css", "body { margin: 0 }\n"),
        MessageText("\nDone: <b>enjoy</b>, and <fi is not a tag.\n"),
    ]


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_every_split_position_gives_the_same_events(line_end: str) -> None:
    text = SAMPLE.replace("\n", line_end)
    expected = run([SAMPLE])
    for cut in range(len(text) + 1):
        assert run([text[:cut], text[cut:]]) == expected, f"split at {cut}"


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_one_character_at_a_time(line_end: str) -> None:
    text = SAMPLE.replace("\n", line_end)
    assert run(list(text)) == run([SAMPLE])


def test_three_way_splits_around_tags() -> None:
    expected = run([SAMPLE])
    anchors = [SAMPLE.index(t) for t in ("<file", "</file>", "<edit", "<<<<<<<", "</edit>")]
    for anchor in anchors:
        for a in range(anchor - 3, anchor + 9):
            for b in range(a, anchor + 12):
                assert run([SAMPLE[:a], SAMPLE[a:b], SAMPLE[b:]]) == expected


def test_file_deltas_stream_before_the_block_closes() -> None:
    parser = StreamParser()
    events = parser.feed('<file path="a.js">\nconst a = 1;\nconst b')
    deltas = "".join(e.text for e in events if isinstance(e, FileDelta))
    assert deltas == "const a = 1;\nconst b"
    assert not any(isinstance(e, FileComplete) for e in events)


def test_deltas_join_to_the_content() -> None:
    parser = StreamParser()
    events = []
    for ch in SAMPLE:
        events += parser.feed(ch)
    events += parser.finish()
    for done in (e for e in events if isinstance(e, FileComplete)):
        joined = "".join(e.text for e in events if isinstance(e, FileDelta) and e.path == done.path)
        assert joined == done.content


def test_unclosed_file_is_incomplete_never_complete() -> None:
    events = run(['Sure.\n<file path="index.html">\n<html>\n<body>\n'])
    assert not any(isinstance(e, FileComplete) for e in events)
    assert events[-1] == Incomplete("index.html", "<html>\n<body>\n", "file")


def test_unclosed_edit_is_incomplete() -> None:
    events = run(['<edit path="a.js">\n<<<<<<< SEARCH\nx\n=======\n'])
    assert isinstance(events[-1], Incomplete)
    assert events[-1].kind == "edit"
    assert "<<<<<<< SEARCH" in events[-1].partial_text
    assert not any(isinstance(e, EditBlock | EditComplete) for e in events)


def test_prose_only() -> None:
    answer = parse_answer("I can't do that, but here is an idea: use `<canvas>`.")
    assert not answer.has_code
    assert answer.message == "I can't do that, but here is an idea: use `<canvas>`."


def test_fences_in_prose_not_around_blocks_are_kept() -> None:
    text = "Run this:\n```\nnpm start\n```\nthen play."
    assert parse_answer(text).message == text


def test_fence_inside_the_tags_only() -> None:
    answer = parse_answer('<file path="a.js">\n```javascript\nlet x = 1;\n```\n</file>')
    assert answer.files == {"a.js": "let x = 1;\n"}


def test_fence_lines_in_a_file_without_fence_wrapping_stay() -> None:
    md = "# Notes\n\n```js\ncode()\n```\n"
    answer = parse_answer(f'<file path="README.md">\n{md}</file>')
    assert answer.files == {"README.md": md}


def test_quotes_attributes_and_path_cleanup() -> None:
    answer = parse_answer(
        '<file path=\'./js/a.js\'>1\n</file><FILE Path="b.js" lang="js">2</FILE>'
        "<file path=c.js>3</file>"
    )
    assert answer.files == {"js/a.js": "1\n", "b.js": "2\n", "c.js": "3\n"}


def test_tag_without_path_is_prose() -> None:
    answer = parse_answer("A <file> tag and <edit> tag.")
    assert not answer.has_code
    assert answer.message == "A <file> tag and <edit> tag."


def test_leading_and_trailing_blank_lines_trimmed() -> None:
    answer = parse_answer('<file path="a.txt">   \n\n  indented\n\n\n</file>')
    assert answer.files == {"a.txt": "  indented\n"}


def test_empty_file_block() -> None:
    assert parse_answer('<file path="a.txt">\n</file>').files == {"a.txt": ""}


def test_several_blocks_inside_one_fence() -> None:
    text = (
        '```\n<edit path="a">\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n</edit>\n'
        '<edit path="b">\n<<<<<<< SEARCH\np\n=======\nq\n>>>>>>> REPLACE\n</edit>\n```\nok'
    )
    answer = parse_answer(text)
    assert [(e.path, e.search, e.replace) for e in answer.edits] == [
        ("a", "x\n", "y\n"),
        ("b", "p\n", "q\n"),
    ]
    assert answer.message == "ok"


def test_empty_search_block() -> None:
    answer = parse_answer(
        '<edit path="new.js">\n<<<<<<< SEARCH\n=======\nhi\n>>>>>>> REPLACE\n</edit>'
    )
    assert answer.edits == [EditBlock("new.js", "", "hi\n")]


def test_malformed_edit_is_reported() -> None:
    answer = parse_answer('<edit path="a.js">\n=======\nnew\n>>>>>>> REPLACE\n</edit>')
    assert answer.edits == []
    assert answer.malformed_edits and "REPLACE" in answer.malformed_edits[0].malformed
    assert answer.has_code


def test_unterminated_block_inside_closed_edit_is_malformed() -> None:
    answer = parse_answer(
        '<edit path="a.js">\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n'
        "<<<<<<< SEARCH\nc\n=======\nd\n</edit>"
    )
    assert len(answer.edits) == 1
    assert "c" in answer.malformed_edits[0].malformed


def test_path_line_and_prose_inside_edit_are_ignored() -> None:
    answer = parse_answer(
        '<edit path="a.js">\na.js\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n</edit>'
    )
    assert answer.edits == [EditBlock("a.js", "a\n", "b\n")]
    assert not answer.malformed_edits


def test_marker_then_close_on_one_line() -> None:
    answer = parse_answer('<edit path="a">\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE</edit>')
    assert answer.edits == [EditBlock("a", "a\n", "b\n")]


def test_feed_after_finish_is_an_error() -> None:
    parser = StreamParser()
    parser.finish()
    with pytest.raises(RuntimeError):
        parser.feed("x")


def test_lone_cr_at_chunk_end() -> None:
    assert run(["a\r", "\nb"]) == run(["a\nb"])
