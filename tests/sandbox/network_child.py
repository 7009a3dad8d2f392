"""Run a project's head in the sandbox in a process of its own, for the no-socket tests.

    python -m tests.sandbox.network_child preview PROJECT [--without-defence]
    python -m tests.sandbox.network_child playtest PROJECT [--without-defence]

Chromium reads its flags once per process, so a test that takes the network defence away
(`studio.qt.startup.SANDBOX_NETWORK_SWITCHES`) does it here, before Qt starts. `preview`
shows the project in the real Preview pane and prints the console lines as JSON; `playtest`
runs the real `studio playtest --json` command.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

SETTLE_SECONDS = 4.0  # after the page's tries: late hints, prerenders, ICE, beacons


def run_preview(path: Path) -> int:
    from studio.qt.startup import prepare_environment

    prepare_environment()
    from PySide6.QtWebEngineWidgets import QWebEngineView  # noqa: F401 (before QApplication)

    from studio.core.store import Project
    from studio.plugins.host import PluginHost
    from studio.qt.collector import application
    from studio.ui.preview.preview_pane import PreviewPane
    from studio.ui.session import ProjectSession

    app = application()
    session = ProjectSession(PluginHost())
    pane = PreviewPane(session)
    messages: list[str] = []
    pane.page.console_entries.connect(lambda entries: messages.extend(e.message for e in entries))
    pane.resize(800, 600)
    pane.show()
    session.open(Project.open(path))
    deadline, settle_until = time.monotonic() + 30, None
    while time.monotonic() < (settle_until or deadline):
        app.processEvents()
        time.sleep(0.01)
        if settle_until is None and any(m.startswith("ATTEMPTED") for m in messages):
            settle_until = time.monotonic() + SETTLE_SECONDS
    print(json.dumps({"state": pane.state, "messages": messages}))
    session.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("face", choices=["preview", "playtest"])
    parser.add_argument("project", type=Path)
    parser.add_argument("--without-defence", action="store_true")
    args = parser.parse_args()
    if args.without_defence:
        from studio.qt import startup

        startup.SANDBOX_NETWORK_SWITCHES = ()
    if args.face == "preview":
        return run_preview(args.project)
    from studio.cli import main as studio

    return studio(["playtest", str(args.project), "--seconds", "6", "--json"])


if __name__ == "__main__":
    sys.exit(main())
