"""Make the screenshots in docs/ from the real window (run by hand, under a display or Xvfb):

    Xvfb :99 -screen 0 1920x1080x24 &  DISPLAY=:99 python docs/screenshots.py [OUT_DIR]

At 1280x800 and 1920x1080 each: the start screen with a local model server found
(`start-*.png`), the set-up message when no model is found (`setup-*.png`), story mode with a
scene open (`story-*.png`), Compare with two versions playing (`compare-*.png`) and the
"Changing v1" bar above the prompt box when an older version is shown (`changing-*.png`). The model
server is Studio's Ollama-like test server on 127.0.0.1; projects and settings go to a
temporary folder.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = ((1280, 800), (1920, 1080))
PROBE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>
<style>html,body{{margin:0;height:100%;overflow:hidden;background:{bg};color:#fff;
font:bold 28px sans-serif}} h1{{margin:0;padding:16px;text-align:center}}
canvas{{display:block;margin:8px auto}}</style></head><body>
<h1>{title}</h1><canvas id="c" width="320" height="200"></canvas>
<script>
const SPEED = {speed};
const ctx = document.getElementById('c').getContext('2d');
function frame(t) {{
  ctx.fillStyle = '#101820'; ctx.fillRect(0, 0, 320, 200);
  ctx.fillStyle = '{block}'; ctx.fillRect((t / 8 * SPEED) % 300, 80, 20, 40);
  requestAnimationFrame(frame);
}}
requestAnimationFrame(frame);
</script></body></html>
"""


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    work = Path(tempfile.mkdtemp(prefix="studio-shots-"))
    os.environ["STUDIO_CONFIG_DIR"] = str(work / "config")
    os.environ["STUDIO_PROJECTS_DIR"] = str(work / "projects")
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        os.environ.pop(name, None)

    from studio.qt.startup import prepare_environment

    prepare_environment()
    import qasync
    from PySide6.QtCore import QTimer

    from studio.app import create_window
    from studio.operations.projects import new_project
    from studio.qt.collector import application
    from studio.testing.servers.local_models import LocalModelServer
    from studio.ui.theme import apply_theme

    app = application()
    apply_theme(app)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    async def pause(seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def shots() -> None:
        for width, height in SIZES:
            size = f"{width}x{height}"
            # The set-up message: nothing found (no server listens on the ports looked at),
            # a prompt sent anyway: said in words, nothing sent, the prompt kept for Retry.
            os.environ["STUDIO_MODEL_PORTS"] = ""
            os.environ["STUDIO_CONFIG_DIR"] = str(work / size / "config-setup")
            _no_usual_ports()
            first = work / size / "block-runner"
            _game(new_project, first, "Block Runner", "#203040", "#ffcc00", 2)
            window = create_window(app, first.with_suffix(".studio"))
            window.setGeometry(0, 0, width, height)
            window.show()
            await until(lambda w=window: w.chat.model_status.setup is not None)
            window.chat.prompt.setPlainText("make the block jump when I press space")
            window.chat.generate()
            await until(lambda w=window: not w.chat.busy)
            await pause(1.5)
            window.grab().save(str(out / f"setup-{size}.png"))
            window.close()

            # The start screen with a local server found, and a recent project.
            server = LocalModelServer("ollama", models=("llama3.2:latest", "qwen2.5-coder:7b"))
            server.start()
            os.environ["STUDIO_MODEL_PORTS"] = str(server.port)
            recent = work / size / "neon-racer"
            _game(new_project, recent, "Neon Racer", "#1a1040", "#ff4fd8", 3)
            os.environ["STUDIO_CONFIG_DIR"] = str(work / size / "config")  # a first look
            window = create_window(app, None)
            window.setGeometry(0, 0, width, height)
            window.show()
            window.open_path(first.with_suffix(".studio"))
            await pause(2.5)
            window.open_path(recent.with_suffix(".studio"))
            await pause(2.5)  # the Preview paints the game: its picture is kept
            window.session.close()
            window.start.sentence.setPlainText("a platformer where a cat jumps between clouds")
            await pause(0.5)
            window.grab().save(str(out / f"start-{size}.png"))
            window.close()
            server.stop()

            # Story mode with a scene open.
            story = work / size / "the-last-light"
            window = create_window(app, None)
            window.setGeometry(0, 0, width, height)
            window.show()
            window.create_project(story, window.session.host.template("story"))
            await pause(5.0)  # past the player's opening title
            panel = window.code.story
            panel.graph.select("boat")
            await pause(0.5)
            window.grab().save(str(out / f"story-{size}.png"))
            window.close()

            # Compare: two versions side by side, both playing.
            pair = work / size / "block-runner-2"
            _game(new_project, pair, "Block Runner", "#203040", "#ffcc00", 2)
            window = create_window(app, pair.with_suffix(".studio"))
            window.setGeometry(0, 0, width, height)
            window.show()
            await pause(1.0)
            old, new = (v.id for v in window.session.project.versions())
            dialog = window.code.history.compare_versions(old, new)
            dialog.setGeometry(0, 0, width, height)
            await pause(3.0)
            dialog.grab().save(str(out / f"compare-{size}.png"))
            dialog.close()
            # The older version shown: the bar above the prompt box says what a prompt changes.
            window.session.show_version(old)
            window.chat.prompt.setPlainText("make the block blue")
            await pause(2.0)
            window.grab().save(str(out / f"changing-{size}.png"))
            window.close()
        app.quit()

    async def until(predicate, timeout: float = 20.0) -> None:
        waited = 0.0
        while not predicate() and waited < timeout:
            await pause(0.05)
            waited += 0.05

    QTimer.singleShot(0, lambda: asyncio.ensure_future(shots()))
    with loop:
        loop.run_forever()
    print(f"screenshots in {out}")
    return 0


def _no_usual_ports() -> None:
    import studio.ai.model_discovery as discovery

    discovery.USUAL_PORTS = ()


def _game(new_project, path: Path, title: str, bg: str, block: str, speed: int):
    """A project with two versions of a small game (the second faster, another colour)."""
    from studio.core.templates import Template

    folder = path.parent / f"{path.name}-template"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(
        PROBE.format(title=title, bg=bg, block=block, speed=speed), encoding="utf-8"
    )
    template = Template(path.name, title, "", "game", folder)
    with new_project(path, template) as project:
        faster = PROBE.format(title=f"{title} II", bg="#103020", block="#4fd1c5", speed=speed * 2)
        project.commit({"index.html": faster}, parent=project.head, kind="generate",
                       prompt="make it faster and green")  # fmt: skip
    return path


if __name__ == "__main__":
    raise SystemExit(main())
