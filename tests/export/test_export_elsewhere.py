"""Exporting games made elsewhere (issue 19): web fonts through `@import`, only the files the
game reaches, and a page with no background looking in the Preview as in a browser."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from studio.core.store import Project
from studio.export import SingleHtmlExporter, ZipExporter
from studio.export.reach import other_hosts, reachable
from studio.export.rewrite import HtmlRewrite
from studio.sandbox.frames import frame_difference
from tests.foreign_games import (
    BRICK_HOSTS,
    HEAVY_ADVANCE,
    PLAIN_HTML,
    SLIDE_CLUTTER,
    TILES_ADVANCE,
    brick_game,
    slide_game,
)
from tests.sandbox.conftest import preview  # noqa: F401, F811 (the Preview pane fixture)

from .chromium import Page
from .conftest import GAME_WINDOW, extract, run


@pytest.fixture
def slide(tmp_path: Path) -> Project:
    project = Project.create(tmp_path / "slide.studio")
    project.commit(slide_game(), parent=None, kind="import")
    yield project
    project.close()


def game_document(single_file: str) -> str:
    """The game's page inside an exported single file (it travels as JSON)."""
    found = re.search(
        r'<script type="application/json" id="studio-game">(.*?)</script>', single_file
    )
    assert found is not None
    return json.loads(found.group(1))


def encoded(files: dict[str, bytes | str]) -> dict[str, bytes]:
    return {p: d.encode() if isinstance(d, str) else d for p, d in files.items()}


# -- what the single file carries ---------------------------------------------------------


def test_only_the_files_the_game_reaches_are_carried():
    files = encoded(slide_game())
    game = set(files) - set(SLIDE_CLUTTER)
    assert reachable(files) == game
    assert reachable(files, keep=["*.md", "src/*"]) == game | {"README.md", "src/style.scss"}


def test_names_built_at_run_time_are_reached_by_their_fixed_part():
    files = encoded(
        {
            "index.html": "<div data-src='img/lazy.png'></div><script type=module src=js/main.js>"
            "</script><a href='help.html'>help</a>",
            "js/main.js": "import {load} from './load.js';\n"
            "const level = n => fetch(`levels/level${n}.json`);\n"
            "const frame = i => 'sprites/hero_' + i + '.png';\n",
            "js/load.js": "export const load = () => fetch('data/names.json');",
            "data/names.json": '{"portrait": "img/face.png"}',
            "help.html": "<img src='img/help.png'>",
            "levels/level1.json": "{}",
            "levels/level2.json": "{}",
            "sprites/hero_0.png": "p",
            "sprites/hero_1.png": "p",
            "sprites/enemy.png": "p",
            "img/lazy.png": "p",
            "img/face.png": "p",
            "img/help.png": "p",
            "img/unused.png": "p",
            "tools/pack.py": "print('build')",
        }
    )
    assert set(files) - reachable(files) == {"sprites/enemy.png", "img/unused.png", "tools/pack.py"}


def test_home_screen_icons_and_old_font_formats_are_not_carried(tmp_path):
    """A frame has no use for icons and app manifests, and no browser of today picks an EOT
    or SVG font when the same @font-face offers a WOFF."""
    files = {
        "index.html": '<link rel="shortcut icon" href="favicon.ico">'
        '<link rel="apple-touch-icon" href="meta/touch.png"><link rel="manifest" href="app.json">'
        '<link rel="stylesheet" href="fonts.css"><p>hi</p>',
        "fonts.css": '@font-face { font-family: A; src: url("a.eot");\n'
        '  src: url("a.eot?#iefix") format("embedded-opentype"), url("a.svg#a") format("svg"),'
        ' url("a.woff") format("woff"); }\n'
        '@font-face { font-family: Old; src: url("old.eot"); }\n'
        "body { background: url(bg.svg) }",
        **dict.fromkeys(
            ["favicon.ico", "meta/touch.png", "app.json", "a.eot", "a.svg", "a.woff"], "x"
        ),
        **dict.fromkeys(["old.eot", "bg.svg"], "x"),
    }
    reached = reachable(encoded(files))
    assert reached == {"index.html", "fonts.css", "a.woff", "old.eot", "bg.svg"}
    project = Project.create(tmp_path / "icons.studio")
    project.commit(files, parent=None, kind="import")
    result = run(SingleHtmlExporter().export(project, None, tmp_path / "icons.html"))
    game = game_document((tmp_path / "icons.html").read_text())
    assert "<link" not in game and "<style>@font-face" in game
    assert not any(name in game for name in ("favicon.ico", "touch.png", "app.json"))
    assert [n for n in result.notes if "refers to" in n] == []
    assert result.notes[-1].startswith(
        "left out 5 files the game does not reach: a.eot, a.svg, app.json, favicon.ico, meta"
    )


