"""The Preview: time from selecting a version to its first painted frame, and renderer memory.

- Time to first frame, for a small game (one 2 KB page) and a large one (3 MB of script in
  8 files, 24 image assets of 100 KB): from `session.show_version()` until a grab of the
  view shows the game's marker colour (polled every 10 ms), and until the page reported its
  first paint (PerformanceObserver, through the runtime script). Versions alternate so
  each run is a real navigation; the median of the runs is shown.
- The version swap against the floor, measured in the same run: a bare QtWebEngine swap (a
  plain view of the same size, `setHtml` of the small game with no Studio in between, until
  its first `requestAnimationFrame` callback is reported to Python) alternates with the
  Preview's swap of the small game (`session.show_version()` until the page's first paint
  is reported, which comes after the first rAF in the same frame). Printed as
  `version swap: N.NNx the bare swap`. Both go through the same path (a console line), so
  only what Studio adds differs; the machine's load weighs on both alike.
- The large game's swap to a version already shown once in this session (runs after the
  first two), apart from the first time each version is shown.
- Memory: the renderer process's resident size (`/proc/<renderProcessPid>/status`, VmRSS)
  showing an idle page, and showing each starter template after 5 s of play.

Run: python benchmarks/bench_preview.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The colour a game paints once it has started; the two versions of a game differ in it, so
# the old version's picture never counts as the new one's.
MARKERS = ((0x12, 0xAB, 0x34), (0xC8, 0x32, 0x64))

SMALL_PAGE = """<!DOCTYPE html><html><head><title>small</title>
<style>html,body{margin:0;height:100%%}canvas{display:block;width:100%%;height:100%%}</style>
</head><body><canvas id=c></canvas><script>
const c = document.getElementById('c'), g = c.getContext('2d');
function f(t) { c.width = innerWidth; c.height = innerHeight;
  g.fillStyle = 'rgb(%d,%d,%d)'; g.fillRect(0, 0, c.width, c.height);
  g.fillStyle = '#fff'; g.fillRect((t / 3) %% c.width, 10, 20, 20); requestAnimationFrame(f); }
requestAnimationFrame(f);
</script></body></html>"""


def small_game(marker: tuple[int, int, int]) -> dict[str, bytes | str]:
    return {"index.html": SMALL_PAGE % marker}


def large_game(marker: tuple[int, int, int]) -> dict[str, bytes | str]:
    """3 MB of script in 8 files and 24 images of ~100 KB, all loaded before the first frame."""
    rng = random.Random(1)
    files: dict[str, bytes | str] = {}
    scripts = []
    for n in range(8):
        body = [f"window.lib{n} = {{}};"]
        i = 0
        while sum(len(line) for line in body) < 380_000:
            body.append(
                f"window.lib{n}.f{i} = function (s, dt) {{ const k = {rng.random():.6f};"
                f" return {{x: s.x * k + dt, y: Math.sin(dt * {i}) + s.y, n: '{n}-{i}'}}; }};"
            )
            i += 1
        files[f"js/lib{n}.js"] = "\n".join(body)
        scripts.append(f'<script src="js/lib{n}.js"></script>')
    images = []
    for n in range(24):
        files[f"assets/img{n}.bmp"] = _bmp(rng, 180, 140)
        images.append(f"assets/img{n}.bmp")
    files["index.html"] = f"""<!DOCTYPE html><html><head><title>large</title>
