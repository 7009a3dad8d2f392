"""Quitting the app while a clip's submit is on its way (`studio.app.finish_tasks`): the
service's answer, which comes after the app's loop ended, is kept, so the clip is not sent
(and paid for) again at the next start.

It runs in a child process, as the app does: `finish_tasks` runs the qasync loop again,
and its end exits the QApplication, which the tests' own must never do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import asyncio, sys
from pathlib import Path

from studio.qt.startup import prepare_environment

prepare_environment()
import qasync
from PySide6.QtWidgets import QApplication

from studio.app import finish_tasks
from studio.core.store import Project
from studio.plugins.host import PluginHost
from studio.ui.session import ProjectSession
from tests.ai.held_answers import HeldAnswers
from tests.ai.video_server import VideoServer, server_clip

KEY = "sk-test-quit"
app = QApplication(sys.argv[:1])
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)
folder = Path(sys.argv[1])
with VideoServer(server_clip(), api_key=KEY) as server:
    answered = asyncio.Event()
    session = ProjectSession(PluginHost())
    session.video_providers = lambda _name: HeldAnswers(
        answered, base_url=server.base_url, api_key=KEY, max_retries=0
    )

    async def submitted_then_closed() -> int:
        session.open(Project.create(folder))
        job = session.video_queue.generate("openai", "a fox")
        while not server.videos:  # the service has it; Studio has no answer yet
            await asyncio.sleep(0.02)
        session.close()  # the window closed
        loop.call_later(0.3, answered.set)  # the answer comes after the app's loop ended
        return job.id

    with loop:
        job_id = loop.run_until_complete(submitted_then_closed())
        finish_tasks(app, loop, session)
    with Project.open(folder) as again:
        job = again.job(job_id)
        print("RESULT", job.status, job.remote_id, len(server.calls("POST")), flush=True)
"""


def test_quitting_keeps_the_answer_of_a_submit_on_its_way(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", SCRIPT, str(tmp_path / "g")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    results = [line for line in done.stdout.splitlines() if line.startswith("RESULT")]
    assert done.returncode == 0 and results, done.stdout + done.stderr
    assert results[0].split()[1:] == ["submitted", "video_0001", "1"]
