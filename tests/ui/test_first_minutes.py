"""The first minutes in the real window: the start screen's sentence becomes a playing game
made by a local model server found on this machine; set-up errors each in their own words;
the "Changing vN" bar; the window fitting a 1280×800 screen (a story project too); another
project leaving nothing behind; Compare playing both versions. Real QtWebEngine, real HTTP
servers on 127.0.0.1 through the real `openai` client."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication

from studio.ai.code_providers import ProviderConfig, provider_config, save_provider_config
from studio.core.store import Project
from studio.operations.projects import new_project
from studio.operations.recent import thumbnail_path
from studio.sandbox.console import ConsoleEntry
from studio.testing.servers.chat import ChatServer, Scripted
from studio.testing.servers.local_models import LocalModelServer
from studio.ui.code.diff_dialog import CompareDialog
from studio.ui.dialogs.settings_dialog import SettingsDialog
from studio.ui.main_window import MainWindow
from tests.qt_asyncio import wait_for
from tests.ui.conftest import PROBE_GAME, open_project, preview_version, wait_for_js

BUILD_WAIT = 30_000
OLLAMA_PORT = 11434
KEY_VARIABLES = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENROUTER_API_KEY", "GEMINI_API_KEY",
                 "DEEPSEEK_API_KEY", "MISTRAL_API_KEY", "GROQ_API_KEY")  # fmt: skip
CAT_GAME = PROBE_GAME.replace("Probe one", "Cat on clouds")
ANSWER = f'A cat that jumps between clouds.\n\n<file path="index.html">\n{CAT_GAME}</file>\n'


@pytest.fixture
def no_keys(monkeypatch, no_keyring):
    for name in KEY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def ollama(monkeypatch) -> Iterator[LocalModelServer]:
    """A server answering as Ollama does, on Ollama's port when it is free here (else on any
    port, which Studio is told to look at as a person would: STUDIO_MODEL_PORTS)."""
    server = LocalModelServer("ollama", models=("llama3.2:latest", "qwen2.5-coder:7b"))
    try:
        server.start(OLLAMA_PORT)
    except OSError:
        server.start()
        monkeypatch.setenv("STUDIO_MODEL_PORTS", str(server.port))
    try:
        yield server
    finally:
        server.stop()


def looked(qtbot, window: MainWindow):
    """Wait for the window's look for a code model (it starts once the window is up)."""
    qtbot.waitUntil(lambda: window.chat.model_status.setup is not None, timeout=10_000)
    return window.chat.model_status.setup


def test_a_sentence_on_the_start_screen_becomes_a_game_by_the_local_server(
    make_window, qtbot, qloop, no_keys, ollama, projects_dir
):
    window = make_window()
    assert window.stack.currentWidget() is window.start
    setup = looked(qtbot, window)
    # Found on its usual port, set up and said before anyone types.
    assert setup.ready and setup.adopted == "ollama"
    assert "qwen2.5-coder:7b on Ollama" in window.start.setup_line.label.text()
    assert window.start.setup_line.isVisible()
    chosen = provider_config(window.settings)
    assert (chosen.base_url, chosen.model) == (ollama.base_url, "qwen2.5-coder:7b")
    assert window.chat.model_button.text().startswith("qwen2.5-coder:7b · ollama")

    ollama.script(Scripted.text(ANSWER, chunk_size=40))
    window.start.sentence.setFocus()
    QTest.keyClicks(window.start.sentence, "a platformer where a cat jumps on clouds")
    QTest.keyClick(window.start.sentence, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: window.session.project is not None)  # made off the GUI thread
    project = window.session.project
    assert project.path == projects_dir / "platformer-where-a-cat.studio"
    assert window.stack.currentWidget() is window.splitter
    with qtbot.waitSignal(window.chat.finished, timeout=BUILD_WAIT) as done:
        pass
    assert done.args[0].ok, done.args[0].notice
    (request,) = ollama.chat_requests
    assert request.body["model"] == "qwen2.5-coder:7b"
    assert "a platformer where a cat jumps on clouds" in request.body["messages"][-1]["content"]
    version = project.version(project.head)
    assert version.prompt == "a platformer where a cat jumps on clouds"
    qtbot.waitUntil(lambda: preview_version(window) == version.id, timeout=BUILD_WAIT)
    wait_for_js(qtbot, window, "document.title", "Cat on clouds", timeout=BUILD_WAIT)
    # It is a recent project now, with its picture once the Preview has painted it.
    window.show_start()
    assert window.start.back_btn.isVisible()
    assert "platformer-where-a-cat" in window.start.back_btn.text()


