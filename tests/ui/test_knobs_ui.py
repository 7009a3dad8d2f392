"""Knobs in the window (issue 17), with the real QtWebEngine Preview: a starter game's knobs
as sliders and switches, a change that reaches the running game without a reload, Keep
(the diff, then a version whose source holds the values and plays with them), Reset, and
declarations that are malformed or hostile."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from studio.ai.knobs import MAX_KNOBS, declared_knobs
from studio.ui.main_window import MainWindow
from studio.ui.preview.knobs_panel import LABEL_WIDTH
from tests.sandbox.conftest import wait_seconds
from tests.ui.conftest import preview_version, run_js
from tests.ui.point import open_game, open_template

WAIT = 20_000
PADDLE = "window.studio.state().paddle.w"


def knob_rows(window: MainWindow) -> list:
    return window.preview.point.panel.rows


def test_sliders_change_the_running_game_and_keep_makes_a_version(
    qtbot, make_window, qloop, tmp_path: Path
) -> None:
    window = make_window()
    project = open_template(qtbot, window, tmp_path, "breakout")
    tools = window.preview.point
    qtbot.waitUntil(lambda: len(knob_rows(window)) == 5, timeout=WAIT)
    assert tools.knobs_button.text() == "Knobs (5)" and tools.knobs_button.isEnabled()
    assert "the 5 values this game declares" in tools.knobs_button.toolTip()
    tools.knobs_button.click()
    panel = tools.panel
    assert panel.isVisible() and panel.height() >= panel.wanted_height() - 2
    assert [r.label.text() for r in panel.rows][:2] == ["Paddle width", "Paddle speed (keys)"]
    assert not panel.keep_button.isEnabled()
    run_js(qtbot, window, "window.__notReloaded = true")
    qtbot.waitUntil(lambda: run_js(qtbot, window, PADDLE) == 96, timeout=WAIT)
    width = panel.row("paddleWidth")
    width.slider.setValue(width.knob.position(180))  # as a person drags it
    assert width.number.value() == 180 and panel.keep_button.isEnabled()
    qtbot.waitUntil(lambda: run_js(qtbot, window, PADDLE) == 180, timeout=WAIT)
    assert run_js(qtbot, window, "window.__notReloaded === true") is True
    # Reset gives the version's values back, in the running game too.
    lives = panel.row("lives")
    lives.number.setValue(7)
    assert run_js(qtbot, window, "window.studio.params.lives.value") == 7
    lives.set_value(lives.knob.value)
    assert run_js(qtbot, window, "window.studio.params.lives.value") == 3
    # Keep: the diff first, then a version holding the value.
    panel.keep_button.click()
    dialog = tools.keep_dialog
    assert dialog is not None and dialog.isVisible()
    assert "paddleWidth 96 → 180" in dialog.findChildren(type(panel.title))[0].text()
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: project.head == 2, timeout=WAIT)
    version = project.version(2)
    assert (version.kind, version.parent, version.prompt) == (
        "edit",
        1,
        "Knobs: paddleWidth 96 → 180",
    )
    text = project.read_file(2, "index.html").decode()
    assert "paddleWidth: { value: 180, min: 40, max: 220" in text
    assert {d.knob.name: d.knob.value for d in declared_knobs({"index.html": text})}["lives"] == 3
    # The Preview plays the new version, which starts with the kept value.
    qtbot.waitUntil(lambda: preview_version(window) == 2, timeout=WAIT)
    qtbot.waitUntil(lambda: [r.knob.value for r in knob_rows(window)][:1] == [180], timeout=WAIT)
    assert panel.title.text() == "Knobs · v2" and not panel.keep_button.isEnabled()
    assert run_js(qtbot, window, "window.__notReloaded === undefined") is True
    qtbot.waitUntil(lambda: run_js(qtbot, window, PADDLE) == 180, timeout=WAIT)


def test_a_switch_turns_a_rule_off_in_the_running_game(qtbot, make_window, qloop, tmp_path):
    window = make_window()
    open_template(qtbot, window, tmp_path, "runner")
    qtbot.waitUntil(lambda: len(knob_rows(window)) == 6, timeout=WAIT)
    switch = window.preview.point.panel.row("doubleJump")
    assert switch.switch is not None and switch.switch.isChecked()
    switch.switch.click()
    script = "window.studio.params.doubleJump.value"
    qtbot.waitUntil(lambda: run_js(qtbot, window, script) is False, timeout=WAIT)


HOSTILE = """<!DOCTYPE html><html><body><script>
const params = {};
for (let i = 0; i < 5000; i++) params['k' + i] = { value: i % 10, min: 0, max: 10, step: 1,
  label: '<b>bold</b><img src=x onerror="document.title=1"> knob ' + i };
params.k0 = { value: 1, min: -1e308, max: 1e308 };
params.k1 = { value: 'a string', min: 0, max: 1 };
Object.defineProperty(params, 'k2', { enumerable: true, get() { throw new Error('no'); } });
window.studio = { params, state: () => ({}) };
</script></body></html>"""

THROWS = """<!DOCTYPE html><html><body><script>
window.studio = { get params() { throw new Error('nope'); }, state: () => ({}) };
</script></body></html>"""


def test_hostile_declarations_are_shown_safely_or_not_at_all(
    qtbot, make_window, qloop, tmp_path: Path
) -> None:
    window = make_window()
    window.resize(1280, 800)
    open_game(qtbot, window, tmp_path, HOSTILE)
    tools = window.preview.point
    qtbot.waitUntil(lambda: len(knob_rows(window)) > 0, timeout=WAIT)
    tools.knobs_button.click()
    wait_seconds(qtbot, 0.3)
    # Long labels and a long list of problems neither widen the Preview nor the window.
    assert window.width() == 1280 and window.minimumSizeHint().width() <= 1280
    rows = knob_rows(window)
    assert all(r.label.sizeHint().width() <= LABEL_WIDTH + 8 for r in rows)
    # The first 200 of 5,000 are read; 40 are shown; k0 (its range), k1 (its value) and k2
    # (its getter throws) are not.
    assert len(rows) == MAX_KNOBS and rows[0].knob.name == "k3"
    assert all(r.knob.name not in ("k0", "k1", "k2") for r in rows)
    label = rows[0].label
    assert label.textFormat() == Qt.TextFormat.PlainText and label.text().startswith("<b>bold</b>")
    # Long: shortened, the whole in the tooltip, which shows the markup as words too.
    assert label.text().endswith("…") and label.toolTip().startswith("<p>&lt;b&gt;bold")
    assert label.toolTip().endswith("knob 3</p>")
    assert "more knobs not shown" in tools.panel.note.text()
    assert run_js(qtbot, window, "document.title") != "1"
    # A page whose declaration throws: no knobs, and the game plays on.
    project_path = tmp_path / "throws"
    project_path.mkdir()
    open_game(qtbot, window, project_path, THROWS)
    wait_seconds(qtbot, 1.6)  # Studio asks again after a moment
    assert knob_rows(window) == [] and not tools.knobs_button.isEnabled()
    assert window.preview.state == "running"