<style>html,body{{margin:0;height:100%}}canvas{{display:block;width:100%;height:100%}}</style>
{"".join(scripts)}</head><body><canvas id=c></canvas><script>
const c = document.getElementById('c'), g = c.getContext('2d');
const names = {images!r};
Promise.all(names.map(src => new Promise(ok => {{ const i = new Image(); i.onload = () => ok(i);
  i.onerror = () => ok(null); i.src = src; }}))).then(imgs => {{
  function f(t) {{ c.width = innerWidth; c.height = innerHeight;
    g.fillStyle = 'rgb({marker[0]},{marker[1]},{marker[2]})'; g.fillRect(0, 0, c.width, c.height);
    imgs.forEach((im, k) =>
      im && g.drawImage(im, (k % 6) * 40, 300 + Math.floor(k / 6) * 30, 36, 26));
    requestAnimationFrame(f); }}
  requestAnimationFrame(f);
  requestAnimationFrame(() => console.log('bare-raf'));
}});
</script></body></html>"""
    return files


def _bmp(rng: random.Random, w: int, h: int) -> bytes:
    """An uncompressed 24-bit BMP of noise (~100 KB), so nothing is small by compression."""
    row = (w * 3 + 3) & ~3
    pixels = bytes(rng.getrandbits(8) for _ in range(row * h))
    size = 54 + len(pixels)
    header = b"BM" + size.to_bytes(4, "little") + b"\0\0\0\0" + (54).to_bytes(4, "little")
    info = (
        (40).to_bytes(4, "little")
        + w.to_bytes(4, "little")
        + h.to_bytes(4, "little")
        + (1).to_bytes(2, "little")
        + (24).to_bytes(2, "little")
        + bytes(24)
    )
    return header + info + pixels


BARE_PAGE = SMALL_PAGE.replace(
    "requestAnimationFrame(f);\n</script>",
    "requestAnimationFrame(f);\nrequestAnimationFrame(() => console.log('bare-raf'));\n</script>",
)


def bare_view(app, size):
    """A plain QWebEngineView (its own default profile, no Studio) and a list that gets the
    time each page's first rAF was reported."""
    from PySide6.QtWebEngineCore import QWebEnginePage
    from PySide6.QtWebEngineWidgets import QWebEngineView

    reported: list[float] = []

    class BarePage(QWebEnginePage):
        def javaScriptConsoleMessage(self, level, message, line, source):  # noqa: N802
            if message == "bare-raf":
                reported.append(time.perf_counter())

    view = QWebEngineView()
    page = BarePage(view)
    view.setPage(page)
    view.resize(size)
    view.show()
    return view, reported


def bare_swap(app, view, reported: list[float], marker: tuple[int, int, int]) -> float:
    """Seconds from `setHtml` to the page's first rAF reported to Python."""
    reported.clear()
    start = time.perf_counter()
    view.setHtml(BARE_PAGE % marker)
    wait(app, 10.0, lambda: bool(reported))
    return reported[0] - start if reported else float("nan")


def watch_first_raf(page_class) -> list[float]:
    """Times the Preview's pages report the bare page's first-rAF line, taken as it arrives
    (before the page batches console lines every 25 ms), the same path the bare view uses."""
    seen: list[float] = []
    handle = page_class.javaScriptConsoleMessage

    def hooked(self, level, message, line, source):
        if message == "bare-raf":
            seen.append(time.perf_counter())
        return handle(self, level, message, line, source)

    page_class.javaScriptConsoleMessage = hooked
    return seen


def version_swap(app, pane, session, version_id: int, rafs: list[float]) -> tuple[float, float]:
    """Seconds from `show_version` to the game's first rAF and to its first paint, as
    reported to Python."""
    painted: list[float] = []

    def seen(_seconds: float) -> None:
        painted.append(time.perf_counter())

    rafs.clear()
    pane.first_frame.connect(seen)
    start = time.perf_counter()
    session.show_version(version_id)
    wait(app, 10.0, lambda: bool(painted and rafs))
    pane.first_frame.disconnect(seen)
    nan = float("nan")
    return (rafs[0] - start if rafs else nan), (painted[0] - start if painted else nan)


