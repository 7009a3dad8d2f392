"""The story format: schema, the validator's problems named by scene id and line, the shape
the Fix feature reads, and the small JSON Schema validator itself."""

from __future__ import annotations

import json

import pytest

from studio.story.jsonpos import parse_with_lines
from studio.story.model import dump_story, parse_story, set_clips, update_scene
from studio.story.schema import check_keywords, load_schema, schema_errors
from studio.story.validate import KINDS, as_errors, check_files, check_story

from .conftest import TEMPLATE_DIR, sample_story, scene


def kinds(data) -> list[str]:
    text = data if isinstance(data, str) else dump_story(data)
    return [p.kind for p in check_story(text)]


def test_the_template_story_is_valid_and_has_three_endings():
    text = (TEMPLATE_DIR / "story.json").read_text(encoding="utf-8")
    assert check_story(text) == []
    story = parse_story(text)
    assert len(story.scenes) == 6 and len(story.endings) == 3
    assert story.reachable().keys() == set(story.ids)
    assert dump_story(json.loads(text)) == text  # written in the layout Studio writes


def test_the_shipped_schema_uses_only_keywords_the_validator_knows():
    check_keywords(load_schema())
    with pytest.raises(ValueError, match="oneOf"):
        check_keywords({"type": "object", "properties": {"x": {"oneOf": []}}})


# Each kind of problem, planted one at a time in a valid story.


def test_dangling_choice_is_named_by_scene_and_line():
    data = sample_story()
    scene(data, "boat")["choices"][1]["next"] = "roof"
    text = dump_story(data)
    [problem] = check_story(text)
    assert problem.kind == "dangling_choice" and problem.scene == "boat"
    assert "'boat'" in problem.message and "'roof'" in problem.message
    assert '"next": "roof"' in text.splitlines()[problem.line - 1]


def test_unreachable_scene():
    data = sample_story()
    scene(data, "boat")["choices"] = [{"label": "Turn back", "next": "shore"}]
    assert kinds(data) == ["unreachable"]
    [problem] = check_story(dump_story(data))
    assert problem.scene == "selkies"
    assert '"id": "selkies"' in dump_story(data).splitlines()[problem.line - 1]


def test_dead_end_that_is_not_an_ending():
    data = sample_story()
    scene(data, "flare")["ending"] = False
    [problem] = check_story(dump_story(data))
    assert (problem.kind, problem.scene) == ("dead_end", "flare")


def test_duplicate_ids():
    data = sample_story()
    copy = dict(scene(data, "lamp"), title="Another lamp")
    data["scenes"].append(copy)
    problems = check_story(dump_story(data))
    assert [p.kind for p in problems] == ["duplicate_id"]
    assert problems[0].scene == "lamp" and "#4 and #7" in problems[0].message


def test_scene_without_prompt():
    data = sample_story()
    scene(data, "boat")["prompt"] = "  "
    [problem] = check_story(dump_story(data))
    assert (problem.kind, problem.scene) == ("no_prompt", "boat")


def test_missing_start_scene():
    data = sample_story()
    data["start"] = "beach"
    problems = check_story(dump_story(data))
    assert [p.kind for p in problems] == ["bad_start"]
    assert problems[0].line == 3


def test_schema_errors_name_the_scene_and_the_field():
    data = sample_story()
    scene(data, "tower")["choices"][0]["lable"] = scene(data, "tower")["choices"][0].pop("label")
    scene(data, "shore")["ending"] = "yes"
    del scene(data, "boat")["title"]
    text = dump_story(data)
    problems = check_story(text)
    assert {p.kind for p in problems} == {"schema"}
    messages = [p.message for p in problems]
    assert any("scene 'tower': choice 1 is missing 'label'" in m for m in messages)
    assert any("scene 'tower': choice 1 lable is not a known field" in m for m in messages)
    assert any("scene 'shore': ending must be a boolean" in m for m in messages)
    assert any("scene 'boat': the scene is missing 'title'" in m for m in messages)
    shore = next(p for p in problems if p.scene == "shore")
    assert '"ending": "yes"' in text.splitlines()[shore.line - 1]


def test_not_json_at_all_reports_the_line():
    text = dump_story(sample_story()).replace('"ending": true\n    },', '"ending": true\n    }', 1)
    [problem] = check_story(text)
    assert problem.kind == "json" and problem.line is not None
    assert "JSON" in problem.message


def test_missing_clip_is_checked_against_the_files():
    data = sample_story()
    scene(data, "shore")["clip"] = "shore.webm"
    text = dump_story(data)
    assert [p.kind for p in check_files({"story.json": text})] == ["missing_clip"]
    assert check_files({"story.json": text, "assets/shore.webm": b"x"}) == []
    assert check_files({"index.html": b"<p>a game</p>"}) == []