def test_the_hosts_a_game_loads_from_are_named():
    files = encoded(
        {
            "index.html": "<link rel=preconnect href='https://pre.example'>"
            "<link rel=stylesheet href='//fonts.example/css'><link rel=stylesheet href=a.css>"
            "<style>@import url(https://styles.example/x.css); p { color: red }</style>"
            "<a href='https://github.example/me'>source</a><div style='background: "
            'url("https://img.example/bg.png")\'></div><script src=game.js></script>'
            "<script src='HTTPS://Ads.Example/a.js'></script>",
            "a.css": "@import 'https://more.example/y.css'; i { background: url(i.png) }",
            "game.js": "fetch('https://api.example/score')",  # at run time: Chromium says it
            "unused.css": "b { background: url(https://unused.example/z.png) }",
        }
    )
    assert other_hosts(files, reachable(files)) == [
        "more.example",
        "fonts.example",
        "styles.example",
        "img.example",
        "ads.example",
    ]


def test_imported_stylesheets_are_inlined_at_any_depth_with_their_own_urls():
    files = encoded(slide_game())
    refs: list[str] = []

    def ref(path: str) -> str:
        refs.append(path)
        return f"T[{path}]"

    rewrite = HtmlRewrite(files, {}, head="", ref=ref, inline=True)
    page = rewrite.apply(files["index.html"].decode(), "index.html")
    assert "@import" not in page
    assert '@font-face { font-family: "Tiles"; src: url("T[fonts/Tiles.woff]")' in page
    # the second level, wrapped in its media condition, its URL from its own folder
    assert re.search(r"@media screen \{\s*/\* fonts/heavy/heavy.css \*/\s*\n\s*@font-face", page)
    assert 'url("T[fonts/Heavy.woff]")' in page and "@charset" not in page
    assert 'url("T[img/board.svg]")' in page  # inline <style>
    assert "url(&quot;T[img/stripe.svg]&quot;)" in page  # style=""
    assert rewrite.inlined == {
        "style.css",
        "fonts/tiles.css",
        "fonts/heavy/heavy.css",
        "js/slide.js",
    }
    assert rewrite.missing == []


def test_import_conditions_loops_and_missing_fonts():
    files = encoded(
        {
            "index.html": "<style>@import url('a.css') layer(base) supports(display: grid) "
            "(min-width: 10px);</style>",
            "a.css": "@import 'b.css';\n.a { font-family: Gone; src: url(fonts/gone.woff) }",
            "b.css": "@import url(a.css);\n.b { color: red }",
        }
    )
    rewrite = HtmlRewrite(files, {}, head="", ref=lambda p: f"T[{p}]", inline=True)
    page = rewrite.apply(files["index.html"].decode(), "index.html")
    assert "@layer base {\n@supports (display: grid) {\n@media (min-width: 10px) {" in page
    assert page.count(".b { color: red }") == 1 and page.count(".a {") == 1  # a loop, once
    assert rewrite.missing == ["fonts/gone.woff"]