def test_a_local_server_found_is_an_entry_in_settings_with_its_models_listed(
    make_window, qtbot, qloop, no_keys, ollama
):
    window = make_window()
    looked(qtbot, window)
    dialog = SettingsDialog(window.settings, window.session.host, window)
    qtbot.addWidget(dialog)
    assert dialog.entry_box.currentText() == "ollama"  # the entry Studio set up is chosen
    assert dialog.base_url.text() == ollama.base_url
    task = dialog.fetch_models()
    qtbot.waitUntil(task.done, timeout=10_000)
    listed = [dialog.model.itemText(i) for i in range(dialog.model.count())]
    assert listed == ["llama3.2:latest", "qwen2.5-coder:7b"]
    assert dialog.model.currentText() == "qwen2.5-coder:7b"
    assert dialog.models_note.text() == "2 models from the server."


def test_with_nothing_found_the_start_screen_says_what_to_do(
    make_window, qtbot, no_keys, monkeypatch, projects_dir
):
    monkeypatch.setattr("studio.ai.model_discovery.USUAL_PORTS", ())
    window = make_window()
    setup = looked(qtbot, window)
    assert not setup.ready
    line = window.start.setup_line
    assert line.isVisible() and line.look_btn.isVisible()
    assert "No code model is set up yet" in line.label.text() and "Ollama" in line.label.text()
    window.start.sentence.setPlainText("a racing game")
    window.start.create_btn.click()
    assert window.session.project is None  # nothing made that could not be generated
    assert list(projects_dir.iterdir()) == []


# -- each set-up error in its own words ----------------------------------------------------


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    with ChatServer(models=("test-model",)) as server:
        yield server


def failed_generation(qtbot, window: MainWindow, config: ProviderConfig, prompt: str) -> str:
    save_provider_config(window.settings, config)
    window.chat.prompt.setPlainText(prompt)
    with qtbot.waitSignal(window.chat.finished, timeout=BUILD_WAIT) as done:
        assert window.chat.generate()
    outcome = done.args[0]
    assert outcome is not None and not outcome.ok
    # The prompt that failed stays in the box, and Generate says Retry.
    qtbot.waitUntil(lambda: window.chat.prompt.toPlainText() == prompt, timeout=5000)
    assert window.chat.generate_btn.text() == "Retry"
    return outcome.notice_with_hint


