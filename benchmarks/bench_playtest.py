"""Playtests of games made elsewhere; run by hand: ``python benchmarks/bench_playtest.py``.

- How long a playtest takes (wall and this process's CPU, which includes the GUI thread's
  frame comparisons): the default program (start, each control alone, beside a twin) and a
  quick burst of given inputs, on the issue-19 test games and the breakout template.
- Painted frames per second against what each game draws: a setInterval(40) game (25 a
  second) and a requestAnimationFrame game (the display's rate).
- The single HTML file of the DOM puzzle with its repository's clutter: all files carried
  (`--keep '*'`) against only what the game reaches.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from studio.core.store import Project  # noqa: E402
from studio.export import SingleHtmlExporter, human_size  # noqa: E402
from tests.foreign_games import ORBIT_HTML, brick_game, slide_game  # noqa: E402
from tests.gallery import gallery_templates  # noqa: E402

RAF_GAME = """<!DOCTYPE html><html><body style="margin:0"><canvas id=c width=400 height=300>
</canvas><script>const g = c.getContext('2d'); let x = 0;
requestAnimationFrame(function f() { x = (x + 3) % 400; g.fillStyle = '#000';
  g.fillRect(0, 0, 400, 300); g.fillStyle = '#fc0'; g.fillRect(x, 100, 30, 30);
  requestAnimationFrame(f); });</script></body></html>"""


def project(folder: Path, name: str, files: dict) -> Project:
    made = Project.create(folder / f"{name}.studio")
    made.commit(files, parent=None, kind="import")
    return made


async def playtests(folder: Path) -> None:
    from studio.sandbox.playtest import QUICK_INPUTS, playtest

    (breakout,) = [t for t in gallery_templates() if t.name == "breakout"]
    games = {
        "slide (DOM puzzle)": slide_game(),
        "brick (start screen, ads)": brick_game(),
        "breakout template": breakout.files(),
    }
    print("playtest                     program        wall     CPU   verdict")
    for name, files in games.items():
        game = project(folder, name.split()[0], files)
        for label, inputs in (("default", None), ("quick burst", QUICK_INPUTS)):
            wall, cpu = time.perf_counter(), time.process_time()
            report = await playtest(game, inputs=inputs, seconds=4)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            verdict = f"{'passed' if report.passed else 'FAILED'} ({report.kind})"
            print(f"{name:<28} {label:<12} {wall:6.1f} s {cpu:5.1f} s   {verdict}")
    for name, files, expected in (
        ("setInterval(40)", {"index.html": ORBIT_HTML}, "25"),
        ("requestAnimationFrame", {"index.html": RAF_GAME}, "display rate"),
    ):
        report = await playtest(project(folder, name[:8], files), inputs=[], seconds=4)
        print(f"painted fps, {name:<22} {report.fps:5.1f} (draws: {expected})")


async def single_file(folder: Path) -> None:
    game = project(folder, "slide-export", slide_game())
    folder_size = sum(len(d) for d in game.files(game.head).values())
    everything = await SingleHtmlExporter().export(game, None, folder / "all.html", keep=["*"])
    reached = await SingleHtmlExporter().export(game, None, folder / "reached.html")
    print(
        f"slide as one HTML file: {human_size(reached.size)} (what it reaches) against "
        f"{human_size(everything.size)} (every file); its folder holds {human_size(folder_size)}"
    )


def main() -> None:
    from studio.qt.startup import run_headless

    with tempfile.TemporaryDirectory(prefix="bench-playtest-") as tmp:
        folder = Path(tmp)
        asyncio.run(single_file(folder))
        run_headless(lambda: playtests(folder))


if __name__ == "__main__":
    main()
