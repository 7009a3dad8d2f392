"""Gameplay recording: what it costs the game running in the Preview.

A busy canvas game (300 moving sprites, full redraw every frame) plays in the real Preview
pane (sandbox profile, software rendering offscreen). For each view size it measures the
game's frame rate (requestAnimationFrame callbacks per second, counted in the page) for a
few seconds without recording, then while `GameRecorder` grabs the view at 30 fps and pipes
the frames to ffmpeg, then without again. Also reported: the time one grab takes (median
and 95th percentile), how many of the video's frames were real grabs rather than repeats,
and the longest the event loop was late during the recording.

Proxy and thumbnail times are in benchmarks/bench_media.py (the media layer's own figures).

Run: python benchmarks/bench_video.py [--seconds 6] [--sizes 640x480,1280x720]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

GAME = """<!DOCTYPE html><html><head><style>
html,body{margin:0;height:100%;overflow:hidden;background:#000}
canvas{display:block;width:100%;height:100%}</style></head><body><canvas id=c></canvas><script>
const c = document.getElementById('c'), g = c.getContext('2d');
const sprites = Array.from({length: 300}, (_, i) => ({x: i * 37 % 997, y: i * 53 % 613,
  vx: 1 + i % 5, vy: 1 + i % 3, hue: i * 7 % 360}));
window.frames_drawn = 0;
function frame() {
  if (c.width !== innerWidth) c.width = innerWidth;
  if (c.height !== innerHeight) c.height = innerHeight;
  g.fillStyle = '#101820'; g.fillRect(0, 0, c.width, c.height);
  for (const s of sprites) {
    s.x = (s.x + s.vx) % c.width; s.y = (s.y + s.vy) % c.height;
    g.fillStyle = `hsl(${s.hue},80%,60%)`; g.fillRect(s.x, s.y, 18, 18);
  }
  window.frames_drawn++;
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
</script></body></html>"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def js(page, script: str):
    done: asyncio.Future = asyncio.get_running_loop().create_future()
    page.runJavaScript(script, 0, lambda v: done.done() or done.set_result(v))
    return await asyncio.wait_for(done, 10)


async def game_fps(page, seconds: float) -> float:
    """requestAnimationFrame callbacks per second, counted by the page over `seconds`."""
    start_frames = await js(page, "window.frames_drawn")
    start = time.perf_counter()
    await asyncio.sleep(seconds)
    end_frames = await js(page, "window.frames_drawn")
    return (end_frames - start_frames) / (time.perf_counter() - start)


async def loop_lateness(stop: asyncio.Event, lateness: list[float]) -> None:
    """How late a 5 ms sleep wakes up: the event loop (GUI thread) being held."""
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.005)
        lateness.append(time.perf_counter() - before - 0.005)


async def measure(pane, size: tuple[int, int], seconds: float) -> dict[str, float]:
    from studio.sandbox.recorder import GameRecorder

    pane.resize(*size)
    await asyncio.sleep(1.5)  # settle at the new size
    before = await game_fps(pane.page, seconds)

    grab_times: list[float] = []

    def timed_grab():
        t0 = time.perf_counter()
        image = pane.grab_frame()
        grab_times.append(time.perf_counter() - t0)
        return image

    recorder = GameRecorder(timed_grab, fps=30)
    stop, lateness = asyncio.Event(), []
    watcher = asyncio.ensure_future(loop_lateness(stop, lateness))
    with tempfile.TemporaryDirectory() as folder:
        recording_task = asyncio.ensure_future(
            recorder.record(seconds + 1.0, Path(folder) / "rec.mp4")
        )
        await asyncio.sleep(0.5)  # the encoder is up
        during = await game_fps(pane.page, seconds)
        recording = await recording_task
    stop.set()
    await watcher
    await asyncio.sleep(1.0)
    after = await game_fps(pane.page, seconds)
    frame = pane.grab_frame()
    return {
        "width": frame.width(),
        "height": frame.height(),
        "fps_before": before,
        "fps_recording": during,
        "fps_after": after,
        "grab_ms_median": statistics.median(grab_times) * 1000,
        "grab_ms_p95": percentile(grab_times, 0.95) * 1000,
        "real_grabs": recording.grabs / recording.frames,
        "loop_late_ms_max": max(lateness) * 1000,
        "loop_late_ms_p95": percentile(lateness, 0.95) * 1000,
    }


async def run(sizes: list[tuple[int, int]], seconds: float) -> list[dict[str, float]]:
    from studio.core.store import Project
    from studio.plugins.host import PluginHost
    from studio.ui.preview.preview_pane import PreviewPane
    from studio.ui.session import ProjectSession

    folder = tempfile.mkdtemp(prefix="bench-video-")
    project = Project.create(Path(folder) / "bench")
    version = project.commit({"index.html": GAME}, parent=None, kind="manual")
    session = ProjectSession(PluginHost())
    pane = PreviewPane(session)
    pane.show()
    session.open(project)
    pane.show_version(version.id)
    deadline = time.monotonic() + 20
    while (await js(pane.page, "window.frames_drawn || 0")) < 30:
        if time.monotonic() > deadline:
            raise SystemExit("the game did not start")
        await asyncio.sleep(0.1)
    results = [await measure(pane, size, seconds) for size in sizes]
    session.close()
    pane.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--sizes", default="640x480,1280x720")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]

    from studio.qt.startup import prepare_environment

    prepare_environment()
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        results = loop.run_until_complete(run(sizes, args.seconds))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"Recording at 30 fps, {args.seconds:.0f} s per phase, {os.cpu_count()} CPUs")
    header = "view size    fps before  recording  after   overhead  grab ms (med/p95)"
    print(header + "  real grabs  loop late ms (p95/max)")
    for r in results:
        overhead = 1 - r["fps_recording"] / max(r["fps_before"], r["fps_after"])
        print(
            f"{r['width']:>4}x{r['height']:<6} {r['fps_before']:>10.1f} {r['fps_recording']:>10.1f}"
            f" {r['fps_after']:>6.1f} {overhead:>9.0%}"
            f"   {r['grab_ms_median']:>5.2f} / {r['grab_ms_p95']:<5.2f}"
            f"   {r['real_grabs']:>9.0%}"
            f"   {r['loop_late_ms_p95']:>5.1f} / {r['loop_late_ms_max']:.1f}"
        )


if __name__ == "__main__":
    main()