def test_each_set_up_error_has_its_own_message(
    make_window, qtbot, qloop, no_keys, chat_server, tmp_path
):
    window = make_window()
    looked(qtbot, window)
    with Project.create(tmp_path / "game") as made:
        path = made.path
    open_project(window, path)

    # A hosted service and no key: nothing is sent, and the key is named, not the network.
    hosted = ProviderConfig("hosted", base_url="https://models.example.invalid/v1", model="m")
    missing = failed_generation(qtbot, window, hosted, "a maze")
    assert "No API key for “hosted”" in missing and "models.example.invalid" in missing
    assert not window.chat.model_status.setup.ready  # the line above the prompt says so too
    assert window.chat.setup_line.isVisible()
    assert "No API key" not in window.statusBar().currentMessage()  # and not a third time

    local = ProviderConfig("local", base_url=chat_server.base_url, model="test-model", timeout=5)
    chat_server.script(Scripted.fail(401, "Incorrect API key provided: sk-wrong"))
    refused = failed_generation(qtbot, window, local, "a maze")
    assert "refused the API key (401)" in refused and "Enter the key" in refused

    chat_server.script(Scripted.fail(404, "The model `tset-model` does not exist"))
    typo = ProviderConfig("local", base_url=chat_server.base_url, model="tset-model", timeout=5)
    unknown = failed_generation(qtbot, window, typo, "a maze")
    assert "The model “tset-model” was not found" in unknown and "Choose a model" in unknown

    url = chat_server.base_url
    chat_server.stop()  # nothing listens there any more
    gone = ProviderConfig("local", base_url=url, model="test-model", timeout=5)
    unreachable = failed_generation(qtbot, window, gone, "a maze")
    assert "Could not connect to 127.0.0.1" in unreachable and "base URL" in unreachable

    assert len({missing, refused, unknown, unreachable}) == 4
    assert window.session.project.versions() == []  # nothing half-made


def test_retry_sends_the_failed_prompt_again(
    make_window, qtbot, qloop, no_keys, chat_server, tmp_path
):
    window = make_window()
    with Project.create(tmp_path / "game") as made:
        path = made.path
    project = open_project(window, path)
    local = ProviderConfig("local", base_url=chat_server.base_url, model="test-model", timeout=5)
    chat_server.script(Scripted.fail(500, "overloaded"))
    failed_generation(qtbot, window, local, "a cat game")
    chat_server.script(Scripted.text(ANSWER))
    with qtbot.waitSignal(window.chat.finished, timeout=BUILD_WAIT) as done:
        window.chat.generate_btn.click()
    assert done.args[0].ok and project.version(project.head).prompt == "a cat game"
    assert window.chat.prompt.toPlainText() == ""
    assert window.chat.generate_btn.text() == "Generate"


# -- "Changing v1 (not the newest, v3)" ------------------------------------------------------


def test_the_changing_bar_says_which_version_a_prompt_changes_and_switches(
    make_window, qtbot, three_versions
):
    window = make_window()
    project = open_project(window, three_versions)
    v1, _v2, v3 = (v.id for v in project.versions())
    bar = window.chat.change_bar
    assert not bar.isVisible()  # the newest is shown: nothing to say
    window.session.show_version(v1)
    assert bar.isVisible()
    assert bar.label.text() == f"Changing v{v1} (not the newest, v{v3}): this starts a new branch"
    assert bar.switch_btn.text() == f"Switch to v{v3}"

    bar.switch_btn.click()

    assert window.session.shown == v3 and not bar.isVisible()
    assert window.code.history.selected_ids() == [v3]
    wait_for_js(qtbot, window, "document.title", "Probe three")


def test_a_branch_is_drawn_from_where_it_grew(make_window, three_versions):
    window = make_window()
    project = open_project(window, three_versions)
    v1, v2, v3 = (v.id for v in project.versions())
    window.session.show_version(v1)
    editor = window.code.editor
    editor.setPlainText(editor.toPlainText().replace("First title", "Branch title"))
    window.code.run()  # builds on v1, as the bar said
    branch = project.head
    assert project.version(branch).parent == v1
    rows = {
        window.code.history.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole): (
            window.code.history.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole + 1)
        )
        for i in range(window.code.history.tree.topLevelItemCount())
    }
    assert rows[branch].lane == 1 and rows[v1].forks == (1,)
    assert rows[v2].lane == rows[v3].lane == 0
    assert 0 not in rows[branch].up  # it does not hang below v3


# -- a window that fits ------------------------------------------------------------------------


def small_screen(qapp) -> QRect:
    """A 1280×800 screen, as the offscreen platform can be told to be per window."""
    return QRect(0, 0, 1280, 800)


