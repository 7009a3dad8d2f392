"""A generated game streaming into the app: how fast it is taken in, and whether the GUI
stays smooth meanwhile.

The scripted chat server (tests/ai/chat_server.py, in its own low-priority process so it
shares neither the GUI's interpreter lock nor, as far as can be, its core) streams a
2,000-line game as fast as it can, in ~4-character chunks (about one token each), to the
real main window: the built-in provider through the `openai` client, the stream parser,
the Chat panel's 30 ms batches into the editor (highlighted, following the newest line)
and the conversation, the commit, and the Preview loading the new version.

Reported per run:
- tokens/s the app takes in (chunks from the first to the last arriving, through parser,
  batches and editor), by the clock and per second of the GUI thread's CPU, beside the
  provider's rate alone (no UI): with the `openai` client's own decoding (a pydantic
  model per chunk) and with the built-in provider's plain-JSON decoding;
- time from Generate to the game's first frame in the Preview (Generate is pressed once
  writing the prompt has loaded the model client, as a person's typing gives it time to);
- the longest time the GUI event loop was blocked while streaming, and after (commit,
  loading the version): the longest gap between ticks of a 1 ms timer, wall clock and CPU
  time of the GUI thread (which other processes on a busy machine do not inflate).

Run: python benchmarks/bench_stream_ui.py [--lines 2000] [--chunk 4] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def game_source(lines: int) -> str:
    """A game of exactly `lines` lines that runs: a long script between a head and a tail."""
    head = [
        "<!DOCTYPE html>",
        "<html>",
        "<head><title>Big Game</title>",
        "<style>html, body { margin: 0; background: #204060; }</style></head>",
        "<body>",
        '<canvas id="c" width="300" height="200"></canvas>',
        "<script>",
        "const ctx = document.getElementById('c').getContext('2d');",
        "const W = 300;",
        "const frames = [0, 1, 2, 3];",
    ]
    tail = [
        "function frame(t) {",
        "  ctx.fillStyle = '#102030'; ctx.fillRect(0, 0, 300, 200);",
        "  ctx.fillStyle = '#ffcc00'; ctx.fillRect((t / 5) % 280, 80, 20, 40);",
        "  requestAnimationFrame(frame);",
        "}",
        "requestAnimationFrame(frame);",
        "</script>",
        "</body>",
        "</html>",
    ]
    body: list[str] = []
    i = 0
    while len(head) + len(body) + len(tail) < lines:
        body += [
            f"function enemy{i}Update(e, dt) {{",
            f"  e.x += e.vx * dt * {1 + i % 5};",
            "  if (e.x < 0 || e.x > W) { e.vx = -e.vx; }",
            f"  e.sprite = frames[(e.t * {i % 9 + 2}) % frames.length];",
            "}",
        ]
        i += 1
    body = body[: max(0, lines - len(head) - len(tail))]
    while body and body[-1] != "}":  # end on a whole function
        body.pop()
    return "\n".join(head + body + tail) + "\n"


def answer_chunks(lines: int, chunk: int) -> list[str]:
    body = game_source(lines)
    answer = f'Here is a big game. Arrow keys or tap.\n\n<file path="index.html">\n{body}</file>\n'
    return [answer[i : i + chunk] for i in range(0, len(answer), chunk)]


# -- the server process -----------------------------------------------------------------


def serve(lines: int, chunk: int, answers: int) -> None:
    from tests.ai.chat_server import ChatServer, Scripted

    chunks = answer_chunks(lines, chunk)
    with ChatServer() as server:
        server.script(*[Scripted(chunks=chunks, usage=(500, len(chunks))) for _ in range(answers)])
        print(server.base_url, flush=True)
        sys.stdin.read()  # serve until the benchmark closes our stdin


# -- measuring --------------------------------------------------------------------------


class Ticks:
    """A 1 ms timer on the GUI thread: the gaps between its ticks are the blocked times."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.samples: list[tuple[float, float]] = []
        self.timer = QTimer(interval=1)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.tick)

    def tick(self) -> None:
        self.samples.append((time.perf_counter(), time.thread_time()))

    def start(self) -> None:
        self.samples.clear()
        self.tick()
        self.timer.start()

    def stop(self) -> None:
        self.tick()
        self.timer.stop()

    def worst(self, start: float, end: float) -> tuple[float, float, float]:
        """(max wall gap ms, max GUI-thread CPU gap ms, p99 wall gap ms) within [start, end]."""
        inside = [s for s in self.samples if start <= s[0] <= end]
        if len(inside) < 2:
            return 0.0, 0.0, 0.0
        wall = [(b[0] - a[0]) * 1000 for a, b in itertools.pairwise(inside)]
        cpu = [(b[1] - a[1]) * 1000 for a, b in itertools.pairwise(inside)]
        ordered = sorted(wall)
        return max(wall), max(cpu), ordered[int(0.99 * (len(ordered) - 1))]


