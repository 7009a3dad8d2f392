"""The Preview's "Playtest with AI": one button, the model plays where the game was (its view
shown live), steps and findings listed, Stop within one step, and "Fix what the playtester
found" through the Chat panel, confirmed by replaying the findings on the new version."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from studio.ai.code_providers import ProviderConfig, save_provider_config
from studio.core.store import Project
from studio.operations.agent_runs import FIX_NOTE
from studio.testing.servers.chat import TEST_API_KEY, ChatServer, Scripted
from studio.testing.servers.chat import ScriptedCall as Call
from studio.ui.main_window import MainWindow
from tests.sandbox.playtester_games import climb
from tests.ui.conftest import open_project

PLAY_MS = 60_000


def press(keys, ms, reason=""):
    return Call("press", {"keys": keys, "hold_ms": ms, "reason": reason})


PLAY = [
    Scripted.calls(press(["ArrowRight"], 1000, "walk to the coin")),
    Scripted.calls(press(["ArrowRight", "Space"], 700, "jump onto the platform")),
    Scripted.calls(
        Call(
            "report",
            {
                "kind": "unwinnable",
                "title": "the platform cannot be reached",
                "expected": "to land on it",
                "actual": "the jump falls short",
                "check": {"state": "won", "equals": True},
            },
        )
    ),
    Scripted.calls(Call("finish", {"summary": "The jump is too low."})),
]
FIX = (
    'Higher jump.\n<edit path="index.html">\n<<<<<<< SEARCH\n'
    "const JUMP = BUG === 'unreachable' ? 380 : 520;\n=======\nconst JUMP = 520;\n"
    ">>>>>>> REPLACE\n</edit>\n"
)


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer() as chat:
        yield chat


@pytest.fixture
def window(make_window, qloop, server, monkeypatch, no_keyring, tmp_path: Path) -> MainWindow:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_API_KEY)
    window = make_window()
    save_provider_config(
        window.settings, ProviderConfig(base_url=server.base_url, model="test-model", timeout=10)
    )
    with Project.create(tmp_path / "climb") as project:
        project.commit({"index.html": climb("unreachable")}, parent=None, kind="manual")
        path = project.path
    open_project(window, path)
    return window


def test_one_button_plays_lists_findings_and_the_fix_is_confirmed(qtbot, window, server) -> None:
    preview = window.preview
    qtbot.waitUntil(lambda: preview.state == "running", timeout=PLAY_MS)
    server.script(*PLAY)
    qtbot.mouseClick(preview.agent_button, Qt.MouseButton.LeftButton)
    panel = preview.agent
    assert panel is not None and panel.isVisible() and not preview.stage.isVisible()
    qtbot.waitUntil(lambda: panel.steps.count() >= 1, timeout=PLAY_MS)
    assert panel.game is not None and panel.game.view.isVisible()  # the model plays on screen
    assert (
        panel.steps.item(0)
        .text()
        .startswith(
            "1 · walk to the coin\nheld ArrowRight for 1000 ms; game time 0.00 → 1.00 s\n"
            "state: coin true → false; score 0 → 1"
        )
    )
    qtbot.waitUntil(lambda: panel.report is not None, timeout=PLAY_MS)
    assert panel.title.text() == "AI playtest · v1 · test-model"
    assert panel.findings.item(0).text() == (
        "✔ unwinnable: the platform cannot be reached — confirmed by replay\n"
        "expected to land on it; happened: the jump falls short"
    )
    assert "Ended: the model finished. 1 finding" in panel.status.text()
    assert [panel.lists.tabText(i) for i in (0, 1)] == ["Steps (4)", "Findings (1)"]
    assert panel.lists.currentIndex() == 1  # the findings are shown once it is done
    assert panel.fix_button.isEnabled() and panel.replay_button.isEnabled()

    # Meanwhile the person made version 2 and left words in the prompt box.
    session = window.session
    session.save_edit({"index.html": climb("unreachable") + "<!-- mine -->"})
    assert session.shown == 2
    window.chat.prompt.setPlainText("my next idea")
    server.script(Scripted.text(FIX))
    qtbot.mouseClick(panel.fix_button, Qt.MouseButton.LeftButton)
    assert "Asked the code model" in panel.status.text()
    assert window.chat.busy  # Chat streams the fix as any other
    qtbot.waitUntil(lambda: "fixed in v3" in panel.findings.item(0).text(), timeout=PLAY_MS)
    assert panel.findings.item(0).text() == (
        "✔ unwinnable: the platform cannot be reached — fixed in v3"
    )
    fix_request = server.chat_requests[-1].body["messages"][-1]["content"]
    assert "The AI playtester found a problem (unwinnable)" in fix_request
    assert FIX_NOTE in fix_request  # the playtester's note, not the prompt box's words
    fixed = session.project.version(3)
    assert fixed.kind == "fix" and fixed.parent == 1  # on the version played, not the shown
    assert window.chat.prompt.toPlainText() == "my next idea"
    qtbot.waitUntil(lambda: session.shown == 3, timeout=PLAY_MS)

    # While Chat is busy the request is refused, and the panel says so.
    server.script(Scripted(hang=True))
    window.chat.prompt.setPlainText("something else")
    assert window.chat.generate()
    assert not panel.fix()
    assert "busy" in panel.status.text()
    window.chat.stop()
    qtbot.waitUntil(lambda: not window.chat.busy, timeout=PLAY_MS)

    qtbot.mouseClick(panel.close_button, Qt.MouseButton.LeftButton)
    assert not panel.isVisible() and preview.stage.isVisible()


def test_stop_ends_the_run_within_one_step(qtbot, window, server) -> None:
    preview = window.preview
    qtbot.waitUntil(lambda: preview.state == "running", timeout=PLAY_MS)
    server.script(*[Scripted.calls(press(["ArrowRight"], 1500, f"walk {i}")) for i in range(10)])
    panel = preview.start_agent_playtest()
    qtbot.waitUntil(lambda: panel.steps.count() >= 1, timeout=PLAY_MS)
    QTest.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    assert not panel.stop_button.isEnabled()  # pressed once: it is stopping
    qtbot.waitUntil(lambda: panel.report is not None, timeout=PLAY_MS)
    assert panel.report.stop == "stopped"
    assert panel.report.turns <= 2 and len(server.chat_requests) <= 2
    assert "Ended: stopped by you" in panel.status.text()
    assert panel.findings.item(0).text() == "No problems found."


def test_the_limits_menu_sets_all_four_limits(qtbot, window, server) -> None:
    preview = window.preview
    qtbot.waitUntil(lambda: preview.state == "running", timeout=PLAY_MS)
    panel = preview.start_agent_playtest()
    qtbot.waitUntil(lambda: not panel.running, timeout=PLAY_MS)  # the script was empty
    limits = panel.limits
    assert limits.text() == "30 steps · 10 min"
    limits.tokens.setValue(100)
    limits.money.setValue(0.5)
    limits.minutes.setValue(0)
    assert limits.text() == "30 steps · 0.1k tokens · $0.50"

    panel.play_again()  # no price is kept for test-model: a money limit cannot be counted
    qtbot.waitUntil(lambda: not panel.running, timeout=PLAY_MS)
    assert "Could not play: a money limit needs the price of test-model" in panel.status.text()

    limits.money.setValue(0)
    server.script(*[Scripted.calls(press(["ArrowRight"], 100 + i)) for i in range(6)])
    panel.play_again()
    qtbot.waitUntil(lambda: not panel.running and panel.report is not None, timeout=PLAY_MS)
    report = panel.report
    assert report.stop == "tokens" and report.turns == 3  # 46 tokens a turn
    assert "Ended: the token limit was reached" in panel.status.text()
