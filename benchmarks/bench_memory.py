"""Memory of the app with a template playing, and what start-up loads.

The app starts in a fresh process (`run_app`, restoring the last project, made from a
template) and plays the game for 5 s after its first frame; then the proportional set size
(PSS: shared pages divided among the processes that share them) of the app process and of
every process below it (QtWebEngine's zygote, GPU and renderer processes) is read from
/proc/PID/smaps_rollup, with the app's RSS. Printed beside it: which heavy packages are in
`sys.modules` at that moment, and the imports that took longest at start (`python -X
importtime`, cumulative, top-level Studio modules and third-party packages).

Run: python benchmarks/bench_memory.py [--runs 3] [--template runner]
Offscreen Qt (QT_QPA_PLATFORM=offscreen) unless a display is set.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

# Packages the first screen (an open project, a game playing) should not need loaded.
HEAVY = ("cv2", "numpy", "PIL", "openai", "pydantic", "rapidfuzz", "cydifflib", "av", "jinja2")

CHILD = r"""
import json, os, sys, time
import studio.app as app_module
from PySide6.QtCore import QTimer

original = app_module.create_window
HEAVY = __HEAVY__

def descendants(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    return found

def rollup(pid):
    values = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if rest.strip().endswith("kB"):
                    values[key] = int(rest.split()[0])
    except OSError:
        pass
    return values

def create_window(app, project):
    window = original(app, project)
    played = []
    window.preview.first_frame.connect(lambda _s: played or played.append(time.time()))

    def measure():
        if not played or time.time() - played[0] < 5:
            return
        timer.stop()
        me = os.getpid()
        pss = {p: rollup(p).get("Pss", 0) for p in descendants(me)}
        report = {
            "app_pss": pss[me], "app_rss": rollup(me).get("Rss", 0),
            "children_pss": sum(v for p, v in pss.items() if p != me),
            "processes": len(pss), "fps": window.preview.fps or 0,
            "heavy": [m for m in HEAVY if m in sys.modules], "modules": len(sys.modules),
        }
        print("MEMORY " + json.dumps(report), flush=True)
        QTimer.singleShot(100, window.close)

    timer = QTimer(window, interval=250)
    timer.timeout.connect(measure)
    timer.start()
    QTimer.singleShot(60_000, window.close)
    return window

app_module.create_window = create_window
sys.exit(app_module.run_app(None))
""".replace("__HEAVY__", repr(HEAVY))


def slowest_imports(stderr: str, top: int) -> list[tuple[float, str]]:
    """(ms, module) of the slowest imports at start: Studio's modules below `studio.` and
    third-party packages, each counted once by its own top-level line."""
    found = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line[12:].split("|"))
        if not cumulative.isdigit():
            continue
        depth = (len(line.split("|")[2]) - len(line.split("|")[2].lstrip())) // 2
        if name.startswith("studio.") or (depth <= 2 and "." not in name):
            found.append((int(cumulative) / 1000, name))
    return sorted(found, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--template", default="runner")
    args = parser.parse_args()
    from bench_startup import make_template_project

    reports, stderr = [], ""
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as tmp:
        tmp_path = Path(tmp)
        project = make_template_project(tmp_path, args.template)
        config = tmp_path / "config"
        config.mkdir()
        (config / "settings.json").write_text(json.dumps({"last_project": str(project)}))
        env = dict(os.environ, STUDIO_CONFIG_DIR=str(config), PYTHONPATH=str(ROOT))
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        for run in range(args.runs):
            flags = ["-X", "importtime"] if run == 0 else []
            proc = subprocess.run(
                [sys.executable, *flags, "-c", CHILD],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            line = next((x for x in proc.stdout.splitlines() if x.startswith("MEMORY ")), None)
            if line is None:
                raise SystemExit(f"run {run}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
            stderr = stderr or proc.stderr
            if run > 0 or args.runs == 1:  # the import-timed run is not counted
                reports.append(json.loads(line[7:]))
    mib = {
        key: statistics.median(r[key] for r in reports) / 1024
        for key in ("app_pss", "children_pss", "app_rss")
    }
    last = reports[-1]
    print(f"App with the {args.template!r} template playing 5 s ({len(reports)} runs, median):")
    print(
        f"  app + renderer PSS {mib['app_pss'] + mib['children_pss']:6.0f} MiB  (app "
        f"{mib['app_pss']:.0f}, its {last['processes'] - 1} QtWebEngine processes "
        f"{mib['children_pss']:.0f}); app RSS {mib['app_rss']:.0f} MiB; {last['fps']:.0f} fps"
    )
    heavy = ", ".join(last["heavy"]) or "none"
    print(f"  Python modules loaded: {last['modules']}; heavy ones: {heavy}")
    print("  slowest imports at start (cumulative ms):")
    for ms, name in slowest_imports(stderr, 15):
        print(f"    {ms:7.1f}  {name}")


if __name__ == "__main__":
    main()
