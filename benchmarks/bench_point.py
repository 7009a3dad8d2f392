"""Knobs and Pick in the Preview (issue 17): how soon a knob's change shows, and how soon the
outline follows the pointer in Pick mode.

- Knob change to the next painted frame: a probe game paints its whole canvas in the colour
  its knob `shade` says, every frame, and notes the wall-clock time (`Date.now()`) of the
  first frame it painted in each new shade. For each change, Studio sets the knob in the
  running page (`PointTools.set_knob`, the slider's path) and measures (a) in the page, the
  time from the change to the start of the next animation frame (the runtime's timed
  `setParam`); (b) from Studio's call to the game's frame in the new shade (wall clocks of
  both sides); (c) from that frame to a grab of the view showing it (grabs as fast as they
  go: the offscreen compositor and the grab, the floor any change shows through).
  Target: one frame (16.7 ms at 60 Hz).
- The same knob change in a starter game (runner's gravity), the page-side figure only.
- Pick hover outline latency: Pick mode on the memory template (a DOM game); the pointer
  moves between elements (Qt mouse events on the pick layer); the time from each move to
  the outline's box coming back from the page (one question to the isolated world), after
  which the layer repaints in the same turn of the event loop.

Run: python benchmarks/bench_point.py [--runs 40]
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

PROBE = """<!DOCTYPE html><html><head><title>probe</title>
<style>html,body{margin:0;height:100%}canvas{display:block;width:100%;height:100%}</style>
</head><body><canvas id=c></canvas><script>
const PARAMS = { shade: { value: 0, min: 0, max: 255, step: 1, label: 'Shade' } };
const c = document.getElementById('c'), g = c.getContext('2d');
const seen = {}; let last = -1;
function f() { c.width = innerWidth; c.height = innerHeight;
  const s = PARAMS.shade.value; g.fillStyle = `rgb(${s},${255 - s},90)`;
  if (s !== last) { last = s; seen[s] = Date.now(); }
  g.fillRect(0, 0, c.width, c.height); requestAnimationFrame(f); }
