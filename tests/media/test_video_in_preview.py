"""Clips in the real QtWebEngine Preview, and gameplay recorded from it (real ffmpeg)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from studio.config.resources import resource_path
from studio.core import assets
from studio.core.store import Project
from studio.core.templates import Template
from studio.media import make_proxy, probe
from studio.operations.projects import new_project
from studio.plugins.host import PluginHost
from studio.testing.clips import make_test_clip
from studio.ui.preview.preview_pane import PreviewPane
from studio.ui.session import ProjectSession
from tests.qt_asyncio import run_with_qt

REPO = Path(__file__).resolve().parents[2]

VIDEO_PAGE = """<!DOCTYPE html>
<html><body style="margin:0;background:#000">
<video id="clip" src="assets/clip.webm" autoplay muted loop playsinline
       style="width:100%;height:100%"></video>
</body></html>
"""

# An animated page with a frame counter, for recordings.
MOVING_PAGE = """<!DOCTYPE html>
<html><body style="margin:0;background:#102030">
<canvas id="c" width="320" height="240"></canvas>
<script>
const ctx = document.getElementById('c').getContext('2d');
window.frames_drawn = 0;
function frame(t) {
  window.frames_drawn += 1;
  ctx.fillStyle = '#102030'; ctx.fillRect(0, 0, 320, 240);
  ctx.fillStyle = '#ffcc00'; ctx.fillRect((t / 5) % 300, 100, 20, 40);
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
</script>
</body></html>
"""

# As JSON text: arrays do not come back through runJavaScript in this sandbox.
CURRENT_TIME = """(() => { const v = document.querySelector('video');
  return JSON.stringify(v ? [v.currentTime, v.readyState, v.error ? v.error.code : 0] : null);
})()"""


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A WebM (VP9 + Opus) proxy of an H.264 clip, made by studio.media."""
    folder = tmp_path_factory.mktemp("proxy")
    source = make_test_clip(folder / "source.mp4", 3, (320, 180), 25)
    return asyncio.run(make_proxy(source, folder / "clip.webm"))


@pytest.fixture
def preview(qtbot) -> Iterator[Callable[[Project], PreviewPane]]:
    made: list[tuple[ProjectSession, PreviewPane]] = []

    def make(project: Project) -> PreviewPane:
        host = PluginHost()
        session = ProjectSession(host)
        pane = PreviewPane(session)
        pane.resize(480, 360)
        pane.show()
        qtbot.waitExposed(pane)
        session.open(project)
        made.append((session, pane))
        return pane

    yield make
    for session, pane in made:
        session.close()
        pane.close()
        pane.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qtbot.wait(50)


def js(qtbot, pane: PreviewPane, script: str):
    results: list[object] = []
    pane.page.runJavaScript(script, 0, results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    return results[0]


def wait_playing(qtbot, pane: PreviewPane, timeout: float = 20.0) -> list[float]:
    """Poll the video's currentTime until it has clearly advanced; return the samples."""
    samples: list[float] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = json.loads(js(qtbot, pane, CURRENT_TIME) or "null")
        if isinstance(state, list):
            assert state[2] == 0, f"the video failed to decode (MediaError code {state[2]})"
            samples.append(float(state[0]))
            if len(samples) >= 3 and samples[-1] > samples[0] + 0.3:
                return samples
        qtbot.wait(150)
    pytest.fail(f"the clip did not play: currentTime samples {samples}")


def test_webm_proxy_plays_in_the_preview(qtbot, tmp_path: Path, proxy: Path, preview) -> None:
    info = asyncio.run(probe(proxy))
    assert (info.video_codec, info.audio_codec) == ("vp9", "opus")
    with Project.create(tmp_path / "clip") as project:
        version = project.commit(
            {"index.html": VIDEO_PAGE, "assets/clip.webm": proxy.read_bytes()},
            parent=None,
            kind="manual",
        )
        pane = preview(project)
        pane.show_version(version.id)
        samples = wait_playing(qtbot, pane)
        assert samples == sorted(samples)


def test_template_game_plays_a_clip_from_the_library(
    qtbot, tmp_path: Path, proxy: Path, preview
) -> None:
    """A starter game, a clip added with "Use in game", and the game showing it."""
    folder = resource_path("templates") / "runner"
    template = Template("runner", "Runner", "", "game", folder)
    with new_project(tmp_path / "runner", template) as project:
        clip = asyncio.run(assets.import_video(project, proxy, name="background"))
        assert clip.name == "background.webm"
        added = assets.use_in_game(project, clip.name)
        assert f"assets/{clip.name}" in project.file_hashes(added.id)
        # What the code model would write: the clip as a backdrop behind the game's canvas.
        html = project.read_file(added.id, "index.html").decode()
        backdrop = (
            '<video src="assets/background.webm" autoplay muted loop playsinline '
            'style="position:fixed;right:0;bottom:0;width:160px;z-index:5"></video>'
        )
        edited = html.replace("</body>", backdrop + "\n</body>", 1)
        assert edited != html
        files = project.files(added.id) | {"index.html": edited.encode()}
        version = project.commit(files, parent=added.id, kind="edit")
        assert assets.asset_manifest(project, version.id) == [
            {
                "name": "background.webm",
                "kind": "video",
                "mime": "video/webm",
                "size": project.asset("background.webm").size,
                "duration": clip.duration,
                "width": 320,
                "height": 180,
            }
        ]
        pane = preview(project)
        pane.show_version(version.id)
        wait_playing(qtbot, pane)
        assert js(qtbot, pane, "document.querySelector('canvas') !== null") is True
        assert [e for e in pane.errors() if e.get("kind") == "resource"] == []


def test_recording_the_preview(qtbot, tmp_path: Path, preview, frames_of) -> None:
    from studio.sandbox.recorder import GameRecorder, record_clip

    with Project.create(tmp_path / "moving") as project:
        version = project.commit({"index.html": MOVING_PAGE}, parent=None, kind="manual")
        pane = preview(project)
        pane.show_version(version.id)
        qtbot.waitUntil(lambda: (js(qtbot, pane, "window.frames_drawn") or 0) > 10, timeout=20000)

        recorder = GameRecorder(pane.grab_frame, fps=30)
        states: list[str] = []
        recorder.state_changed.connect(states.append)

        async def scenario():
            recording = await recorder.record(2.0, tmp_path / "rec.mp4")
            clip = await record_clip(project, pane.grab_frame, 1.0, version_id=version.id)
            return recording, clip

        recording, clip = run_with_qt(scenario())

        assert states == ["recording", "encoding", "done"]
        assert recording.frames == 60 and recording.seconds == 2.0
        assert not recording.stopped_early
        assert recording.grabs >= 30  # most frames are real grabs, not repeats
        info = asyncio.run(probe(recording.path))
        assert info.video_codec == "h264"
        assert info.duration == pytest.approx(2.0, abs=0.1)
        assert info.fps == pytest.approx(30)
        width, height = pane.grab_frame().size().toTuple()
        assert info.size == (width - width % 2, height - height % 2)  # yuv420p needs even sides
        assert frames_of(recording.path) == 60

        assert clip.source == "recorded" and clip.name == f"gameplay-v{version.id}.webm"
        assert clip.duration == pytest.approx(1.0, abs=0.1)
        assert project.asset(clip.original).mime == "video/mp4"
        export = asyncio.run(assets.export_clip(project, clip.name, tmp_path / "shared.gif"))
        assert export.read_bytes()[:6] == b"GIF89a"
        mp4 = asyncio.run(assets.export_clip(project, clip.name, tmp_path / "shared.mp4"))
        assert asyncio.run(probe(mp4)).video_codec == "h264"


def test_record_command(tmp_path: Path) -> None:
    """`studio record` in a real process: offscreen, the file ffmpeg reads back."""
    with Project.create(tmp_path / "cli") as project:
        project.commit({"index.html": MOVING_PAGE}, parent=None, kind="manual")
        path = project.path
    out = tmp_path / "gameplay.webm"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "studio",
            "record",
            str(path),
            "--seconds",
            "1.5",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "recorded 1.5 s of version 1 (45 frames)" in run.stdout
    info = asyncio.run(probe(out))
    assert info.video_codec == "vp9"
    assert info.duration == pytest.approx(1.5, abs=0.1)

    bad = subprocess.run(
        [sys.executable, "-m", "studio", "record", str(path), "--seconds", "1", "--out", "x.avi"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        "studio: error: --out must end in .mp4, .webm or .gif, not 'x.avi'"
    ]