def all_buttons_inside(window: MainWindow) -> None:
    for button in window.findChildren(QAbstractButton):
        shown = button.isVisibleTo(window) and not button.size().isEmpty()
        if shown and button.window() is window:
            box = QRect(button.mapTo(window, QPoint(0, 0)), button.size())
            assert window.rect().contains(box), f"{button.text()!r} falls off the window"


@pytest.mark.parametrize("story", [False, True])
def test_the_window_fits_a_1280_by_800_screen(make_window, qloop, qtbot, tmp_path, story):
    window = make_window()
    window.fit_to_screen()  # the test screen is 1920×1080: the first size is 1500×900
    assert (window.width(), window.height()) == (1500, 900)
    window.resize(1280, 800 - 40)  # a 1280×800 screen less the title bar
    host = window.session.host
    template = next(t for t in host.templates() if t.name == ("story" if story else "runner"))
    wait_for(window.create_project(tmp_path / "fits", template))
    qtbot.waitUntil(lambda: window.width() <= 1280)
    assert window.minimumSizeHint().width() <= 1280
    assert not window.media_pane.is_open  # nothing made yet: a bar, not a third of the width
    assert window.preview.width() > 500
    if story:
        tabs = window.code.top_tabs
        assert tabs.isTabVisible(0) and tabs.currentWidget() is window.code.story
        assert window.code.story.graph.width() >= 400  # the graph has the pane's width
        node = next(iter(window.code.story.graph.nodes.values()))
        assert window.code.story.graph.transform().m11() >= 0.8  # titles stay readable
        assert node.isVisible()
    all_buttons_inside(window)
    window.set_media_open(True)
    assert window.minimumSizeHint().width() <= 1100  # all three panes still fit
    all_buttons_inside(window)


def test_the_first_window_fits_the_screen_it_opens_on(make_window, monkeypatch):
    window = make_window()
    monkeypatch.setattr(
        type(window.screen()), "availableGeometry", lambda _screen: QRect(0, 0, 1280, 800)
    )
    window.fit_to_screen()
    assert window.width() <= 1280 and window.height() <= 760
    assert QRect(0, 0, 1280, 800).contains(window.geometry())


# -- pictures of versions ------------------------------------------------------------------


def has_colour(image: QImage, colour: str, rect: QRect | None = None) -> bool:
    rect = rect or image.rect()
    return any(
        image.pixelColor(x, y).name() == colour
        for x in range(rect.left(), rect.right(), 2)
        for y in range(rect.top(), rect.bottom(), 2)
    )


def test_a_version_shown_gets_its_picture_in_history_and_on_the_start_screen(
    make_window, qtbot, tmp_path, probe_template, probe_project
):
    window = make_window()
    project = open_project(window, probe_project)
    name, picture = project.name, thumbnail_path(project.path, project.head)
    qtbot.waitUntil(picture.exists, timeout=BUILD_WAIT)  # a moment after the first paint
    image = QImage(str(picture))
    assert 0 < image.width() <= 320 and 0 < image.height() <= 180
    assert has_colour(image, "#203040")  # the probe game's page, as the Preview drew it
    history = window.code.history
    row = history.tree.visualItemRect(history.item_for(project.head))
    qtbot.waitUntil(lambda: has_colour(history.tree.viewport().grab().toImage(), "#203040", row))
    with new_project(tmp_path / "next", probe_template) as other:
        open_project(window, other.path)
    window.show_start()  # the first project is a recent one now, with its picture
    (card,) = (window.start.recent.item(i) for i in range(window.start.recent.count()))
    assert card.text() == name
    assert has_colour(card.icon().pixmap(160, 90).toImage(), "#203040")


# -- another project leaves nothing behind ----------------------------------------------------


