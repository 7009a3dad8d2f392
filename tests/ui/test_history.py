"""History: an older version previews when selected; restore, fork and compare work."""

from __future__ import annotations

from PySide6.QtCore import Qt

from studio.core.store import Project
from studio.ui.code.diff_dialog import CompareDialog
from studio.ui.main_window import MainWindow
from tests.ui.conftest import open_project, preview_version, wait_for_js

TITLES = ("Probe one", "Probe two", "Probe three")


def click(qtbot, window: MainWindow, version_id: int, modifier=Qt.KeyboardModifier.NoModifier):
    tree = window.code.history.tree
    item = window.code.history.item_for(version_id)
    assert item is not None, f"version {version_id} is not in History"
    tree.scrollToItem(item)
    qtbot.mouseClick(
        tree.viewport(), Qt.MouseButton.LeftButton, modifier, tree.visualItemRect(item).center()
    )


def history_ids(window: MainWindow) -> list[int]:
    tree = window.code.history.tree
    return [
        tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole)
        for i in range(tree.topLevelItemCount())
    ]


def test_history_lists_every_version_and_marks_the_head(make_window, three_versions):
    window = make_window()
    project = open_project(window, three_versions)
    ids = [v.id for v in project.versions()]
    assert history_ids(window) == ids
    history = window.code.history
    assert history.item_for(project.head).font(0).bold()
    assert not history.item_for(ids[0]).font(0).bold()
    assert history.selected_ids() == [project.head]
    assert "Version 1 (template)" in history.item_for(ids[0]).toolTip(0)
    assert history.item_for(ids[1]).text(0) == f"v{ids[1]}  your edit of v{ids[0]}"


def test_selecting_an_older_version_previews_it(make_window, qtbot, three_versions):
    window = make_window()
    project = open_project(window, three_versions)
    wait_for_js(qtbot, window, "document.title", "Probe three")
    oldest = project.versions()[0].id

    click(qtbot, window, oldest)

    assert window.session.shown == oldest
    assert project.head != oldest, "looking at a version must not move the head"
    text = window.code.editor.toPlainText()
    assert "<title>Probe one</title>" in text and "release" not in text
    wait_for_js(qtbot, window, "document.title", "Probe one")
    assert preview_version(window) == oldest
    assert window.preview.isVisible()


def test_restore_brings_an_old_version_back_as_the_newest(make_window, qtbot, three_versions):
    window = make_window()
    project = open_project(window, three_versions)
    v1, _, v3 = (v.id for v in project.versions())
    history = window.code.history
    click(qtbot, window, v1)
    assert history.restore_btn.isEnabled()

    qtbot.mouseClick(history.restore_btn, Qt.MouseButton.LeftButton)

    restored = project.version(project.head)
    assert (restored.kind, restored.parent) == ("restore", v3)
    assert project.file_hashes(restored.id) == project.file_hashes(v1)
    assert history_ids(window) == [v1, 2, v3, restored.id]
    assert history.item_for(restored.id).font(0).bold()
    assert history.selected_ids() == [restored.id]
    assert window.session.shown == restored.id
    wait_for_js(qtbot, window, "document.title", "Probe one")
    assert preview_version(window) == restored.id


def test_fork_starts_a_new_line_from_an_old_version(make_window, qtbot, three_versions):
    window = make_window()
    project = open_project(window, three_versions)
    v1, v2, v3 = (v.id for v in project.versions())
    history = window.code.history
    click(qtbot, window, v2)

    qtbot.mouseClick(history.fork_btn, Qt.MouseButton.LeftButton)

    fork = project.version(project.head)
    assert (fork.kind, fork.parent) == ("fork", v2)
    assert project.file_hashes(fork.id) == project.file_hashes(v2)
    # The main line goes on (v3 stays v2's first child); the fork is listed one level in.
    assert history_ids(window) == [v1, v2, v3, fork.id]
    assert history.item_for(fork.id).text(0) == f"v{fork.id}  fork of v{v2}"
    row = history.item_for(fork.id).data(0, Qt.ItemDataRole.UserRole + 1)
    assert row.lane == 1  # a lane of its own, leaving v2's dot
    assert history.item_for(v2).data(0, Qt.ItemDataRole.UserRole + 1).forks == (1,)
    assert history.item_for(fork.id).font(0).bold()
    assert window.session.shown == fork.id
    wait_for_js(qtbot, window, "document.title", "Probe two")

    # Run on the fork builds on the fork, not on the old head.
    editor = window.code.editor
    editor.setPlainText(editor.toPlainText().replace("Probe two", "Probe fork"))
    window.code.run()
    child = project.version(project.head)
    assert child.parent == fork.id
    wait_for_js(qtbot, window, "document.title", "Probe fork")


def test_compare_shows_both_versions_side_by_side(make_window, qtbot, three_versions):
    window = make_window()
    project = open_project(window, three_versions)
    v1, _, v3 = (v.id for v in project.versions())
    history = window.code.history
    click(qtbot, window, v1)
    assert not history.compare_btn.isEnabled()  # one version: a second is asked for
    click(qtbot, window, v3, Qt.KeyboardModifier.ControlModifier)
    assert history.selected_ids() == [v1, v3]
    assert window.session.shown == v1, "a second selected version must not change the preview"
    assert history.compare_btn.isEnabled()
    assert not history.restore_btn.isEnabled()

    qtbot.mouseClick(history.compare_btn, Qt.MouseButton.LeftButton)

    (dialog,) = history.findChildren(CompareDialog)
    qtbot.addWidget(dialog)
    assert dialog.isVisible()
    assert dialog.windowTitle() == f"Compare v{v1} and v{v3}"
    assert dialog.file_box.currentText() == "index.html (changed)"
    left, right = (c.toPlainText().splitlines() for c in dialog.columns)
    assert "    5  <title>Probe one</title>" in left
    assert "    5  <title>Probe three</title>" in right
    added = right.index("   18  const release = 3;")
    assert left[added] == "", "an added line has an empty old side"
    assert "   17  let frames = 0;" in left and "   17  let frames = 0;" in right  # context
    assert not any("window.studio" in line for line in left), "far unchanged lines are shown"
    assert any("unchanged lines" in line for line in left)  # folded, and said
    kinds = {m.format.background().color().name() for m in dialog.columns[0].extraSelections()}
    assert "#3a3322" in kinds  # a changed line is coloured
    kinds = {m.format.background().color().name() for m in dialog.columns[1].extraSelections()}
    assert "#1f3b2a" in kinds  # an added one too, on the new side
    dialog.close()


def test_history_folds_runs_of_alike_versions(make_window, qtbot, probe_project):
    with Project.open(probe_project) as project:
        html = project.read_file(project.head, "index.html").decode()
        for n in range(4):  # a clip landing per scene, as story mode makes them
            project.commit(
                {"index.html": html.replace("Probe one", f"Scene {n}")},
                parent=project.head, kind="manual", meta={"label": f"clips for {n + 1} scene"},
            )  # fmt: skip
        ids = [v.id for v in project.versions()]
    window = make_window()
    open_project(window, probe_project)
    history = window.code.history
    assert history.tree.topLevelItemCount() == 2
    folded = history.item_for(ids[-1])
    assert folded is history.item_for(ids[1])  # one row for the run
    assert folded.text(0).startswith(f"▸ v{ids[1]}–v{ids[-1]}") and "(4 alike)" in folded.text(0)
    history.tree.itemDoubleClicked.emit(folded, 0)
    assert history.tree.topLevelItemCount() == 5
