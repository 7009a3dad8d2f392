"""The Video pane in a real main window, against a real local Videos API server.

Each test runs one scenario as a coroutine on a qasync loop over the running QApplication
(`run_with_qt`, tests/qt_asyncio.py), so the pane's `asyncio.ensure_future` calls run as in
the app.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from studio.core import assets
from studio.media import probe
from studio.testing.clips import make_test_clip
from studio.ui.main_window import MainWindow
from studio.ui.video.video_pane import VideoPane
from studio.ui.widgets.provider_combo import choose_name, chosen_name
from tests.ai.video_server import VideoServer, server_clip
from tests.qt_asyncio import run_with_qt
from tests.ui.conftest import colour_count, grab, open_project

pytestmark = pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")

KEY = "sk-test-pane-SECRET-0c4d"


@pytest.fixture
def server() -> Iterator[VideoServer]:
    with VideoServer(server_clip(), api_key=KEY) as server:
        yield server


@pytest.fixture
def run_async(qapp) -> Callable[[Coroutine[Any, Any, Any]], Any]:
    return run_with_qt


async def until(predicate: Callable[[], object], timeout: float = 30.0, what: str = "") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.02)


def point_at(pane: VideoPane, base_url: str) -> None:
    pane.overrides["openai"] = {"base_url": base_url, "api_key": KEY, "max_retries": 0}


async def close(window: MainWindow) -> None:
    """Close the project inside the loop, so the queue and its providers shut down."""
    window.session.close()
    await window.video.idle()


def test_generate_end_to_end_and_use_in_game(
    qtbot, make_window, probe_project: Path, server: VideoServer, run_async
) -> None:
    window = make_window()
    pane = window.video
    point_at(pane, server.base_url)

    async def scenario() -> None:
        project = open_project(window, probe_project)
        await until(lambda: colour_count(grab(window)) >= 8, what="the game's first frame")
        assert pane.jobs.isHidden() and pane.gallery.isHidden() and pane.empty.isVisible()

        qtbot.mouseClick(pane.frame_button, Qt.MouseButton.LeftButton)
        assert pane.reference is not None and pane.reference.startswith(b"\x89PNG")
        assert pane.reference_text.text() == "Preview frame (v1)"
        pane.prompt.setPlainText("Sparks fly over the arena")
        pane.size_box.setCurrentIndex(pane.size_box.findData("1280x720"))
        pane.seconds_box.setCurrentIndex(pane.seconds_box.findData(8))
        qtbot.mouseClick(pane.generate_button, Qt.MouseButton.LeftButton)

        (job,) = project.jobs()
        assert pane.jobs.isVisible() and pane.jobs.row_for(job.id) is not None
        assert pane.reference is None  # used up by the job
        await until(lambda: pane.gallery.count() == 1, what="the clip in the gallery")
        assert pane.jobs.row_for(job.id) is None and pane.jobs.isHidden()

        create = server.calls("POST")[0]
        assert create.fields["prompt"] == "Sparks fly over the arena"
        assert (create.fields["seconds"], create.fields["size"]) == ("8", "1280x720")
        assert create.fields["input_reference"]["data"] == project.blobs.read(
            project.job(job.id).params["image"]
        )

        name = "sparks-fly-over-the-arena.webm"
        assert pane.selected_name() == name
        assert pane.clip_panel.isVisible()
        # Thumbnails are decoded on a worker thread and shown when ready.
        await until(lambda: not pane.gallery.item(0).icon().isNull(), 5, "the thumbnail")
        assert "1.0 s" in pane.gallery.item(0).text()
        assert pane.clip_facts.text().startswith(f"{name} · 1.0 s · 256×144")
        assert pane.remix_button.isEnabled() and pane.extend_button.isEnabled()
        pane.player.play()
        await until(lambda: pane.player.frames > 3 and pane.player.position > 0.1, 15, "playback")

        before = project.head
        qtbot.mouseClick(pane.use_button, Qt.MouseButton.LeftButton)
        head = project.head
        assert head != before and window.session.shown == head
        assert project.version(head).parent == before
        files = project.file_hashes(head)
        assert files[f"assets/{name}"] == project.asset(name).blob
        assert set(files) == set(project.file_hashes(before)) | {f"assets/{name}"}
        assert assets.asset_manifest(project)[0]["name"] == name
        assert f"assets/{name}" in pane.note.text()

        remix = pane.remix(name, "Sparks fly over the arena at night")
        await until(lambda: pane.gallery.count() == 2, what="the remix")
        assert server.videos[project.job(remix.id).remote_id].remixed_from_video_id == (
            project.job(job.id).remote_id
        )
        await close(window)

    run_async(scenario())


def test_jobs_resume_when_the_project_opens(
    make_window, probe_project: Path, server: VideoServer, run_async
) -> None:
    """Studio quit while a job ran: opening the project again picks it up and finishes it."""
    from studio.ai.video_openai import OpenAIVideoProvider
    from studio.core.store import Project
    from studio.operations.video_queue import PollPolicy, VideoQueue

    server.hold.set()

    async def before_quitting() -> int:
        with Project.open(probe_project) as project:
            queue = VideoQueue(
                project,
                lambda _name: OpenAIVideoProvider(base_url=server.base_url, api_key=KEY),
                poll=PollPolicy(first=0.02),
            )
            job = queue.generate("openai", "Left running")
            await until(lambda: project.job(job.id).status == "running")
            await queue.aclose()
            return job.id

    job_id = run_with_qt(before_quitting())
    server.hold.clear()
    window = make_window()
    pane = window.video
    point_at(pane, server.base_url)

    async def after_restart() -> None:
        project = open_project(window, probe_project)
        assert project.job(job_id).status == "running"
        await until(lambda: pane.gallery.count() == 1, what="the resumed job's clip")
        assert project.job(job_id).status == "completed"
        assert len(server.calls("POST")) == 1  # polled again, never submitted twice
        await close(window)

    run_async(after_restart())


def test_provider_set_up_stays_off_the_gui_thread(
    make_window, probe_project: Path, server: VideoServer, run_async, monkeypatch
) -> None:
    """Opening a project fills the form without a client: the `openai` import, the key
    look-up (a keyring can take a second) and the client wait for a job, on a worker thread."""
    import threading

    from studio.ai import video_openai

    on_gui_thread: list[bool] = []
    resolve = video_openai.resolve_api_key

    def spy(*args: Any, **kwargs: Any) -> str | None:
        on_gui_thread.append(threading.current_thread() is threading.main_thread())
        return resolve(*args, **kwargs)

    monkeypatch.setattr(video_openai, "resolve_api_key", spy)
    window = make_window()
    pane = window.video
    point_at(pane, server.base_url)

    async def scenario() -> None:
        project = open_project(window, probe_project)
        await asyncio.sleep(0.1)  # the queue has started
        assert pane.capabilities("openai").image_reference
        assert "1792x1024" in [pane.size_box.itemData(i) for i in range(pane.size_box.count())]
        assert on_gui_thread == [] and pane.queue.provider("openai")._client is None

        pane.prompt.setPlainText("a cat")
        job = pane.generate()
        await until(lambda: project.job(job.id).status == "completed", what="the clip")
        assert on_gui_thread == [False]  # once, on a worker thread
        await close(window)

    run_async(scenario())


def test_errors_and_cancel_are_shown_plainly(
    qtbot, make_window, probe_project: Path, server: VideoServer, run_async
) -> None:
    window = make_window()
    pane = window.video
    point_at(pane, server.base_url)

    async def scenario() -> None:
        project = open_project(window, probe_project)
        qtbot.mouseClick(pane.generate_button, Qt.MouseButton.LeftButton)
        assert pane.error.isVisible()
        assert pane.error.text() == "The prompt is empty: say what the clip should show."

        pane.prompt.setPlainText("something violent")
        assert pane.generate() is not None
        assert not pane.error.isVisible()
        (rejected,) = project.jobs()
        await until(lambda: project.job(rejected.id).status == "failed", what="the refusal")
        row = pane.jobs.row_for(rejected.id)
        assert row is not None and row.status.text() == (
            "failed: The service refused the prompt: "
            "Your request was blocked by our moderation system."
        )
        assert row.button.text() == "Retry" and row.dismiss.isVisible()
        qtbot.mouseClick(row.dismiss, Qt.MouseButton.LeftButton)
        assert pane.jobs.row_for(rejected.id) is None

        server.hold.set()
        pane.prompt.setPlainText("a slow one")
        job = pane.generate()
        await until(lambda: project.job(job.id).status == "running", what="the job running")
        row = pane.jobs.row_for(job.id)
        assert row.button.text() == "Cancel" and row.bar.isVisible()
        qtbot.mouseClick(row.button, Qt.MouseButton.LeftButton)
        await until(lambda: project.job(job.id).status == "cancelled", what="the cancel")
        await until(lambda: row.button.text() == "Retry", what="the row to offer Retry")
        assert row.status.text() == "cancelled" and not row.bar.isVisible()
        await until(lambda: server.deleted == [project.job(job.id).remote_id], what="the delete")
        assert pane.gallery.count() == 0

        await close(window)
        # A service that cannot be reached: the job fails with one clear sentence.
        point_at(pane, "http://127.0.0.1:9/v1")
        window.open_path(probe_project)
        pane.prompt.setPlainText("a cat")
        job = pane.generate()
        await until(lambda: window.session.project.job(job.id).status == "failed")
        row = pane.jobs.row_for(job.id)
        assert row.status.text().startswith("failed: Cannot reach the video service at 127.0.0.1:9")
        await close(window)

    run_async(scenario())


def test_clip_tools(qtbot, make_window, probe_project: Path, tmp_path: Path, run_async) -> None:
    window = make_window()
    pane = window.video
    source = make_test_clip(tmp_path / "My Holiday.mp4", 2, (320, 180), 25)

    async def scenario() -> None:
        project = open_project(window, probe_project)
        await pane.import_file(source)
        assert pane.error.text() == ""
        assert pane.selected_name() == "my-holiday.webm"
        clip = pane.selected_clip()
        assert clip.source == "imported" and clip.duration == pytest.approx(2.0, abs=0.1)
        assert not pane.remix_button.isEnabled()  # nothing on a service to remix

        await pane.continue_from_last_frame()
        assert pane.reference.startswith(b"\x89PNG")
        assert pane.reference_text.text() == "Last frame of my-holiday.webm"

        await pane.trim("my-holiday.webm", 0.5, 1.5)
        trimmed = pane.selected_clip()
        assert trimmed.name == "my-holiday-trim.webm" and trimmed.source == "trimmed"
        assert trimmed.duration == pytest.approx(1.0, abs=0.1)
        assert pane.gallery.count() == 2

        await pane.export("my-holiday-trim.webm", tmp_path / "share.mp4")
        assert (await probe(tmp_path / "share.mp4")).video_codec == "h264"

        version = pane.use_in_game("my-holiday.webm")
        assert pane.delete_clip("my-holiday.webm", confirm=False)
        assert [c.name for c in assets.clips(project)] == ["my-holiday-trim.webm"]
        assert "assets/my-holiday.webm" in project.file_hashes(version.id)  # kept there
        assert pane.gallery.count() == 1

        await asyncio.wait([pane.import_file(tmp_path / "missing.mp4")])
        assert pane.error.text() == "missing.mp4 does not exist"
        await close(window)

    run_async(scenario())
    QApplication.processEvents()


# -- providers follow the plugins; the model choice -------------------------------------

PLAIN_PLUGIN = '''
from studio.ai.video_provider import VideoCapabilities
from studio.plugins import hookimpl

STUDIO_API = 1


class Plain:
    """A provider with one way of working: no model to choose."""

    name = "plain"
    capabilities = VideoCapabilities(models=("only-one",))


@hookimpl
def register_video_providers(register):
    register("plain", lambda options: Plain())
'''


def combo_data(box) -> list[Any]:
    return [box.itemData(i) for i in range(box.count())]


def test_providers_follow_plugins_and_the_model_goes_with_the_job(
    make_window, host, probe_project: Path, tmp_path: Path, run_async
) -> None:
    """Switching Title cards off removes it from the form at once; switching it on brings it
    back, and it works without reopening the project. Its styles are offered as models."""
    import types

    plain = types.ModuleType("studio_test_plain_videos")
    exec(PLAIN_PLUGIN, plain.__dict__)
    host.add_module("plain", plain)
    window = make_window()
    pane = window.video
    pane.overrides["title-cards"] = {"work_dir": str(tmp_path / "cards")}

    def names() -> list[str]:
        return combo_data(pane.provider_box)  # registered names (the items show labels)

    async def make_card(prompt: str, model: str | None) -> None:
        project = window.session.project
        choose_name(pane.provider_box, "title-cards")
        pane.model_box.setCurrentIndex(pane.model_box.findData(model))
        pane.seconds_box.setCurrentIndex(pane.seconds_box.findData(2))
        pane.size_box.setCurrentIndex(pane.size_box.findData("640x360"))
        pane.prompt.setPlainText(prompt)
        job = pane.generate()
        assert job is not None, pane.error.text()
        assert job.params.get("model") == model
        await until(lambda: project.job(job.id).status in ("completed", "failed"), 60)
        assert project.job(job.id).status == "completed", project.job(job.id).error

    async def scenario() -> None:
        open_project(window, probe_project)
        assert {"openai", "plain", "title-cards"} <= set(names())
        choose_name(pane.provider_box, "plain")
        assert pane.model_box.isHidden() and combo_data(pane.model_box) == [None, "only-one"]
        choose_name(pane.provider_box, "title-cards")
        assert pane.model_box.isVisibleTo(pane)
        assert combo_data(pane.model_box) == [None, "intro", "level", "outro"]
        await make_card("Level 2", "level")

        host.disable("title-cards")
        assert "title-cards" not in names() and chosen_name(pane.provider_box) != ""
        host.enable("title-cards")
        assert "title-cards" in names()
        await make_card("Level 3", None)  # the provider's own default style
        assert pane.gallery.count() == 2
        await close(window)

    run_async(scenario())


# -- progress and Cancel for media work ------------------------------------------------


def test_import_shows_progress_and_cancel_keeps_nothing(
    qtbot, make_window, probe_project: Path, tmp_path: Path, run_async
) -> None:
    window = make_window()
    pane = window.video
    source = make_test_clip(tmp_path / "long take.mp4", 8, (640, 360), 25)

    async def scenario() -> None:
        project = open_project(window, probe_project)
        task = pane.import_file(source)
        assert pane.work_bar.isVisible() and pane.work_bar.text == "Importing long take.mp4"
        await until(lambda: pane.work_bar.bar.value() > 0, what="some progress")
        assert not task.done()
        qtbot.mouseClick(pane.work_bar.cancel_button, Qt.MouseButton.LeftButton)
        await asyncio.wait([task])
        assert task.cancelled()
        assert project.assets() == [] and pane.gallery.count() == 0
        assert pane.work_bar.isHidden()
        assert pane.note.text() == "Cancelled: Importing long take.mp4"
        assert pane.error.text() == ""

        await pane.import_file(source)  # uncancelled, the same file imports whole
        assert [c.name for c in assets.clips(project)] == ["long-take.webm"]
        assert pane.work_bar.isHidden()
        await close(window)

    run_async(scenario())


def test_recording_stopped_early_gives_a_shorter_clip(
    qtbot, make_window, probe_project: Path, run_async
) -> None:
    window = make_window()
    pane = window.video

    async def scenario() -> None:
        project = open_project(window, probe_project)
        await until(lambda: colour_count(grab(window)) >= 8, what="the game's first frame")
        pane.record_seconds.setValue(20)
        qtbot.mouseClick(pane.record_button, Qt.MouseButton.LeftButton)
        assert pane.recorder is not None and pane.record_button.text() == "■ Stop"
        await until(lambda: pane.record_bar.value() >= 1, what="a second recorded")
        qtbot.mouseClick(pane.record_button, Qt.MouseButton.LeftButton)  # Stop
        await until(lambda: pane.work_bar.text == "Making the clip", what="the clip being made")
        assert pane.record_bar.isHidden() and pane.record_button.text() == "● Record"
        await until(lambda: pane.gallery.count() == 1, what="the recording in the gallery")
        (clip,) = assets.clips(project)
        assert clip.source == "recorded"
        assert 1.0 <= clip.duration < 4.0  # stopped after about a second, not 20
        info = await probe(project.blobs.path(project.asset(clip.original).blob))
        assert info.duration == pytest.approx(clip.duration, abs=0.15)
        assert pane.recorder is None and pane.work_bar.isHidden()
        await close(window)

    run_async(scenario())


def test_preview_frame_is_a_picture_of_the_running_game(
    qtbot, make_window, probe_project: Path, run_async
) -> None:
    from PySide6.QtGui import QColor, QImage

    window = make_window()
    pane = window.video

    async def scenario() -> None:
        open_project(window, probe_project)
        await until(lambda: colour_count(grab(window)) >= 8, what="the game's first frame")
        qtbot.mouseClick(pane.frame_button, Qt.MouseButton.LeftButton)
        assert pane.error.text() == ""
        image = QImage.fromData(pane.reference, "PNG")
        expected = window.preview.grab_frame()
        assert image.size() == expected.size() and image.width() > 100
        colours = {
            QColor(image.pixel(x, y)).name()
            for x in range(0, image.width(), 4)
            for y in range(0, image.height(), 4)
        }
        # The probe game's page colour, its canvas and its moving yellow block.
        assert {"#203040", "#101010", "#ffcc00"} <= colours
        assert pane.reference_text.text() == "Preview frame (v1)"
        await close(window)

    run_async(scenario())
