"""Suite files: what a mistake says, and the quality of the built-in suite."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from studio.config.resources import resource_path
from studio.errors import StudioError
from studio.scoring.suite import builtin_suites, find_suite, load_suite

MINIMAL = '[[task]]\nid = "one"\nprompt = "Make a game"\n'


def suite(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suite.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_minimal_suite_gets_defaults(tmp_path):
    loaded = load_suite(suite(tmp_path, MINIMAL))
    assert loaded.name == "suite" and loaded.seconds == 4 and loaded.viewport == (800, 600)
    assert [t.id for t in loaded.tasks] == ["one"] and loaded.tasks[0].steps[0].checks == []
    assert loaded.digest and loaded.keys[0] == "Space"


def test_a_full_suite_reads_every_part(tmp_path):
    (tmp_path / "start").mkdir()
    (tmp_path / "start" / "index.html").write_text("<p>hi</p>")
    (tmp_path / "a.svg").write_text("<svg/>")
    text = """
name = "Mine"
seconds = 2
viewport = [640, 480]
every_step = ["loads"]
models = ["m1", "m2"]
temperature = 0.4
keys = ["KeyX"]
taps = [[0.1, 0.9]]
[prices.m1]
in = 1.5
out = 6
[[task]]
id = "a"
title = "A game"
kind = "puzzle"
start = "start"
assets = ["a.svg"]
seconds = 3
prompt = "Make it"
checks = ["animates"]
[[task.followup]]
kind = "speed"
prompt = "Faster"
checks = [{ state = "speed", at = "start", compare = "previous", increases = true }]
"""
    loaded = load_suite(suite(tmp_path, text))
    task = loaded.tasks[0]
    assert loaded.name == "Mine" and loaded.models == ["m1", "m2"] and loaded.temperature == 0.4
    assert loaded.prices["m1"].cost(1_000_000, 500_000) == pytest.approx(4.5)
    assert loaded.keys == ("KeyX",) and loaded.taps == ((0.1, 0.9),)
    assert task.start == (tmp_path / "start").resolve() and task.assets[0].name == "a.svg"
    assert task.seconds == 3 and task.followups[0].kind == "speed" and task.followups[0].followup


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "has no tasks"),
        ("[[task]]\nprompt = 'x'\n", "needs an id"),
        ("[[task]]\nid = 'a b'\nprompt = 'x'\n", "needs an id"),
        ("[[task]]\nid = 'a'\n", "prompt must be a non-empty string"),
        (MINIMAL + MINIMAL, "two tasks have the id 'one'"),
        (MINIMAL + "colour = 1\n", "unknown key colour"),
        ("speed = 1\n" + MINIMAL, "unknown key speed"),
        (MINIMAL + "checks = ['loads', 'flies']\n", "task 'one' check 2: unknown check 'flies'"),
        (MINIMAL + "assets = ['missing.png']\n", "does not exist"),
        (MINIMAL + "start = 'nowhere'\n", "has no index.html"),
        (MINIMAL + "template = 'x'\nstart = 'y'\n", "template or start, not both"),
        ("seconds = 0\n" + MINIMAL, "seconds must be a number"),
        ("viewport = [1, 2]\n" + MINIMAL, "viewport must be"),
        ("[prices]\nm = 3\n" + MINIMAL, "a price is"),
        ("keys = ['Jump']\n" + MINIMAL, "unknown key 'Jump'"),
        (MINIMAL + "[[task.followup]]\nkind = 'x'\n", "follow-up 1: prompt must be"),
        ("this is not toml", "is not valid TOML"),
    ],
)
def test_mistakes_in_a_suite_are_one_clear_error(tmp_path, text, message):
    with pytest.raises(StudioError, match=re.escape(message)):
        load_suite(suite(tmp_path, text))


def test_suites_are_found_by_path_or_builtin_name(tmp_path):
    path = suite(tmp_path, MINIMAL)
    assert find_suite(str(path)) == path
    assert find_suite("default") == resource_path("bench", "default.toml")
    with pytest.raises(StudioError, match="built-in suites: default"):
        find_suite("nope")


# -- the built-in suite -----------------------------------------------------------------

DEFAULT = load_suite(resource_path("bench", "default.toml"))
NEEDED_KINDS = [
    "platformer",
    "shooter",
    "puzzle",
    "racing",
    "rhythm",
    "physics toy",
    "card game",
    "clicker",
    "maze",
    "tower defense",
]
NEEDED_EDITS = [
    "speed change",
    "add high score",
    "sound toggle",
    "colour theme",
    "add a level",
    "touch controls",
    "fix a described bug",
]


def test_the_default_suite_covers_many_kinds_of_games_and_edits():
    assert builtin_suites() == [resource_path("bench", "default.toml")]
    assert len(DEFAULT.tasks) >= 20
    kinds = " | ".join(t.kind for t in DEFAULT.tasks)
    for kind in NEEDED_KINDS:
        assert kind in kinds, kind
    edits = {f.kind for t in DEFAULT.tasks for f in t.followups}
    assert set(NEEDED_EDITS) <= edits
    assert all(t.followups for t in DEFAULT.tasks)  # every task is edited at least once
    assert all(step.checks for t in DEFAULT.tasks for step in t.steps)
    assert {t.template for t in DEFAULT.tasks if t.template} == {"breakout", "runner"}
    assert any(t.start for t in DEFAULT.tasks) and any(t.assets for t in DEFAULT.tasks)


def _template_text(name: str) -> str:
    return resource_path("templates", name, "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("task", DEFAULT.tasks, ids=[t.id for t in DEFAULT.tasks])
def test_every_state_a_check_reads_is_asked_for(task):
    """A check may only read a value the prompts so far (or the starting code) name."""
    known = ""
    if task.template:
        known += _template_text(task.template)
    if task.start:
        known += (task.start / "index.html").read_text(encoding="utf-8")
    for step in task.steps:
        known += step.prompt
        for check in step.checks:
            if check.kind == "state":
                head = check.path.split(".")[0]
                assert re.search(rf"\b{re.escape(head)}\b", known), (task.id, check.path)


def test_the_templates_and_assets_the_suite_names_exist():
    from studio.core.templates import load_template

    for task in DEFAULT.tasks:
        if task.template:
            assert load_template(resource_path("templates", task.template)).name == task.template
        for asset in task.assets:
            assert asset.is_file()
