"""`studio knobs` and `studio generate --image` (issue 17) as real processes, against the
scripted chat server on 127.0.0.1 through the real `openai` client."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from studio.ai.knobs import declared_knobs
from studio.core.store import Project
from studio.core.templates import Template
from studio.operations.projects import new_project
from tests.ai.chat_server import TEST_API_KEY, ChatServer, Scripted
from tests.gallery import gallery_templates

REPO = Path(__file__).resolve().parents[1]
EDIT = (
    'Bigger.\n<edit path="index.html">\n<<<<<<< SEARCH\n<h1>Hi</h1>\n=======\n'
    "<h1>Hello</h1>\n>>>>>>> REPLACE\n</edit>\n"
)


def run(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env.update(
        STUDIO_CONFIG_DIR=str(tmp_path / "config"),
        PYTHONPATH=str(REPO),
        STUDIO_TEST_KEY=TEST_API_KEY,
        QT_QPA_PLATFORM="offscreen",
    )
    command = [sys.executable, "-m", "studio", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, env=env)


def template(name: str) -> Template:
    return next(t for t in gallery_templates() if t.name == name)


@pytest.fixture
def runner(tmp_path: Path) -> Path:
    with new_project(tmp_path / "runner", template("runner")) as project:
        return project.path


def test_knobs_lists_a_versions_knobs_one_a_line(tmp_path: Path, runner: Path) -> None:
    done = run(tmp_path, "knobs", runner)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "gravity 2300 800..5000 Gravity",
        "jump 760 300..1400 Jump strength",
        "doubleJump true false..true Double jump",
        "startSpeed 270 100..600 Start speed",
        "maxSpeed 660 300..1200 Top speed",
        "speedUp 7 0..30 Speed-up per second",
    ]


def test_knobs_set_shows_the_diff_and_keep_makes_a_version(tmp_path: Path, runner: Path) -> None:
    shown = run(tmp_path, "knobs", runner, "--set", "gravity=1800", "--set", "doubleJump=off")
    assert shown.returncode == 0, shown.stderr
    assert "-    gravity:    { value: 2300," in shown.stdout
    assert "+    gravity:    { value: 1800," in shown.stdout
    assert "+    doubleJump: { value: false," in shown.stdout
    assert "nothing written" in shown.stderr
    with Project.open(runner) as project:
        assert len(project.versions()) == 1
    kept = run(tmp_path, "knobs", runner, "--set", "gravity=1800", "doubleJump=off", "--keep")
    assert kept.returncode == 0, kept.stderr
    assert kept.stdout.strip() == "version 2"
    assert "Knobs: gravity 2300 → 1800, doubleJump true → false (on version 1)" in kept.stderr
    with Project.open(runner) as project:
        version = project.version(2)
        assert (version.parent, version.kind, project.head) == (1, "edit", 2)
        assert version.meta["knobs"] == {"gravity": 1800, "doubleJump": False}
        text = project.read_file(2, "index.html").decode()
    knobs = {d.knob.name: d.knob.value for d in declared_knobs({"index.html": text})}
    assert knobs["gravity"] == 1800 and knobs["doubleJump"] is False
    listed = run(tmp_path, "knobs", runner, "--version", "1").stdout.splitlines()
    assert listed[0] == "gravity 2300 800..5000 Gravity"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--set", "speed=3", "--keep"), "declares no knob 'speed' (its knobs: gravity, jump,"),
        (("--set", "gravity=99999", "--keep"), "gravity goes from 800 to 5000, not 99999"),
        (("--set", "gravity", "--keep"), "--set takes NAME=VALUE"),
        (("--keep",), "--keep writes the values given with --set"),
    ],
)
def test_knobs_refuses_what_it_cannot_do_in_one_line(tmp_path, runner, args, words) -> None:
    done = run(tmp_path, "knobs", runner, *args)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("studio: error: ")
    assert words in done.stderr
    with Project.open(runner) as project:
        assert len(project.versions()) == 1


def test_a_declaration_that_is_gone_is_refused(tmp_path: Path) -> None:
    with Project.create(tmp_path / "g") as project:
        project.commit({"index.html": "<h1>no knobs</h1>"}, parent=None, kind="import")
        path = project.path
    done = run(tmp_path, "knobs", path)
    assert done.returncode == 0 and done.stdout == ""
    assert "declares no knobs" in done.stderr


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer(models=("gpt-4.1-mini", "test-model")) as server:
        yield server


@pytest.fixture
def small_game(tmp_path: Path) -> Path:
    with Project.create(tmp_path / "small") as project:
        project.commit({"index.html": "<h1>Hi</h1>\n"}, parent=None, kind="import")
        return project.path


def picture_file(tmp_path: Path, name: str, size: tuple[int, int]) -> Path:
    path = tmp_path / name
    Image.new("RGB", size, "#2277dd").save(path)
    return path


def generate(tmp_path, server, game, model, *args) -> subprocess.CompletedProcess[str]:
    return run(
        tmp_path, "generate", game, "make it like my sketch", "--base-url", server.base_url,
        "--model", model, "--api-key-env", "STUDIO_TEST_KEY", *args,
    )  # fmt: skip


def test_generate_sends_pictures_as_image_parts(tmp_path, server, small_game) -> None:
    server.script(Scripted.text(EDIT))
    sketch = picture_file(tmp_path, "sketch.png", (1600, 1200))
    shot = picture_file(tmp_path, "shot.jpg", (300, 200))
    done = generate(
        tmp_path, server, small_game, "gpt-4.1-mini", "--image", sketch, "--image", shot
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "version 2"
    content = server.chat_requests[0].body["messages"][-1]["content"]
    assert [p["type"] for p in content] == ["text", "image_url", "image_url"]
    assert "Picture 1: a picture the person gave (sketch.png)" in content[0]["text"]
    assert "Picture 2: a picture the person gave (shot.jpg)" in content[0]["text"]
    sizes = []
    for part in content[1:]:
        header, data = part["image_url"]["url"].split(",", 1)
        assert header in ("data:image/png;base64", "data:image/jpeg;base64")
        with Image.open(io.BytesIO(base64.b64decode(data))) as sent:
            sizes.append(sent.size)
    assert sizes == [(1024, 768), (300, 200)]  # fitted to 1024 px, never enlarged
    assert "in +" in done.stderr and "out tokens" in done.stderr  # what the answer took


def test_a_text_only_model_gets_a_clear_message_and_no_request(tmp_path, server, small_game):
    sketch = picture_file(tmp_path, "sketch.png", (200, 200))
    done = generate(tmp_path, server, small_game, "test-model", "--image", sketch)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("studio: error: test-model takes text only"), last
    assert "sketch.png was not sent" in last and "Reads images" in last
    assert server.chat_requests == []


def test_a_file_that_is_not_a_picture_is_refused_before_anything_is_sent(
    tmp_path, server, small_game
) -> None:
    fake = tmp_path / "notes.png"
    fake.write_text("not a picture")
    done = generate(tmp_path, server, small_game, "gpt-4.1-mini", "--image", fake)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "notes.png is not a picture Studio can read" in done.stderr
    missing = generate(tmp_path, server, small_game, "gpt-4.1-mini", "--image", tmp_path / "x.png")
    assert "cannot read" in missing.stderr and "Traceback" not in missing.stderr
    assert server.chat_requests == []
