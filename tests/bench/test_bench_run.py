"""A whole bench run against the scripted chat server: one task per way a game can fail.

Every task asks for a game (routed to a tiny scripted one) and judges the same checks (and
the suite's `every_step`, as the default suite has), so each game must fail exactly its own
checks; the good one passes all. Every check fails for at least one game. One run is shared by
the tests of this module (a playtest takes seconds).
"""

from __future__ import annotations

import csv
import json

import pytest

from studio.scoring.results import UnitResult
from tests.bench.conftest import (
    GAMES,
    NO_LOAD,
    RoutedChatServer,
    bench_runner,
    edit_answer,
    file_answer,
    game,
    late,
    write_suite,
)
from tests.qt_asyncio import qt_asyncio

CHECKS = """checks = [
  "loads",
  "animates",
  { check = "reacts_to_keys", keys = ["ArrowRight"] },
  { check = "reacts_to_taps", taps = [[0.5, 0.5]] },
  { check = "no_console_errors", seconds = 2.6 },
  { state = "score", equals = 0, at = "start" },
  { state = "player.vy", after_keys = ["Space"], changes = true },
  { state = "lives", exists = true },
  { state = "taps", after_taps = [[0.5, 0.5]], increases = true },
]"""
PHONE = '{ check = "fits_phone_viewport", viewport = [390, 844] }'


def task(task_id: str, *, phone: bool = False, followup: str = "") -> str:
    checks = CHECKS.replace("\n]", f"\n  {PHONE},\n]") if phone else CHECKS
    return f'[[task]]\nid = "{task_id}"\ntitle = "Game {task_id}"\nkind = "test"\n' + (
        f'prompt = "Make the {task_id} game"\n{checks}\n{followup}\n'
    )


FASTER = """[[task.followup]]
kind = "speed"
prompt = "Make the good game faster"
checks = [{ state = "speed", at = "start", compare = "previous", increases = true }]
"""
BROKEN_EDIT = """[[task.followup]]
kind = "colours"
prompt = "Make the badedit game purple"
checks = ["loads"]
"""

TASKS = [
    "good",
    "noload",
    "throws",
    "still",
    "deaf_keys",
    "deaf_taps",
    "late_errors",
    "overflow",
    "wrong_score",
    "hangs",
    "badedit",
    "fixed",
    "no_hook",
    "taps_down",
]
HEAD = 'name = "Failures"\nseconds = 1\nkeys = ["ArrowRight"]\ntaps = [[0.5, 0.5]]\n'
SUITE = (
    HEAD
    + 'every_step = ["has_state_hook"]\n\n'
    + "".join(
        task(
            t,
            phone=t in ("good", "overflow"),
            followup=FASTER if t == "good" else BROKEN_EDIT if t == "badedit" else "",
        )
        for t in TASKS
    )
)

LABELS = {
    "loads": "loads",
    "animates": "animates",
    "keys": "reacts to keys (ArrowRight)",
    "taps": "reacts to taps (1)",
    "errors": "no console errors for 2.6 s",
    "score": "score = 0 at start",
    "vy": "player.vy changes after keys Space",
    "lives": "lives exists",
    "tapcount": "taps increases after 1 tap",
    "phone": "fits a 390×844 phone screen",
    "hook": "has window.studio.state()",
}

# The checks each game must fail (everything else must pass).
EXPECTED_FAILURES = {
    "good": set(),
    "throws": {"errors"},
    "still": {"animates"},
    "deaf_keys": {"keys", "vy"},
    "deaf_taps": {"taps", "tapcount"},
    "late_errors": {"errors"},
    "overflow": {"phone"},
    "wrong_score": {"score"},
    "fixed": set(),
    "no_hook": {"hook", "score", "vy", "lives", "tapcount"},  # reactions judged by picture
    "taps_down": {"tapcount"},
}