def swap_ratio(app, pane, session, tmp: Path, runs: int, rafs: list[float]) -> None:
    """The small game's version swap beside the bare swap, alternating, in this run: the
    same page (the small game, which logs its first rAF), the same report path."""
    from studio.core.store import Project

    project = Project.create(tmp / "ratio")
    a = project.commit({"index.html": BARE_PAGE % MARKERS[0]}, parent=None, kind="manual").id
    b = project.commit({"index.html": BARE_PAGE % MARKERS[1]}, parent=a, kind="manual").id
    session.open(project)
    wait(app, 3.0, lambda: pane.state == "running")
    view, reported = bare_view(app, pane.view.size())
    wait(app, 0.5)
    bare, to_raf, to_paint = [], [], []
    for run in range(runs + 2):  # the first two warm both up and are not counted
        b_time = bare_swap(app, view, reported, MARKERS[run % 2])
        raf, paint = version_swap(app, pane, session, (a, b)[run % 2], rafs)
        wait(app, 0.1)
        if run >= 2:
            bare.append(b_time)
            to_raf.append(raf)
            to_paint.append(paint)
    ms = [statistics.median(x) * 1000 for x in (bare, to_raf, to_paint)]
    print(
        f"  small game, {runs} swaps each, alternating: bare QtWebEngine swap (setHtml -> first "
        f"rAF) {ms[0]:.0f} ms median (min {min(bare) * 1000:.0f}); Preview swap (show_version "
        f"-> first rAF) {ms[1]:.0f} ms (min {min(to_raf) * 1000:.0f}); -> first paint reported "
        f"{ms[2]:.0f} ms (min {min(to_paint) * 1000:.0f})"
    )
    print(f"version swap: {ms[1] / ms[0]:.2f}x the bare swap")
    print(f"version swap to the reported first paint: {ms[2] / ms[0]:.2f}x the bare swap")
    view.close()
    view.deleteLater()
    session.close()


def large_seen_before(app, pane, session, tmp: Path, runs: int, rafs: list[float]) -> None:
    """The large game's swap to a version shown once already in this session."""
    from studio.core.store import Project

    project = Project.create(tmp / "large-seen")
    a = project.commit(large_game(MARKERS[0]), parent=None, kind="manual").id
    b = project.commit(large_game(MARKERS[1]), parent=a, kind="manual").id
    rafs.clear()
    session.open(project)  # shows b, its first time
    wait(app, 10.0, lambda: bool(rafs))
    first = version_swap(app, pane, session, a, rafs)
    swaps = [version_swap(app, pane, session, (b, a)[run % 2], rafs) for run in range(runs)]
    to_raf, to_paint = [s[0] for s in swaps], [s[1] for s in swaps]
    print(
        f"  large game, a version shown before in this session ({runs} swaps): to its first "
        f"rAF {statistics.median(to_raf) * 1000:.0f} ms median (min {min(to_raf) * 1000:.0f}), "
        f"to its first paint reported {statistics.median(to_paint) * 1000:.0f} ms (min "
        f"{min(to_paint) * 1000:.0f}); its first time: {first[0] * 1000:.0f} / "
        f"{first[1] * 1000:.0f} ms"
    )
    session.close()


def rss_mib(pid: int) -> float | None:
    from studio.sandbox.watchdog import process_rss

    rss = process_rss(pid) if pid > 0 else None
    return None if rss is None else rss / (1 << 20)


def wait(app, seconds: float, until=None) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        if until is not None and until():
            return True
        time.sleep(0.002)
    return False


