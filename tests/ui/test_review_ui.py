"""Review before keeping in the window (issue 17): with the switch on, an answer waits in
Chat while it plays as a draft in the real Preview; unticking a file plays the draft
without it; Keep saves the ticked files; Drop all saves nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from studio.core.store import Project
from studio.testing.servers.chat import TEST_API_KEY, ChatServer, Scripted
from studio.ui.main_window import MainWindow
from tests.ui.conftest import open_project, run_js
from tests.ui.point import use_server
from tests.ui.test_generation_ui import send

PAGE = """<!DOCTYPE html><html><head><title>Review</title></head><body>
<h1 id="t">Before</h1><script src="game.js"></script></body></html>
"""
ANSWER = (
    "A new title and colour.\n"
    '<edit path="index.html">\n<<<<<<< SEARCH\n<h1 id="t">Before</h1><script src="game.js">'
    '</script></body></html>\n=======\n<h1 id="t">After</h1><script src="game.js"></script>'
    "</body></html>\n>>>>>>> REPLACE\n</edit>\n"
    '<edit path="game.js">\n<<<<<<< SEARCH\ndocument.body.dataset.colour = "red";\n=======\n'
    'document.body.dataset.colour = "blue";\n>>>>>>> REPLACE\n</edit>\n'
)
WAIT = 20_000
TITLE = "document.getElementById('t').textContent + '/' + document.body.dataset.colour"


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer() as server:
        yield server


@pytest.fixture
def window(make_window, qloop, qtbot, server, monkeypatch, no_keyring, tmp_path) -> MainWindow:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_API_KEY)
    window = make_window()
    use_server(window, server, "test-model", "auto")
    with Project.create(tmp_path / "review") as made:
        made.commit(
            {"index.html": PAGE, "game.js": 'document.body.dataset.colour = "red";\n'},
            parent=None,
            kind="import",
        )
        path = made.path
    open_project(window, path)
    qtbot_wait_running(window)
    window.chat.extras.review_box.setChecked(True)
    return window


def qtbot_wait_running(window: MainWindow) -> None:
    import time

    from PySide6.QtCore import QCoreApplication

    end = time.monotonic() + WAIT / 1000
    while window.preview.state != "running" and time.monotonic() < end:
        QCoreApplication.processEvents()


def test_an_answer_waits_for_review_and_keeps_the_ticked_files(
    qtbot, window: MainWindow, server: ChatServer
) -> None:
    project = window.session.project
    bar = window.chat.extras.review_bar
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: window.height() == 800, timeout=WAIT)
    sizes = window.code.splitter.sizes()
    server.script(Scripted.text(ANSWER))
    send(qtbot, window, "change the title and the colour")
    qtbot.waitUntil(lambda: bar.waiting, timeout=WAIT)
    assert window.chat.busy and len(project.versions()) == 1
    # On a small screen the bar gets its room (nothing drawn over its diff): the editor
    # above gives up some of its own, so that the diff shows more than its least, three
    # lines. The window stays the size it was.
    lines = bar.diff.fontMetrics().lineSpacing()
    roomy = bar.diff.minimumHeight() + 2 * lines
    qtbot.waitUntil(lambda: bar.diff.height() >= roomy, timeout=WAIT)
    assert window.code.splitter.sizes()[0] < sizes[0]
    assert (window.width(), window.height()) == (1280, 800)
    assert sorted(bar.boxes) == ["game.js", "index.html"]
    assert bar.boxes["game.js"].text() == "game.js (+1 −1)"
    # The answer plays as a draft; without game.js's change once it is unticked.
    qtbot.waitUntil(lambda: run_js(qtbot, window, TITLE) == "After/blue", timeout=WAIT)
    bar.boxes["game.js"].setChecked(False)
    qtbot.waitUntil(lambda: run_js(qtbot, window, TITLE) == "After/red", timeout=WAIT)
    assert "blue" not in bar.diff.toPlainText() and "After" in bar.diff.toPlainText()
    with qtbot.waitSignal(window.chat.finished, timeout=WAIT) as done:
        bar.keep_button.click()
    assert done.args[0].ok and not bar.isVisible()
    assert window.code.splitter.sizes() == sizes  # the editor's room back
    version = project.version(project.head)
    assert project.read_file(version.id, "index.html").decode().count("After") == 1
    assert "red" in project.read_file(version.id, "game.js").decode()
    assert "Dropped after review: game.js." in window.chat.conversation.plain_text()
    qtbot.waitUntil(lambda: run_js(qtbot, window, TITLE) == "After/red", timeout=WAIT)


def test_drop_all_saves_nothing(qtbot, window: MainWindow, server: ChatServer) -> None:
    project = window.session.project
    bar = window.chat.extras.review_bar
    server.script(Scripted.text(ANSWER))
    send(qtbot, window, "change the title and the colour")
    qtbot.waitUntil(lambda: bar.waiting, timeout=WAIT)
    with qtbot.waitSignal(window.chat.finished, timeout=WAIT) as done:
        bar.drop_button.click()
    assert done.args[0].status == "dropped" and len(project.versions()) == 1
    assert "You dropped every change of the answer" in window.chat.conversation.plain_text()
    qtbot.waitUntil(lambda: run_js(qtbot, window, TITLE) == "Before/red", timeout=WAIT)
