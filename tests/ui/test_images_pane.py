"""The Images tab in a real main window, against a real local Images API server through the
real `openai` client: generate, keep and throw away, the project's style, what the model
offers, a sheet animating, failures, dragging a picture into the prompt, use in game.

Each test runs one scenario as a coroutine on a qasync loop over the running QApplication
(`run_with_qt`, tests/qt_asyncio.py), as the app runs the tab's tasks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from studio.core.pictures import picture, picture_style, pictures
from studio.testing.servers.images import ImageServer
from studio.ui.images.images_pane import ImagesPane
from studio.ui.main_window import MainWindow
from studio.ui.widgets.asset_drag import asset_mime_data
from tests.qt_asyncio import run_with_qt, until
from tests.ui.conftest import open_project

KEY = "sk-test-images-pane-SECRET-77aa"


@pytest.fixture
def server() -> Iterator[ImageServer]:
    with ImageServer(api_key=KEY) as server:
        yield server


@pytest.fixture
def window(make_window, server: ImageServer) -> MainWindow:
    """A window showing its Images tab, whose `openai` image provider is the local server."""
    window = make_window()
    window.media.setCurrentWidget(window.images)
    window.images.overrides["openai"] = {
        "base_url": server.base_url,
        "api_key": KEY,
        "max_retries": 0,
    }
    window.images.form.show_capabilities()
    return window


async def close(window: MainWindow) -> None:
    window.session.close()
    await window.images.idle()
    await window.video.idle()


def sizes(pane: ImagesPane) -> list[str]:
    box = pane.form.size_box
    return [box.itemData(i) for i in range(box.count())]


def test_generate_keep_and_throw_away(
    qtbot, window: MainWindow, probe_project: Path, server: ImageServer
) -> None:
    pane = window.images

    async def scenario() -> None:
        project = open_project(window, probe_project)
        form = pane.form
        assert pane.empty.isVisible() and pane.results.count() == 0
        assert form.provider_box.currentData() == "openai"
        assert form.price.text() == "≈ $0.03"  # gpt-image-1.5, medium, 1024x1024
        form.prompt.setPlainText("a knight with a red cape")
        form.count_spin.setValue(3)
        assert form.price.text() == "≈ $0.10"
        qtbot.mouseClick(form.generate_button, Qt.MouseButton.LeftButton)
        (job,) = project.jobs(kind="image")
        assert project.jobs() == []  # not a video job: the Video pane lists none of it
        await until(lambda: pane.results.count() == 3, what="three new pictures")
        await until(lambda: all(pane.results.has_icon(e.key) for e in pane.results.entries()))
        sent = server.pictures_asked()[0].fields
        assert sent["n"] == 3 and sent["background"] == "transparent"
        assert sent["prompt"].startswith("a knight with a red cape")
        assert pane.job_list.isHidden()  # finished jobs leave the list

        first, second, third = pane.results.entries()
        pane.results.item(0).setSelected(True)
        await pane.keep_selected()
        assert [p.name for p in pictures(project)] == ["a-knight-with-a-red-cape.png"]
        assert pane.library.count() == 1 and not pane.empty.isVisible()
        assert [e.key for e in pane.results.entries()] == [second.key, third.key]
        assert "Kept a-knight-with-a-red-cape.png" in window.statusBar().currentMessage()
        # The kept picture is shown as a game would show it, with what it is.
        assert pane.view.facts.text().startswith("a-knight-with-a-red-cape.png · 32×32 · character")
        await until(
            lambda: pane.view.canvas.pixmap() is not None and not pane.view.canvas.pixmap().isNull()
        )
        assert pane.view.player_button.isEnabled()

        pane.results.item(0).setSelected(True)
        qtbot.mouseClick(pane.discard_button, Qt.MouseButton.LeftButton)
        assert [e.key for e in pane.results.entries()] == [third.key]
        assert project.job(job.id).params["discarded"] == [second.key]
        await close(window)

    run_with_qt(scenario())


def test_the_style_is_kept_in_the_project_and_sent(
    window: MainWindow, probe_project: Path, server: ImageServer
) -> None:
    pane = window.images

    async def scenario() -> None:
        project = open_project(window, probe_project)
        form = pane.form
        assert form.look_box.currentText() == "pixel art" and form.sprite_edit.text() == "32x32"
        form.look_box.setCurrentText("watercolour")
        form.sprite_edit.setText("48")
        form.palette_box.setCurrentText("pico-8")
        form._style_done()
        style = picture_style(project)
        assert (style.look, style.sprite_size, style.palette) == ("watercolour", (48, 48), "pico-8")
        assert "watercolour" in pane.work.note.text()

        form.palette_box.setCurrentText("#nothex")
        form._style_done()
        assert "The style was not changed" in pane.work.error.text()
        assert form.palette_box.currentText() == "pico-8"  # shown as kept
        assert picture_style(project).palette == "pico-8"

        form.prompt.setPlainText("a gold coin")
        form.kind_box.setCurrentIndex(form.kind_box.findData("item"))
        job = form.generate()
        await until(lambda: project.job(job.id).status == "completed")
        assert "watercolour" in server.pictures_asked()[0].fields["prompt"]
        await close(window)

        window.open_path(probe_project)  # the style stays with the project
        assert form.look_box.currentText() == "watercolour"
        await close(window)

    run_with_qt(scenario())


def test_the_form_offers_what_the_model_can_do(
    window: MainWindow, probe_project: Path, server: ImageServer
) -> None:
    pane = window.images

    async def scenario() -> None:
        open_project(window, probe_project)
        form = pane.form
        assert sizes(pane) == ["1024x1024", "1536x1024", "1024x1536"]
        form.kind_box.setCurrentIndex(form.kind_box.findData("sprite_sheet"))
        assert form.size_box.currentData() == "1536x1024" and form.frames_spin.isVisible()
        assert form.transparent_box.isChecked() and form.transparent_box.text() == "See-through"
        form.model_box.setCurrentIndex(form.model_box.findData("dall-e-3"))
        assert sizes(pane) == ["1024x1024", "1792x1024", "1024x1792"]
        assert form.transparent_box.text() == "See-through*"
        assert "Studio cuts the picture out" in form.transparent_box.toolTip()
        assert not form.add_input_button.isEnabled()  # dall-e-3 makes no edits
        assert form.price.text() == "≈ $0.08"
        form.model_box.setCurrentIndex(form.model_box.findData("gpt-image-2"))
        assert form.price.text() == "no price" and form.add_input_button.isEnabled()
        await close(window)

    run_with_qt(scenario())


def test_failures_show_plainly_and_retry(
    qtbot, window: MainWindow, probe_project: Path, server: ImageServer
) -> None:
    pane = window.images

    async def scenario() -> None:
        project = open_project(window, probe_project)
        form = pane.form
        qtbot.mouseClick(form.generate_button, Qt.MouseButton.LeftButton)
        assert pane.work.error.text() == "The prompt is empty: say what the picture should show."

        form.prompt.setPlainText("a violent battle")
        job = form.generate()
        await until(lambda: project.job(job.id).status == "failed")
        row = pane.job_list.row_for(job.id)
        assert row is not None and row.status.text().startswith(
            "failed: OpenAI Images refused the prompt: Your request was rejected by the safety"
        )
        assert row.button.text() == "Retry"

        await form.test_connection()  # Test: one cheap call with the key
        assert pane.work.note.text() == "openai works."
        assert server.requests[-1].path == "/v1/models/gpt-image-1.5"
        window.images.overrides["openai"]["api_key"] = "sk-wrong-SECRET-1234"
        await asyncio.wait([form.test_connection()])  # fails: the pane says why
        assert "refused the API key" in pane.work.error.text()
        assert "sk-wrong" not in pane.work.error.text()
        window.images.overrides["openai"]["api_key"] = KEY

        server.rate_limited, server.retry_after = 1, "0.1"
        form.prompt.setPlainText("a coin")
        job = form.generate()
        await until(lambda: project.job(job.id).status == "completed", what="after the wait")
        assert len(server.pictures_asked()) == 3  # the refusal, the 429, the picture
        await close(window)

    run_with_qt(scenario())


def test_a_sheet_animates_and_pictures_go_to_chat(
    qtbot, window: MainWindow, probe_project: Path, server: ImageServer
) -> None:
    pane = window.images
    requests: list[tuple[str, str]] = []
    window.session.chat_request.connect(lambda button, text: requests.append((button, text)))

    async def scenario() -> None:
        project = open_project(window, probe_project)
        form = pane.form
        form.kind_box.setCurrentIndex(form.kind_box.findData("sprite_sheet"))
        form.frames_spin.setValue(4)
        form.prompt.setPlainText("a fox running")
        job = form.generate()
        await until(lambda: pane.results.count() == 1)
        pane.results.item(0).setSelected(True)
        await pane.keep_selected()
        sheet = picture(project, "a-fox-running.png")
        assert sheet.layout.frames == 4
        view = pane.view
        await until(lambda: len(view.frames) == 4, what="the sheet's frames")
        assert view.fps_spin.isVisible() and view.timer.isActive()
        assert view.timer.interval() == 125  # 8 frames a second
        view.fps_spin.setValue(20)
        assert view.timer.interval() == 50
        seen = set()
        await until(lambda: seen.add(view.frame) or len(seen) == 4, 5, "every frame shown")
        assert project.job(job.id).params["kept"]

        # Use as the player: a request for the code model, naming the picture.
        qtbot.mouseClick(view.player_button, Qt.MouseButton.LeftButton)
        button, text = requests[-1]
        assert button == "" and "assets/a-fox-running.png" in text and "player" in text
        # Dragging the picture into Chat's prompt box names it.
        window.chat.prompt.setPlainText("make the enemies look like")
        window.chat.prompt.moveCursor(window.chat.prompt.textCursor().MoveOperation.End)
        window.chat.prompt.insertFromMimeData(asset_mime_data(["a-fox-running.png"]))
        assert window.chat.prompt.toPlainText() == (
            "make the enemies look like assets/a-fox-running.png "
        )
        data = pane.library.mimeData([pane.library.item(0)])
        assert data.text() == "assets/a-fox-running.png"
        await close(window)

    run_with_qt(scenario())