def marker_shown(pane, marker: tuple[int, int, int]) -> bool:
    image = pane.grab_frame()
    if image.isNull():
        return False
    pixel = image.pixel(image.width() // 2, image.height() // 2) & 0xFFFFFF
    return pixel == (marker[0] << 16 | marker[1] << 8 | marker[2])


def time_to_first_frame(
    app, pane, session, version_id: int, marker: tuple[int, int, int]
) -> tuple[float, float | None]:
    painted: list[float] = []
    pane.first_frame.connect(painted.append)
    session.show_version(version_id)
    start = time.perf_counter()
    pane_shown = None
    deadline = start + 30
    while time.perf_counter() < deadline:
        app.processEvents()
        if marker_shown(pane, marker):
            pane_shown = time.perf_counter() - start
            break
        time.sleep(0.01)
    wait(app, 2.0, lambda: bool(painted))
    pane.first_frame.disconnect(painted.append)
    return (pane_shown if pane_shown is not None else float("nan")), (
        painted[0] if painted else None
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from studio.qt.startup import prepare_environment

    prepare_environment()
    from PySide6.QtWebEngineWidgets import QWebEngineView  # noqa: F401 (before QApplication)
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from studio.config.resources import resource_path
    from studio.core.store import Project
    from studio.core.templates import Template
    from studio.plugins.host import PluginHost
    from studio.ui.preview.preview_pane import PreviewPane
    from studio.ui.session import ProjectSession

    tmp = Path(tempfile.mkdtemp(prefix="bench-preview-"))
    session = ProjectSession(PluginHost())
    pane = PreviewPane(session)
    pane.resize(900, 760)
    pane.show()
    wait(app, 0.5)

    print(f"Preview benchmark ({args.runs} runs each, offscreen, software rendering)")
    from studio.sandbox.page import SandboxPage

    rafs = watch_first_raf(SandboxPage)
    swap_ratio(app, pane, session, tmp, max(args.runs, 11), rafs)
    large_seen_before(app, pane, session, tmp, max(args.runs, 11), rafs)
    for label, make in (("small game", small_game), ("large game", large_game)):
        project = Project.create(tmp / label.split()[0])
        files = make(MARKERS[0])
        a = project.commit(files, parent=None, kind="manual").id
        b = project.commit(make(MARKERS[1]), parent=a, kind="manual").id
        session.open(project)
        wait(app, 3.0, lambda: pane.state == "running")
        grabbed, reported = [], []
        for run in range(args.runs):
            # the head (b) is shown after opening: start with a, so every run navigates
            version, marker = ((a, MARKERS[0]), (b, MARKERS[1]))[run % 2]
            seen, paint = time_to_first_frame(app, pane, session, version, marker)
            grabbed.append(seen)
            if os.environ.get("BENCH_VERBOSE"):
                print(f"    run {run}: v{version} seen {seen * 1000:.0f} ms, paint {paint}")
            if paint is not None:
                reported.append(paint)
        size = sum(len(v) for v in files.values()) / 1e6
        print(
            f"  {label:<18} {size:5.2f} MB  first frame seen (grab): median "
            f"{statistics.median(grabbed) * 1000:6.0f} ms (min {min(grabbed) * 1000:.0f}, max "
            f"{max(grabbed) * 1000:.0f});  page's first paint: median "
            + (f"{statistics.median(reported) * 1000:.0f} ms" if reported else "–")
        )
        session.close()

    idle = Project.create(tmp / "idle")
    idle.commit({"index.html": "<!DOCTYPE html><p>idle</p>"}, parent=None, kind="manual")
    session.open(idle)
    wait(app, 3.0, lambda: pane.state == "running")
    wait(app, 2.0)
    print(f"  renderer RSS, idle page:        {rss_mib(pane.page.renderProcessPid()):6.0f} MiB")
    session.close()

    builtin = PluginHost()
    builtin.load_all(entry_points=False)
    templates = builtin.templates()  # the starter templates, and below, drafts without meta
    root = resource_path("templates")
    named = {t.folder for t in templates}
    templates += [
        Template(d.name, d.name, "", "", d)
        for d in sorted(root.iterdir())
        if d.is_dir() and d not in named and (d / "index.html").is_file()
    ]
    for template in templates:
        project = Project.create(tmp / f"t-{template.name}")
        project.commit(template.files(), parent=None, kind="template")
        session.open(project)
        wait(app, 10.0, lambda: pane.state == "running")
        peak = 0.0
        end = time.monotonic() + 5
        while time.monotonic() < end:
            wait(app, 0.25)
            peak = max(peak, rss_mib(pane.page.renderProcessPid()) or 0)
        now = rss_mib(pane.page.renderProcessPid())
        fps = f"{pane.fps:.0f} fps" if pane.fps is not None else "– fps"
        print(
            f"  renderer RSS, {template.name:<10} running: {now:6.0f} MiB (peak {peak:.0f}), {fps}"
        )
        session.close()
    pane.close()
    pane.deleteLater()
    from PySide6.QtCore import QEvent

    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # pages go before their profile


if __name__ == "__main__":
    main()
