"""The Preview pane as a person uses it: versions, console, toolbar, screenshots, Fix."""

from __future__ import annotations

from PySide6.QtGui import QImage

from studio.sandbox.console import ConsoleBuffer, ConsoleEntry
from studio.ui.preview.console_panel import format_entry
from tests.sandbox.conftest import wait_seconds

COLOURED = """<!DOCTYPE html><html><head><title>{title}</title>
<style>html, body {{ margin: 0; height: 100%; background: {colour}; }}</style></head>
<body><script>
console.log('VERSION {title}');
let frames = 0, last = 0;
requestAnimationFrame(function f(t) {{ frames++; last = t; requestAnimationFrame(f); }});
window.studio = {{ state: () => ({{frames}}) }};
</script></body></html>"""


def centre_colour(image: QImage) -> int:
    return image.pixel(image.width() // 2, image.height() // 2) & 0xFFFFFF


def wait_colour(preview, rgb: int, timeout: int = 15_000) -> None:
    preview.qtbot.waitUntil(
        lambda: centre_colour(preview.pane.grab_frame()) == rgb, timeout=timeout
    )


def test_switching_versions_shows_the_right_game(preview, make_project, qtbot):
    project = make_project("switch", {"index.html": COLOURED.format(title="one", colour="#ff0000")})
    v1 = project.head
    v2 = project.commit(
        {"index.html": COLOURED.format(title="two", colour="#00ff00")}, parent=v1, kind="manual"
    ).id
    preview.open(project, v1)
    wait_colour(preview, 0xFF0000)
    assert preview.pane.title.text() == f"v{v1} · one"
    preview.show(v2)
    wait_colour(preview, 0x00FF00)
    assert preview.pane.title.text() == f"v{v2} · two"
    preview.wait_message("VERSION two")
    assert "VERSION one" not in preview.messages()
    preview.show(v1)
    wait_colour(preview, 0xFF0000)
    assert preview.pane.page.url().path().startswith(f"/{v1}/")


ERRORS = """<!DOCTYPE html><html><body><script src="js/game.js"></script><script>
console.warn('careful');
for (let i = 0; i < 123; i++) console.log('again');
console.error('explicit error');
Promise.reject(new Error('nobody caught me'));
</script></body></html>"""
GAME_JS = """// line 1
function boom() {
  undefinedThing.go();
}
setTimeout(boom, 100);
"""


def test_console_shows_errors_with_file_and_line_and_offers_fix(preview, make_project, qtbot):
    project = make_project("errors", {"index.html": ERRORS, "js/game.js": GAME_JS})
    pane = preview.pane
    preview.open(project)
    preview.wait_message("undefinedThing")
    qtbot.waitUntil(lambda: len(pane.errors()) == 3, timeout=5000)
    errors = pane.errors()
    assert {e["kind"] for e in errors} == {"console", "rejection", "uncaught"}
    uncaught = next(e for e in errors if e["kind"] == "uncaught")
    assert (uncaught["source"], uncaught["line"]) == ("js/game.js", 3)
    assert "undefinedThing is not defined" in uncaught["message"]
    rejection = next(e for e in errors if e["kind"] == "rejection")
    assert "nobody caught me" in rejection["message"] and rejection["source"] == "index.html"
    assert len([m for m in preview.messages() if "undefinedThing" in m]) == 1  # not twice

    console = pane.console
    qtbot.waitUntil(lambda: any("js/game.js:3" in line for line in console.lines()), timeout=3000)
    assert any("again" in line and "×123" in line for line in console.lines())
    assert console.badge.isVisible() and console.badge.text() == "3 errors"
    assert console.fix_button.isVisible()
    with qtbot.waitSignal(pane.fix_requested, timeout=1000) as fix:
        console.fix_button.click()
    assert fix.args[0] == errors

    console.clear_button.click()
    assert console.lines() == [] and pane.errors() == []
    assert not console.badge.isVisible() and not console.fix_button.isVisible()


def test_device_sizes_give_the_game_its_css_viewport(preview, make_project, qtbot):
    project = make_project("sizes", {"index.html": COLOURED.format(title="s", colour="#123456")})
    pane = preview.pane
    preview.open(project)
    for name, (w, h) in [
        ("phone", (360, 640)),
        ("desktop", (1280, 720)),
        ("phone-landscape", (640, 360)),
    ]:
        pane.set_device(name)
        qtbot.waitUntil(
            lambda w=w, h=h: (
                abs(preview.js("innerWidth") - w) <= 2 and abs(preview.js("innerHeight") - h) <= 2
            ),
            timeout=5000,
        )
        geometry, stage = pane.view.geometry(), pane.stage.rect()
        assert stage.contains(geometry)
        assert abs(geometry.width() / geometry.height() - w / h) < 0.02
        # centred and letterboxed: it touches two opposite sides, leaves the others free
        assert geometry.width() == stage.width() or geometry.height() == stage.height()
        assert abs(geometry.center().x() - stage.center().x()) <= 1
        assert abs(geometry.center().y() - stage.center().y()) <= 1
    pane.set_custom_size(500, 500)
    qtbot.waitUntil(lambda: abs(preview.js("innerWidth") - 500) <= 2, timeout=5000)
    # The size survives loading another version.
    preview.show(project.head)
    qtbot.waitUntil(lambda: abs(preview.js("innerWidth") - 500) <= 2, timeout=5000)
    pane.set_device("fill")
    qtbot.waitUntil(lambda: pane.view.geometry() == pane.stage.rect(), timeout=5000)


def test_pause_freezes_the_game_and_resume_goes_on(preview, make_project, qtbot):
    project = make_project("pause", {"index.html": COLOURED.format(title="p", colour="#000000")})
    pane = preview.pane
    preview.open(project)
    qtbot.waitUntil(lambda: preview.js("frames") > 5, timeout=10_000)
    pane.pause_button.click()
    assert pane.pause_button.isChecked()
    qtbot.waitUntil(lambda: preview.js("window.__studio.paused()") is True, timeout=3000)
    frozen = preview.js("frames")
    wait_seconds(qtbot, 0.5)
    assert preview.js("frames") == frozen
    qtbot.waitUntil(lambda: pane.fps == 0, timeout=3000)
    pane.pause_button.click()
    qtbot.waitUntil(lambda: preview.js("frames") > frozen + 3, timeout=5000)
    # the game's clock skipped the pause: no giant step in the frame time
    assert preview.js("performance.now() - last") < 300


def test_fps_meter_and_mute(preview, make_project, qtbot):
    """The meter counts frames painted: none for a still page, whatever its script does."""
    still = COLOURED.format(title="f", colour="#000000")
    project = make_project("fps", {"index.html": still})
    moving = still.replace(
        "frames++;", "frames++; document.body.style.opacity = 0.5 + frames % 2 / 4;"
    )
    v2 = project.commit({"index.html": moving}, parent=project.head, kind="manual").id
    pane = preview.pane
    preview.open(project, project.versions()[0].id)
    for _ in range(2):
        with qtbot.waitSignal(pane.fps_changed, timeout=5000):
            pass
    assert pane.fps == 0 and pane.fps_label.text() == "0 fps"
    preview.show(v2)
    qtbot.waitUntil(lambda: (pane.fps or 0) > 5, timeout=5000)
    assert pane.fps_label.text().endswith("fps") and pane.fps_label.text() != "– fps"
    pane.mute_button.click()
    assert pane.page.isAudioMuted()
    pane.mute_button.click()
    assert not pane.page.isAudioMuted()


def test_screenshot_saves_a_png_and_an_asset(preview, make_project, qtbot, tmp_path):
    project = make_project("shot", {"index.html": COLOURED.format(title="c", colour="#3366cc")})
    pane = preview.pane
    preview.open(project)
    wait_colour(preview, 0x3366CC)
    frame = pane.grab_frame()
    assert frame.width() == pane.view.width() and centre_colour(frame) == 0x3366CC
    path = pane.save_screenshot(tmp_path / "shot.png")
    assert centre_colour(QImage(str(path))) == 0x3366CC
    with qtbot.waitSignal(preview.session.assets_changed, timeout=1000):
        asset = pane.save_screenshot_as_asset()
    assert asset.name == f"screenshot-v{project.head}.png" and asset.mime == "image/png"
    data = project.blobs.read(project.asset(asset.name).blob)
    assert data.startswith(b"\x89PNG")
    assert pane.save_screenshot_as_asset().name == f"screenshot-v{project.head}-2.png"


def test_no_project_shows_an_empty_state(preview, make_project):
    pane = preview.pane
    assert pane.state == "empty" and pane.stage.empty.isVisible()
    project = make_project("later", {"index.html": COLOURED.format(title="l", colour="#000000")})
    preview.open(project)
    assert pane.state == "running" and not pane.stage.empty.isVisible()
    preview.session.close()
    assert pane.state == "empty" and pane.title.text() == "No game"


def test_console_buffer_is_bounded_and_folds():
    buffer = ConsoleBuffer(limit=100)
    for i in range(1000):
        buffer.add(ConsoleEntry("log", f"line {i}"))
    for _ in range(50):
        buffer.add(ConsoleEntry("error", "same", "game.js", 3, kind="uncaught"))
    assert len(buffer) == 100 and buffer.received == 1050
    assert buffer.entries[-1].count == 50
    assert format_entry(buffer.entries[-1]).endswith("game.js:3   ×50")
    assert [e.as_error() for e in buffer.errors()] == [
        {"message": "same", "source": "game.js", "line": 3, "kind": "uncaught"}
    ]
    assert buffer.error_total == 50