@pytest.fixture(scope="module")
def bench(qapp, tmp_path_factory):
    """The shared run: (run, server, out folder)."""
    root = tmp_path_factory.mktemp("bench")
    with RoutedChatServer() as server:
        for name in TASKS:
            html = GAMES.get(name, GAMES["good"] if name == "badedit" else None)
            if name == "noload":
                server.route("Make the noload game", NO_LOAD)
            elif name == "fixed":
                fixable = game("fixable", late("null.boom;", 900))
                server.route("Make the fixed game", file_answer(fixable))
            else:
                server.route(f"Make the {name} game", file_answer(html))
        server.route(
            "Make the good game faster", edit_answer("const SPEED = 2;", "const SPEED = 3;")
        )
        wrong = edit_answer("const COLOUR = 'green';", "const COLOUR = 'purple';")
        server.route("Make the badedit game purple", wrong, kind="generate")
        server.route("COLOUR", wrong, kind="retry")  # the one retry fails the same way
        server.route(
            "game: fixable",  # the fixed task's fix request
            edit_answer("setTimeout(() => { null.boom; }, 900);", "", "Removed the bad call."),
            kind="fix",
        )
        with qt_asyncio(qapp):
            run = bench_runner(qapp, server)(
                write_suite(root, SUITE), root / "out", events=(events := [])
            )
        yield run, server, root / "out", events


def unit(run, task_id: str) -> UnitResult:
    return next(r for r in run.results if r.task == task_id)


def failed(result: UnitResult, step: int = 0) -> set[str]:
    names = {v: k for k, v in LABELS.items()}
    return {names.get(c["label"], c["label"]) for c in result.steps[step].checks if not c["passed"]}


@pytest.mark.parametrize("name", sorted(EXPECTED_FAILURES))
def test_each_game_fails_exactly_its_own_checks(bench, name):
    run = bench[0]
    result = unit(run, name)
    assert result.counted and result.steps[0].play is not None
    assert failed(result) == EXPECTED_FAILURES[name], result.steps[0].checks
    # "made a game", has_state_hook (every_step), the 9 checks, the phone for two
    assert len(result.steps[0].checks) == 11 + (name in ("good", "overflow"))


def test_every_check_fails_for_some_game(bench):
    assert set().union(*EXPECTED_FAILURES.values()) == set(LABELS) - {"loads"}
    assert "loads" in failed(unit(bench[0], "noload"))  # which fails everything


def test_the_good_game_passes_every_check_and_its_follow_up(bench):
    result = unit(bench[0], "good")
    assert result.passed and result.checks_passed == result.checks_total == 15
    speed = result.steps[1].checks[2]  # after "edit applied" and every_step's hook check
    assert speed["passed"] and speed["detail"] == "speed: 2 → 3"
    play = result.steps[0].play
    assert play.animated and play.reacts_keys and play.reacts_taps and play.has_hook
    assert (bench[2] / play.screenshot).is_file() and (bench[2] / play.thumbnail).is_file()
    assert (bench[2] / play.phone_screenshot).is_file()


def test_failure_details_say_what_went_wrong(bench):
    run = bench[0]

    def detail(task_id: str, label: str) -> str:
        checks = unit(run, task_id).steps[0].checks
        return next(c["detail"] for c in checks if c["label"] == LABELS[label])

    assert "null" in detail("throws", "errors") and "index.html" in detail("throws", "errors")
    assert "late trouble" in detail("late_errors", "errors")
    assert detail("still", "animates") == "the picture never changed on its own"
    assert detail("deaf_keys", "keys") == "only values that change on their own changed"
    assert detail("deaf_keys", "vy") == "player.vy stayed 0"
    assert detail("wrong_score", "score") == "score is 5"
    assert detail("taps_down", "tapcount") == "taps went from 0 to -1"
    assert detail("deaf_taps", "tapcount") == "taps went from 0 to 0"
    assert detail("no_hook", "hook") == "the game has no window.studio.state()"
    assert detail("no_hook", "tapcount") == "the game has no window.studio.state()"
    assert "no state hook" in detail("no_hook", "keys") + detail("no_hook", "taps")
    assert "in a 390×844 screen (it scrolls)" in detail("overflow", "phone")
    assert "a 800×600 canvas at (0, 0) sticks out" in detail("overflow", "phone")


def test_a_game_that_does_not_load_fails_everything_it_can(bench):
    result = unit(bench[0], "noload")
    checks = result.steps[0].checks
    assert checks[0]["label"] == "made a game" and checks[0]["passed"]
    assert not any(c["passed"] for c in checks[1:])
    assert not result.steps[0].play.loaded


