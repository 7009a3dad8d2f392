"""Fixtures for the UI tests: windows on a private settings file, a small probe game, and
helpers that look at what the Preview really shows (grabbed pixels, page state by JavaScript).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from studio.config.settings import FILE_NAME, Settings
from studio.core.store import Project
from studio.core.templates import Template
from studio.operations.projects import new_project
from studio.plugins.host import PluginHost
from studio.ui.main_window import MainWindow


def _desktop_sized_offscreen_screen() -> None:
    """Qt's offscreen screen is 800 x 600, smaller than the main window's minimum size, and
    restoreGeometry fits windows into their screen: give the tests a 1920 x 1080 one. This
    runs when pytest collects the UI tests, before pytest-qt makes the QApplication."""
    if os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        return
    screen = {"name": "test", "x": 0, "y": 0, "width": 1920, "height": 1080}
    screen |= {"logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}
    fd, path = tempfile.mkstemp(prefix="studio-offscreen-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump({"screens": [screen]}, f)
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={path}"


_desktop_sized_offscreen_screen()

FIRST_PAINT_MS = 15_000  # a template's first frame, software rendering on a busy machine

# A tiny game with colours the tests can look for: a flat page colour around a canvas that
# animates with requestAnimationFrame, a title element and a `<title>`.
PROBE_GAME = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>Probe one</title>
<style>
  html, body { margin: 0; height: 100%; background: #203040; color: #ffffff; }
  h1 { margin: 0; padding: 8px; font: bold 28px sans-serif; }
  canvas { display: block; margin: 8px; }
</style>
</head>
<body>
<h1 id="title">First title</h1>
<canvas id="c" width="200" height="120"></canvas>
<script>
const ctx = document.getElementById('c').getContext('2d');
let frames = 0;
function frame(t) {
  frames += 1;
  ctx.fillStyle = '#101010';
  ctx.fillRect(0, 0, 200, 120);
  ctx.fillStyle = '#ffcc00';
  ctx.fillRect((t / 4) % 180, 40, 20, 40);
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
window.studio = { state: () => ({ frames }), advance: () => {} };
</script>
</body>
</html>
"""


@pytest.fixture
def projects_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where File > New puts projects, for one test."""
    path = tmp_path / "projects"
    path.mkdir()
    monkeypatch.setenv("STUDIO_PROJECTS_DIR", str(path))
    return path


@pytest.fixture
def host() -> PluginHost:
    host = PluginHost()
    host.load_all()
    return host


@pytest.fixture
def probe_template(tmp_path: Path) -> Template:
    folder = tmp_path / "probe-template"
    folder.mkdir()
    (folder / "index.html").write_text(PROBE_GAME, encoding="utf-8")
    (folder / "template.json").write_text('{"name": "probe", "title": "Probe"}', encoding="utf-8")
    return Template("probe", "Probe", "A test game", "test", folder)


@pytest.fixture
def probe_project(tmp_path: Path, probe_template: Template) -> Path:
    """A project made from the probe game (one version), closed again: windows open it."""
    with new_project(tmp_path / "probe", probe_template) as project:
        return project.path


@pytest.fixture
def three_versions(probe_project: Path) -> Path:
    """The probe game in three versions, each with its own `<title>` and one extra line."""
    with Project.open(probe_project) as project:
        html = project.read_file(project.head, "index.html").decode()
        for n, title in enumerate(("Probe two", "Probe three"), 2):
            changed = html.replace("Probe one", title).replace(
                "let frames = 0;", f"let frames = 0;\nconst release = {n};"
            )
            project.commit({"index.html": changed}, parent=project.head, kind="manual")
    return probe_project


@pytest.fixture
def make_window(qtbot, host: PluginHost, config_dir: Path) -> Iterator[Callable[[], MainWindow]]:
    """Make shown main windows that all read and write the same settings file.

    Windows are closed (which saves their layout, like quitting) and deleted at the end."""
    windows: list[MainWindow] = []

    def make() -> MainWindow:
        window = MainWindow(host, Settings(config_dir / FILE_NAME))
        windows.append(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    yield make
    for window in windows:
        window.close()
        window.deleteLater()
    # Delete them now: their web pages and renderer processes go with them.
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qtbot.wait(50)


def activate(qtbot, widget) -> None:
    """Make `widget`'s window the active one, as window shortcuts need."""
    widget.window().activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget.window(), timeout=5000)


def open_project(window: MainWindow, path: Path) -> Project:
    project = window.open_path(path)
    assert project is not None, f"could not open {path}"
    return project


def open_with_media(window: MainWindow, path: Path) -> Project:
    """Open a project and the Video and Images pane, as a person about to use it does (a
    project with no clips or pictures yet shows the pane folded to a bar)."""
    project = open_project(window, path)
    window.set_media_open(True)
    return project


# -- looking at the Preview ------------------------------------------------------------------


def grab(window: MainWindow) -> QImage:
    return window.preview.view.grab().toImage()


def sample(image: QImage, step: int = 12) -> list[int]:
    """Pixels on a grid over the whole image (RGB values)."""
    return [
        image.pixel(x, y) & 0xFFFFFF
        for y in range(step // 2, image.height(), step)
        for x in range(step // 2, image.width(), step)
    ]


def colour_count(image: QImage) -> int:
    return len(set(sample(image)))


def changed_fraction(a: QImage, b: QImage) -> float:
    pa, pb = sample(a), sample(b)
    assert len(pa) == len(pb) and pa, "the two grabs differ in size"
    return sum(x != y for x, y in zip(pa, pb, strict=True)) / len(pa)


def colour_fraction(image: QImage, rgb: int, tolerance: int = 6) -> float:
    """How much of the image is (nearly) the colour `rgb` (0xRRGGBB)."""
    r0, g0, b0 = rgb >> 16, (rgb >> 8) & 0xFF, rgb & 0xFF
    pixels = sample(image)
    near = sum(
        abs((p >> 16) - r0) <= tolerance
        and abs(((p >> 8) & 0xFF) - g0) <= tolerance
        and abs((p & 0xFF) - b0) <= tolerance
        for p in pixels
    )
    return near / len(pixels)


def wait_for_picture(qtbot, window: MainWindow, timeout: int = FIRST_PAINT_MS) -> QImage:
    """Wait until the Preview shows more than one flat colour; return that picture."""
    found: list[QImage] = []

    def painted() -> bool:
        image = grab(window)
        if image.isNull() or image.width() < 50 or colour_count(image) < 8:
            return False
        found.append(image)
        return True

    qtbot.waitUntil(painted, timeout=timeout)
    return found[-1]


def run_js(qtbot, window: MainWindow, script: str, timeout: int = 5000):
    """Run `script` in the game's page and return its (JSON-like) result."""
    results: list[object] = []
    window.preview.view.page().runJavaScript(script, 0, results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=timeout)
    return results[0]


def wait_for_js(qtbot, window: MainWindow, script: str, expected, timeout: int = 10_000) -> None:
    """Wait until `script` evaluates to `expected` in the page (it may still be loading)."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        value = run_js(qtbot, window, script)
        if value == expected:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{script} gave {value!r}, expected {expected!r}")
        qtbot.wait(100)


def preview_version(window: MainWindow) -> int | None:
    """The version the Preview's page comes from (its URL is studio://origin/<version>/…)."""
    parts = window.preview.view.url().path().lstrip("/").split("/")
    return int(parts[0]) if parts and parts[0].isdigit() else None