async def bare_client_rate(base_url: str, light: bool = True) -> tuple[float, float]:
    """Tokens/s of the provider alone on this loop (no UI), by the clock and per second of
    the GUI thread's CPU: the ceiling the app can reach. `light`: the built-in provider's
    plain-JSON decoding; else the `openai` client's own (a pydantic model per chunk)."""
    from studio.ai.chat_provider import OpenAIChatProvider
    from studio.ai.light_stream import LightOpenAIChatProvider
    from studio.ai.providers import TextDelta

    kind = LightOpenAIChatProvider if light else OpenAIChatProvider
    provider = kind(base_url=base_url, api_key="bench-key")
    n, first, last = 0, 0.0, 0.0
    cpu = time.thread_time()
    async for chunk in provider.stream_chat([{"role": "user", "content": "x"}], model="m"):
        if isinstance(chunk, TextDelta):
            last = time.perf_counter()
            first = first or last
            n += 1
    cpu = time.thread_time() - cpu
    await provider.aclose()
    return n / (last - first), n / cpu


async def ui_run(window, project_path: Path, chunks: int, lines: int) -> dict[str, float]:
    from studio.core.store import Project

    chat = window.chat
    window.open_path(project_path)
    await asyncio.sleep(0.5)  # the empty project settles
    ticks = Ticks()
    arrivals: list[tuple[float, float]] = []
    batcher_on_event = chat.batcher.on_event

    def observe(event) -> None:
        arrivals.append((time.perf_counter(), time.thread_time()))
        batcher_on_event(event)

    chat.batcher.on_event = observe  # generate() hands this to the generation
    session = window.session
    add_version = session.add_version
    showing: list[float] = []

    def timed_add_version(version) -> None:  # showing the new version: editor, History, Preview
        started = time.perf_counter()
        add_version(version)
        showing.append((time.perf_counter() - started) * 1000)

    session.add_version = timed_add_version
    done: asyncio.Future = asyncio.get_running_loop().create_future()
    chat.finished.connect(lambda outcome: done.done() or done.set_result(outcome))
    painted: asyncio.Future = asyncio.get_running_loop().create_future()
    window.preview.first_frame.connect(lambda _s: painted.done() or painted.set_result(None))
    chat.prompt.setPlainText("make a big game")
    # Writing a prompt loads the model client in a worker thread; a person takes longer to
    # write one than that takes, so Generate is pressed once it is done (and frozen).
    while any(t.name == "studio-warm-up" for t in threading.enumerate()):
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    ticks.start()
    clicked = time.perf_counter()
    assert chat.generate()
    outcome = await done
    finished = time.perf_counter()
    assert outcome.ok, outcome.notice
    await asyncio.wait_for(painted, 30)
    shown = time.perf_counter()
    await asyncio.sleep(0.2)
    ticks.stop()
    chat.batcher.on_event = batcher_on_event
    session.add_version = add_version
    with Project.open(project_path) as project:
        made = project.versions()[-1]
    text = window.code.editor.toPlainText()
    assert text == game_source(lines), "the editor does not hold the whole game"
    (first, first_cpu), (last, last_cpu) = arrivals[0], arrivals[-1]
    stream_wall, stream_cpu, stream_p99 = ticks.worst(clicked, last)
    after_wall, after_cpu, _ = ticks.worst(last, shown)
    return {
        "tokens_per_s": chunks / (last - first),
        "tokens_per_gui_cpu_s": chunks / (last_cpu - first_cpu),
        "stream_s": last - first,
        "gui_cpu_share": (last_cpu - first_cpu) / (last - first),
        "ttft_s": first - clicked,
        "commit_after_last_ms": (finished - last) * 1000,
        "to_first_frame_s": shown - clicked,
        "stream_block_wall_ms": stream_wall,
        "stream_block_cpu_ms": stream_cpu,
        "stream_p99_gap_ms": stream_p99,
        "after_block_wall_ms": after_wall,
        "after_block_cpu_ms": after_cpu,
        "busiest_batch_ms": chat.batcher.busiest_flush * 1000,
        "show_version_ms": max(showing),
        "version_tokens_out": float(made.info.tokens_out or 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--chunk", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.lines, args.chunk, args.runs + 2)
        return

    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            f"--lines={args.lines}",
            f"--chunk={args.chunk}",
            f"--runs={args.runs}",
        ],  # fmt: skip
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        # In real use the service is another machine: here it must not take the GUI's core.
        preexec_fn=lambda: os.nice(15),
    )
    base_url = server.stdout.readline().strip()
    chunks = len(answer_chunks(args.lines, args.chunk))
    work = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    os.environ["STUDIO_CONFIG_DIR"] = str(work / "config")
    os.environ["OPENAI_API_KEY"] = "bench-key"
    try:
        results, bare = run_app(base_url, work, chunks, args.runs, args.lines)
    finally:
        server.stdin.close()
        server.wait(timeout=10)
    print(
        f"Streaming a {args.lines}-line game in {chunks:,} chunks of ~{args.chunk} characters "
        f"into the main window, {args.runs} runs (median, worst):"
    )
    for name, (rate, per_cpu) in bare.items():
        print(f"  {'bare_' + name + '_tokens_per_s':<24} {rate:12,.0f}   per CPU s {per_cpu:9,.0f}")
    for key in results[0]:
        values = [r[key] for r in results]
        worst = min(values) if key.startswith("tokens_per") else max(values)
        print(f"  {key:<24} {statistics.median(values):12,.2f}   worst {worst:12,.2f}")