def test_opening_another_project_clears_every_pane(make_window, qtbot, tmp_path, probe_template):
    window = make_window()
    with new_project(tmp_path / "first", probe_template) as first:
        first_path = first.path
    with new_project(tmp_path / "second", probe_template) as second:
        second_path = second.path
    open_project(window, first_path)
    window.set_media_open(True)
    # Leave something in each pane, as a person working on the first project would.
    window.chat.prompt.setPlainText("make the cat faster")
    window.video.prompt.setPlainText("a neon city at night")
    window.video.work.show_note("Version 5 has assets/city.webm: ask for it")
    window.images.form.prompt.setPlainText("a knight with a red cape")
    window.chat.conversation.add_status("Version 5: wrote index.html.", "ok")
    window.code.story.status.setText("6 clips made")
    window.preview.console.add(ConsoleEntry("error", "Uncaught TypeError: cat is undefined"))
    window.preview.console.refresh()
    window.code.history.tree.selectAll()
    assert any("cat is undefined" in line for line in window.preview.console.lines())

    open_project(window, second_path)

    assert window.chat.prompt.toPlainText() == ""
    assert "Version 5" not in window.chat.conversation.toPlainText()
    assert window.video.prompt.toPlainText() == ""
    assert window.video.note.isHidden() and window.video.work.note.text() == ""
    assert window.images.form.prompt.toPlainText() == ""
    assert window.code.story.status.text() == ""
    assert not any("cat is undefined" in line for line in window.preview.console.lines())
    assert len(window.code.history.selected_ids()) == 1  # the second project's version shown
    assert window.windowTitle().startswith("second")
    assert not window.chat.change_bar.isVisible()


# -- Compare ---------------------------------------------------------------------------------


def test_compare_is_disabled_with_a_reason_until_two_versions_are_chosen(
    make_window, three_versions
):
    window = make_window()
    open_project(window, three_versions)
    history = window.code.history
    assert history.selected_ids() == [window.session.shown]
    assert not history.compare_btn.isEnabled()
    assert "second version" in history.compare_btn.toolTip()


def test_compare_plays_both_versions_and_shows_the_code_in_two_columns(
    make_window, qtbot, three_versions
):
    window = make_window()
    project = open_project(window, three_versions)
    v1, _v2, v3 = (v.id for v in project.versions())
    history = window.code.history
    history.tree.clearSelection()
    history.item_for(v1).setSelected(True)
    history.item_for(v3).setSelected(True)
    assert history.compare_btn.isEnabled()

    history.compare_btn.click()

    (dialog,) = history.findChildren(CompareDialog)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == f"Compare v{v1} and v{v3}"
    old, new = dialog.games
    for side, title in ((old, "Probe one"), (new, "Probe three")):
        qtbot.waitUntil(lambda side=side, title=title: page_title(qtbot, side) == title,
                        timeout=BUILD_WAIT)  # fmt: skip
        qtbot.waitUntil(lambda side=side: frames(qtbot, side) > 5, timeout=BUILD_WAIT)
    left, right = (c.toPlainText().splitlines() for c in dialog.columns)
    assert len(left) == len(right)  # row for row
    row = next(i for i, line in enumerate(left) if "<title>Probe one</title>" in line)
    assert "<title>Probe three</title>" in right[row]
    # The columns scroll together.
    dialog.columns[0].verticalScrollBar().setValue(3)
    assert (
        dialog.columns[1].verticalScrollBar().value()
        == dialog.columns[0].verticalScrollBar().value()
    )
    dialog.close()
    assert not dialog.games  # the pages let go of the project


def page_title(qtbot, side) -> str | None:
    return run_in(qtbot, side, "document.title")


def frames(qtbot, side) -> int:
    state = run_in(qtbot, side, "JSON.stringify(window.studio && window.studio.state())")
    with contextlib.suppress(TypeError, ValueError):
        return int(json.loads(state)["frames"])
    return 0


