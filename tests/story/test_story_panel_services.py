"""The story panel with a service that costs money, in the real main window: Make clips says
what the batch costs and asks once (no: nothing is queued; yes: the clips are made), each
node's tooltip says how its clip joins the others, and the cast editor gives a character a
picture that goes with the scenes naming them. A local provider plugin stands in for the
service (tests/ai/local_models.py), through the real queue and ffmpeg."""

from __future__ import annotations

import asyncio
import json

from PySide6.QtWidgets import QMessageBox

from studio.config.settings import FILE_NAME
from studio.operations.projects import new_project
from studio.operations.story_clips import story_of
from studio.story.validate import check_files
from studio.ui.widgets.provider_combo import choose_name
from tests.ai.local_models import Service, add_local
from tests.qt_asyncio import run_with_qt
from tests.ui.pictures import solid_png as png


async def until(predicate, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"timed out: {predicate}"
        await asyncio.sleep(0.02)


def test_make_clips_asks_once_and_the_cast_picture_goes_with_its_scenes(
    make_window, host, tmp_path, config_dir
) -> None:
    (config_dir / FILE_NAME).write_text(json.dumps({}))
    service = Service()
    add_local(host, service)
    with new_project(tmp_path / "tale", host.template("story")) as project:
        path = project.path
    window = make_window()
    project = window.open_path(path)
    panel = window.code.story
    mara = png("#ffcc00")

    async def scenario() -> None:
        await until(lambda: window.video.queue is not None)
        # The cast editor: Mara gets a picture from a file; Apply writes a version.
        panel.cast_btn.setChecked(True)
        assert panel.cast.isVisible()
        assert [m["name"] for m in panel.cast.members] == ["Mara", "Old Tom"]
        assert panel.cast.set_picture(0, mara, "mara-portrait.png")
        panel.cast.apply_button.click()
        _, story = story_of(project)
        assert story.cast[0].picture == "mara.png" and story.cast[1].picture is None
        files = project.files()
        assert files["assets/mara.png"] == mara and check_files(files) == []
        assert project.asset("mara.png").meta == {"role": "cast", "character": "Mara"}
        assert panel.cast.members[0]["picture"] == "mara.png" and not panel.cast.dirty

        choose_name(panel.provider_box, "local")
        panel.continuity_box.setChecked(True)
        # Asked, and told no: nothing is queued.
        task = panel.make_clips()
        await until(lambda: panel.consent is not None)
        assert panel.consent.text() == "Make 6 clips with local: about $3.60?"
        assert "tower: extends the clip of shore, about $0.60" in panel.consent.detailedText()
        assert "Clip: extends the clip of shore" in panel.graph.nodes["tower"].toolTip()
        panel.consent.button(QMessageBox.StandardButton.No).click()
        await until(task.done)
        assert project.jobs() == [] and panel.status.text().startswith("Nothing made")

        # Asked again, and told yes.
        task = panel.make_clips()
        await until(lambda: panel.consent is not None)
        panel.consent.button(QMessageBox.StandardButton.Yes).click()
        await until(task.done, timeout=120)
        assert task.result() is not None and len(task.result().made) == 6
        jobs = {j.params["story_scene"]: j for j in project.jobs()}
        # shore names Mara and starts the story: her picture goes with it.
        assert jobs["shore"].params["continuity"] == {"method": "cast", "cast": ["Mara"]}
        assert [project.blobs.read(s) for s in jobs["shore"].params["references"]] == [mara]
        assert jobs["tower"].params["kind"] == "extend"
        # Shown as made, on the version with the clips.
        await until(lambda: window.session.shown == project.head)
        tip = panel.graph.nodes["shore"].toolTip()
        assert tip.endswith("Clip: with the pictures of Mara")
        assert "Clip: extends the clip of tower" in panel.graph.nodes["lamp"].toolTip()
        window.session.close()
        await window.video.idle()

    run_with_qt(scenario())
