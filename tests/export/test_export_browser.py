"""Exported games opened from file:// in a real headless Chromium (one browser per module).

Each starter template, as a single HTML file and as an extracted zip, must load without a
console error, animate, and react to a key press; a game with a video must play it, and
the MP4 fallback must be what a browser without VP9 gets. The pages must not reach the
network, even 127.0.0.1.
"""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path

import pytest

from studio.core.store import Project
from studio.export import SingleHtmlExporter, ZipExporter

from .chromium import Page, wait_until
from .conftest import EXPECTED_TEMPLATES, GAME_WINDOW, extract, run

STATE = f"{GAME_WINDOW}.studio.state()"


def export(project: Project, fmt: str, tmp_path: Path) -> str:
    """Export the head and return the file:// URL a person would open."""
    if fmt == "html":
        out = tmp_path / "game.html"
        run(SingleHtmlExporter().export(project, None, out))
        return out.as_uri()
    out = tmp_path / "game.zip"
    run(ZipExporter().export(project, None, out))
    folder = extract(out, tmp_path / "site")
    return (folder / "index.html").as_uri()


def open_game(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for(
        f"{GAME_WINDOW} && {GAME_WINDOW}.studio && {GAME_WINDOW}.document.readyState === 'complete'"
    )


def picture_changes(page: Page, before: bytes, timeout: float = 5) -> bool:
    return wait_until(lambda: page.screenshot() != before, timeout=timeout, interval=0.15)


@pytest.mark.parametrize("fmt", ["html", "zip"])
@pytest.mark.parametrize("name", EXPECTED_TEMPLATES)
def test_starter_template_plays_from_file_url(name, fmt, tmp_path, template_project, page):
    project = template_project(name)
    open_game(page, export(project, fmt, tmp_path))

    first = page.screenshot()
    assert picture_changes(page, first), "the picture does not change over time"
    assert page.evaluate(STATE)["scene"] == "title"

    before_key = page.screenshot()
    page.press(" ", "Space", 32)  # the templates start on the first key
    page.wait_for(f"{STATE}.scene !== 'title'", timeout=5)
    assert picture_changes(page, before_key)
    if fmt == "html":  # the game plays in the shell, and the keyboard reached it
        assert page.evaluate("document.activeElement.id") == "studio-frame"
        assert page.evaluate("document.getElementById('title').textContent") == page.evaluate(
            f"{GAME_WINDOW}.document.title"
        )
    time.sleep(0.3)
    assert page.errors == []


@pytest.mark.parametrize("fmt", ["html", "zip"])
def test_game_with_a_video_plays_it(fmt, tmp_path, video_project, page):
    open_game(page, export(video_project, fmt, tmp_path))
    video = f"{GAME_WINDOW}.document.getElementById('clip')"
    page.wait_for(f"{video}.currentTime > 0.2", timeout=10)
    t1 = page.evaluate(f"{video}.currentTime")
    assert wait_until(lambda: page.evaluate(f"{video}.currentTime") != t1, timeout=5)
    src = page.evaluate(f"{video}.currentSrc")
    if fmt == "html":
        kind = page.evaluate(f"fetch({video}.currentSrc).then(r => r.blob()).then(b => b.type)")
        assert src.startswith("blob:") and kind == "video/webm"
    else:
        assert src.endswith("/assets/clip.webm")
    assert page.evaluate(f"{video}.videoWidth") == 320

    shot = page.screenshot()
    assert picture_changes(page, shot)
    page.press("ArrowUp", "ArrowUp", 38)
    page.wait_for(f"{STATE}.scene === 'playing'", timeout=5)
    assert page.errors == []


NO_VP9 = """(() => {
  const can = HTMLMediaElement.prototype.canPlayType;
  HTMLMediaElement.prototype.canPlayType = function (type) {
    return /webm/i.test(type) ? '' : can.call(this, type);
  };
})();"""


def test_single_file_gives_the_mp4_to_a_browser_without_vp9(tmp_path, video_project, page):
    page.send("Page.addScriptToEvaluateOnNewDocument", {"source": NO_VP9})
    open_game(page, export(video_project, "html", tmp_path))
    video = f"{GAME_WINDOW}.document.getElementById('clip')"
    page.wait_for(f"{video}.currentTime > 0.2", timeout=10)
    kind = page.evaluate(f"fetch({video}.currentSrc).then(r => r.blob()).then(b => b.type)")
    assert kind == "video/mp4"
    assert page.errors == []


def test_web_folder_mp4_fallback_plays_and_is_chosen_without_vp9(tmp_path, video_project, page):
    url = export(video_project, "zip", tmp_path)
    site = tmp_path / "site"
    assert (site / "assets" / "clip.mp4").read_bytes()[4:8] == b"ftyp"
    page.goto((site / "assets" / "clip.mp4").as_uri())
    page.wait_for(
        "document.querySelector('video') && document.querySelector('video').currentTime > 0.2"
    )
    assert page.evaluate("document.querySelector('video').videoWidth") == 320

    page.send("Page.addScriptToEvaluateOnNewDocument", {"source": NO_VP9})
    open_game(page, url)
    swapped = page.evaluate(
        "(() => { const v = document.createElement('video'); v.src = 'assets/clip.webm';"
        " return v.src; })()"
    )
    assert swapped.endswith("/assets/clip.mp4")


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def local_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Recorder.hits.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("fmt", ["html", "zip"])
def test_exported_pages_cannot_reach_the_network(fmt, tmp_path, video_project, page, local_server):
    open_game(page, export(video_project, fmt, tmp_path))
    attempt = f"""(async () => {{
      const w = {GAME_WINDOW};
      const tries = [
        w.fetch('{local_server}/fetch').then(() => 'reached', () => 'blocked'),
        new Promise(ok => {{ const x = new w.XMLHttpRequest(); x.open('GET', '{local_server}/xhr');
          x.onload = () => ok('reached'); x.onerror = () => ok('blocked'); x.send(); }}),
        new Promise(ok => {{ const i = new w.Image(); i.onload = () => ok('reached');
          i.onerror = () => ok('blocked'); i.src = '{local_server}/img'; }}),
      ];
      return Promise.all(tries);
    }})()"""
    assert page.evaluate(attempt) == ["blocked", "blocked", "blocked"]
    # The shell page itself is under the same policy.
    assert (
        page.evaluate(f"fetch('{local_server}/shell').then(() => 'reached', () => 'blocked')")
        == "blocked"
    )
    time.sleep(0.2)
    assert _Recorder.hits == []
    assert any("Content Security Policy" in e.text for e in page.errors)


def click(page: Page, selector: str) -> None:
    """A real mouse click in the middle of an element of the shell page."""
    box = page.evaluate(
        f"(() => {{ const r = document.querySelector('{selector}').getBoundingClientRect();"
        " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
    )
    for kind in ("mousePressed", "mouseReleased"):
        page.send(
            "Input.dispatchMouseEvent",
            {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1},
        )


def test_shell_mute_button_mutes_the_game_and_keeps_the_keyboard_on_it(
    tmp_path, video_project, page
):
    open_game(page, export(video_project, "html", tmp_path))
    page.evaluate(f"(window.ctx = new {GAME_WINDOW}.AudioContext(), 1)")
    click(page, "#mute")
    assert page.evaluate("document.getElementById('mute').getAttribute('aria-pressed')") == "true"
    assert page.evaluate(f"{GAME_WINDOW}.studioMuted") is True
    assert page.evaluate("ctx.destination.gain.value") == 0  # Web Audio goes through the mute
    page.press(" ", "Space", 32)  # the click on the button did not take the keyboard away
    page.wait_for(f"{STATE}.scene === 'playing'", timeout=5)
    click(page, "#mute")
    assert page.evaluate(f"{GAME_WINDOW}.studioMuted") is False
    assert page.evaluate("ctx.destination.gain.value") == 1
    video = f"{GAME_WINDOW}.document.getElementById('clip')"
    assert page.evaluate(f"{video}.muted") is True  # muted by the game itself: left so
    assert page.errors == []


def test_shell_on_a_phone_shows_a_touch_hint_and_a_tap_reaches_the_game(
    tmp_path, video_project, page
):
    page.set_viewport(390, 844, mobile=True, scale=2)
    open_game(page, export(video_project, "html", tmp_path))
    assert page.evaluate("!document.getElementById('hint').hidden")
    assert page.evaluate("document.getElementById('hint').getBoundingClientRect().width") > 200
    page.evaluate(
        f"{GAME_WINDOW}.addEventListener('pointerdown', () => {GAME_WINDOW}.tapped = true)"
    )
    page.tap(195, 500)
    page.wait_for(f"{GAME_WINDOW}.tapped === true", timeout=5)
    page.wait_for("document.getElementById('hint').classList.contains('gone')", timeout=5)
    assert page.errors == []


def test_shell_fullscreen_button_fills_the_screen_with_the_game(tmp_path, video_project, page):
    open_game(page, export(video_project, "html", tmp_path))
    click(page, "#fullscreen")
    page.wait_for("document.fullscreenElement && document.fullscreenElement.id === 'stage'")
    page.wait_for("document.getElementById('fullscreen').getAttribute('aria-pressed') === 'true'")
    page.press("ArrowUp", "ArrowUp", 38)
    page.wait_for(f"{STATE}.scene === 'playing'", timeout=5)
    assert page.errors == []


def tiny_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 3, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\xff\x00\x00" * 3 + b"\x00" + b"\x00\xff\x00" * 3)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def tiny_wav() -> bytes:
    import struct

    frames = b"\x00\x00" * 8000
    return (
        b"RIFF" + struct.pack("<I", 36 + len(frames)) + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
        + b"data" + struct.pack("<I", len(frames)) + frames
    )  # fmt: skip


DYNAMIC_GAME = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Dynamic</title>
<script src="lib/setup.js" defer></script></head><body>
<script type="module" src="main.mjs"></script>
<script>
const out = window.out = {};
const img = new Image();
img.onload = () => { out.img = img.naturalWidth; };
img.onerror = () => { out.img = 'error'; };
img.src = 'assets/' + 'dot.png';
fetch('data/level.json').then(r => r.json()).then(j => { out.fetch = j.level; },
  () => { out.fetch = 'error'; });
const x = new XMLHttpRequest();
x.open('GET', './data/level.json');
x.onload = () => { out.xhr = JSON.parse(x.responseText).level; };
x.onerror = () => { out.xhr = 'error'; };
x.send();
const div = document.createElement('div');
div.innerHTML = '<img id="inner" src="assets/dot.png">';
document.body.appendChild(div);
document.getElementById('inner').onload = () => { out.inner = true; };
document.body.style.backgroundImage = "url('assets/dot.png')";
out.bg = document.body.style.backgroundImage.indexOf('blob:') >= 0;
const beep = new Audio('assets/beep.wav');
beep.addEventListener('loadedmetadata', () => { out.audio = Math.round(beep.duration * 10); });
beep.addEventListener('error', () => { out.audio = 'error'; });
window.studio = { state: () => ({ scene: 'title', ...out }) };
</script></body></html>
"""


def test_single_file_serves_assets_asked_for_at_run_time(tmp_path, page):
    project = Project.create(tmp_path / "dyn.studio")
    project.commit(
        {
            "index.html": DYNAMIC_GAME,
            "lib/setup.js": "window.out.deferred = document.readyState;",
            "main.mjs": "window.out.module = true;",
            "assets/dot.png": tiny_png(),
            "assets/beep.wav": tiny_wav(),
            "data/level.json": '{"level": 7}',
        },
        parent=None,
        kind="manual",
    )
    open_game(page, export(project, "html", tmp_path))
    wait_until(lambda: len(page.evaluate(STATE)) >= 9, timeout=10)
    state = page.evaluate(STATE)
    assert state == {
        "scene": "title",
        "img": 3,
        "fetch": 7,
        "xhr": 7,
        "inner": True,
        "bg": True,
        "audio": 10,
        "module": True,
        "deferred": "interactive",
    }
    assert page.errors == []
    project.close()