def test_a_hung_game_fails_and_the_bench_goes_on(bench):
    run = bench[0]
    result = unit(run, "hangs")
    play = result.steps[0].play
    assert play.hung and not result.passed
    errors = next(c for c in result.steps[0].checks if c["label"] == LABELS["errors"])
    assert not errors["passed"] and "stopped responding" in errors["detail"]
    later = TASKS[TASKS.index("hangs") + 1 :]
    assert all(unit(run, t).counted and unit(run, t).steps[0].play for t in later)


def test_errors_get_one_automatic_fix_which_is_counted(bench):
    run, server = bench[0], bench[1]
    fixed, throws = unit(run, "fixed"), unit(run, "throws")
    assert fixed.fixes == 1 and fixed.fixes_worked == 1 and fixed.passed
    step = fixed.steps[0]
    assert step.first_play is not None and step.first_play.console_errors
    assert step.fix.ok and step.version == step.fix.version != step.generation.version
    assert any("null" in e for e in step.fix_errors)
    assert throws.fixes == 1 and throws.fixes_worked == 0 and not throws.steps[0].fix.ok
    # Errors → one fix each: throws, late_errors, hangs, noload, fixed. Never chained.
    assert server.count("fix") == 5
    assert {unit(run, t).fixes for t in ("good", "still", "overflow", "badedit")} == {0}


def test_a_follow_up_edit_that_does_not_apply_fails_its_step(bench):
    result = unit(bench[0], "badedit")
    step = result.steps[1]
    assert step.generation.status == "edit_failed" and step.generation.retried
    assert [c["passed"] for c in step.checks] == [False, False, False]  # + every_step's
    assert step.checks[0]["label"] == "edit applied" and "did not match" in step.checks[0]["detail"]
    assert step.checks[2]["detail"] == "not played: the edit did not apply"
    assert result.steps[0].passed and not result.passed


def test_each_result_is_a_project_to_open(bench):
    from studio.core.store import Project

    run, out = bench[0], bench[2]
    result = unit(run, "fixed")
    with Project.open(out / result.project) as project:
        kinds = [v.kind for v in project.versions()]
        assert kinds == ["generate", "fix"]
        assert project.head == result.steps[0].version
        assert project.versions()[1].meta.get("auto_fix_of") == project.versions()[0].id


def test_json_csv_and_html_hold_the_right_numbers(bench):
    run, out = bench[0], bench[2]
    summary = json.loads((out / "results.json").read_text())["summary"][0]
    assert summary["model"] == "test-model" and summary["results"] == 14
    assert summary["tasks_passed"] == 2  # good and fixed
    assert summary["fixes"] == 5 and summary["fixes_worked"] == 1
    assert summary["followups"] == 2 and summary["followups_applied"] == 1
    assert summary["followups_clean"] == 1
    assert summary["load_errors"] == 1  # noload
    assert summary["runtime_errors"] == 3  # throws, late_errors, hangs
    all_results = run.results
    assert summary["checks_passed"] == sum(r.checks_passed for r in all_results)
    assert summary["checks_total"] == sum(r.checks_total for r in all_results)
    assert summary["games"] == 15  # 14 first prompts + the follow-up that applied
    assert summary["tokens_in"] == sum(r.tokens_in for r in all_results) > 0
    assert summary["ttft_mean"] > 0 and summary["cost"] is None

    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [r["task"] for r in rows] == TASKS
    good = rows[0]
    assert good["passed"] == "1" and good["checks_passed"] == good["checks_total"] == "15"
    assert good["followups_clean"] == "1" and good["project"].startswith("projects/")
    fixed = rows[TASKS.index("fixed")]
    assert fixed["fixes"] == "1" and fixed["fixes_worked"] == "1"

    page = (out / "report.html").read_text()
    for name in TASKS:
        assert f"Game {name}" in page
    assert page.count("data:image/jpeg;base64,") == 12  # not noload and hangs: no picture
    assert "2/14" in page and ">14%<" in page  # tasks passed
    assert 'href="shots/' in page and "studio open" in page


def test_progress_events_count_up_to_the_total(bench):
    events = bench[3]
    done = [e for e in events if e.kind == "unit_done"]
    assert [e.done for e in done] == list(range(1, 15)) and done[-1].total == 14
    assert events[0].kind == "start" and events[-1].kind == "done"


def test_the_answers_were_generated_with_the_projects_conversation(bench):
    server: RoutedChatServer = bench[1]
    follow = next(t for k, t in server.asked if "Make the good game faster" in t)
    assert "const SPEED = 2;" in follow  # the follow-up sees the current game
