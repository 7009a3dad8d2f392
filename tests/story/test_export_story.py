"""An exported story in a real headless Chromium: the single HTML file (opened from file://)
fetches story.json and its clips from the blob URLs the export makes, and plays two paths to
two endings with key presses and taps; the web folder does the same served over HTTP."""

from __future__ import annotations

import asyncio
import functools
import http.server
import threading
import time
import zipfile
from pathlib import Path

import pytest

from studio.export import SingleHtmlExporter, ZipExporter
from tests.export.chromium import Page, wait_until
from tests.export.conftest import GAME_WINDOW

STATE = f"{GAME_WINDOW}.studio.state()"


def open_story(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for(f"{GAME_WINDOW} && {GAME_WINDOW}.studio && {STATE}.scene === 'shore'")


def key(page: Page, digit: str) -> None:
    page.press(digit, f"Digit{digit}", 48 + int(digit))


def walk(page: Page, digits: list[str], ending: str) -> list[str]:
    for digit in digits:
        before = page.evaluate(f"{STATE}.path.length")
        key(page, digit)
        page.wait_for(f"{STATE}.path.length === {before + 1}", timeout=10)
    page.wait_for(f"{STATE}.scene === '{ending}' && {STATE}.ended", timeout=10)
    return page.evaluate(f"{STATE}.path")


def test_single_html_plays_two_paths_to_two_endings(clipped_project, tmp_path, page: Page):
    out = tmp_path / "story.html"
    result = asyncio.run(SingleHtmlExporter().export(clipped_project, None, out))
    assert result.notes == ()
    open_story(page, out.as_uri())
    # story.json came through fetch, mapped to a blob URL; the clip plays from one too.
    page.wait_for(f"{STATE}.mode === 'video' && {STATE}.time > 0.2", timeout=15)
    video = f"{GAME_WINDOW}.document.querySelector('video.on')"
    assert page.evaluate(f"{video}.currentSrc").startswith("blob:")
    assert page.evaluate(f"{video}.videoWidth") == 320
    assert page.evaluate(f"{GAME_WINDOW}.document.title") == "The Last Light"
    # The shell's title is the story's, not the player template's ("Interactive story").
    assert page.evaluate("document.title") == "The Last Light"

    assert walk(page, ["1", "1"], "lamp") == ["shore", "tower", "lamp"]
    # The ending plays out, then The End offers to play again (Enter).
    page.wait_for(f"{STATE}.finished", timeout=15)
    page.wait_for(f"{GAME_WINDOW}.document.getElementById('ending').classList.contains('on')")
    page.press("Enter", "Enter", 13)
    page.wait_for(f"{STATE}.path.length === 1 && {STATE}.scene === 'shore'")

    assert walk(page, ["2", "1"], "selkies") == ["shore", "boat", "selkies"]
    # Back steps out of the ending to the scene before it.
    page.press("Backspace", "Backspace", 8)
    page.wait_for(f"{STATE}.scene === 'boat'")
    assert page.evaluate(f"{STATE}.path") == ["shore", "boat"]
    # Arrows move between the shown choices, Enter takes the selected one.
    page.wait_for(f"{STATE}.showing === 2", timeout=10)
    page.press("ArrowDown", "ArrowDown", 40)
    page.press("Enter", "Enter", 13)
    page.wait_for(f"{STATE}.scene === 'shore'")
    assert page.evaluate(f"{STATE}.path") == ["shore", "boat", "shore"]
    time.sleep(0.3)
    assert page.errors == []


def test_single_html_on_a_phone_by_touch(clipped_project, tmp_path, page: Page):
    out = tmp_path / "story.html"
    asyncio.run(SingleHtmlExporter().export(clipped_project, None, out))
    page.set_viewport(390, 844, mobile=True, scale=2)
    open_story(page, out.as_uri())
    doc = f"{GAME_WINDOW}.document"
    # Tap the picture: the choices show at once; tap the second.
    page.evaluate(f"{doc}.getElementById('intro').classList.remove('on')")
    page.tap(195, 300)
    page.wait_for(f"{STATE}.showing === 2")
    box = page.evaluate(
        f"(() => {{ const f = document.getElementById('studio-frame'); "
        f"const o = f ? f.getBoundingClientRect() : {{left: 0, top: 0}}; "
        f"const r = {doc}.querySelectorAll('.choice')[1].getBoundingClientRect(); "
        f"return [o.left + r.left + r.width / 2, o.top + r.top + r.height / 2]; }})()"
    )
    page.tap(*box)
    page.wait_for(f"{STATE}.scene === 'boat'")
    # Everything fits: no choice is outside the viewport.
    fits = page.evaluate(
        f"[...{doc}.querySelectorAll('.choice')].every(b => {{ const r = "
        f"b.getBoundingClientRect(); return r.left >= 0 && r.right <= {GAME_WINDOW}.innerWidth; }})"
    )
    assert fits
    assert page.errors == []


@pytest.fixture
def http_folder(tmp_path: Path):
    """Serve a folder on 127.0.0.1 (a web folder export is meant to be served)."""
    site = tmp_path / "site"
    site.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep the test output clean
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_web_folder_served_over_http_plays(clipped_project, tmp_path, http_folder, page: Page):
    site, base = http_folder
    out = tmp_path / "story.zip"
    asyncio.run(ZipExporter().export(clipped_project, None, out))
    with zipfile.ZipFile(out) as zf:
        zf.extractall(site)
    open_story(page, base + "index.html")
    assert wait_until(lambda: page.evaluate(f"{STATE}.mode") == "video", timeout=10)
    assert walk(page, ["2", "1"], "selkies") == ["shore", "boat", "selkies"]
    assert [e for e in page.errors if "favicon" not in e.text] == []


def test_web_folder_opened_by_double_click_plays(clipped_project, tmp_path, page: Page):
    """From file:// a browser refuses fetch() of the page's own files; story.json travels in
    the page for that case, and the clips play from the folder."""
    site = tmp_path / "site"
    out = tmp_path / "story.zip"
    asyncio.run(ZipExporter().export(clipped_project, None, out))
    with zipfile.ZipFile(out) as zf:
        zf.extractall(site)
    open_story(page, (site / "index.html").as_uri())
    page.wait_for(f"{STATE}.mode === 'video' && {STATE}.time > 0.2", timeout=15)
    video = f"{GAME_WINDOW}.document.querySelector('video.on')"
    assert page.evaluate(f"{video}.currentSrc").startswith("file:")
    assert walk(page, ["1", "1"], "lamp") == ["shore", "tower", "lamp"]
    assert [e for e in page.errors if "favicon" not in e.text] == []
