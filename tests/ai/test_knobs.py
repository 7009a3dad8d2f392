"""Knobs (issue 17): what a page reports is checked before it is shown; declarations are
read from the source and new values written back through the edit machinery; every starter
template declares the knobs that shape its play."""

from __future__ import annotations

import pytest

from studio.ai.knobs import (
    MAX_KNOBS,
    Knob,
    KnobError,
    clean_knobs,
    declared_knobs,
    parse_value,
    write_values,
)
from tests.gallery import REQUIRED_TEMPLATES, gallery_templates

# Two knobs share a line: their values are written in one edit.
GAME = """<!DOCTYPE html>
<script>
  const PARAMS = {
    gravity: { value: 2300, min: 800, max: 5000, step: 50, label: 'Gravity' },
    "ratio": { value: 0.5, min: 0, max: 1, step: 0.05, label: "Ratio" }, doubleJump: { value: true,
      label: 'Double jump' },
    computed: { value: BASE * 2, min: 0, max: 10 },
  };
  // a comment with } and { in it
  const text = "params = { not: { value: 1, min: 0, max: 2 } }";
  window.studio = { state() { return {}; }, params: PARAMS };
</script>
"""


def test_declared_knobs_are_read_with_their_literal_values() -> None:
    found = declared_knobs({"index.html": GAME})
    assert [d.knob.describe() for d in found] == [
        "gravity 2300 800..5000 Gravity",
        "ratio 0.5 0..1 Ratio",
        "doubleJump true false..true Double jump",
    ]
    assert all(GAME[d.start : d.end] in ("2300", "0.5", "true") for d in found)


def test_new_values_are_written_where_they_are_declared() -> None:
    files, changed = write_values(
        {"index.html": GAME, "other.js": "x"},
        {"gravity": 1800, "ratio": 0.30000000004, "doubleJump": False},
    )
    text = files["index.html"]
    assert "gravity: { value: 1800, min: 800" in text
    assert '"ratio": { value: 0.3, min: 0' in text and "doubleJump: { value: false," in text
    assert files["other.js"] == "x"
    assert text.replace("1800", "2300").replace("0.3,", "0.5,").replace("false,", "true,") == GAME
    assert [(k.name, v) for k, v in changed] == [
        ("gravity", 1800),
        ("ratio", 0.3),
        ("doubleJump", False),
    ]
    # A value the version already has changes nothing.
    same, nothing = write_values({"index.html": GAME}, {"gravity": 2300})
    assert same["index.html"] == GAME and nothing == []


@pytest.mark.parametrize(
    ("files", "values", "words"),
    [
        ({"index.html": GAME}, {"speed": 3}, "cannot find where the knob speed is declared"),
        ({"index.html": GAME}, {"computed": 3}, "cannot find where the knob computed"),
        (
            {"index.html": GAME, "b.js": GAME},
            {"gravity": 900},
            "declared 2 times (b.js, index.html)",
        ),
        ({"index.html": GAME}, {"doubleJump": 3}, "takes true or false"),
    ],
)
def test_a_value_that_cannot_be_written_is_refused_clearly(files, values, words) -> None:
    with pytest.raises(KnobError, match="Nothing was written") as caught:
        write_values(files, values)
    assert words in str(caught.value)


def test_hostile_reports_are_shown_safely_or_not_at_all() -> None:
    raw = [
        {
            "name": "ok",
            "value": 5,
            "min": 0,
            "max": 10,
            "step": 1,
            "label": "<script>alert(1)</script>\x00\x07Label",
        },
        {"name": "huge", "value": 1, "min": -1e308, "max": 1e308},
        {"name": "nan", "value": None, "min": 0, "max": 1},
        {"name": "upside", "value": 1, "min": 5, "max": 0},
        {"name": "<img src=x>", "value": 1, "min": 0, "max": 2},
        {"name": "fine", "value": 3, "min": -1e9, "max": 1e9, "step": 1e-9, "label": "x" * 500},
        {"name": "ok", "value": 1, "min": 0, "max": 2},
        "not an object",
    ]
    knobs = clean_knobs(raw)
    assert [k.name for k in knobs.knobs] == ["ok", "fine"]
    assert knobs.knobs[0].label == "<script>alert(1)</script>Label"  # shown as plain text
    assert len(knobs.knobs[1].label) == 60 and knobs.knobs[1].steps == 10_000
    assert len(knobs.problems) == 6
    many = clean_knobs({f"k{i}": {"value": 1, "min": 0, "max": 2} for i in range(5000)})
    assert len(many.knobs) == MAX_KNOBS and many.problems == (
        "4960 more knobs not shown (at most 40)",
    )
    assert clean_knobs("nonsense") == clean_knobs(None) == clean_knobs(42)


def test_typed_values_are_checked_against_the_knob() -> None:
    speed = Knob("speed", 270.0, 100.0, 600.0, 10.0, "Speed")
    assert parse_value(speed, "333") == 330 and parse_value(speed, " 600 ") == 600
    for bad in ("fast", "700", "nan", "inf"):
        with pytest.raises(KnobError):
            parse_value(speed, bad)
    jump = Knob("double", True)
    assert parse_value(jump, "off") is False and parse_value(jump, "TRUE") is True


def test_every_starter_template_declares_the_knobs_that_shape_its_play() -> None:
    templates = {t.name: t for t in gallery_templates()}
    assert set(REQUIRED_TEMPLATES) <= set(templates)
    for name in REQUIRED_TEMPLATES:
        html = (templates[name].folder / "index.html").read_text(encoding="utf-8")
        knobs = declared_knobs({"index.html": html})
        assert len(knobs) >= 3, name
        assert "params: PARAMS" in html, name
        for d in knobs:  # read live where used, not copied into a constant at start
            assert f"PARAMS.{d.knob.name}.value" in html or f"p.{d.knob.name}.value" in html, (
                name,
                d.knob.name,
            )