requestAnimationFrame(f);
window.studio = { params: PARAMS, state: () => ({ shade: PARAMS.shade.value }) };
window.seen = seen;
</script></body></html>"""


def wait(app, seconds: float, until=None) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        if until is not None and until():
            return True
        time.sleep(0.001)
    return False


def centre(pane) -> int:
    image = pane.grab_frame()
    return image.pixel(image.width() // 2, image.height() // 2) & 0xFFFFFF


def figures(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return (
        f"median {statistics.median(values):5.1f} ms, p90 {p90:5.1f} ms, max {max(values):5.1f} ms"
    )


def page_value(app, pane, script: str):
    found: list = []
    pane.page.runJavaScript(script, 0, found.append)
    wait(app, 5.0, lambda: bool(found))
    return found[0] if found else None


def knob_to_frame(app, pane, name: str, values: list[float], grab: bool) -> dict[str, list]:
    """Per change: the page's ms to the next frame; with `grab`, Studio's call to the game's
    frame in the new shade, and that frame to a grab showing it (wall clocks, ms)."""
    import json

    frames: dict[str, float] = {}
    pane.page.param_frame.connect(lambda token, ms: frames.__setitem__(token, ms))
    found: dict[str, list] = {"page": [], "to_frame": [], "to_grab": []}
    for i, value in enumerate(values):
        token = f"t{i}"
        want = int(value) << 16 | (255 - int(value)) << 8 | 90
        called = time.time()
        pane.point.set_knob(name, value, token)
        if grab and wait(app, 2.0, lambda w=want: centre(pane) == w):
            grabbed = time.time()
            seen = json.loads(page_value(app, pane, "JSON.stringify(window.seen)") or "{}")
            if str(int(value)) in seen:
                painted = seen[str(int(value))] / 1000
                found["to_frame"].append((painted - called) * 1000)
                found["to_grab"].append((grabbed - painted) * 1000)
        wait(app, 2.0, lambda t=token: t in frames)
        if token in frames:
            found["page"].append(frames[token])
        wait(app, 0.05)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()

    from studio.qt.startup import prepare_environment

    prepare_environment()
    from PySide6.QtWebEngineWidgets import QWebEngineView  # noqa: F401 (before QApplication)
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
    from PySide6.QtGui import QMouseEvent

    from studio.core.store import Project
    from studio.operations.projects import new_project
    from studio.plugins.host import PluginHost
    from studio.ui.preview.preview_pane import PreviewPane
    from studio.ui.session import ProjectSession

    tmp = Path(tempfile.mkdtemp(prefix="bench-point-"))
    host = PluginHost()
    host.load_all()
    templates = {t.name: t for t in host.templates()}
    session = ProjectSession(host)
    pane = PreviewPane(session)
    pane.resize(900, 700)
    pane.show()
    wait(app, 0.5)
    print(f"Knobs and Pick ({args.runs} changes / moves each, offscreen, software rendering)")

    probe = Project.create(tmp / "probe")
    probe.commit({"index.html": PROBE}, parent=None, kind="manual")
    session.open(probe)
    wait(app, 20, lambda: pane.state == "running" and bool(pane.point.knobs.knobs))
    wait(app, 1.0)
    shades = [float(40 + (i * 5) % 200) for i in range(args.runs)]  # all different
    found = knob_to_frame(app, pane, "shade", shades, grab=True)
    interval = 1000 / 60
    within = sum(ms <= interval for ms in found["to_frame"])
    print(f"  knob change to the next frame, in the page:   {figures(found['page'])}")
    print(f"  Studio's call to the game's frame in it:      {figures(found['to_frame'])}")
    print(f"    {within} of {len(found['to_frame'])} within one 60 Hz frame ({interval:.1f} ms)")
    print(f"  that frame to a grab showing it (the floor):  {figures(found['to_grab'])}")
    session.close()

    with new_project(tmp / "runner", templates["runner"]) as made:
        runner = made.path
    session.open(Project.open(runner))
    wait(app, 20, lambda: pane.state == "running" and bool(pane.point.knobs.knobs))
    wait(app, 1.0)
    gravities = [float(1000 + (i * 350) % 3000) for i in range(args.runs)]
    found = knob_to_frame(app, pane, "gravity", gravities, grab=False)
    print(f"  runner's gravity to the next frame, in the page: {figures(found['page'])}")
    session.close()

    with new_project(tmp / "memory", templates["memory"]) as made:
        memory = made.path
    session.open(Project.open(memory))
    wait(app, 20, lambda: pane.state == "running")
    wait(app, 1.5)
    tools = pane.point
    tools.start_pick()
    layer = tools.pick_layer
    points = [QPoint(layer.width() * (1 + i % 5) // 6, layer.height() * (1 + i % 3) // 4)
              for i in range(args.runs)]  # fmt: skip
    latencies = []
    for at in points:
        answered = len(layer.hover_latencies)
        start = time.perf_counter()
        event = QMouseEvent(
            QEvent.Type.MouseMove, QPointF(at), layer.mapToGlobal(QPointF(at)),
            Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
        )  # fmt: skip
        QApplication.sendEvent(layer, event)
        if wait(app, 2.0, lambda n=answered: len(layer.hover_latencies) > n):
            latencies.append((time.perf_counter() - start) * 1000)
        wait(app, 0.03)
    labels = {layer._hover[1] if layer._hover else "-"}
    print(f"  Pick: pointer move to its outline (DOM game):  {figures(latencies)}")
    print(
        f"    isolated-world question alone: {figures([s * 1000 for s in layer.hover_latencies])}"
    )
    print(f"    (last outlined: {', '.join(labels)})")
    tools.pick_button.setChecked(False)
    session.close()


if __name__ == "__main__":
    main()
