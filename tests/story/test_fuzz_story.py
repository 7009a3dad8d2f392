"""Fuzzing story.json (issue 18): random graphs, broken JSON and huge inputs.

The validator must name every problem (checked against a reachability of its own here),
never raise, and stay within time and memory bounded by the input; the model's readers and
writers (`parse_story`, `set_clips`, `update_scene`, the graph's paths) end in a result or a
StudioError.
"""

from __future__ import annotations

import json
from collections import deque

from hypothesis import example, given, settings
from hypothesis import strategies as st

from studio.errors import StudioError
from studio.story.model import Story, dump_story, parse_story, set_clips, update_scene
from studio.story.validate import KINDS, check_story
from tests.fuzz import clear_error_or_result, examples, peak_memory
from tests.story.stories import HEIST

IDS = ["gate", "roof", "hall", "vault", "caught", "free", "cellar", "x"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=2)
        | st.dictionaries(st.sampled_from(["id", "next", "a"]), inner, max_size=2)
    ),
    max_leaves=3,
)


@st.composite
def stories(draw) -> dict:
    """A story as a model might write one: ids that repeat, choices that lead nowhere,
    fields missing or of the wrong type."""

    def field(strategy):
        kind = draw(st.integers(0, 19))
        if kind == 0:
            return ...  # left out
        if kind == 1:
            return draw(json_values)
        return draw(strategy)

    scenes = []
    for _ in range(draw(st.integers(0, 12))):
        raw = {
            "id": field(st.sampled_from(IDS)),
            "title": field(st.text(max_size=10)),
            "text": field(st.text(max_size=20)),
            "prompt": field(st.sampled_from(["", "  ", "a fox at dawn"])),
            "clip": field(st.sampled_from([None, "gate.webm", "missing.webm"])),
            "choices": field(
                st.lists(
                    st.fixed_dictionaries(
                        {"label": st.text(max_size=6), "next": st.sampled_from([*IDS, "nowhere"])},
                        optional={"at": st.floats(0, 30) | st.booleans()},
                    ),
                    max_size=5,
                )
            ),
            "ending": field(st.booleans()),
        }
        scenes.append({k: v for k, v in raw.items() if v is not ...})
    story = {
        "title": field(st.text(max_size=10)),
        "start": field(st.sampled_from([*IDS, ""])),
        "style": field(st.text(max_size=10)),
        "cast": field(st.lists(st.fixed_dictionaries({"name": st.text(max_size=5)}), max_size=2)),
        "scenes": scenes if draw(st.integers(0, 15)) else draw(json_values),
    }
    return {k: v for k, v in story.items() if v is not ...}


def expected_unreachable(data: dict) -> set[str]:
    """Scenes no choice leads to from the start, worked out here on the raw data: the first
    scene of an id counts, choices that are not objects or name no string are ignored."""
    scenes = data.get("scenes") if isinstance(data.get("scenes"), list) else []
    first: dict[str, dict] = {}
    for raw in scenes:
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            first.setdefault(raw["id"], raw)
    start = data.get("start")
    if not isinstance(start, str) or not start or start not in first:
        return set()
    seen, queue = {start}, deque([start])
    while queue:
        choices = first[queue.popleft()].get("choices")
        for choice in choices if isinstance(choices, list) else []:
            target = choice.get("next") if isinstance(choice, dict) else None
            if isinstance(target, str) and target in first and target not in seen:
                seen.add(target)
                queue.append(target)
    return set(first) - seen


@settings(max_examples=examples(200))
@given(stories())
@example({"scenes": True})  # found: each of these raised TypeError in Story.from_data
@example({"scenes": [{"id": "gate", "choices": True}]})
@example({"cast": True, "scenes": None})
@example({"scenes": [{"id": "gate"}, {"id": ""}]})  # found: "gate" unreachable from no start
def test_random_story_graphs_get_every_problem_named(data):
    text = json.dumps(data)
    problems = check_story(text, {"assets/gate.webm": "x"})
    assert all(p.kind in KINDS and p.message for p in problems)
    assert all(p.line is None or p.line >= 1 for p in problems)
    named = {p.scene for p in problems if p.kind == "unreachable"}
    assert named == expected_unreachable(data)
    story = parse_story(text)
    assert set(story.order()) == set(story.ids)
    for path in story.paths_to_endings():
        assert path[0] == story.start and story.scene(path[-1]).ending
        assert len(set(path)) == len(path)
    if not problems:  # a clean story: every scene is there, reachable, and goes somewhere
        assert set(story.reachable()) == set(story.ids)


