"""The AI playtester: the time Studio adds around each model call, per agent step.

One step is what Studio does between two requests to the model: run the tool (send the
input's real events, wait until the page has them, move the game clock, read the state and
the page as text, grab the picture and compare it), take a screenshot for a model that
reads images, and write the result for the model. The model's own time is not in it (that
is the service's). Measured on a canvas game (the runner template: keys) and a DOM game (the
DOM game below: taps on its buttons by page item), both on their game clock, headless at
800x600, after a few warm-up steps; median and 90th percentile of the steps.

Run: python benchmarks/bench_agent_step.py [--steps 40]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

WARM_UP = 4

# A DOM game of the size a model writes: 16 cards as buttons, a score line, a timer bar;
# a wrong pair turns back after 0.6 s of game time (window.studio.advance).
DOM_GAME = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Pairs</title>
<style>body{font:16px sans-serif;background:#1b1f27;color:#eee;margin:0;padding:16px}
#grid{display:grid;grid-template-columns:repeat(4,80px);gap:10px}
button{height:80px;font-size:28px;border-radius:8px;border:0;background:#3a4150;color:#fff}
button.up{background:#f0c060;color:#222}button.done{background:#5a9;color:#fff}
#bar{height:6px;background:#5a9;width:100%}</style></head><body>
<h1>Pairs</h1><p id=score>Score: 0 · Turns: 0</p><div id=bar></div><div id=grid></div>
<p>Tap two cards to find a pair.</p><script>
const SYMBOLS = 'ABCDEFGH'.split('');
let cards = [], open = [], score = 0, turns = 0, time = 0, back = 0;
function deal() {
  cards = [...SYMBOLS, ...SYMBOLS].map((s, i) => ({s, i, up: false, done: false}))
    .sort((a, b) => Math.random() - 0.5);
  const grid = document.getElementById('grid'); grid.innerHTML = '';
  cards.forEach((c, k) => { const b = document.createElement('button'); b.textContent = '?';
    b.onclick = () => flip(k); grid.appendChild(b); c.el = b; });
}
function flip(k) { const c = cards[k]; if (c.up || c.done || open.length === 2) return;
  c.up = true; open.push(c); if (open.length === 2) { turns++;
    if (open[0].s === open[1].s) { open.forEach(o => o.done = true); score++; open = []; }
    else back = 0.6; } draw(); }
function update(dt) { time += dt; if (back > 0 && (back -= dt) <= 0) {
  open.forEach(o => o.up = false); open = []; draw(); } }
function draw() { cards.forEach(c => { c.el.textContent = c.up || c.done ? c.s : '?';
  c.el.className = c.done ? 'done' : c.up ? 'up' : ''; });
  document.getElementById('score').textContent = `Score: ${score} · Turns: ${turns}`;
  document.getElementById('bar').style.width = `${100 - (time * 2) % 100}%`; }
let last = 0; function frame(t) { if (last) update(Math.min(0.1, (t - last) / 1000)); last = t;
  draw(); requestAnimationFrame(frame); }
deal(); draw(); requestAnimationFrame(frame);
window.studio = { state: () => ({score, turns, time: Math.round(time * 1000) / 1000,
  open: open.length, done: cards.filter(c => c.done).length}),
  advance(ms) { update(ms / 1000); draw(); } };
</script></body></html>"""


def _template(name: str):
    from studio.config.resources import resource_path
    from studio.core.templates import load_template

    return load_template(resource_path("templates", name))


async def _steps(project, version: int, actions, steps: int) -> dict[str, list[float]]:
    from studio.operations.playtester_tools import describe_change, did_words
    from studio.sandbox.game_session import GameSession

    session = GameSession(project, version)
    await session.open()
    times: dict[str, list[float]] = {
        k: [] for k in ("tool", "look", "words", "step", "read", "game", "frame", "studio")
    }
    try:
        for number in range(WARM_UP + steps):
            action, wait = actions(number)
            started, clock = time.perf_counter(), session.clock_seconds
            frame = session.frame_seconds
            change = await session.perform(action, wait)
            tool = time.perf_counter()
            session.look()
            looked = time.perf_counter()
            describe_change(change, did_words(change.action or action, wait, session.viewport))
            done = time.perf_counter()
            await session.moment()  # a state() or page() call on its own
            read = time.perf_counter()
            if number >= WARM_UP:
                times["tool"].append(tool - started)
                times["look"].append(looked - tool)
                times["words"].append(done - looked)
                times["step"].append(done - started)
                game = session.clock_seconds - clock
                painted = session.frame_seconds - frame
                times["game"].append(game)
                times["frame"].append(painted)
                times["studio"].append(done - started - game - painted)
                times["read"].append(read - done)
            assert change.stopped is None and change.delivered, change
    finally:
        session.close()
    return times


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return f"{statistics.median(values) * 1000:6.1f} / {p90 * 1000:6.1f}"


async def main(steps: int) -> None:
    from studio.core.store import Project
    from studio.operations.projects import new_project
    from studio.sandbox.input_script import Action

    folder = Path(tempfile.mkdtemp(prefix="bench-agent-"))
    keys = ("ArrowUp", "Space", "ArrowRight", "Enter")

    def press(n: int):
        if n % 4 == 3:
            return None, 0.15  # a wait
        return Action(0.0, "key", keys=(keys[n % len(keys)],), hold=0.15), 0.0

    def tap(n: int):
        if n % 4 == 3:
            return None, 0.7  # a wait: a wrong pair turns back
        return Action(0.0, "tap", element=1 + n % 16), 0.0

    games = (("canvas: runner, keys", "runner", press), ("DOM: 16 buttons, page items", None, tap))
    print(f"per agent step, median / p90 in ms ({steps} steps after {WARM_UP} warm-up ones)")
    columns = ("whole step", "Studio's part", "game update", "its picture", "screenshot")
    print(f"{'game':28}" + "".join(f" {c:>15}" for c in columns))
    for label, name, actions in games:
        if name is None:
            project = Project.create(folder / "dom")
            project.commit({"index.html": DOM_GAME}, parent=None, kind="manual")
        else:
            project = new_project(folder / name, _template(name))
        try:
            times = await _steps(project, project.head, actions, steps)
        finally:
            project.close()
        shown = ("step", "studio", "game", "frame", "look")
        print(f"{label:28}" + "".join(f" {_ms(times[k]):>15}" for k in shown))
    print("whole step: the tool run (input events, the clock, state, page text, picture), a")
    print("screenshot and the words for the model. Game update: the game's own code in")
    print("window.studio.advance() while the clock runs. Its picture: waiting until the page has")
    print(
        "painted the result (two frames; the renderer drawing the game). Studio's part: the rest."
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args()
    from studio.qt.startup import run_headless

    run_headless(lambda: main(args.steps))
