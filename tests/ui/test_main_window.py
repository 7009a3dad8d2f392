"""The main window: panes, View menu, layout and last project kept across restarts, New from
every template playing in the Preview, and Run turning edits into a playing version."""

from __future__ import annotations

import asyncio
import re

import pytest
from PySide6.QtCore import QPoint, QRect, Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractButton, QApplication, QFileDialog, QMessageBox

from studio.app import create_window
from studio.core.store import Project
from studio.operations.projects import new_project
from studio.ui.dialogs.template_gallery import GalleryDialog
from tests.qt_asyncio import wait_for
from tests.ui.conftest import (
    PROBE_GAME,
    activate,
    changed_fraction,
    colour_count,
    colour_fraction,
    grab,
    open_project,
    preview_version,
    run_js,
    wait_for_js,
    wait_for_picture,
)

TEMPLATES = ("runner", "breakout", "arena")


def test_window_has_code_preview_and_media_panes(make_window):
    window = make_window()
    panes = [window.splitter.widget(i) for i in range(window.splitter.count())]
    assert panes == [window.code, window.preview, window.media]
    tabs = [window.media.tabText(i) for i in range(window.media.count())]
    assert tabs == ["Video", "Images"] and window.media.currentWidget() is window.video
    for pane in (window.code, window.preview, window.video):
        assert pane.isVisible()
        assert pane.width() > 100, f"{pane.objectName()} is squeezed to {pane.width()} px"
    view_actions = [a.text() for a in window.view_menu.actions()]
    assert view_actions == ["Code", "Preview", "Video && Images"]


def test_window_fits_a_small_laptop_screen_with_every_pane(make_window, qtbot):
    """A 1280×720 screen (less the desktop's bars) holds the window with all three panes:
    rows of buttons wrap and long titles shorten instead of widening their pane."""
    window = make_window()
    window.resize(1100, 640)
    qtbot.waitUntil(lambda: window.width() <= 1100)
    assert window.minimumSizeHint().width() <= 1100
    for pane in (window.code, window.preview, window.video):
        assert pane.isVisible() and pane.width() >= 200
    # Nothing in a pane is cut off: every visible button lies inside its pane.
    for pane in (window.chat, window.preview, window.video):
        for button in pane.findChildren(QAbstractButton):
            if button.isVisibleTo(pane) and button.window() is window:
                box = QRect(button.mapTo(pane, QPoint(0, 0)), button.size())
                assert pane.rect().contains(box), f"{button.text()!r} sticks out of its pane"


def test_view_menu_hides_and_brings_back_each_pane(make_window, qtbot):
    window = make_window()
    for name in ("code", "preview", "video"):
        action, pane = window.pane_actions[name], window.pane(name)
        others = [window.pane(n) for n in ("code", "preview", "video") if n != name]
        action.trigger()
        assert not action.isChecked()
        assert not pane.isVisible()
        assert all(p.isVisible() for p in others)
        # The other panes take the hidden one's space.
        qtbot.waitUntil(
            lambda others=others: sum(p.width() for p in others) > window.splitter.width() - 40
        )
        action.trigger()
        assert action.isChecked()
        assert pane.isVisible()
        qtbot.waitUntil(lambda pane=pane: pane.width() > 100)


def test_view_shortcuts_toggle_panes(make_window):
    window = make_window()
    keys = {n: window.pane_actions[n].shortcut() for n in ("code", "preview", "video")}
    assert keys == {n: QKeySequence(f"Ctrl+{i}") for i, n in enumerate(keys, 1)}


def test_layout_is_restored_on_restart(make_window, qtbot):
    first = make_window()
    assert first.screen().geometry().width() >= 1600, "the test screen is too small"
    first.setGeometry(QRect(40, 30, 1500, 800))
    first.splitter.setSizes([560, 560, 380])
    qtbot.wait(20)
    first.pane_actions["video"].trigger()
    qtbot.wait(20)
    sizes = first.splitter.sizes()
    code_sizes = first.code.splitter.sizes()
    assert sizes[2] == 0
    geometry = first.geometry()
    first.close()

    second = make_window()
    qtbot.wait(20)
    assert not second.pane_actions["video"].isChecked()
    assert not second.video.isVisible()
    assert second.code.isVisible() and second.preview.isVisible()
    assert second.geometry().size() == geometry.size()
    assert second.splitter.sizes() == sizes
    assert second.code.splitter.sizes() == code_sizes

    # And back: shown again, it stays shown on the next start.
    second.pane_actions["video"].trigger()
    second.close()
    third = make_window()
    assert third.video.isVisible() and third.pane_actions["video"].isChecked()