def test_the_single_file_lists_what_it_left_out_and_is_smaller_than_the_folder(slide, tmp_path):
    result = run(SingleHtmlExporter().export(slide, None, tmp_path / "slide.html"))
    folder = sum(len(d) for d in slide.files(slide.head).values())
    assert result.size < folder * 0.6, (result.size, folder)
    text = (tmp_path / "slide.html").read_text()
    assert "Lorem ipsum" not in text
    (note,) = [n for n in result.notes if n.startswith("left out")]
    assert note.startswith("left out 5 files the game does not reach: " + ", ".join(SLIDE_CLUTTER))
    kept = run(SingleHtmlExporter().export(slide, None, tmp_path / "kept.html", keep=["README.md"]))
    assert "left out 4 files" in " ".join(kept.notes) and kept.size > result.size
    estimate = SingleHtmlExporter().estimate(slide, None)
    assert 0.6 * result.size <= estimate <= 1.6 * result.size


def test_the_command_takes_keep_patterns(slide, tmp_path, capsys):
    from studio.cli import main

    out = tmp_path / "cli.html"
    assert main(["export", str(slide.path), "--out", str(out), "--keep", "*.md"]) == 0
    err = capsys.readouterr().err
    assert "note: left out 4 files the game does not reach: build.sh," in err
    assert main(["export", str(slide.path), "--format", "zip", "--keep", "x"]) == 1
    assert "--keep applies to the single HTML file" in capsys.readouterr().err


# -- in a real browser -------------------------------------------------------------------

FONTS = f"""(async () => {{
  const w = {GAME_WINDOW};
  await w.document.fonts.ready;
  const box = (id) => w.document.getElementById(id).getBoundingClientRect().width;
  return {{fonts: [...w.document.fonts].map((f) => f.family.replace(/"/g, '') + ' ' + f.status)
            .sort(), moves: box('moves'), title: w.getComputedStyle(
              w.document.getElementById('title')).fontFamily}};
}})()"""


def open_slide(page: Page, url: str) -> dict:
    page.goto(url)
    page.wait_for(f"{GAME_WINDOW}.document.readyState === 'complete'")
    page.wait_for(f"{GAME_WINDOW}.document.querySelectorAll('.tile').length === 15")
    return page.evaluate(FONTS)


def test_web_fonts_reached_through_import_load_in_the_single_file(slide, tmp_path, page):
    run(SingleHtmlExporter().export(slide, None, tmp_path / "slide.html"))
    single = open_slide(page, (tmp_path / "slide.html").as_uri())
    assert single["fonts"] == ["Heavy loaded", "Tiles loaded"], single
    # "MOVES 0" in 20 px Tiles: seven glyphs of one em each
    assert single["moves"] == pytest.approx(7 * 20 * TILES_ADVANCE / 1000, abs=0.5)
    run(ZipExporter().export(slide, None, tmp_path / "slide.zip"))
    site = extract(tmp_path / "slide.zip", tmp_path / "site")
    folder = open_slide(page, (site / "index.html").as_uri())
    assert folder == single  # the same layout as the web folder's
    assert HEAVY_ADVANCE != TILES_ADVANCE
    assert [e.text for e in page.errors] == []
    with zipfile.ZipFile(tmp_path / "slide.zip") as zf:
        assert "README.md" in zf.namelist()  # the web folder carries the whole folder still


def test_a_page_without_a_background_looks_the_same_in_the_preview_and_a_browser(
    preview,  # noqa: F811
    tmp_path,
    page,
):
    """The Preview shows what Chromium shows for the exported file: white where the page
    sets no background."""
    project = Project.create(tmp_path / "plain.studio")
    project.commit({"index.html": PLAIN_HTML}, parent=None, kind="import")
    run(SingleHtmlExporter().export(project, None, tmp_path / "plain.html"))
    # the exported shell's title bar is 44 px high (and floats over the game below 420 px)
    width, height, bar = 640, 420, 44
    page.set_viewport(width, height + bar)
    page.goto((tmp_path / "plain.html").as_uri())
    page.wait_for(f"{GAME_WINDOW}.document.readyState === 'complete'")
    browser_shot = QImage.fromData(page.screenshot()).copy(0, bar, width, height)

    preview.pane.set_custom_size(width, height)  # scaled to fit the pane, same shape
    preview.open(project)
    browser_shot.save(str(tmp_path / "browser.png"))
    frames: list[QImage] = []

    def painted_alike() -> bool:  # once the page painted (a busy machine may take a while)
        frames[:] = [preview.pane.grab_frame()]
        return frame_difference(frames[0], browser_shot) < 0.01

    preview.qtbot.waitUntil(painted_alike, timeout=10_000)
    (frame,) = frames
    frame.save(str(tmp_path / "preview.png"))
    assert abs(frame.width() / frame.height() - width / height) < 0.02
    assert frame.pixelColor(5, 5).name() == browser_shot.pixelColor(5, 5).name() == "#ffffff"


