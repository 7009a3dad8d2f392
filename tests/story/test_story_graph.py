"""The graph view in the real main window: scenes and choices drawn from story.json, a click
edits a scene as a new version, the graph follows History, Make clips runs on the Video
pane's queue with progress on the nodes, and games without a story do not show it."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from studio.config.settings import FILE_NAME
from studio.operations.projects import new_project
from studio.operations.story_clips import story_of
from tests.qt_asyncio import run_with_qt

SHOTS = os.environ.get("STUDIO_STORY_SHOTS")  # a folder: save screenshots there to look at


def click_node(panel, scene_id: str) -> None:
    view = panel.graph
    node = view.nodes[scene_id]
    point = view.mapFromScene(node.sceneBoundingRect().center())
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)


async def until(predicate, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"timed out: {predicate}"
        await asyncio.sleep(0.02)


def open_story_window(make_window, host, tmp_path, config_dir):
    """A window on a new story project whose clips come from small, quick title cards."""
    settings = {
        "video_providers": {
            "title-cards": {"work_dir": str(tmp_path / "cards"), "size": "320x180", "seconds": 1}
        }
    }
    (config_dir / FILE_NAME).write_text(json.dumps(settings))
    with new_project(tmp_path / "tale", host.template("story")) as project:
        path = project.path
    window = make_window()
    return window, window.open_path(path)


def test_graph_edit_history_and_make_clips(qtbot, make_window, host, tmp_path, config_dir):
    window, project = open_story_window(make_window, host, tmp_path, config_dir)
    panel = window.code.story
    assert panel.isVisible() and panel.width() > 200
    graph = panel.graph
    assert set(graph.nodes) == {"shore", "tower", "boat", "lamp", "flare", "selkies"}
    assert len(graph.edges) == 6
    assert graph.nodes["shore"].start and graph.nodes["lamp"].ending
    # Columns by distance from the start: shore, then tower/boat, then the endings.
    x = {sid: node.pos().x() for sid, node in graph.nodes.items()}
    assert x["shore"] < x["tower"] == x["boat"] < x["lamp"] == x["flare"] == x["selkies"]
    assert "The Last Light" in panel.heading.text() and not panel.problem_label.isVisible()

    click_node(panel, "boat")
    assert panel.editor.scene_id == "boat" and graph.nodes["boat"].selected
    qtbot.waitUntil(lambda: panel.editor.apply_btn.isVisible() and panel.editor.height() > 150)
    assert panel.editor.title.text() == "Into the Swell"
    panel.editor.title.setText("Rough Water")
    panel.editor.prompt.setPlainText("Mara rows through a gale")
    QTest.mouseClick(panel.editor.apply_btn, Qt.MouseButton.LeftButton)
    assert project.head == 2 and [v.kind for v in project.versions()] == ["template", "manual"]
    story = story_of(project)[1]
    assert story.scene("boat").title == "Rough Water"
    assert story.scene("boat").prompt == "Mara rows through a gale"
    assert story.scene("boat").text.startswith("The sea throws")  # untouched
    # The editor, the graph and the scene editor all show the new version.
    assert '"title": "Rough Water"' in window.code._buffers["story.json"]
    assert graph.nodes["boat"].title == "Rough Water" and graph.nodes["boat"].selected
    assert panel.editor.title.text() == "Rough Water"
    if SHOTS:
        window.grab().save(str(Path(SHOTS) / "window.png"))
        panel.grab().save(str(Path(SHOTS) / "graph.png"))

    # History: showing the first version shows its story.
    window.session.show_version(1)
    assert graph.nodes["boat"].title == "Into the Swell"
    window.session.show_version(2)

    async def make() -> None:
        await until(lambda: window.video.queue is not None)
        panel.provider_box.setCurrentText("title-cards")
        panel.continuity_box.setChecked(True)
        task = panel.make_clips()
        assert task is not None and panel.busy() and not panel.make_btn.isEnabled()
        seen: set[str] = set()
        early: set[str] = set()  # clips on screen while others were still being made

        def watch() -> bool:
            seen.update(s for s, n in graph.nodes.items() if n.progress is not None)
            if any(n.status != "completed" for n in graph.nodes.values()):
                early.update(s for s, n in graph.nodes.items() if n.has_clip)
            return task.done()

        await until(watch, timeout=120)
        assert task.result().version is not None
        assert seen  # progress showed on the nodes while clips were made
        assert "shore" in early and early != set(graph.nodes)
        await until(lambda: not panel.busy())

    run_with_qt(make())
    # A version per arrival (or per group arriving together), shown as each landed.
    landed = [v for v in project.versions() if v.id > 2]
    assert len(landed) >= 2 and landed[0].meta["story_clips"] == {"shore": "shore.webm"}
    assert set().union(*(v.meta["story_clips"] for v in landed)) == set(graph.nodes)
    assert all(node.has_clip for node in graph.nodes.values())
    assert "6 clips made" in panel.status.text()
    assert window.session.shown == project.head == landed[-1].id
    # The jobs went through the Video pane's queue (its list shows them).
    assert {j.params["story_scene"] for j in project.jobs()} == set(graph.nodes)
    if SHOTS:
        panel.grab().save(str(Path(SHOTS) / "graph-clips.png"))

    # Re-make one scene's clip from the scene editor.
    click_node(panel, "tower")
    assert panel.editor.scene_id == "tower"

    async def remake() -> None:
        panel.editor.remake_btn.click()
        await until(lambda: panel.busy())
        await until(lambda: not panel.busy(), timeout=60)

    head = project.head
    run_with_qt(remake())
    assert story_of(project)[1].scene("tower").clip == "tower-2.webm"
    assert project.head == head + 1

    # A game without story.json: no graph.
    with new_project(tmp_path / "runner", host.template("runner")) as game:
        game_path = game.path
    run_with_qt(_close(window))
    window.open_path(game_path)
    assert not panel.isVisible()


async def _close(window) -> None:
    window.session.close()
    await window.video.idle()


def test_a_broken_story_shows_its_problems_on_the_nodes(qtbot, make_window, make_story_project):
    from .conftest import sample_story, scene

    data = sample_story()
    scene(data, "boat")["choices"][0]["next"] = "mermaids"
    scene(data, "flare")["ending"] = False
    project = make_story_project(data)
    path = project.path
    project.close()
    window = make_window()
    window.open_path(path)
    panel = window.code.story
    graph = panel.graph
    assert panel.problem_label.isVisible()
    assert "leads to 'mermaids'" in panel.problem_label.text()
    assert graph.nodes["boat"].problems and graph.nodes["flare"].problems
    assert graph.nodes["selkies"].problems  # unreachable now
    assert not graph.nodes["tower"].problems
    # The dangling choice is drawn, to nowhere, in the problem colour.
    assert len(graph.edges) == 6
    if SHOTS:
        panel.grab().save(str(Path(SHOTS) / "graph-problems.png"))
    run_with_qt(_close(window))


def test_apply_and_make_clips_keep_unsaved_typing(qtbot, make_window, host, tmp_path, config_dir):
    window, project = open_story_window(make_window, host, tmp_path, config_dir)
    panel, code = window.code.story, window.code

    def type_in_editor(old: str, new: str) -> None:
        assert code.file_box.currentText() == "story.json"
        text = code.editor.toPlainText()
        assert old in text
        code.editor.setPlainText(text.replace(old, new))
        assert code.is_modified()

    # Typed in story.json, not run; then a scene edited in the graph and applied.
    type_in_editor('"title": "The Last Light"', '"title": "The Final Light"')
    click_node(panel, "boat")
    panel.editor.title.setText("Rough Water")
    panel.editor.apply_btn.click()
    story = story_of(project)[1]
    assert story.title == "The Final Light" and story.scene("boat").title == "Rough Water"
    assert not code.is_modified() and '"title": "The Final Light"' in code.editor.toPlainText()

    # Typed before Make clips, and while the clip is being made: both are kept, and the
    # clip lands on top of them.
    type_in_editor('"title": "The Final Light"', '"title": "The Very Last Light"')

    async def make() -> None:
        await until(lambda: window.video.queue is not None)
        panel.provider_box.setCurrentText("title-cards")
        task = panel.make_clips(["shore"])
        assert task is not None
        type_in_editor('"title": "Rough Water"', '"title": "Heavy Seas"')
        await until(task.done, timeout=60)
        assert task.result().version is not None

    run_with_qt(make())
    story = story_of(project)[1]
    assert story.title == "The Very Last Light" and story.scene("boat").title == "Heavy Seas"
    assert story.scene("shore").clip == "shore.webm"
    assert not code.is_modified() and '"title": "Heavy Seas"' in code.editor.toPlainText()
    assert window.session.shown == project.head
    run_with_qt(_close(window))


def test_the_provider_list_follows_plugins(qtbot):
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from studio.plugins.host import PluginHost
    from studio.ui.session import ProjectSession
    from studio.ui.story.story_graph import StoryPanel

    host = PluginHost()
    host.load_all(entry_points=True)
    panel = StoryPanel(ProjectSession(host))

    def names() -> list[str]:
        # Registered names: the items show what people call each service.
        return [panel.provider_box.itemData(i) for i in range(panel.provider_box.count())]

    assert "title-cards" in names() and panel.provider_box.currentText() == "title-cards"
    host.disable("title-cards")
    assert "title-cards" not in names() and "openai" in names()
    host.enable("title-cards")
    assert "title-cards" in names()
    # A panel that is gone stops listening.
    listeners = len(host._listeners)
    panel.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert len(host._listeners) == listeners - 1
    host.disable("title-cards")  # nothing left to call on a deleted widget
