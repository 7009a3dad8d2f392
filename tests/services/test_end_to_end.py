"""Every video service end to end, each against its local server: `studio video` as a real
process, the Video pane in the real main window up to the clip playing in the game's
`<video>` in QtWebEngine, and story mode's Make clips (`studio clips`) for a two-scene story,
whose game then plays both clips in a headless playtest.
The six service plugins and the built-in OpenAI-compatible /v1/videos gateway provider.

Each server is scripted to finish a job in one or two polls (`Service.quick`), and providers
that pace their own polls are told to poll often (`Service.options`, as a person's
settings.json could). What each SDK sends, and how each service's errors read, are the
services' own tests (tests/services/test_<service>.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from studio.config.resources import resource_path
from studio.core import assets
from studio.core.store import Project
from studio.media import probe
from studio.sandbox.playtest import PlaytestReport, PlaytestRunner
from studio.story.model import dump_story, parse_story
from studio.testing.pictures import png
from studio.ui.main_window import MainWindow
from studio.ui.widgets.provider_combo import choose_name
from tests.qt_asyncio import run_with_qt
from tests.services.conftest import FAST, pointing
from tests.ui import conftest as ui

# The UI tests' main windows (on a private settings file) and the plugin host they load.
host, make_window, open_project = ui.host, ui.make_window, ui.open_project

pytestmark = pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")

START, END, MARA = (
    png(64, 36, (200, 30, 30)),
    png(64, 36, (30, 200, 30)),
    png(32, 32, (250, 200, 0)),
)
PICTURES = {"start.png": START, "end.png": END, "mara.png": MARA}
CLI_PROMPT = "A lighthouse at dusk"
CLI_CLIP = "a-lighthouse-at-dusk"
PANE_PROMPT = "Backdrop of a stormy sea"
PANE_CLIP = "backdrop-of-a-stormy-sea.webm"

# The game of the Video pane's test: it plays the clip once "Use in game" has added it.
GAME = f"""<!DOCTYPE html>
<html><body style="margin:0;background:#000">
<video id="backdrop" src="assets/{PANE_CLIP}" autoplay muted loop playsinline
       style="width:100%;height:100%"></video>