def go_offline(page: Page) -> None:
    """No request of this tab leaves the machine, whatever the page's own policy says."""
    page.send("Network.enable")
    page.send(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )


def play_brick(page: Page, path: Path) -> tuple[set[str], list[str]]:
    """Open the exported arcade game offline, start it with Enter (the ball flies), hold
    Right (the paddle moves): the hosts its policy refused, and the page's other errors."""
    go_offline(page)
    page.goto(path.as_uri())
    page.wait_for(f"{GAME_WINDOW}.document.readyState === 'complete'")
    game = f"{GAME_WINDOW}.eval"
    page.wait_for(f"{game}('typeof scene') === 'string'")
    assert page.evaluate(f"{game}('scene')") == "title"
    page.press("Enter", "Enter", 13)
    page.wait_for(f"{game}('scene') === 'play'", timeout=5)
    ball = page.evaluate(f"{game}('ball.x')")
    page.send(
        "Input.dispatchKeyEvent",
        {"type": "keyDown", "key": "ArrowRight", "code": "ArrowRight", "windowsVirtualKeyCode": 39},
    )
    page.wait_for(f"{game}('paddle') > 380 && {game}('ball.x') !== {ball}", timeout=5)
    page.send(
        "Input.dispatchKeyEvent",
        {"type": "keyUp", "key": "ArrowRight", "code": "ArrowRight", "windowsVirtualKeyCode": 39},
    )
    # Chromium's lines about what the game's policy refused (the URL in each, or "Refused to
    # connect" for a fetch said twice)
    refused = re.compile(r"'https://([^/']+)[^']*' (?:because it )?violates|Refused to connect")
    others = [e.text for e in page.errors if not refused.search(e.text)]
    hosts = {m.group(1) for e in page.errors if (m := refused.search(e.text)) and m.group(1)}
    return hosts, others


def test_a_game_with_ads_and_analytics_plays_offline_in_the_single_file(tmp_path, page):
    """As in the Preview and the playtest: the third-party requests are refused, the game
    starts on Enter and plays; when its own code needs the ad script, it fails the same way."""
    project = Project.create(tmp_path / "brick.studio")
    project.commit(brick_game(), parent=None, kind="import")
    result = run(SingleHtmlExporter().export(project, None, tmp_path / "brick.html"))
    assert result.notes == (
        "the game loads from 4 other hosts, which the export does not reach (it plays "
        "offline): fonts.cdn.example, tags.analytics.example, ads.adnet.example, "
        "pixel.tracker.example",
    )
    assert run(ZipExporter().export(project, None, tmp_path / "brick.zip")).notes == result.notes
    hosts, errors = play_brick(page, tmp_path / "brick.html")
    assert errors == [] and hosts == set(BRICK_HOSTS), (hosts, errors)

    broken = Project.create(tmp_path / "broken.studio")
    broken.commit(brick_game(uses_the_ad_script=True), parent=None, kind="import")
    run(SingleHtmlExporter().export(broken, None, tmp_path / "broken.html"))
    page.errors.clear()
    _hosts, errors = play_brick(page, tmp_path / "broken.html")
    assert [e for e in errors if "AdNet is not defined" in e] == errors != []
    project.close()
    broken.close()
