"""Fuzzing what models write (issue 18): the stream parser and the edit applier.

- Any chunking of a real answer gives the same events as the answer in one piece.
- Random mutations of an answer's blocks (markers cut, doubled, swapped, tags broken, line
  ends changed, stray characters) parse without an exception, chunking still does not
  matter, and the blocks apply to the files they name, or fail with a reason.
- A huge or adversarial answer is read in memory proportional to its size.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from studio.ai.blocks import EditBlock, FileComplete, FileDelta, Incomplete, MessageText
from studio.ai.edits import apply_edits, detect_placeholders
from studio.ai.stream_parser import StreamParser, coalesce, parse_answer
from tests.ai.test_stream_parser import SAMPLE
from tests.fuzz import examples, peak_memory
from tests.story.stories import ADD_BRANCH, NEW_STORY

GAME_JS = """const speed = 2;
function loop() {
  if (keys.up) {
    jump();
  }
  requestAnimationFrame(loop);
}
"""

ANSWERS = [SAMPLE, SAMPLE.replace("\n", "\r\n"), NEW_STORY, ADD_BRANCH]
FILES = {"game.js": GAME_JS, "index.html": "<!DOCTYPE html>\n<script src='game.js'></script>\n"}

# Pieces models (and broken streams) put where they do not belong.
FRAGMENTS = [
    "<<<<<<< SEARCH\n",
    "=======\n",
    ">>>>>>> REPLACE\n",
    '<file path="game.js">\n',
    "</file>\n",
    "<edit path='game.js'>\n",
    "</edit>\n",
    "```js\n",
    "```\n",
    "<file",
    "<edit path=",
    "</",
    "\r",
    "\r\n",
    "\t",
    "\x00",
    "…",
    "// ... rest of code unchanged ...\n",
    '<file path="../../outside.js">\n',
    '<file path="/etc/passwd">\n',
]


def parse_in_chunks(text: str, cuts: list[int]) -> list:
    parser = StreamParser()
    events = []
    last = 0
    for cut in sorted(set(cuts)):
        events += parser.feed(text[last:cut])
        last = cut
    events += parser.feed(text[last:]) + parser.finish()
    return coalesce(events)


def whole(text: str) -> list:
    parser = StreamParser()
    return coalesce(parser.feed(text) + parser.finish())


@st.composite
def chunked(draw, texts: st.SearchStrategy[str]) -> tuple[str, list[int]]:
    text = draw(texts)
    cuts = draw(st.lists(st.integers(0, len(text)), max_size=60))
    return text, cuts


@st.composite
def mutated(draw) -> str:
    """A real answer with a few random edits: a piece cut out, a fragment put in, a piece
    repeated, or random text."""
    text = draw(st.sampled_from(ANSWERS))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["cut", "insert", "repeat", "random", "truncate"]))
        if action == "cut":
            end = draw(st.integers(at, min(len(text), at + 40)))
            text = text[:at] + text[end:]
        elif action == "insert":
            text = text[:at] + draw(st.sampled_from(FRAGMENTS)) + text[at:]
        elif action == "repeat":
            end = draw(st.integers(at, min(len(text), at + 80)))
            text = text[:end] + text[at:end] + text[end:]
        elif action == "random":
            text = text[:at] + draw(st.text(max_size=12)) + text[at:]
        else:
            text = text[:at]
    return text


@settings(max_examples=examples(300))
@given(chunked(st.sampled_from(ANSWERS)))
def test_any_chunking_of_a_real_answer_reads_the_same(case):
    text, cuts = case
    assert parse_in_chunks(text, cuts) == whole(text)


@settings(max_examples=examples(400))
@given(chunked(mutated()))
@example(("<edit path='a'>\n<<<<<<< SEARCH\nx\n=======\n", [16, 30]))
@example(('<file path="index.html"></file>\n', []))  # an empty file (the long profile)
def test_mutated_answers_parse_the_same_in_any_chunks_and_apply_or_fail_cleanly(case):
    text, cuts = case
    events = parse_in_chunks(text, cuts)
    assert events == whole(text)
    for event in events:
        if isinstance(event, FileComplete):
            assert "\r" not in event.content
            assert event.content == "" or event.content.endswith("\n")
        elif isinstance(event, EditBlock):
            for part in (event.search, event.replace):
                assert part == "" or part.endswith("\n")
        elif isinstance(event, MessageText | FileDelta | Incomplete):
            assert isinstance(getattr(event, "text", getattr(event, "partial_text", "")), str)
    answer = parse_answer(text)
    result = apply_edits(FILES, answer.blocks)
    assert all(isinstance(v, str) for v in result.files.values())
    assert len(result.results) == len(answer.edits)
    for outcome in result.results:
        if outcome.ok:
            assert outcome.block.path in result.files
        else:
            assert outcome.reason  # says why it did not apply
    for block in answer.blocks:
        if isinstance(block, FileComplete):
            detect_placeholders(block.content, FILES.get(block.path))


@settings(max_examples=examples(200))
@given(
    st.text(alphabet=st.sampled_from(list("<>=/ \n\r`~\tSEARCHREPLACEfiledtpah\"'")), max_size=400)
)
def test_answers_made_of_marker_characters_never_break_the_parser(text):
    assert parse_in_chunks(text, list(range(0, len(text), 3))) == whole(text)


def test_a_huge_answer_is_read_in_memory_proportional_to_it():
    """5 MB of a game streamed in 1,000-character pieces, and 1 MB of marker fragments."""
    body = "".join(f"  let value{i} = {i}; // <tag> a < b && c > d\n" for i in range(100_000))
    game = f'Here.\n<file path="game.js">\n{body}</file>\n'
    adversarial = "".join(FRAGMENTS[i % len(FRAGMENTS)] for i in range(60_000))
    for text in (game, adversarial):
        events, peak = peak_memory(lambda t=text: parse_in_chunks(t, list(range(0, len(t), 1000))))
        assert isinstance(events, list)
        assert peak < 12 * len(text.encode()) + (8 << 20), (len(text), peak)
