"""Pictures into the game through the window: a generated sprite sheet becomes the player by
"Use as the player" (the scripted code model writes the game) and animates in the Preview;
"Put me in the game" makes a test photo the hero offline, Chat offers "Use as the player",
and the follow-up puts the hero in the Preview; with a service, the dialog says where the
photo goes before anything is sent."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt

from studio.ai.code_providers import ProviderConfig, save_provider_config
from studio.core.pictures import picture
from studio.core.store import Project
from studio.testing.pictures import figure_on_texture
from studio.testing.servers.chat import TEST_API_KEY, ChatServer, Scripted
from studio.testing.servers.images import ImageServer
from studio.ui.images.camera import has_camera, png_of
from studio.ui.images.hero_dialog import HeroDialog
from studio.ui.main_window import MainWindow
from tests.pictures_game import answer, frames_on_screen, sheet_game
from tests.qt_asyncio import run_with_qt, until
from tests.ui.conftest import open_project, preview_version

HERO_GAME = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Hero game</title>
<style>html, body { margin: 0; height: 100%; background: #2040c0; }</style></head>
<body><canvas id="c" width="400" height="300"></canvas>
<script>
const ctx = document.getElementById("c").getContext("2d");
const hero = new Image();
let loaded = false;
hero.onload = () => { loaded = true; };
hero.src = "assets/hero.png";
function draw() {
  ctx.fillStyle = "#2040c0";
  ctx.fillRect(0, 0, 400, 300);
  if (loaded) {
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(hero, 40, 20, hero.width * 8, hero.height * 8);
  }
  requestAnimationFrame(draw);
}
requestAnimationFrame(draw);
window.studio = { state: () => ({ loaded }), advance() {} };
</script></body></html>
"""


@pytest.fixture
def images() -> Iterator[ImageServer]:
    with ImageServer() as server:
        yield server


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    with ChatServer() as server:
        yield server


@pytest.fixture
def window(make_window, chat: ChatServer, images: ImageServer, monkeypatch, no_keyring):
    """A window whose code model is the scripted chat server and whose image provider is the
    local Images API server."""
    monkeypatch.setenv("OPENAI_API_KEY", TEST_API_KEY)
    window = make_window()
    save_provider_config(
        window.settings, ProviderConfig(base_url=chat.base_url, model="test-model", timeout=10)
    )
    window.images.overrides["openai"] = {
        "base_url": images.base_url,
        "api_key": images.api_key,
        "max_retries": 0,
    }
    return window


async def close(window: MainWindow) -> None:
    window.session.close()
    await window.images.idle()
    await window.video.idle()


def preview_frames(window: MainWindow, frames: int) -> set[int]:
    return frames_on_screen(png_of(window.preview.grab_frame()), frames)


def test_a_generated_sheet_becomes_the_player_and_animates_in_the_preview(
    window: MainWindow, chat: ChatServer, probe_project: Path
) -> None:
    pane = window.images
    window.media.setCurrentWidget(pane)

    async def scenario() -> None:
        project = open_project(window, probe_project)
        form = pane.form
        form.kind_box.setCurrentIndex(form.kind_box.findData("sprite_sheet"))
        form.frames_spin.setValue(4)
        form.prompt.setPlainText("a fox running")
        form.generate()
        await until(lambda: pane.results.count() == 1, what="the sheet")
        pane.results.item(0).setSelected(True)
        await pane.keep_selected()
        sheet = picture(project, "a-fox-running.png")
        chat.script(Scripted.text(answer(sheet_game(sheet.name, sheet.layout))))

        pane.view.player_button.click()  # Chat sends the request at once
        assert window.chat.busy
        await until(lambda: not window.chat.busy, what="the answer")
        version = project.head
        assert (
            project.file_hashes(version)[f"assets/{sheet.name}"] == project.asset(sheet.name).blob
        )
        told = chat.chat_requests[0].body["messages"][-1]["content"]
        assert f"Use the picture assets/{sheet.name} as the player" in told
        assert "4 frames" in told  # the asset list says what the sheet is
        await until(lambda: preview_version(window) == version, what="the Preview playing it")
        seen: set[int] = set()

        def more() -> bool:
            seen.update(preview_frames(window, 4))
            return len(seen) == 4

        await until(more, 15, "every frame of the sheet in the Preview")
        await close(window)

    run_with_qt(scenario())


