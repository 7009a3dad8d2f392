"""Games made elsewhere in the Preview (issue 19): what the sandbox blocked is a warning, not
an error offered to Fix; a game driven by setInterval shows its frame rate; a game that calls
`alert` and reloads itself goes on, and says so; the Preview's playtest tells a turn-based
game that waits for a key from a broken one."""

from __future__ import annotations

import json

import pytest

from studio.sandbox.page import console_entry
from tests.foreign_games import AGAIN_HTML, ORBIT_HTML, TILES_ADVANCE, brick_game, slide_game


def test_blocked_ads_analytics_and_fonts_are_warnings_not_errors(preview, make_project, qtbot):
    project = make_project("brick", brick_game())
    preview.open(project)
    entry = preview.wait_message("Studio blocked a script from https://ads.adnet.example/show.js")
    assert entry.level == "warning" and entry.kind == "blocked"
    preview.wait_message("Studio blocked a stylesheet from https://fonts.cdn.example/css")
    preview.wait_message("Studio blocked an image from https://pixel.tracker.example/p.gif")
    qtbot.keyClick(preview.pane.view.focusProxy(), "\r")  # the game starts and "tracks" it
    preview.wait_message("Studio blocked a request to https://collect.analytics.example/e?n=start")
    assert preview.pane.errors() == []
    assert not any(e.level == "error" for e in preview.entries), preview.messages()
    assert preview.pane.console.fix_button.isHidden()


def test_a_set_interval_game_shows_its_frame_rate(preview, make_project, qtbot):
    project = make_project("orbit", {"index.html": ORBIT_HTML})
    preview.open(project)
    qtbot.waitUntil(lambda: (preview.pane.fps or 0) >= 12, timeout=10_000)
    assert preview.pane.fps <= 40  # setInterval(step, 40): 25 a second
    assert preview.pane.fps_label.text().endswith(" fps")


def test_a_game_that_alerts_and_reloads_itself_goes_on_and_says_so(preview, make_project, qtbot):
    project = make_project("again", {"index.html": AGAIN_HTML})
    preview.open(project)
    alert = preview.wait_message("alert('Game over! Score: 3') was answered without a dialog")
    assert alert.level == "warning"
    preview.wait_message("confirm('Play again?') was answered without a dialog")
    reload = preview.wait_message("the game reloaded itself (index.html)")
    assert reload.level == "log"
    # the second round, after the reload: the game runs on in the Preview
    qtbot.waitUntil(lambda: preview.js("typeof round === 'number' ? round : 0") == 2)
    assert preview.pane.state == "running" and preview.pane.errors() == []
    qtbot.waitUntil(lambda: (preview.pane.fps or 0) > 5, timeout=10_000)


FONTS = (
    "JSON.stringify([[...document.fonts].map((f) => f.family.replace(/\"/g, '') + ' ' + f.status)"
    ".sort(), document.getElementById('moves').getBoundingClientRect().width])"
)


@pytest.mark.timeout(180)
def test_the_preview_plays_a_turn_based_game_with_its_fonts_and_its_playtest_passes(
    preview, make_project, qtbot
):
    project = make_project("slide", slide_game())
    preview.open(project)
    expected = [["Heavy loaded", "Tiles loaded"], 7 * 20 * TILES_ADVANCE / 1000]
    qtbot.waitUntil(lambda: json.loads(preview.js(FONTS)) == expected, timeout=10_000)
    pane = preview.pane
    with qtbot.waitSignal(pane.playtest_finished, timeout=150_000) as done:
        pane.playtest_button.click()
    assert done.args[0].passed
    text = pane._playtest_dialog.text.toPlainText()
    assert "PASSED (responds to input)" in text, text
    assert "controls that changed something: ArrowRight (picture), ArrowLeft" in text, text
    pane._playtest_dialog.close()


POLICY = 'the following Content Security Policy directive: "{0} blob: data:".'


@pytest.mark.parametrize(
    ("chromium_says", "studio_says"),
    [  # QtWebEngine's Chromium, then Chromium 156's (both copied from their consoles)
        (
            "Refused to load the stylesheet 'https://fonts.cdn.example/css?family=P' because it "
            "violates " + POLICY.format("style-src"),
            "Studio blocked a stylesheet from https://fonts.cdn.example/css?family=P",
        ),
        (
            "Loading the stylesheet 'https://fonts.cdn.example/css?family=P' violates "
            + POLICY.format("style-src")
            + " The action has been blocked.",
            "Studio blocked a stylesheet from https://fonts.cdn.example/css?family=P",
        ),
        (
            "Refused to connect to 'https://collect.analytics.example/e' because it violates "
            + POLICY.format("connect-src"),
            "Studio blocked a request to https://collect.analytics.example/e",
        ),
        (
            "Connecting to 'https://collect.analytics.example/e' violates "
            + POLICY.format("connect-src")
            + " The action has been blocked.",
            "Studio blocked a request to https://collect.analytics.example/e",
        ),
        (
            "Loading the image 'https://pixel.tracker.example/p.gif' violates "
            + POLICY.format("img-src"),
            "Studio blocked an image from https://pixel.tracker.example/p.gif",
        ),
    ],
)
def test_chromium_words_for_a_refused_request_old_and_new_are_one_warning(
    chromium_says, studio_says
):
    entry = console_entry("error", chromium_says, "index.html", 6)
    assert (entry.level, entry.kind) == ("warning", "blocked")
    assert entry.message.startswith(studio_says + " (games play offline")
