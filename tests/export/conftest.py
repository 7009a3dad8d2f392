"""Fixtures for the export tests: projects from the real templates, a real video clip, and a
real headless Chromium (one per test module) to open what was exported."""

from __future__ import annotations

import asyncio
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.core.store import Project
from studio.operations.projects import new_project
from studio.plugins.host import PluginHost
from tests.gallery import REQUIRED_TEMPLATES, gallery_host, gallery_templates

from .chromium import Browser, Page, find_chromium

# Every game template the gallery offers, plugins' included, and at least the required ones
# (so a missing template pack fails `test_the_starter_templates_are_all_there`). The story
# player is not a game these checks fit (no title scene; it fetches story.json, which a
# browser refuses from file://), so it is left out here.
NOT_GAMES = ("story",)
EXPECTED_TEMPLATES = tuple(
    sorted((set(REQUIRED_TEMPLATES) | {t.name for t in gallery_templates()}) - set(NOT_GAMES))
)

# A game that shows a WebM clip in a <video> and draws it onto a canvas every frame.
VIDEO_GAME = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Clip game</title>
<link rel="stylesheet" href="style.css">
</head>
<body>
<video id="clip" src="assets/clip.webm" autoplay muted loop playsinline></video>
<canvas id="view" width="320" height="180"></canvas>
<script src="game.js"></script>
</body>
</html>
"""
VIDEO_CSS = "html, body { margin: 0; background: #112233; }\nvideo { width: 160px; }\n"
VIDEO_JS = """'use strict';
const video = document.getElementById('clip');
const ctx = document.getElementById('view').getContext('2d');
let started = false, frames = 0;
window.addEventListener('keydown', () => { started = true; });
function draw() {
  frames += 1;
  if (video.readyState >= 2) ctx.drawImage(video, 0, 0, 320, 180);
  ctx.fillStyle = started ? '#ff3366' : '#33ff66';
  ctx.fillRect(0, 0, 40, 40);
  requestAnimationFrame(draw);
}
requestAnimationFrame(draw);
window.studio = { state: () => ({ scene: started ? 'playing' : 'title', frames,
  time: video.currentTime, src: video.currentSrc }) };
"""


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """MP4 fallbacks are cached in a folder of this test session, not the user's."""
    folder = tmp_path_factory.mktemp("cache")
    old = os.environ.get("STUDIO_CACHE_DIR")
    os.environ["STUDIO_CACHE_DIR"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("STUDIO_CACHE_DIR", None)
    else:
        os.environ["STUDIO_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def host() -> PluginHost:
    """The plugin host as the app has it: built-in exporters and templates, and plugins'."""
    return gallery_host()


def template_names() -> list[str]:
    return sorted(t.name for t in gallery_templates())


@pytest.fixture
def template_project(tmp_path: Path, host: PluginHost):
    def make(name: str) -> Project:
        return new_project(tmp_path / f"{name}.studio", host.template(name))

    return make


@pytest.fixture(scope="session")
def clip_webm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 s clip made by studio.media: an H.264 test clip turned into a WebM proxy."""
    from studio.media import make_proxy
    from studio.testing.clips import make_test_clip

    folder = tmp_path_factory.mktemp("clips")
    source = make_test_clip(folder / "source.mp4", 2.0, (320, 180), 25)
    return run(make_proxy(source, folder / "clip.webm"))


@pytest.fixture
def video_project(tmp_path: Path, clip_webm: Path) -> Project:
    project = Project.create(tmp_path / "video.studio")
    project.add_asset("clip.webm", clip_webm, mime="video/webm")
    project.commit(
        {
            "index.html": VIDEO_GAME,
            "style.css": VIDEO_CSS,
            "game.js": VIDEO_JS,
            "assets/clip.webm": clip_webm.read_bytes(),
        },
        parent=None,
        kind="manual",
    )
    yield project
    project.close()


def extract(zip_path: Path, dest: Path) -> Path:
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(dest)
    return dest


# -- the browser -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if find_chromium() is None:
        pytest.skip("no Chromium on this machine (set STUDIO_CHROMIUM)")
    b = Browser()
    yield b
    b.quit()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    p = browser.new_page()
    yield p
    p.close()


# Where the game's window is: inside the single file's iframe, or the page itself.
GAME_WINDOW = (
    "(document.getElementById('studio-frame') ? "
    "document.getElementById('studio-frame').contentWindow : window)"
)