def test_put_me_in_the_game_offline_and_use_as_the_player(
    qtbot, window: MainWindow, chat: ChatServer, images: ImageServer, probe_project: Path, tmp_path
) -> None:
    photo = tmp_path / "me.jpg"
    figure_on_texture((800, 600), seed=7).image.save(photo, quality=90)
    pane = window.images

    async def scenario() -> None:
        project = open_project(window, probe_project)
        pane.open_hero_dialog()
        dialog = pane.findChild(HeroDialog)
        assert dialog is not None and dialog.isVisible()
        assert dialog.offline_radio.isChecked() and not dialog.destination.isVisible()
        if not has_camera():  # (a camera needs QtMultimedia to find one)
            assert not dialog.camera_button.isEnabled()
            assert dialog.camera_button.toolTip() == "No camera was found on this computer"
        assert not dialog.make_button.isEnabled()  # no photo yet
        dialog.use_photo_file(photo)
        assert dialog.make_button.text() == "Make my hero"
        qtbot.mouseClick(dialog.make_button, Qt.MouseButton.LeftButton)
        await until(lambda: dialog.hero is not None, what="the hero")
        hero = picture(project, "hero.png")
        assert (hero.width, hero.height, hero.source) == (32, 32, "photo")
        assert images.requests == []  # offline: nothing left the machine
        assert "assets/hero.png is ready (32×32)" in dialog.status.text()
        dialog.close()

        offers = window.chat.offers
        assert offers.isVisible() and offers.button.text() == "Use as the player"
        assert "assets/hero.png" in offers.request
        assert pane.selected_picture() == "hero.png"
        chat.script(Scripted.text(answer(HERO_GAME)))
        qtbot.mouseClick(offers.button, Qt.MouseButton.LeftButton)
        assert not offers.isVisible()
        await until(lambda: not window.chat.busy, what="the answer")
        version = project.head
        assert project.file_hashes(version)["assets/hero.png"] == project.asset("hero.png").blob
        await until(lambda: preview_version(window) == version, what="the Preview playing it")
        hero_colours = _opaque_colours(project)

        def hero_shown() -> bool:
            counts = _screen_colours(window)
            return sum(counts.get(c, 0) for c in hero_colours) >= 64 * 40

        await until(hero_shown, 15, "the hero's pixels in the Preview")
        await close(window)

    run_with_qt(scenario())


def test_with_a_service_the_dialog_says_where_the_photo_goes_first(
    qtbot, window: MainWindow, images: ImageServer, probe_project: Path, tmp_path
) -> None:
    photo = tmp_path / "me.jpg"
    figure_on_texture((640, 480), seed=8).image.save(photo, quality=90)
    pane = window.images

    async def scenario() -> None:
        project = open_project(window, probe_project)
        dialog = HeroDialog(window.session, pane.jobs, "openai", pane)
        dialog.show()
        dialog.use_photo_file(photo)
        dialog.service_radio.setChecked(True)
        host = images.base_url.split("//")[1].split("/")[0]
        assert dialog.destination.isVisible()
        assert dialog.destination.text() == (
            f"Your photo will be sent to openai ({host}) to be drawn as your hero."
        )
        assert dialog.make_button.text() == "Send the photo and make my hero"
        assert images.requests == []  # said before anything was sent
        qtbot.mouseClick(dialog.make_button, Qt.MouseButton.LeftButton)
        await until(lambda: dialog.hero is not None or "error" in dialog.status.text().lower())
        assert dialog.hero is not None, dialog.status.text()
        (call,) = images.pictures_asked()
        assert call.path == "/v1/images/edits"
        assert call.fields["image"]["data"] == photo.read_bytes()
        hero = picture(project, "hero.png")
        assert hero.source == "generated" and hero.width == 32
        dialog.close()
        await close(window)

    run_with_qt(scenario())


def _opaque_colours(project: Project) -> set[tuple[int, int, int]]:
    with Image.open(project.blobs.path(project.asset("hero.png").blob)) as sprite:
        colours = sprite.convert("RGBA").getcolors(maxcolors=1 << 16) or []
    return {rgba[:3] for _n, rgba in colours if rgba[3] == 255}


def _screen_colours(window: MainWindow) -> dict[tuple[int, int, int], int]:
    screen = Image.open(io.BytesIO(png_of(window.preview.grab_frame()))).convert("RGB")
    return {colour: n for n, colour in screen.getcolors(maxcolors=1 << 22) or []}