def run_app(base_url: str, work: Path, chunks: int, runs: int, lines: int):
    from studio.qt.startup import prepare_environment

    prepare_environment()
    import qasync

    from studio.ai.code_providers import ProviderConfig, save_provider_config
    from studio.config.settings import Settings
    from studio.core.store import Project
    from studio.plugins.host import PluginHost
    from studio.qt.collector import application
    from studio.ui.main_window import MainWindow
    from studio.ui.theme import apply_theme

    app = application()  # as run_app makes it: collecting on the GUI thread
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    settings = Settings(work / "settings.json")
    save_provider_config(settings, ProviderConfig(base_url=base_url, model="bench-model"))
    host = PluginHost()
    host.load_all(entry_points=False)
    apply_theme(app)
    window = MainWindow(host, settings)
    window.resize(1500, 900)
    window.show()
    gc.collect()
    gc.freeze()  # as run_app does after start-up

    async def everything():
        bare = {
            "sdk": await bare_client_rate(base_url, light=False),
            "light": await bare_client_rate(base_url, light=True),
        }
        results = []
        for n in range(runs):
            with Project.create(work / f"run{n}") as project:
                path = project.path
            results.append(await ui_run(window, path, chunks, lines))
        window.session.close()
        return results, bare

    with loop:
        return loop.run_until_complete(everything())


if __name__ == "__main__":
    main()