@pytest.mark.parametrize("name", TEMPLATES)
def test_new_from_each_template_plays_in_the_preview(make_window, qtbot, projects_dir, name):
    window = make_window()
    assert name in [t.name for t in window.session.host.templates()], (
        f"template {name} is not registered by the plugin host"
    )
    chosen: list[str] = []

    def pick() -> None:  # File > New opens the gallery as a modal dialog
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, GalleryDialog)
        dialog.select(name)
        assert not dialog.list.currentItem().icon().isNull(), "no thumbnail in the gallery"
        assert dialog.chosen_template().name == name
        chosen.append(dialog.name.text())
        dialog.accept()

    QTimer.singleShot(0, pick)
    window.new_action.trigger()
    assert chosen, "the gallery did not open"
    project = window.session.project
    assert project is not None
    assert project.path.parent == projects_dir
    versions = project.versions()
    assert [v.kind for v in versions] == ["template"]
    assert "index.html" in project.files(versions[0].id)
    assert window.windowTitle().startswith(project.name)
    assert window.code.editor.toPlainText().lstrip().lower().startswith("<!doctype html")

    first = wait_for_picture(qtbot, window)
    assert colour_count(first) >= 8, "the game's picture is one flat colour"

    def moved() -> bool:  # the picture changes over time: the game plays
        return changed_fraction(first, grab(window)) > 0.002

    qtbot.waitUntil(moved, timeout=5000)
    assert preview_version(window) == versions[0].id


@pytest.mark.parametrize("how", ["Ctrl+R", "code.run()"])
def test_run_makes_a_version_and_the_preview_shows_it(make_window, qtbot, probe_project, how):
    window = make_window()
    project = open_project(window, probe_project)
    first = project.head
    wait_for_js(qtbot, window, "document.title", "Probe one")
    before = wait_for_picture(qtbot, window)
    assert colour_fraction(before, 0x203040) > 0.3  # the page colour around the canvas

    editor = window.code.editor
    text = editor.toPlainText()
    editor.selectAll()
    qtbot.keyClicks(editor, "x")  # typed edits are undoable
    editor.undo()
    assert editor.toPlainText() == text
    edited = (
        text.replace("background: #203040", "background: #00c060")
        .replace("<title>Probe one</title>", "<title>Probe two</title>")
        .replace("First title", "Second title")
    )
    editor.setPlainText(edited)
    assert window.code.is_modified()
    if how == "Ctrl+R":
        activate(qtbot, window)
        editor.setFocus()
        qtbot.keyClick(editor, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    else:
        window.code.run()

    assert project.head != first, "Run made no version"
    version = project.version(project.head)
    assert (version.parent, version.kind) == (first, "manual")
    assert project.read_file(version.id, "index.html").decode() == edited
    assert window.session.shown == version.id
    assert not window.code.is_modified()
    assert window.code.history.item_for(version.id) is not None
    wait_for_js(qtbot, window, "document.title", "Probe two")
    assert run_js(qtbot, window, "document.getElementById('title').textContent") == "Second title"
    assert preview_version(window) == version.id
    qtbot.waitUntil(lambda: colour_fraction(grab(window), 0x00C060) > 0.3, timeout=5000)
    assert colour_fraction(grab(window), 0x203040) < 0.01

    # Run again without changes: no new version.
    count = len(project.versions())
    window.run_action.trigger()
    assert len(project.versions()) == count


def test_run_on_a_template_game_shows_the_edit(make_window, qtbot, projects_dir):
    window = make_window()
    template = window.session.host.template(TEMPLATES[0])
    project = window.create_project(projects_dir / "edited", template)
    assert project is not None
    wait_for_picture(qtbot, window)
    editor = window.code.editor
    text = editor.toPlainText()
    edited, n = re.subn(r"<title>[^<]*</title>", "<title>Edited by the test</title>", text)
    assert n == 1
    editor.setPlainText(edited)
    window.run_action.trigger()
    assert len(project.versions()) == 2
    wait_for_js(qtbot, window, "document.title", "Edited by the test")
    first = wait_for_picture(qtbot, window)
    qtbot.waitUntil(lambda: changed_fraction(first, grab(window)) > 0.002, timeout=5000)


def test_last_project_and_shown_version_are_restored_on_restart(
    qtbot, qapp, config_dir, probe_project
):
    # Three versions; the person looks at the second when closing the app.
    project = Project.open(probe_project)
    base = project.files(project.head)
    html = base["index.html"].decode()
    for title in ("Probe two", "Probe three"):
        project.commit(
            {"index.html": html.replace("Probe one", title)}, parent=project.head, kind="manual"
        )
    second = project.versions()[1].id
    project.close()

    first_window = create_window(qapp, probe_project)
    qtbot.addWidget(first_window)
    first_window.show()
    first_window.session.show_version(second)
    wait_for_js(qtbot, first_window, "document.title", "Probe two")
    first_window.close()
    first_window.close()  # a second close (as on quit) must not forget anything

    window = create_window(qapp, None)  # no project given: the last one comes back
    qtbot.addWidget(window)
    window.show()
    assert window.session.project is not None
    assert window.session.project.path == probe_project
    assert window.session.shown == second
    assert "<title>Probe two</title>" in window.code.editor.toPlainText()
    assert window.code.history.selected_ids() == [second]
    wait_for_js(qtbot, window, "document.title", "Probe two")
    assert preview_version(window) == second
    window.close()


@pytest.fixture
def message_boxes(qtbot):
    """Closes every message box as it opens (they are modal), keeping their texts."""
    texts: list[str] = []

    def close() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            texts.append(box.text())
            box.accept()

    timer = QTimer(interval=20)
    timer.timeout.connect(close)
    timer.start()
    yield texts
    timer.stop()


def test_a_project_that_cannot_be_created_is_explained(make_window, tmp_path, message_boxes):
    window = make_window()
    (tmp_path / "plain").write_text("a file, not a folder")
    assert window.create_project(tmp_path / "plain" / "game", None) is None
    assert len(message_boxes) == 1
    assert "cannot create" in message_boxes[0] and "Not a directory" in message_boxes[0]
    assert window.session.project is None
    assert (tmp_path / "plain").read_text() == "a file, not a folder"


def choose_in_file_dialog(path) -> list[QFileDialog.FileMode]:
    """Pick `path` in the next file dialog (Qt's own, modal, as on the offscreen screen);
    the list gets the dialog's mode."""
    seen: list[QFileDialog.FileMode] = []

    def pick() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QFileDialog)
        seen.append(dialog.fileMode())
        dialog.setDirectory(str(path.parent))
        dialog.selectFile(str(path))
        dialog.accept()

    QTimer.singleShot(0, pick)
    return seen