</body></html>
"""
# The page's version (studio://<project>/<version>/...), and its <video>: how far it got and
# its MediaError code (0: none); as JSON text.
VIDEO_STATE = """(() => { const v = document.getElementById('backdrop');
  const version = Number(location.pathname.split('/')[1]);
  return JSON.stringify([version, v.currentTime, v.error ? v.error.code : 0]);
})()"""

# Two scenes; Mara, who has a picture, is in the first.
STORY = {
    "title": "The Last Light",
    "start": "shore",
    "style": "watercolour, teal dusk",
    "cast": [{"name": "Mara", "description": "a keeper in a yellow coat", "picture": "mara.png"}],
    "scenes": [
        {
            "id": "shore",
            "title": "The Dark Tower",
            "text": "A storm rolls in over Gull Point.",
            "prompt": "Mara runs along a rocky shore at dusk",
            "choices": [{"label": "Climb the tower", "next": "tower"}],
        },
        {
            "id": "tower",
            "title": "The Lamp",
            "text": "The great lamp lights again.",
            "prompt": "The lamp room of the lighthouse lights up",
            "ending": True,
        },
    ],
}


@dataclass(frozen=True)
class Service:
    """A service, its local server and what each face should do with it."""

    name: str
    server: str  # the fixture starting its local server
    key_variable: str | None  # where a `studio` process finds the key
    quick: Mapping[str, Any]  # server attributes: a job done in one or two polls
    # `studio video`: flags after the prompt (pictures by file name), the estimate printed
    video: tuple[str, ...]
    video_cost: str
    # The Video pane: the model picked, what the form offers for it, the Generate button
    model: str
    offers: frozenset[str]
    button: str
    # `studio clips`: flags, the plan's total, the continuity recorded for the two scenes
    clips: tuple[str, ...]
    clips_cost: str
    joins: tuple[str | None, str]
    options: Mapping[str, Any] = field(default_factory=dict)  # provider options


QUICK_POLLS = {"poll_interval": 0.02}  # Runway and Luma pace their own polls (default 5 s)

SERVICES = [
    Service(
        "openai",
        "studio_video_server",
        "OPENAI_API_KEY",
        {"steps": 1},
        ("--model", "sora-2", "--seconds", "4", "--size", "1280x720", "--image", "start.png"),
        "about $0.40",
        "sora-2-pro",
        frozenset({"first frame"}),
        "Generate · about $1.20",
        ("--seconds", "4"),
        "about $0.80",
        (None, "extend"),
    ),
    Service(
        "veo",
        "veo_server",
        "GEMINI_API_KEY",
        {"steps": 1},
        (
            *("--seconds", "4", "--aspect", "9:16", "--resolution", "720p"),
            *("--image", "start.png", "--last-frame", "end.png", "--no-audio", "--seed", "7"),
        ),
        "about $0.80",
        "veo-3.1-fast-generate-001",
        frozenset(
            {"first frame", "last frame", "references", "sound", "seed", "negative", "resolution"}
        ),
        "Generate · about $0.48",
        ("--no-audio",),  # no length asked: Veo's own 8 s (which its cast pictures need)
        "about $3.00",
        ("cast", "extend"),
    ),
    Service(
        "fal",
        "fal_server",
        "FAL_KEY",
        {"steps": 0, "queue_ahead": 0},
        ("--model", "fal-ai/veo3.1", "--seconds", "8", "--ref", "mara.png", "--audio"),
        "about $3.20",
        "fal-ai/kling-video/v2.6/pro",
        frozenset({"first frame", "sound", "negative", "seed"}),
        "Generate · about $0.70",
        ("--seconds", "5"),
        "about $0.70",
        (None, "first_frame"),
    ),
    Service(
        "replicate",
        "replicate_server",
        "REPLICATE_API_TOKEN",
        {"steps": 0},
        (
            *("--model", "kwaivgi/kling-v2.1", "--seconds", "5", "--image", "start.png"),
            *("--last-frame", "end.png", "--negative", "blur"),
        ),
        "about $0.25",
        "kwaivgi/kling-v2.5-turbo-pro",
        frozenset({"first frame", "negative"}),
        "Generate · about $0.35",
        ("--seconds", "4", "--no-audio"),
        "about $0.80",
        (None, "first_frame"),
    ),
    Service(
        "runway",
        "runway_server",
        "RUNWAYML_API_SECRET",
        {"steps": 1},
        (
            *("--model", "veo3.1_fast", "--seconds", "4", "--size", "1280x720"),
            *("--image", "start.png", "--last-frame", "end.png", "--no-audio"),
        ),
        "about $0.40",
        "gen4_turbo",
        frozenset({"first frame", "seed"}),
        "Generate · about $0.10",
        (),  # no length asked: the 5 s Runway is sent
        "about $1.20",
        (None, "first_frame"),
        QUICK_POLLS,
    ),
    Service(
        "luma",
        "luma_server",
        "LUMAAI_API_KEY",
        {"steps": 1},
        ("--model", "ray-flash-2", "--seconds", "5", "--aspect", "1:1", "--resolution", "540p"),
        "about $0.14",
        "ray-flash-2",
        frozenset({"resolution"}),
        "Generate · about $0.14",
        ("--seconds", "5"),
        "about $1.42",
        (None, "extend"),
        QUICK_POLLS,
    ),
    Service(
        "comfyui",
        "comfyui_server",
        None,
        {"steps": 1},
        (
            *("--model", "wan2.2-i2v-14b", "--seconds", "2", "--size", "832x480"),
            *("--image", "start.png", "--seed", "3", "--negative", "blur"),
        ),
        "free",
        "wan2.2-i2v-14b",
        frozenset({"first frame", "last frame", "negative", "seed"}),
        "Generate · free",
        ("--seconds", "2"),
        "free",
        (None, "first_frame"),
    ),
]


@pytest.fixture(params=SERVICES, ids=[s.name for s in SERVICES])
def service(request: pytest.FixtureRequest) -> Service:
    return request.param


@pytest.fixture
def server(service: Service, request: pytest.FixtureRequest) -> Any:
    """The service's local server, scripted to finish jobs at once."""
    running = request.getfixturevalue(service.server)
    for name, value in service.quick.items():
        setattr(running, name, value)
    return running


def sent(server: Any, text: str) -> bool:
    """Whether some request the server had carried `text` in its body."""
    return any(text in json.dumps(r.fields, default=repr) for r in server.requests)


# -- `studio video` and `studio clips` as real processes ------------------------------------