def test_a_cast_picture_is_optional_named_in_assets_and_checked_against_the_files():
    data = sample_story()
    data["cast"][0]["picture"] = "mara.png"
    text = dump_story(data)
    assert check_story(text) == []  # the schema takes it
    assert parse_story(text).cast[0].picture_path == "assets/mara.png"
    [problem] = check_files({"story.json": text})
    assert problem.kind == "missing_picture" and "'Mara'" in problem.message
    assert '"picture": "mara.png"' in text.splitlines()[problem.line - 1]
    assert check_files({"story.json": text, "assets/mara.png": b"png"}) == []
    data["cast"][1]["picture"] = "../tom.gif"  # not a picture file name in assets/
    [bad] = check_story(dump_story(data))
    assert bad.kind == "schema" and bad.message.startswith("cast member 2 picture")


def test_every_kind_is_covered_by_a_test_here():
    tested = {
        "missing_picture",
        "dangling_choice",
        "unreachable",
        "dead_end",
        "duplicate_id",
        "no_prompt",
        "bad_start",
        "schema",
        "json",
        "missing_clip",
    }
    assert tested == set(KINDS)


def test_problems_are_offered_to_fix_like_runtime_errors():
    data = sample_story()
    scene(data, "boat")["choices"][1]["next"] = "roof"
    errors = as_errors(check_story(dump_story(data)))
    assert errors == [
        {
            "message": "story.json: scene 'boat': choice 2 ('Turn back to the shore') "
            "leads to 'roof', which is not a scene",
            "source": "story.json",
            "line": errors[0]["line"],
            "kind": "story",
        }
    ]
    assert errors[0]["line"] > 0
    # The fix request text the model gets reads them like runtime errors.
    from studio.ai.prompts import fix_prompt

    assert "leads to 'roof'" in fix_prompt(errors) and "(story.json:" in fix_prompt(errors)


# -- the pieces ------------------------------------------------------------------------


def test_positions_of_values():
    text = '{\n  "a": [\n    1,\n    {"b": null}\n  ],\n  "c": "x"\n}'
    data, lines = parse_with_lines(text)
    assert data == json.loads(text)
    assert lines[("a",)] == 2 and lines[("a", 1, "b")] == 4 and lines[("c",)] == 6
    with pytest.raises(json.JSONDecodeError):
        parse_with_lines('{"a": 1,}')
    with pytest.raises(json.JSONDecodeError):
        parse_with_lines('{"a": 1} x')


def test_small_schema_validator():
    schema = {
        "type": "object",
        "required": ["n"],
        "additionalProperties": False,
        "properties": {
            "n": {"type": "integer", "minimum": 1, "maximum": 3},
            "s": {"type": ["string", "null"], "pattern": "^a", "maxLength": 3},
            "l": {"type": "array", "minItems": 1, "items": {"enum": ["x", "y"]}},
        },
    }
    assert schema_errors({"n": 2, "s": None, "l": ["x"]}, schema) == []
    found = {
        e.where: e.message
        for e in schema_errors({"n": True, "s": "bbbb", "l": ["z"], "q": 1}, schema)
    }
    assert found["n"].startswith("must be an integer")
    assert "does not match" in found["s"] or "too long" in found["s"]
    assert found["l[0]"].startswith("must be one of")
    assert found["q"].startswith("is not a known field")
    assert [e.message for e in schema_errors({"n": 9}, schema)] == ["must be at most 3"]
    assert [e.message for e in schema_errors({}, schema)] == ["is missing 'n'"]


def test_edits_keep_other_fields_and_the_layout():
    text = (TEMPLATE_DIR / "story.json").read_text(encoding="utf-8")
    changed = update_scene(text, "boat", title="Rough Water", prompt="A small boat in a gale")
    assert changed.count("\n") == text.count("\n")
    story = parse_story(changed)
    assert story.scene("boat").title == "Rough Water"
    assert story.scene("boat").choices == parse_story(text).scene("boat").choices
    with pytest.raises(Exception, match="no scene"):
        update_scene(text, "nowhere", title="x")
    with pytest.raises(Exception, match="can be edited"):
        update_scene(text, "boat", clip="x.webm")
    with_clips, done = set_clips(text, {"boat": "boat.webm", "gone": "gone.webm"})
    assert done == ["boat"] and parse_story(with_clips).scene("boat").clip == "boat.webm"


def test_graph_order_parents_and_paths():
    story = parse_story(dump_story(sample_story()))
    assert story.order() == ["shore", "tower", "boat", "lamp", "flare", "selkies"]
    assert story.parents() == {
        "tower": "shore",
        "boat": "shore",
        "lamp": "tower",
        "flare": "tower",
        "selkies": "boat",
    }
    endings = [p[-1] for p in story.paths_to_endings()]
    assert sorted(endings) == ["flare", "lamp", "selkies"]
