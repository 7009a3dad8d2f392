"""Playtests of games made elsewhere (issue 19): the verdict a game developer would give.

A turn-based game that waits for a key responds to input and passes; a game behind a start
screen (Enter, or a Play button) is started first; each control is tried alone; blocked ads
and analytics are a warning, not an error; a `setInterval` game has a frame rate; `alert`,
`confirm`, a reload and a move to another of the game's pages are events of the run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from studio.sandbox.playtest import PlaytestReport, PlaytestRunner
from tests.foreign_games import (
    AGAIN_HTML,
    BRICK_HOSTS,
    LAUNCH_HTML,
    ORBIT_HTML,
    brick_game,
    slide_game,
)


def play(qtbot, project, **options) -> PlaytestReport:
    runner = PlaytestRunner(project, **options)
    with qtbot.waitSignal(runner.finished, timeout=120_000) as done:
        runner.start()
    runner.deleteLater()
    report = done.args[0]
    json.loads(report.to_json())
    return report


def changed(report: PlaytestReport) -> dict[str, bool]:
    return {c["control"]: c["picture"] for c in report.controls}


def test_a_turn_based_game_responds_to_each_control_on_its_own_and_passes(qtbot, make_project):
    project = make_project("slide", slide_game())
    report = play(qtbot, project)
    assert report.passed, report.summary()
    assert report.to_dict()["kind"] == "responds" and not report.animated
    assert report.baseline and report.input_changed_picture
    moves = changed(report)
    # The gap is in the bottom row: Right, Left and Down slide a tile into it, Up has
    # nothing below to push; the other controls do nothing in this game.
    assert {k: moves[k] for k in ("ArrowRight", "ArrowLeft", "ArrowDown")} == dict.fromkeys(
        ("ArrowRight", "ArrowLeft", "ArrowDown"), True
    ), moves
    assert not any(moves[k] for k in ("ArrowUp", "Space", "Enter", "a drag across the middle"))
    assert report.started_with is None
    assert "PASSED (responds to input)" in report.summary()
    assert "controls that changed something: ArrowRight (picture), ArrowLeft" in report.summary()


def test_a_tile_still_sliding_after_a_key_is_not_animation(qtbot, make_project):
    """Given inputs: a sample taken while the 300 ms slide runs starts no "animates" pair."""
    project = make_project("slide", slide_game())
    report = play(qtbot, project, seconds=2.5, inputs=[{"at": 1.0, "key": "ArrowRight"}])
    assert not report.animated and report.input_changed_picture
    assert report.passed and report.to_dict()["kind"] == "responds", report.summary()


def test_given_inputs_that_take_each_other_back_still_changed_the_game(qtbot, make_project):
    """Right then Left slide a tile out and back: the end looks like the start, yet each
    key changed the picture."""
    project = make_project("slide", slide_game())
    inputs = [{"at": 0.6, "key": "ArrowRight"}, {"at": 1.7, "key": "ArrowLeft"}]
    report = play(qtbot, project, seconds=2.6, inputs=inputs)
    assert report.input_changed_picture and report.passed, report.summary()


def test_a_game_whose_own_code_fails_because_of_a_block_shows_that_failure(qtbot, make_project):
    project = make_project("brick", brick_game(uses_the_ad_script=True))
    report = play(qtbot, project, seconds=2.5, inputs=[{"at": 0.5, "key": "Enter"}])
    assert not report.passed
    (error,) = report.console_errors
    assert error["message"] == "Uncaught ReferenceError: AdNet is not defined"
    assert error["source"] == "game.js"
    assert report.load_errors == []  # the blocked requests themselves are no errors
    assert {urlsplit(u).hostname for u in report.blocked_requests} == set(BRICK_HOSTS[:4])
    assert "warning: blocked 4 requests to 4 hosts" in report.summary()


def test_a_set_interval_game_animates_and_its_painted_frames_are_counted(qtbot, make_project):
    project = make_project("orbit", {"index.html": ORBIT_HTML})
    report = play(qtbot, project, seconds=3, inputs=[])
    assert report.passed and report.animated, report.summary()
    # setInterval(step, 40): 25 frames a second, none of them requestAnimationFrame's
    assert report.fps is not None and 12 <= report.fps <= 40, report.fps


def test_alert_confirm_and_a_reload_are_events_and_the_run_goes_on(qtbot, make_project):
    project = make_project("again", {"index.html": AGAIN_HTML})
    inputs = [{"at": 1.5, "key": "Space"}, {"at": 2.5, "key": "Space"}]
    report = play(qtbot, project, seconds=3.5, inputs=inputs)
    events = [(e["kind"], e["detail"]) for e in report.events]
    assert events == [
        ("alert", "Game over! Score: 3"),
        ("confirm", "Play again?"),
        ("reload", "index.html"),
    ]
    assert report.events[0]["at"] < 1.5
    assert report.inputs_sent == 2 and report.seconds >= 3.5 and report.passed, report.summary()
    summary = report.summary()
    assert "alert('Game over! Score: 3'), answered at once" in summary
    assert "the game reloaded itself (index.html)" in summary


@pytest.mark.timeout(180)
def test_the_cli_starts_the_game_and_reports_blocked_requests_as_a_warning(make_project):
    project = make_project("brick", brick_game())
    done = subprocess.run(
        [sys.executable, "-m", "studio", "playtest", str(project.path), "--json"],
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["passed"] and report["kind"] == "animates", report
    assert report["started_with"] == "Enter"
    moves = {c["control"]: c["picture"] for c in report["controls"]}
    assert moves["ArrowRight"] and moves["ArrowLeft"], report["controls"]
    assert not moves["ArrowUp"] and not moves["ArrowDown"], report["controls"]
    assert report["load_errors"] == [] and report["console_errors"] == []
    assert {urlsplit(u).hostname for u in report["blocked_requests"]} == set(BRICK_HOSTS)


def test_a_game_behind_a_play_button_is_started_with_a_click_on_it(qtbot, make_project):
    """The button sits in a corner, where no click at the centre reaches; keys do nothing
    until it is clicked; then the game animates by itself."""
    project = make_project("launch", {"index.html": LAUNCH_HTML})
    report = play(qtbot, project)
    assert report.passed, report.summary()
    assert report.started_with == "a click on 'Play'", report.summary()
    assert report.to_dict()["kind"] == "animates"
    assert "started with: a click on 'Play'" in report.summary()


def test_a_move_to_another_page_of_the_game_is_an_event(qtbot, make_project):
    """A game whose title page sends the player on to its level page (as a link would)."""
    title = (
        "<body style='background:#222'><script>setTimeout(() => "
        "{ location.href = 'levels/one.html?from=title'; }, 400)</script></body>"
    )
    level = (
        "<canvas id=c width=200 height=100></canvas><script>let x = 0, g = c.getContext('2d');"
        "setInterval(() => { g.fillStyle = '#000'; g.fillRect(0, 0, 200, 100);"
        "g.fillStyle = '#0f0'; g.fillRect(x = (x + 4) % 200, 40, 20, 20); }, 40)</script>"
    )
    project = make_project("pages", {"index.html": title, "levels/one.html": level})
    report = play(qtbot, project, seconds=2.5, inputs=[])
    assert [(e["kind"], e["detail"]) for e in report.events] == [("navigation", "levels/one.html")]
    assert report.passed and report.animated, report.summary()
    assert "the game went to its page levels/one.html" in report.summary()