@st.composite
def broken_texts(draw) -> str | bytes:
    text = dump_story(HEIST)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["truncate", "cut", "insert"]))
        if action == "truncate":
            text = text[:at]
        elif action == "cut":
            text = text[:at] + text[at + draw(st.integers(1, 30)) :]
        else:
            text = (
                text[:at]
                + draw(st.text(alphabet='{}[],:"\\\n0-e.tfn\x00\ud7ff', max_size=6))
                + text[at:]
            )
    if draw(st.booleans()):
        raw = bytearray(text.encode("utf-8", "surrogatepass"))
        for _ in range(draw(st.integers(0, 3))):
            if raw:
                raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
        return bytes(raw)
    return text


@settings(max_examples=examples(300))
@given(broken_texts())
@example("[" * 100_000)
@example('{"scenes": ' + "[" * 50_000 + "]" * 50_000 + "}")
def test_broken_story_json_gets_a_clear_problem(text):
    problems = check_story(text)
    assert all(p.kind in KINDS and p.message for p in problems)
    readable = text.decode("utf-8-sig", "replace") if isinstance(text, bytes) else text
    try:
        json.loads(readable)
    except (ValueError, RecursionError):
        assert [p.kind for p in problems] == ["json"]
    story = clear_error_or_result(lambda: parse_story(text))
    assert isinstance(story, Story | StudioError)
    clipped = clear_error_or_result(lambda: set_clips(text, {"gate": "gate.webm"}))
    assert isinstance(clipped, tuple | StudioError)
    edited = clear_error_or_result(lambda: update_scene(text, "hall", prompt="a new prompt"))
    assert isinstance(edited, str | StudioError)


def chain(n: int, extra_choices: int = 0) -> dict:
    """n scenes in a line, each also pointing back at a few before it (many paths)."""
    scenes = []
    for i in range(n):
        back = [{"label": "back", "next": f"s{j}"} for j in range(max(0, i - extra_choices), i)]
        forward = [{"label": "on", "next": f"s{i + 1}"}] if i + 1 < n else []
        scenes.append(
            {
                "id": f"s{i}",
                "title": "t",
                "text": "x",
                "prompt": "p",
                "clip": None,
                "choices": forward + back,
                "ending": i + 1 == n,
            }  # fmt: skip
        )
    return {"title": "long", "start": "s0", "scenes": scenes}


def test_a_huge_story_is_checked_in_bounded_memory():
    text = json.dumps(chain(2_000))
    problems, peak = peak_memory(lambda: check_story(text))
    assert [p.message for p in problems] == ["scenes has 2000 items, at most 200"]
    assert peak < 40 * len(text) + (16 << 20), (len(text), peak)
    huge = json.dumps(chain(40_000))  # 5 MB: refused unread, or it would take seconds
    assert [p.message for p in check_story(huge)] == ["is 5.3 MB; a story is at most 4 MB"]


def test_paths_to_endings_of_a_story_with_countless_paths_is_bounded():
    """A dense graph with no ending has more simple paths than atoms in the universe: the
    search stops after a bounded number of steps instead of hanging."""
    dense = {
        "start": "s0",
        "scenes": [
            {
                "id": f"s{i}",
                "choices": [{"label": "", "next": f"s{j}"} for j in range(16) if j != i],
            }
            for i in range(16)
        ],
    }
    assert parse_story(json.dumps(dense)).paths_to_endings() == []
    story = parse_story(json.dumps(chain(200, extra_choices=3)))
    assert story.paths_to_endings(limit=5)[0] == [f"s{i}" for i in range(200)]