def studio(service: Service, server: Any, folder: Path, *args: str) -> list[str]:
    """Run `studio ARGS --provider NAME --base-url URL` in `folder` (where the pictures are)
    with the key where the service's SDK looks for it; its output lines."""
    config = folder / "config"
    config.mkdir(exist_ok=True)
    settings = {"video_providers": {service.name: dict(service.options)}}
    (config / "settings.json").write_text(json.dumps(settings))
    for name, data in PICTURES.items():
        (folder / name).write_bytes(data)
    env = {
        **os.environ,
        "STUDIO_CONFIG_DIR": str(config),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    if service.key_variable:
        env[service.key_variable] = server.api_key
    command = [sys.executable, "-m", "studio", *args]
    command += ["--provider", service.name, "--base-url", server.base_url]
    run = subprocess.run(command, capture_output=True, text=True, cwd=folder, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    if server.api_key:
        assert server.api_key not in run.stdout + run.stderr
    return run.stdout.splitlines() + run.stderr.splitlines()


def test_studio_video_puts_the_clip_in_the_library(
    service: Service, server: Any, tmp_path: Path
) -> None:
    with Project.create(tmp_path / "game") as project:
        project.commit({"index.html": "<canvas></canvas>"}, parent=None, kind="manual")
    lines = studio(
        service, server, tmp_path, "video", str(project.path), CLI_PROMPT, *service.video
    )

    assert f"job 1: queued with {service.name} ({service.video_cost})" in lines
    assert lines.index("job 1: done") < len(lines) - 2
    assert lines[-2] == (
        f"added clip {CLI_CLIP}.webm (1.0 s, 256x144, original {CLI_CLIP}.mp4, "
        f"thumbnail {CLI_CLIP}.jpg)"
    )
    with Project.open(project.path) as project:
        (job,) = project.jobs()
        assert job.status == "completed" and job.provider == service.name
        assert lines[-1].startswith(f"cost ${job.params['cost_usd']:.2f} (")
        (clip,) = assets.clips(project)
        assert (clip.name, clip.original) == (f"{CLI_CLIP}.webm", f"{CLI_CLIP}.mp4")
        assert project.blobs.read(project.asset(clip.original).blob) == server.clip
        proxy = project.blobs.path(project.asset(clip.name).blob)
        assert asyncio.run(probe(proxy)).video_codec in ("vp8", "vp9")
    assert sent(server, CLI_PROMPT)


def test_studio_clips_makes_both_scenes_joined(
    service: Service, server: Any, tmp_path: Path, qtbot
) -> None:
    template = resource_path("templates", "story")
    with Project.create(tmp_path / "tale") as project:
        files = {
            "index.html": (template / "index.html").read_bytes(),
            "story.json": dump_story(STORY),
            "assets/mara.png": MARA,
        }
        project.commit(files, parent=None, kind="manual")
    lines = studio(
        service,
        server,
        tmp_path,
        "clips",
        str(project.path),
        "--continuity",
        "--yes",
        *service.clips,
    )

    assert f"plan: 2 clips with {service.name}: {service.clips_cost}" in lines
    with Project.open(project.path) as project:
        jobs = {job.params["story_scene"]: job for job in project.jobs()}
        assert [jobs[s].status for s in ("shore", "tower")] == ["completed", "completed"]
        joins = tuple(jobs[s].params["continuity"]["method"] for s in ("shore", "tower"))
        assert joins == service.joins
        # Each clip landed as a version of its own: shore's first, then tower's on top.
        clips = {s: jobs[s].result[0] for s in jobs}
        assert f"version 2: shore={clips['shore']}" in lines
        assert f"version 3: tower={clips['tower']}" in lines
        head = project.file_hashes(project.head)
        story = parse_story(project.blobs.read(head["story.json"]))
        assert [scene.clip for scene in story.scenes] == [clips["shore"], clips["tower"]]
        assert all(head[f"assets/{clips[s]}"] == project.asset(clips[s]).blob for s in clips)
        # The story game plays them: shore's clip, then (the key "1" picks the choice)
        # tower's to the end.
        report = playtest(qtbot, project, [{"at": 1.6, "key": "1"}], seconds=3.5)
    assert report.console_errors == [] and report.load_errors == [], report.summary()
    samples = report.state_samples
    assert any(s["scene"] == "shore" and s["mode"] == "video" and s["time"] > 0.3 for s in samples)
    last = samples[-1]
    assert (last["path"], last["mode"], last["ended"]) == (["shore", "tower"], "video", True)
    assert last["time"] > 0.3, samples


def playtest(qtbot, project: Project, inputs: list[dict], seconds: float) -> PlaytestReport:
    """A headless playtest of the project's head in QtWebEngine (as `studio playtest`)."""
    runner = PlaytestRunner(project, None, seconds=seconds, inputs=inputs, viewport=(640, 360))
    with qtbot.waitSignal(runner.finished, timeout=60_000) as done:
        runner.start()
    runner.deleteLater()
    return done.args[0]


# -- the Video pane, up to the clip playing in the game ------------------------------------


def offered(window: MainWindow) -> set[str]:
    """What the Video pane's form offers besides length and shape."""
    form = window.video.form
    shown = {
        "first frame": form.frame_button.isEnabled(),
        "last frame": form.last.isVisibleTo(form),
        "references": form.references.isVisibleTo(form),
        "sound": form.audio_box.isVisibleTo(form),
        "seed": form.seed_box.isVisibleTo(form),
        "negative": form.negative.isVisibleTo(form),
        "resolution": form.resolution_box.isVisibleTo(form),
    }
    return {name for name, on in shown.items() if on}


async def until(check: Callable[[], object], what: str, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def video_state(window: MainWindow, version: int) -> tuple[float, int] | None:
    """The <video> of version `version`'s game: its currentTime and MediaError code (0:
    none); None while the Preview shows another page."""
    answer: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
    window.preview.view.page().runJavaScript(VIDEO_STATE, 0, answer.set_result)
    state = json.loads(await asyncio.wait_for(answer, 10) or "null")
    return (state[1], state[2]) if isinstance(state, list) and state[0] == version else None


async def failed_to_load(window: MainWindow, version: int, timeout: float = 30.0) -> bool:
    """Whether the <video> of version `version`'s game reports a media error."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        state = await video_state(window, version)
        if state is not None and state[1] != 0:
            return True
        await asyncio.sleep(0.1)
    return False


async def playing(window: MainWindow, version: int, timeout: float = 30.0) -> list[float]:
    """Sample the currentTime of the <video> in version `version`'s game until it clearly
    moves on; fail on a media error."""
    times: list[float] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        state = await video_state(window, version)
        if state is not None:
            assert state[1] == 0, f"the game's video failed (MediaError code {state[1]})"
            times.append(state[0])
            if len(times) >= 3 and times[-1] > times[0] + 0.3:
                return times
        await asyncio.sleep(0.1)
    raise AssertionError(f"the clip did not play in the game: currentTime {times}")


def test_video_pane_clip_plays_in_the_game(
    service: Service, server: Any, make_window, tmp_path: Path, qtbot
) -> None:
    with Project.create(tmp_path / "backdrop") as project:
        project.commit({"index.html": GAME}, parent=None, kind="manual")
    window = make_window()
    pane = window.video
    window.session.video_overrides[service.name] = pointing(server) | dict(service.options)

    async def scenario() -> None:
        project = open_project(window, tmp_path / "backdrop")
        await until(lambda: pane.queue is not None, "the project's video queue")
        pane.queue.poll = FAST
        # The game has no clip yet: its <video> finds nothing to play.
        assert await failed_to_load(window, 1)
        choose_name(pane.provider_box, service.name)
        pane.model_box.setCurrentIndex(pane.model_box.findData(service.model))
        assert pane.model_box.currentData() == service.model
        assert offered(window) == service.offers
        pane.seconds_box.setCurrentIndex(0)  # the shortest
        pane.size_box.setCurrentIndex(0)
        assert pane.generate_button.text() == service.button
        pane.prompt.setPlainText(PANE_PROMPT)
        if "first frame" in service.offers:
            pane.form.set_reference(START, "start.png")
        qtbot.mouseClick(pane.generate_button, Qt.MouseButton.LeftButton)
        assert pane.error.isHidden(), pane.error.text()
        (job,) = project.jobs()
        assert job.provider == service.name and job.params["model"] == service.model
        await until(lambda: pane.gallery.count() == 1, "the clip in the library")
        job = project.job(job.id)
        assert job.status == "completed", job.error
        assert pane.selected_name() == PANE_CLIP
        assert sent(server, PANE_PROMPT)

        before = project.head
        qtbot.mouseClick(pane.use_button, Qt.MouseButton.LeftButton)
        assert project.head != before and window.session.shown == project.head
        assert project.file_hashes(project.head)[f"assets/{PANE_CLIP}"] == (
            project.asset(PANE_CLIP).blob
        )
        times = await playing(window, project.head)
        assert times == sorted(times)
        window.session.close()
        await pane.idle()

    run_with_qt(scenario())
