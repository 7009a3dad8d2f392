"""Start-up and opening big projects, measured the way a person meets them.

1. Start-up to a game playing: `run_app` in a fresh process (the app restores the last
   project, made from a template), timed from just before the process starts to the first
   frame in the Preview that is not one flat colour. Several runs; the median counts.
   Marks: imports_done (create_window starts), window_built (window made, plugins loaded,
   last project open), shown, first_frame, process_total (closed and exited).
2. Opening a project with 1,000 versions: from `open_path` until History lists all of them,
   and a Run (save an edit as a version) in that project, History refreshed.

Run: python benchmarks/bench_startup.py [--runs 5] [--template runner]
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The child: the app's own start-up, plus a watcher that reports the first non-blank frame.
CHILD = r"""
import sys, time
import studio.app as app_module
from PySide6.QtCore import QTimer

original = app_module.create_window
marks = {}

def colours(image, step=16):
    return len({image.pixel(x, y) for y in range(step // 2, image.height(), step)
                for x in range(step // 2, image.width(), step)})

def create_window(app, project):
    marks["created"] = time.time()  # imports done; create_window starts
    window = original(app, project)
    marks["ready"] = time.time()
    view = window.preview.view
    timer = QTimer(window, interval=20)

    def watch():
        if "shown" not in marks and window.isVisible():
            marks["shown"] = time.time()
        image = view.grab().toImage()
        if not image.isNull() and image.width() > 50 and colours(image) >= 8:
            marks["frame"] = time.time()
            marks["cpu"] = time.process_time()  # the app process's own CPU, load-independent
            timer.stop()
            print("MARKS", __import__("json").dumps(marks), flush=True)
            QTimer.singleShot(200, window.close)

    timer.timeout.connect(watch)
    timer.start()
    QTimer.singleShot(60_000, window.close)
    return window

app_module.create_window = create_window
sys.exit(app_module.run_app(None))
"""


def make_template_project(folder: Path, template_name: str) -> Path:
    from studio.operations.projects import new_project
    from studio.plugins.host import PluginHost

    host = PluginHost()
    host.load_all()
    names = [t.name for t in host.templates()]
    if template_name not in names:
        raise SystemExit(f"template {template_name!r} not registered (found: {names or 'none'})")
    with new_project(folder / "game", host.template(template_name)) as project:
        return project.path


def start_up_runs(runs: int, template: str) -> list[dict[str, float]]:
    results = []
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as tmp:
        tmp_path = Path(tmp)
        project = make_template_project(tmp_path, template)
        config = tmp_path / "config"
        config.mkdir()
        (config / "settings.json").write_text(json.dumps({"last_project": str(project)}))
        env = dict(os.environ, STUDIO_CONFIG_DIR=str(config), PYTHONPATH=str(ROOT))
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        for run in range(runs):
            start = time.time()
            proc = subprocess.run(
                [sys.executable, "-c", CHILD],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            end = time.time()
            line = next((x for x in proc.stdout.splitlines() if x.startswith("MARKS ")), None)
            if proc.returncode != 0 or line is None:
                raise SystemExit(f"run {run}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
            marks = json.loads(line[6:])
            results.append(
                {
                    "imports_done": marks["created"] - start,
                    "window_built": marks["ready"] - start,
                    "shown": marks["shown"] - start,
                    "first_frame": marks["frame"] - start,
                    "process_total": end - start,
                    "cpu_to_first_frame": marks["cpu"],
                }
            )
            print(
                f"  run {run + 1}: window shown {results[-1]['shown']:.2f} s, first frame "
                f"{results[-1]['first_frame']:.2f} s, process exited {end - start:.2f} s"
            )
    return results


def big_project(folder: Path, versions: int) -> Path:
    """A project of `versions` versions: a main line of edits with a fork every 50."""
    from studio.core.store import Project

    page = (ROOT / "resources" / "templates" / "runner" / "index.html").read_text()
    project = Project.create(folder / "big")
    parent = None
    for n in range(versions):
        if n and n % 50 == 0:  # a fork from ten versions back
            parent = max(1, n - 10)
        body = page.replace("<title>", f"<title>v{n} ", 1)
        v = project.commit(
            {"index.html": body, "notes.txt": f"version {n}\n"},
            parent=parent,
            kind="manual" if n else "template",
            prompt=f"make it better, take {n}" if n % 3 == 0 else None,
        )
        parent = v.id
    path = project.path
    project.close()
    return path


def open_big_project(versions: int) -> dict[str, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as tmp:
        tmp_path = Path(tmp)
        os.environ["STUDIO_CONFIG_DIR"] = str(tmp_path / "config")
        from studio.qt.startup import prepare_environment

        prepare_environment()
        from PySide6.QtWidgets import QApplication

        from studio.config.settings import Settings
        from studio.plugins.host import PluginHost
        from studio.ui.main_window import MainWindow

        app = QApplication.instance() or QApplication([])
        t = time.perf_counter()
        path = big_project(tmp_path, versions)
        made = time.perf_counter() - t
        host = PluginHost()
        host.load_all()
        window = MainWindow(host, Settings(tmp_path / "settings.json"))
        window.show()
        app.processEvents()

        t, cpu = time.perf_counter(), time.thread_time()
        window.open_path(path)
        opened, opened_cpu = time.perf_counter() - t, time.thread_time() - cpu
        tree = window.code.history.tree
        assert tree.topLevelItemCount() == versions, tree.topLevelItemCount()
        t = time.perf_counter()
        app.processEvents()
        painted = time.perf_counter() - t

        t = time.perf_counter()
        window.code.history.refresh()  # History's own share of the opening
        refresh = time.perf_counter() - t

        editor = window.code.editor
        editor.setPlainText(editor.toPlainText().replace("<title>", "<title>edited ", 1))
        t = time.perf_counter()
        window.code.run()
        run = time.perf_counter() - t
        assert tree.topLevelItemCount() == versions + 1

        t = time.perf_counter()
        window.session.show_version(versions // 2)
        show = time.perf_counter() - t
        window.close()
        window.deleteLater()
        app.processEvents()
    return {
        "make_project_s": made,
        "open_until_history_filled_s": opened,
        "open_cpu_s": opened_cpu,
        "first_paint_after_open_s": painted,
        "history_refresh_alone_s": refresh,
        "run_with_history_refresh_s": run,
        "show_other_version_s": show,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--template", default="runner")
    parser.add_argument("--versions", type=int, default=1000)
    args = parser.parse_args()

    print(f"Start-up to a playing template ({args.template}), {args.runs} runs:")
    runs = start_up_runs(args.runs, args.template)
    keys = ("imports_done", "window_built", "shown", "first_frame", "process_total")
    for key in (*keys, "cpu_to_first_frame"):
        values = [r[key] for r in runs]
        print(f"  {key:<14} median {statistics.median(values):.2f} s  (min {min(values):.2f})")

    print(f"Project with {args.versions} versions:")
    for key, value in open_big_project(args.versions).items():
        print(f"  {key:<30} {value * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