def test_file_menu_imports_a_folder(make_window, qtbot, qloop, probe_project, tmp_path):
    window = make_window()
    project = open_project(window, probe_project)
    site = tmp_path / "site"
    (site / "js").mkdir(parents=True)
    page = PROBE_GAME.replace("Probe one", "From a folder")
    (site / "index.html").write_text(page)
    (site / "js" / "extra.js").write_text("const extra = 1;\n")
    assert window.import_folder_action.isEnabled()
    assert window.import_folder_action in window.file_menu.actions()

    seen = choose_in_file_dialog(site)
    version = wait_for(window.import_dialog(folder=True), timeout=30)
    assert seen == [QFileDialog.FileMode.Directory]
    assert version is not None and version.kind == "import"
    assert project.files(version.id) == {
        "index.html": page.encode(),
        "js/extra.js": b"const extra = 1;\n",
    }
    assert window.session.shown == version.id
    wait_for_js(qtbot, window, "document.title", "From a folder")


def test_a_folder_that_cannot_be_imported_is_explained(
    make_window, qloop, probe_project, tmp_path, message_boxes
):
    window = make_window()
    project = open_project(window, probe_project)
    (tmp_path / "photos").mkdir()
    assert wait_for(window.import_path(tmp_path / "photos"), timeout=30) is None
    wait_for(asyncio.sleep(0.3))  # the box opens after the import's task step
    assert len(message_boxes) == 1 and "no index.html" in message_boxes[0]
    assert len(project.versions()) == 1


def test_opening_another_project_mid_import_stops_it_quietly(
    make_window, qloop, probe_project, probe_template, tmp_path, message_boxes, monkeypatch
):
    """The import's worker finds its project closed: no error box, no version, no crash."""
    import threading

    from studio.operations import projects as operations

    window = make_window()
    first = open_project(window, probe_project)
    with new_project(tmp_path / "other", probe_template) as other:
        other_path = other.path
    closed = threading.Event()

    def import_after_close(project, source):
        closed.wait(10)  # the person opens another project while this import runs
        return operations.import_source(project, source)

    monkeypatch.setattr("studio.ui.main_window.import_source", import_after_close)
    page = tmp_path / "game.html"
    page.write_text(PROBE_GAME)
    task = window.import_path(page)
    open_project(window, other_path)
    closed.set()
    assert wait_for(task, timeout=30) is None
    wait_for(asyncio.sleep(0.3))  # where an error box would open
    assert message_boxes == [] and first.closed
    assert "stopped" in window.statusBar().currentMessage()
    assert [v.kind for v in window.session.project.versions()] == ["template"]
