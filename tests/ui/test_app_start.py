"""Start-up as a person runs it, in a subprocess: `python -m studio --version`, and the real
`run_app` showing a window with a game playing, closing cleanly with no renderer left behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studio import __version__
from studio.operations.projects import new_project

ROOT = Path(__file__).resolve().parents[2]

# Runs the app's own start-up; closes the window once the game has loaded and played a while.
START_AND_CLOSE = """
import sys
import studio.app as app_module
from PySide6.QtCore import QTimer

original = app_module.create_window

def create_window(app, project):
    window = original(app, project)
    view = window.preview.view

    def loaded(ok):
        print("LOADED", ok, view.url().toString(), flush=True)
        QTimer.singleShot(1000, window.close)

    view.loadFinished.connect(loaded)
    QTimer.singleShot(0, lambda: print("SHOWN", window.isVisible(), flush=True))
    QTimer.singleShot(40_000, lambda: (print("TIMEOUT", flush=True), window.close()))
    return window

app_module.create_window = create_window
code = app_module.run_app(sys.argv[1] and __import__("pathlib").Path(sys.argv[1]) or None)
print("EXIT", code, flush=True)
sys.exit(code)
"""


def app_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        STUDIO_CONFIG_DIR=str(tmp_path / "config"),
        STUDIO_PROJECTS_DIR=str(tmp_path / "projects"),
        PYTHONPATH=str(ROOT),
    )
    return env


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, state) of a live process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), fields[0]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def descendants(root: int) -> dict[int, str]:
    """Every live process below `root`, with its command line."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            parents[int(entry)] = stat[0]
    found: dict[int, str] = {}
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found.keys()
        found.update({pid: _cmdline(pid) for pid in frontier})
    return found


def alive(pid: int, cmdline: str) -> bool:
    stat = _stat(pid)
    # A zombie is dead; a recycled pid is another process.
    return stat is not None and stat[1] != "Z" and _cmdline(pid) == cmdline


def test_version_flag():
    result = subprocess.run(
        [sys.executable, "-m", "studio", "--version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"studio {__version__}"
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_real_start_up_shows_a_game_and_exits_cleanly(tmp_path, probe_template):
    with new_project(tmp_path / "game", probe_template) as project:
        path = project.path
    proc = subprocess.Popen(
        [sys.executable, "-c", START_AND_CLOSE, str(path)],
        cwd=ROOT,
        env=app_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: dict[int, str] = {}
    deadline = time.monotonic() + 90
    while proc.poll() is None and time.monotonic() < deadline:
        # A process exiting reads as an empty command line (a zombie has none): what it
        # was is kept from an earlier look (failed CI once when the last look was then).
        seen.update({pid: cmd for pid, cmd in descendants(proc.pid).items() if cmd})
        time.sleep(0.1)
    if proc.poll() is None:
        proc.kill()
    out, err = proc.communicate(timeout=30)

    assert proc.returncode == 0, f"exit {proc.returncode}\n{out}\n{err}"
    assert "Traceback" not in err and "Fatal Python error" not in err, err
    lines = out.splitlines()
    assert "SHOWN True" in lines, out
    assert any(line.startswith("LOADED True studio://") for line in lines), out
    assert "TIMEOUT" not in lines
    assert lines[-1] == "EXIT 0"

    renderers = {pid: cmd for pid, cmd in seen.items() if "QtWebEngineProcess" in cmd}
    assert renderers, "no QtWebEngineProcess was seen: the Preview did not start"
    time.sleep(0.5)
    left = [pid for pid, cmd in renderers.items() if alive(pid, cmd)]
    for _ in range(50):
        if not left:
            break
        time.sleep(0.1)
        left = [pid for pid in left if alive(pid, renderers[pid])]
    assert not left, f"QtWebEngineProcess left running after exit: {left}"


# Which heavy libraries the first screen has loaded once the game plays, and then whether
# writing a prompt loads the model client (off the GUI thread) before Generate is pressed.
START_AND_WRITE = """
import sys
import studio.app as app_module
from PySide6.QtCore import QTimer

original = app_module.create_window
HEAVY = ("openai", "cv2", "numpy", "PIL")

def create_window(app, project):
    window = original(app, project)

    def loaded(ok):
        print("AT START", [m for m in HEAVY if m in sys.modules], flush=True)
        window.chat.prompt.setPlainText("make it faster")
        poll.start()

    def wait_for_client():
        if "studio.ai.chat_provider" in sys.modules:
            poll.stop()
            print("WRITING LOADED openai", flush=True)
            window.close()

    poll = QTimer(window, interval=50)
    poll.timeout.connect(wait_for_client)
    window.preview.view.loadFinished.connect(loaded)
    QTimer.singleShot(40_000, lambda: (print("TIMEOUT", flush=True), window.close()))
    return window

app_module.create_window = create_window
sys.exit(app_module.run_app(__import__("pathlib").Path(sys.argv[1])))
"""


def test_the_first_screen_loads_no_model_client_or_picture_library(tmp_path, probe_template):
    """Playing a game needs neither the `openai` client (~50 MiB) nor OpenCV, NumPy or
    Pillow; writing a prompt loads the client, so the first Generate is not held up."""
    with new_project(tmp_path / "game", probe_template) as project:
        path = project.path
    result = subprocess.run(
        [sys.executable, "-c", START_AND_WRITE, str(path)],
        cwd=ROOT,
        env=app_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    lines = result.stdout.splitlines()
    assert "AT START []" in lines, result.stdout
    assert "WRITING LOADED openai" in lines, result.stdout