def run_in(qtbot, side, script: str):
    results: list[object] = []
    side.page.runJavaScript(script, 0, results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    return results[0]


def test_chat_version_lines_open_their_changes(make_window, qtbot, three_versions):
    window = make_window()
    project = open_project(window, three_versions)
    _v1, v2, v3 = (v.id for v in project.versions())
    window.chat.conversation.add_status(f"Version {v3}: 1 edit to index.html.", "ok", v3)
    window.chat.conversation.version_clicked.emit(v3)  # the "view changes" link
    (dialog,) = window.code.history.findChildren(CompareDialog)
    qtbot.addWidget(dialog)
    assert (dialog.old, dialog.new) == (v2, v3)
    assert "view changes" in window.chat.conversation.toPlainText()
    dialog.close()


def test_the_editor_marks_the_lines_the_shown_version_changed(make_window, qtbot, three_versions):
    window = make_window()
    editor = window.code.editor
    project = open_project(window, three_versions)
    v1, _v2, v3 = (v.id for v in project.versions())
    lines = editor.toPlainText().splitlines()
    changed = {n for n, line in enumerate(lines, 1) if "Probe three" in line or "release" in line}
    assert len(changed) == 2
    qtbot.waitUntil(lambda: editor.marks == changed)  # v3's two lines, against v2
    qtbot.wait(300)  # the highlighter's later passes over the file leave them
    assert editor.marks == changed
    window.session.show_version(v1)
    qtbot.waitUntil(lambda: "Probe one" in editor.toPlainText())
    assert editor.marks == frozenset()  # the first version: nothing to point out
    window.session.show_version(v3)
    qtbot.waitUntil(lambda: editor.marks == changed)
    editor.textCursor().insertText("// typed\n")
    assert editor.marks == frozenset()  # typed over: the marks would no longer line up


def test_use_in_game_fills_the_prompt_box(make_window, probe_project):
    window = make_window()
    open_project(window, probe_project)
    window.session.prompt_suggested.emit("Use the video assets/city.webm as the background.")
    assert window.chat.prompt.toPlainText() == "Use the video assets/city.webm as the background."
    assert window.code.tabs.currentWidget() is window.chat
    assert QApplication.focusWidget() in (window.chat.prompt, None)


def test_run_saves_a_version_only_when_something_changed(make_window, tmp_path):
    """A file the editor shows differently from its bytes (Windows line ends) is not a
    change: Run without an edit makes no version; Run after one makes one."""
    crlf = PROBE_GAME.replace("\n", "\r\n").encode()
    with Project.create(tmp_path / "windows") as made:
        made.commit({"index.html": crlf, "notes.txt": b"caf\xe9\r\n"}, parent=None, kind="import")
        path = made.path
    window = make_window()
    project = open_project(window, path)
    window.code.run()
    window.code.run()
    assert len(project.versions()) == 1
    editor = window.code.editor
    editor.setPlainText(editor.toPlainText().replace("First title", "Edited"))
    window.code.run()
    assert len(project.versions()) == 2
    files = project.files(project.head)
    assert files["notes.txt"] == b"caf\xe9\r\n"  # a file not edited keeps its bytes
    assert b"Edited" in files["index.html"] and b"\r\n" in files["index.html"]  # its line ends


def test_one_run_and_one_set_of_icons(make_window, probe_project):
    from studio.ui.icons import NAMES, icon

    window = make_window()
    open_project(window, probe_project)
    menus = [a.text() for a in window.menuBar().actions()]
    assert "&Run" not in menus  # no menu of one item
    runs = [b for b in window.findChildren(QAbstractButton) if b.text().endswith("Run")]
    assert len(runs) == 1 and runs[0] is window.code.run_btn
    assert window.run_action in window.generate_menu.actions()  # its keys, Ctrl+R
    assert window.run_action not in window.toolbar.actions()
    for name in NAMES:
        assert not icon(name).pixmap(24, 24).isNull(), name
    assert window.preview.reload_button.icon().cacheKey() == icon("reload").cacheKey()
    assert [a.text() for a in window.help_menu.actions()][:2] == [
        "&Start screen",
        "Set up a &code model…",
    ]
