"""Games made elsewhere in the Preview (issue 19): what the sandbox blocked is a warning, not
an error offered to Fix, and a game driven by setInterval shows its frame rate."""

from __future__ import annotations

from tests.foreign_games import ORBIT_HTML, brick_game


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
