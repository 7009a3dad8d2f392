"""Prompt to game in the real window: the Chat panel streams into the editor and the Preview
(real QtWebEngine), Stop, errors, Fix from the Preview's errors, auto-fix, variations, and
the Code model settings; against the scripted chat server through the real `openai` client.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from studio.ai.code_providers import ProviderConfig, provider_config, save_provider_config
from studio.config import keys
from studio.core.store import Project
from studio.ui.code import chat_panel
from studio.ui.main_window import MainWindow
from tests.ai.chat_server import TEST_API_KEY as API_KEY
from tests.ai.chat_server import ChatServer, Scripted
from tests.ui.conftest import open_project, preview_version, run_js, wait_for_js

GAME = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>Generated Game</title>
<style>html, body { margin: 0; height: 100%; background: #3060a0; }</style>
</head>
<body>
<canvas id="c" width="200" height="120"></canvas>
<script>
const SPEED = 2;
const ctx = document.getElementById('c').getContext('2d');
function frame(t) {
  ctx.fillStyle = '#101010';
  ctx.fillRect(0, 0, 200, 120);
  ctx.fillStyle = '#ffcc00';
  ctx.fillRect((t / 4 * SPEED) % 180, 40, 20, 40);
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
</script>
</body>
</html>
"""
NEW_GAME = f'Here is a sliding block. Press space.\n\n<file path="index.html">\n{GAME}</file>\n'
BROKEN_GAME = GAME.replace("const SPEED = 2;", "const SPEED = 2;\nmissingThing.start();")
FIX = (
    'It called something that does not exist.\n<edit path="index.html">\n'
    "<<<<<<< SEARCH\nmissingThing.start();\n=======\n>>>>>>> REPLACE\n</edit>\n"
)
BUILD_WAIT = 20_000


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer() as server:
        yield server


@pytest.fixture
def window(make_window, qloop, server: ChatServer, monkeypatch, no_keyring) -> MainWindow:
    """A window whose code model is the test server (key from OPENAI_API_KEY)."""
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    window = make_window()
    save_provider_config(
        window.settings, ProviderConfig(base_url=server.base_url, model="test-model", timeout=10)
    )
    window.chat.update_model_label()
    return window


@pytest.fixture
def empty_project(tmp_path: Path) -> Path:
    with Project.create(tmp_path / "empty") as project:
        return project.path


def broken_project(tmp_path: Path) -> Path:
    with Project.create(tmp_path / "broken") as project:
        project.commit({"index.html": BROKEN_GAME}, parent=None, kind="manual")
        return project.path


def chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def send(qtbot, window: MainWindow, prompt: str) -> None:
    """Type the prompt and press Ctrl+Enter in the prompt box."""
    chat = window.chat
    window.code.tabs.setCurrentWidget(chat)
    chat.prompt.setFocus()
    chat.prompt.setPlainText(prompt)
    QTest.keyClick(chat.prompt, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def test_chat_is_the_first_tab_of_the_code_pane(window: MainWindow) -> None:
    tabs = window.code.tabs
    assert tabs.tabText(0) == "Chat" and tabs.widget(0) is window.chat
    assert tabs.currentWidget() is window.chat
    assert window.chat.model_button.text() == "test-model · openai ▾"
    assert [a.text() for a in window.generate_menu.actions()][:2] == ["&Generate", "&Stop"]


def test_a_prompt_streams_into_the_editor_and_the_preview_plays_the_game(
    qtbot, window: MainWindow, server: ChatServer, empty_project: Path
) -> None:
    project = open_project(window, empty_project)
    server.script(Scripted(chunks=chunks(NEW_GAME, 12), chunk_delay=0.01, usage=(300, 900)))
    chat = window.chat
    send(qtbot, window, "make a sliding block game")
    assert chat.busy and not chat.generate_btn.isEnabled() and chat.stop_btn.isEnabled()
    # The code appears in the editor while it is written, read-only, before any version.
    qtbot.waitUntil(lambda: "const ctx" in window.code.editor.toPlainText(), timeout=BUILD_WAIT)
    assert chat.busy and project.versions() == []
    assert window.code.editor.isReadOnly()
    assert "Here is a sliding block." in chat.conversation.plain_text()
    assert "tokens" in chat.progress.text()
    with qtbot.waitSignal(chat.finished, timeout=BUILD_WAIT) as done:
        pass
    outcome = done.args[0]
    assert outcome.ok, outcome.notice
    version = project.version(project.head)
    assert version.prompt == "make a sliding block game" and version.kind == "generate"
    assert (version.info.model, version.info.tokens_in, version.info.tokens_out) == (
        "test-model",
        300,
        900,
    )
    assert window.code.editor.toPlainText() == GAME and not window.code.editor.isReadOnly()
    assert not window.code.is_modified()
    assert f"Version {version.id}: wrote index.html" in chat.conversation.plain_text()
    # The Preview plays the new version: its title and its blue page.
    qtbot.waitUntil(lambda: preview_version(window) == version.id, timeout=BUILD_WAIT)
    wait_for_js(qtbot, window, "document.title", "Generated Game", timeout=BUILD_WAIT)
    # History lists it with what made it.
    item = window.code.history.item_for(version.id)
    assert item is not None and "make a sliding block game" in item.text(0)
    tip = item.toolTip(0)
    assert "test-model via openai" in tip and "300 in, 900 out" in tip
    assert "First token after" in tip
    assert item.text(3).startswith("test-model · 900 tok · ")  # the Model column
    assert not chat.busy and chat.prompt.toPlainText() == ""


PLAYING = GAME.replace(
    "function frame(t) {", "let frames = 0;\nfunction frame(t) {\n  frames += 1;"
)
PLAYING = PLAYING.replace("</script>", "window.studio = { state: () => ({ frames }) };\n</script>")
FRAMES = "window.studio ? window.studio.state().frames : -1"


def playing_answer(code: str, trailing_chunks: int = 160) -> Scripted:
    """An answer whose code comes first and whose prose goes on for a while after it (8 s
    at most): the Preview must play the code before the answer ends."""
    prose = ["Some more words about the game."] * trailing_chunks
    return Scripted(chunks=[*chunks(code, 40), *prose], chunk_delay=0.05)


def wait_for_the_draft_playing(qtbot, window: MainWindow, title: str) -> None:
    """The Preview plays a draft titled `title`, its frames counting, while the chat is busy."""
    chat, preview = window.chat, window.preview
    qtbot.waitUntil(lambda: preview.draft is not None or not chat.busy, timeout=BUILD_WAIT)
    assert chat.busy, "the answer ended before the Preview played its file"
    assert preview.version_id is None and preview_version(window) is None
    assert "/draft" in preview.view.url().toString()
    wait_for_js(qtbot, window, "document.title", title, timeout=BUILD_WAIT)
    qtbot.waitUntil(lambda: run_js(qtbot, window, FRAMES) > 3, timeout=BUILD_WAIT)
    assert chat.busy and preview.title.text().startswith("Draft")


def test_the_preview_plays_the_file_while_the_answer_still_streams(
    qtbot, window: MainWindow, server: ChatServer, empty_project: Path
) -> None:
    project = open_project(window, empty_project)
    code = f'A sliding block.\n\n<file path="index.html">\n{PLAYING}</file>\n'
    server.script(playing_answer(code))
    chat = window.chat
    send(qtbot, window, "make a sliding block game")
    wait_for_the_draft_playing(qtbot, window, "Generated Game")
    assert project.versions() == []  # a draft is never stored
    with qtbot.waitSignal(chat.finished, timeout=BUILD_WAIT) as done:
        pass
    assert done.args[0].ok, done.args[0].notice
    version = project.version(project.head)
    assert "Some more words about the game." in chat.conversation.plain_text()
    # The saved version replaces the draft.
    qtbot.waitUntil(lambda: preview_version(window) == version.id, timeout=BUILD_WAIT)
    assert window.preview.draft is None and window.preview.version_id == version.id
    wait_for_js(qtbot, window, "document.title", "Generated Game", timeout=BUILD_WAIT)
    qtbot.waitUntil(lambda: run_js(qtbot, window, FRAMES) > 3, timeout=BUILD_WAIT)


def test_a_follow_up_edit_plays_as_a_draft_when_its_file_is_complete(
    qtbot, window: MainWindow, server: ChatServer, tmp_path: Path
) -> None:
    with Project.create(tmp_path / "playing") as made:
        made.commit({"index.html": PLAYING}, parent=None, kind="manual")
    project = open_project(window, made.path)
    qtbot.waitUntil(lambda: preview_version(window) == 1, timeout=BUILD_WAIT)
    edit = (
        'A new title.\n<edit path="index.html">\n<<<<<<< SEARCH\n<title>Generated Game</title>\n'
        "=======\n<title>Edited Game</title>\n>>>>>>> REPLACE\n</edit>\n"
    )
    server.script(playing_answer(edit))
    send(qtbot, window, "rename it")
    # The edit applied to the base version's file plays before the answer ends.
    wait_for_the_draft_playing(qtbot, window, "Edited Game")
    assert len(project.versions()) == 1
    with qtbot.waitSignal(window.chat.finished, timeout=BUILD_WAIT) as done:
        pass
    assert done.args[0].ok, done.args[0].notice
    qtbot.waitUntil(lambda: preview_version(window) == project.head == 2, timeout=BUILD_WAIT)
    wait_for_js(qtbot, window, "document.title", "Edited Game", timeout=BUILD_WAIT)


def test_a_stopped_answer_takes_the_preview_back_to_the_version_it_showed(
    qtbot, window: MainWindow, server: ChatServer, probe_project: Path
) -> None:
    project = open_project(window, probe_project)
    qtbot.waitUntil(lambda: preview_version(window) == project.head, timeout=BUILD_WAIT)
    wait_for_js(qtbot, window, "document.title", "Probe one", timeout=BUILD_WAIT)
    code = f'A sliding block.\n\n<file path="index.html">\n{PLAYING}</file>\n'
    server.script(playing_answer(code))
    chat = window.chat
    send(qtbot, window, "make a sliding block game")
    wait_for_the_draft_playing(qtbot, window, "Generated Game")
    with qtbot.waitSignal(chat.finished, timeout=5000) as done:
        chat.stop_btn.click()
    assert done.args[0].status == "cancelled"
    assert len(project.versions()) == 1
    qtbot.waitUntil(lambda: preview_version(window) == project.head, timeout=BUILD_WAIT)
    assert window.preview.draft is None
    wait_for_js(qtbot, window, "document.title", "Probe one", timeout=BUILD_WAIT)
    assert window.preview.title.text().startswith(f"v{project.head}")


def test_stop_mid_stream_leaves_no_version_and_the_ui_usable(
    qtbot, window: MainWindow, server: ChatServer, probe_project: Path
) -> None:
    project = open_project(window, probe_project)
    before = project.head
    shown_before = window.code.editor.toPlainText()
    server.script(Scripted(chunks=chunks(NEW_GAME, 6), chunk_delay=0.03))
    chat = window.chat
    send(qtbot, window, "make a sliding block game")
    qtbot.waitUntil(lambda: "<title>Generated" in window.code.editor.toPlainText(), timeout=5000)
    with qtbot.waitSignal(chat.finished, timeout=2000) as done:
        QTest.keyClick(window, Qt.Key.Key_Escape)  # the window's Stop shortcut
    assert done.args[0].status == "cancelled"
    assert project.head == before and len(project.versions()) == 1
    assert window.code.editor.toPlainText() == shown_before  # the shown version is back
    assert not window.code.editor.isReadOnly() and window.code.run_btn.isEnabled()
    assert "Stopped" in chat.conversation.plain_text()
    assert chat.pending_bar.isVisible() and chat.continue_btn.isEnabled()
    chat.discard()
    assert not chat.pending_bar.isVisible()
    # Usable: the next prompt goes through.
    server.script(Scripted.text(NEW_GAME))
    send(qtbot, window, "make a sliding block game")
    with qtbot.waitSignal(chat.finished, timeout=BUILD_WAIT) as done:
        pass
    assert done.args[0].ok and project.head != before


def test_stop_before_the_answer_begins_gives_the_prompt_back(
    qtbot, window: MainWindow, server: ChatServer, probe_project: Path
) -> None:
    project = open_project(window, probe_project)
    server.script(Scripted.text(NEW_GAME, delay=2.0))
    chat = window.chat
    with qtbot.waitSignal(chat.finished, timeout=2000) as done:
        send(qtbot, window, "make a sliding block game")
        chat.stop_btn.click()
    assert done.args[0].status == "cancelled" and done.args[0].version is None
    assert chat.prompt.toPlainText() == "make a sliding block game"
    assert len(project.versions()) == 1 and not chat.busy and chat.generate_btn.isEnabled()
    assert not chat.pending_bar.isVisible()


def test_cut_off_answer_can_be_continued(
    qtbot, window: MainWindow, server: ChatServer, empty_project: Path
) -> None:
    project = open_project(window, empty_project)
    half = len(NEW_GAME) // 2
    server.script(
        Scripted.text(NEW_GAME[:half], finish_reason="length"), Scripted.text(NEW_GAME[half:])
    )
    chat = window.chat
    send(qtbot, window, "make a sliding block game")
    with qtbot.waitSignal(chat.finished, timeout=BUILD_WAIT) as done:
        pass
    assert done.args[0].status == "cut_off"
    assert chat.pending_bar.isVisible() and "cut off" in chat.pending_label.text()
    assert project.versions() == []
    with qtbot.waitSignal(chat.finished, timeout=BUILD_WAIT) as done:
        chat.continue_btn.click()
    assert done.args[0].ok, done.args[0].notice
    assert window.code.editor.toPlainText() == GAME and not chat.pending_bar.isVisible()


@pytest.mark.parametrize(
    ("scripted", "words"),
    [
        (Scripted.fail(401, f"Incorrect API key provided: {API_KEY}"), "refused the API key"),
        (Scripted.fail(404, "The model `test-model` does not exist"), "was not found"),
        (Scripted.fail(503, "overloaded"), "server error"),
    ],
)
def test_errors_are_said_in_the_conversation_and_the_version_stays(
    qtbot, window: MainWindow, server: ChatServer, probe_project: Path, scripted, words
) -> None:
    project = open_project(window, probe_project)
    before = project.head
    server.script(scripted)
    send(qtbot, window, "make it faster")
    with qtbot.waitSignal(window.chat.finished, timeout=BUILD_WAIT) as done:
        pass
    assert done.args[0].status == "error"
    said = window.chat.conversation.plain_text()
    assert words in said and "unchanged" in said and API_KEY not in said
    assert project.head == before and len(project.versions()) == 1
    # The prompt that failed is back in the box, and Generate says Retry.
    qtbot.waitUntil(lambda: window.chat.prompt.toPlainText() == "make it faster", timeout=5000)
    assert window.chat.generate_btn.isEnabled() and window.chat.generate_btn.text() == "Retry"
    window.chat.prompt.setPlainText("again")
    assert window.chat.generate_btn.text() == "Generate"


def test_rate_limit_wait_is_shown_and_retried(
    qtbot, window: MainWindow, server: ChatServer, empty_project: Path
) -> None:
    open_project(window, empty_project)
    server.script(
        Scripted.fail(429, "Rate limit reached", headers={"Retry-After": "1"}),
        Scripted.text(NEW_GAME),
    )
    send(qtbot, window, "make a sliding block game")
    qtbot.waitUntil(
        lambda: "Rate limited: trying again in 1 s" in window.chat.conversation.plain_text(),
        timeout=5000,
    )
    with qtbot.waitSignal(window.chat.finished, timeout=BUILD_WAIT) as done:
        pass
    assert done.args[0].ok


def test_fix_sends_the_previews_error_to_the_model(
    qtbot, window: MainWindow, server: ChatServer, tmp_path: Path
) -> None:
    project = open_project(window, broken_project(tmp_path))
    chat = window.chat
    qtbot.waitUntil(lambda: chat.fix_btn.isEnabled(), timeout=BUILD_WAIT)
    assert chat.fix_btn.text().startswith("Fix (")
    server.script(Scripted.text(FIX))
    with qtbot.waitSignal(chat.finished, timeout=BUILD_WAIT) as done:
        chat.fix_btn.click()
    outcome = done.args[0]
    assert outcome.ok, outcome.notice
    sent = server.chat_requests[0].body["messages"][-1]["content"]
    assert "missingThing is not defined" in sent
    fix = project.version(project.head)
    assert fix.kind == "fix" and "missingThing" in fix.prompt
    assert "missingThing" not in window.code.editor.toPlainText()
    qtbot.waitUntil(lambda: preview_version(window) == fix.id, timeout=BUILD_WAIT)
    wait_for_js(qtbot, window, "document.title", "Generated Game", timeout=BUILD_WAIT)


def test_auto_fix_runs_once_after_a_prompt(
    qtbot, window: MainWindow, server: ChatServer, empty_project: Path
) -> None:
    project = open_project(window, empty_project)
    chat = window.chat
    chat.auto_fix_box.setChecked(True)
    broken = NEW_GAME.replace(GAME, BROKEN_GAME)
    server.script(Scripted.text(broken), Scripted.text(FIX))
    send(qtbot, window, "make a sliding block game")
    with qtbot.waitSignal(chat.finished, timeout=40_000) as done:
        pass
    outcome = done.args[0]
    assert outcome.ok and outcome.auto_fix is not None and outcome.auto_fix.ok
    kinds = [v.kind for v in project.versions()]
    assert kinds == ["generate", "fix"] and len(server.chat_requests) == 2
    assert "missingThing is not defined" in server.chat_requests[1].body["messages"][-1]["content"]
    assert "asking the model for a fix (automatic, once)" in chat.conversation.plain_text()
    assert project.head == project.versions()[-1].id
    assert window.settings.get("auto_fix") is True


def test_variations_stream_into_tabs_and_one_is_kept(
    qtbot, window: MainWindow, server: ChatServer, probe_project: Path, monkeypatch
) -> None:
    project = open_project(window, probe_project)
    built_on: list[threading.Thread] = []
    make = chat_panel.make_code_provider

    def make_code_provider(*args, **kwargs):
        built_on.append(threading.current_thread())
        return make(*args, **kwargs)

    # The provider is built off the GUI thread, as for Generate.
    monkeypatch.setattr(chat_panel, "make_code_provider", make_code_provider)
    base = project.head
    games = [NEW_GAME.replace("Generated Game", f"Variation {n}") for n in (1, 2, 3)]
    server.script(*[Scripted(chunks=chunks(g, 16), chunk_delay=0.02) for g in games])
    chat = window.chat
    chat.prompt.setPlainText("make a sliding block game")
    opening = chat.start_variations(3)
    assert opening is not None and chat.busy and not chat.variations_btn.isEnabled()
    qtbot.waitUntil(opening.done, timeout=5000)
    dialog = opening.result()
    assert dialog is not None and dialog.isVisible() and chat.busy
    assert built_on and threading.main_thread() not in built_on
    qtbot.waitUntil(lambda: "<title>" in dialog.tab_list[1].editor.toPlainText(), timeout=5000)
    dialog.tab_list[1].cancel_btn.click()
    with qtbot.waitSignal(dialog.finished_all, timeout=BUILD_WAIT) as done:
        pass
    outcomes = done.args[0]
    assert [o.status for o in outcomes] == ["ok", "cancelled", "ok"]
    made = [o.version for o in outcomes if o.ok]
    assert all(v.parent == base for v in made) and project.head == base
    assert window.code.history.item_for(made[1].id) is not None
    # Which answer a tab got depends on the order its request reached the server.
    title = re.search(r"<title>(.*)</title>", dialog.tab_list[2].editor.toPlainText()).group(1)
    assert title.startswith("Variation ")
    dialog.tab_list[2].play_btn.click()
    qtbot.waitUntil(lambda: preview_version(window) == made[1].id, timeout=BUILD_WAIT)
    wait_for_js(qtbot, window, "document.title", title, timeout=BUILD_WAIT)
    dialog.tab_list[2].keep_btn.click()
    assert project.head == made[1].id and window.session.shown == made[1].id
    assert {v.id for v in made} <= {v.id for v in project.versions()}
    assert "Kept variation 3" in chat.conversation.plain_text()
    assert not chat.busy
    dialog.close()


def test_settings_dialog_lists_models_and_keeps_the_key_out_of_settings(
    qtbot, window: MainWindow, server: ChatServer, config_dir: Path
) -> None:
    from studio.ui.dialogs.settings_dialog import SettingsDialog

    dialog = SettingsDialog(window.settings, window.session.host, window)
    assert dialog.base_url.text() == server.base_url
    # The keyring is asked off the GUI thread; the note says what it found once it answers.
    qtbot.waitUntil(lambda: "No system keyring is available" in dialog.key_note.text())
    task = dialog.fetch_models()
    qtbot.waitUntil(task.done, timeout=10_000)
    items = [dialog.model.itemText(i) for i in range(dialog.model.count())]
    assert items == ["other-model", "test-model"]
    assert dialog.model.currentText() == "test-model"
    dialog.model.setEditText("other-model")
    dialog.temperature.setValue(0.4)
    dialog.max_tokens.setValue(4000)
    dialog.key.setText(API_KEY)
    with qtbot.waitSignal(dialog.accepted):  # once the keys are written, off the GUI thread
        dialog.accept()
    config = provider_config(window.settings)
    assert (config.model, config.temperature, config.max_tokens) == ("other-model", 0.4, 4000)
    assert keys.get_api_key("openai") == API_KEY
    assert API_KEY not in window.settings.path.read_text()
    window.chat.update_model_label()
    assert window.chat.model_button.text().startswith("other-model")


def test_a_server_without_a_model_list_leaves_the_name_free(
    qtbot, window: MainWindow, server: ChatServer
) -> None:
    from studio.ui.dialogs.settings_dialog import SettingsDialog

    server.models_response = Scripted.fail(404, "no such route")
    dialog = SettingsDialog(window.settings, window.session.host, window)
    task = dialog.fetch_models()
    qtbot.waitUntil(task.done, timeout=10_000)
    assert "Type the model's name" in dialog.models_note.text()
    assert dialog.model.isEditable() and dialog.model.currentText() == "test-model"
    assert run_js is not None  # (imported helpers used elsewhere)


def test_opening_another_project_mid_stream_stops_it_cleanly(
    qtbot, window: MainWindow, server: ChatServer, probe_project: Path, empty_project: Path
) -> None:
    open_project(window, probe_project)
    server.script(Scripted(chunks=chunks(NEW_GAME, 6), chunk_delay=0.03))
    chat = window.chat
    send(qtbot, window, "make a sliding block game")
    qtbot.waitUntil(lambda: "<title>Generated" in window.code.editor.toPlainText(), timeout=5000)
    with qtbot.waitSignal(chat.finished, timeout=5000):
        project = open_project(window, empty_project)
    assert not chat.busy and not window.code.streaming and not window.code.editor.isReadOnly()
    assert window.code.editor.toPlainText() == "" and project.versions() == []
    assert "failed" not in chat.conversation.plain_text()
    with Project.open(probe_project) as old:
        assert len(old.versions()) == 1  # nothing was half-saved in the project left


def test_the_conversation_shows_the_words_not_the_code_nor_stray_blank_lines(qtbot) -> None:
    from studio.ai.stream_parser import StreamParser
    from studio.ui.code.generate_stream import ConversationView, StreamBatcher

    answer = (
        "Faster now.\n\n"
        '<edit path="index.html">\n<<<<<<< SEARCH\nconst SPEED = 2;\n=======\n'
        "const SPEED = 3;\n>>>>>>> REPLACE\n</edit>\n\n"
        '<file path="help.txt">\nPress space.\n</file>\n\n\nHave fun!\n'
    )
    view = ConversationView()
    qtbot.addWidget(view)
    batcher = StreamBatcher(None, view)
    parser = StreamParser()
    for i in range(0, len(answer), 3):
        for event in parser.feed(answer[i : i + 3]):
            batcher.on_event(event)
    for event in parser.finish():
        batcher.on_event(event)
    batcher.finish()
    assert view.plain_text() == "Model  Faster now.\n· edit 1 to index.html\nModel  Have fun!"
