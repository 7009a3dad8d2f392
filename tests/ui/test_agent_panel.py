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

    server.script(Scripted.text(FIX))
    qtbot.mouseClick(panel.fix_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "fixed in v2" in panel.findings.item(0).text(), timeout=PLAY_MS)
    assert panel.findings.item(0).text() == (
        "✔ unwinnable: the platform cannot be reached — fixed in v2"
    )
    fix_request = server.chat_requests[-1].body["messages"][-1]["content"]
    assert "The AI playtester found a problem (unwinnable)" in fix_request
    assert window.session.project.version(2).kind == "fix"

    qtbot.mouseClick(panel.close_button, Qt.MouseButton.LeftButton)
    assert not panel.isVisible() and preview.stage.isVisible()


def test_stop_ends_the_run_within_one_step(qtbot, window, server) -> None:
    preview = window.preview
    qtbot.waitUntil(lambda: preview.state == "running", timeout=PLAY_MS)
    server.script(*[Scripted.calls(press(["ArrowRight"], 1500, f"walk {i}")) for i in range(10)])
    panel = preview.start_agent_playtest()
    qtbot.waitUntil(lambda: panel.steps.count() >= 1, timeout=PLAY_MS)
    QTest.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.report is not None, timeout=PLAY_MS)
    assert panel.report.stop == "stopped"
    assert panel.report.turns <= 2 and len(server.chat_requests) <= 2
    assert "Ended: stopped by you" in panel.status.text()
    assert panel.findings.item(0).text() == "No problems found."
