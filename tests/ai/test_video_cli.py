"""`studio video`, `studio jobs`, `studio assets` and `studio use-asset` as real processes
against the local Videos API server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.core.store import Project
from tests.ai.video_server import VideoServer, server_clip

REPO = Path(__file__).resolve().parents[2]
KEY = "sk-test-cli-SECRET-a71f"
PNG = b"\x89PNG\r\n\x1a\n" + b"\2" * 40


@pytest.fixture
def server() -> Iterator[VideoServer]:
    with VideoServer(server_clip(), api_key=KEY) as server:
        yield server


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config"
    config.mkdir()
    # Options from the settings file reach the provider (the key never comes from there).
    settings = {"video_providers": {"openai": {"max_retries": 0, "api_key": "not-this-one"}}}
    (config / "settings.json").write_text(json.dumps(settings))
    return {**os.environ, "STUDIO_CONFIG_DIR": str(config), "OPENAI_API_KEY": KEY}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    with Project.create(tmp_path / "game") as project:
        project.commit({"index.html": "<canvas></canvas>"}, parent=None, kind="manual")
        return project.path


def studio(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )


def one_error(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 1, run.stdout
    assert "Traceback" not in run.stderr, run.stderr
    # Log lines of other plugins (a template pack being written, say) are not ours to judge.
    lines = [ln for ln in run.stderr.splitlines() if not ln.startswith(("ERROR ", "WARNING "))]
    assert len(lines) == 1 and lines[0].startswith("studio: error: "), run.stderr
    return lines[0].removeprefix("studio: error: ")


def test_video_waits_prints_progress_and_adds_the_clip(
    env: dict[str, str], project: Path, server: VideoServer, tmp_path: Path
) -> None:
    image = tmp_path / "start.png"
    image.write_bytes(PNG)
    run = studio(
        env,
        "video",
        str(project),
        "A paper boat on a river",
        "--seconds",
        "8",
        "--size",
        "1280x720",
        "--image",
        str(image),
        "--model",
        "gateway-video",
        "--base-url",
        server.base_url,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "job 1: waiting to start"
    assert "job 1: generating 50%" in lines
    assert any(line.startswith("job 1: preparing clip") for line in lines)
    # A gateway's own model has no price Studio knows: said before and after.
    assert "job 1: queued with openai (price unknown)" in lines
    assert lines[-2] == (
        "added clip a-paper-boat-on-a-river.webm (1.0 s, 256x144, "
        "original a-paper-boat-on-a-river.mp4, thumbnail a-paper-boat-on-a-river.jpg)"
    )
    assert lines[-1].startswith("cost: no price known for this provider")
    create = server.calls("POST")[0]
    assert create.headers["authorization"] == f"Bearer {KEY}"
    assert create.fields["model"] == "gateway-video"
    assert (create.fields["seconds"], create.fields["size"]) == ("8", "1280x720")
    assert create.fields["input_reference"]["data"] == PNG
    assert KEY not in run.stdout + run.stderr

    listing = studio(env, "assets", str(project))
    assert listing.returncode == 0, listing.stderr
    rows = listing.stdout.splitlines()
    assert len(rows) == 3
    proxy = next(r for r in rows if r.startswith("a-paper-boat-on-a-river.webm"))
    assert "video" in proxy and "1.0 s" in proxy and "256x144" in proxy
    assert proxy.endswith("clip (generated): A paper boat on a river")

    used = studio(env, "use-asset", str(project), "a-paper-boat-on-a-river.mp4")
    assert used.stdout.strip() == "version 2: added assets/a-paper-boat-on-a-river.webm"
    manifest = json.loads(studio(env, "assets", str(project), "--json").stdout)
    assert manifest["game"] == manifest["library"]
    assert manifest["game"][0]["name"] == "a-paper-boat-on-a-river.webm"
    assert set(manifest["game"][0]) == {
        "name",
        "kind",
        "mime",
        "size",
        "duration",
        "width",
        "height",
    }

    jobs = studio(env, "jobs", str(project))
    assert jobs.returncode == 0
    assert "done" in jobs.stdout and "A paper boat on a river" in jobs.stdout


def test_video_failures_are_one_line(
    env: dict[str, str], project: Path, server: VideoServer
) -> None:
    url = ["--base-url", server.base_url]
    assert one_error(studio(env, "video", str(project), "something violent", *url)) == (
        "The service refused the prompt: Your request was blocked by our moderation system."
    )
    assert one_error(studio(env, "video", str(project), "a castle [fail]", *url)) == (
        "The video failed on the service: The renderer ran out of memory (video_generation_failed)."
    )
    server.expired = True
    assert "has expired" in one_error(studio(env, "video", str(project), "a cat", *url))
    server.expired = False

    unreachable = one_error(
        studio(env, "video", str(project), "a cat", "--base-url", "http://127.0.0.1:9/v1")
    )
    assert unreachable.startswith("Cannot reach the video service at 127.0.0.1:9")
    wrong_env = {**env, "OPENAI_API_KEY": "sk-wrong-1234567"}
    wrong = one_error(studio(wrong_env, "video", str(project), "a", *url))
    assert "refused the API key (401)" in wrong and "sk-wrong" not in wrong

    with Project.open(project) as opened:
        statuses = [j.status for j in opened.jobs()]
    assert statuses == ["failed"] * 5  # every failure kept, with its message


def test_bad_arguments_in_process(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from studio.cli import main

    monkeypatch.setenv("OPENAI_API_KEY", KEY)

    def error(*args: str) -> str:
        assert main(list(args)) == 1
        return capsys.readouterr().err.strip().splitlines()[-1]

    assert error("video", str(project), "a", "--size", "big") == (
        "studio: error: --size must look like 1280x720, not 'big'"
    )
    assert error("video", str(project), "a", "--provider", "nope").startswith(
        "studio: error: no video provider named 'nope'"
    )
    assert error("video", "/nowhere/x", "a").endswith("does not exist or is not a folder")
    assert error("video", str(project), "a", "--image", "/nowhere.png").startswith(
        "studio: error: cannot read /nowhere.png"
    )
    assert error("use-asset", str(project), "nothing.webm") == (
        "studio: error: no asset named nothing.webm"
    )
    assert main(["assets", str(project)]) == 0
    assert capsys.readouterr().out == "no assets\n"


def test_options_the_model_does_not_take_are_refused_before_anything_is_sent(
    env: dict[str, str], project: Path, server: VideoServer, tmp_path: Path
) -> None:
    picture = tmp_path / "mara.png"
    picture.write_bytes(PNG)
    base = ["video", str(project), "a cat", "--base-url", server.base_url, "--model", "sora-2"]
    refused = {
        ("--aspect", "16:9"): "takes a size in pixels (1280x720, 720x1280, 1792x1024 or "
        "1024x1792), not an aspect ratio.",
        ("--seconds", "5"): "makes clips of 4, 8 or 12 s, not 5 s.",
        ("--ref", str(picture), str(picture)): "takes no reference pictures.",
        ("--last-frame", str(picture)): "cannot end on a given picture (a last frame).",
        ("--audio",): "makes no sound: turn audio off.",
        ("--seed", "7"): "takes no seed.",
        ("--negative", "blur"): "takes no negative prompt.",
    }
    for flags, words in refused.items():
        assert one_error(studio(env, *base, *flags)) == f"openai (sora-2) {words}", flags
    assert one_error(studio(env, *base, "--last-frame", str(tmp_path / "none.png"))).startswith(
        f"cannot read {tmp_path / 'none.png'} (--last-frame)"
    )
    assert server.calls("POST") == []  # nothing was sent, nothing paid
    with Project.open(project) as opened:
        assert opened.jobs() == []
