"""The smallest plugin of plugins/README.md, taken from the README as it is: built into a
wheel, installed, found through its entry point, and run; and its own tests pass."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.plugins.host import PluginHost
from studio.testing.fixtures import VideoJobs
from tests.plugins.authoring import run_author_suite, write_readme_files

FILES = (
    "pyproject.toml",
    "studio_hello/__init__.py",
    "studio_hello/pattern.py",
    "tests/test_hello.py",
)


def pip(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", *args, "-q"], capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def hello(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's `studio-hello` folder, with the game files it lists."""
    folder = tmp_path_factory.mktemp("author") / "studio-hello"
    write_readme_files(folder, *FILES)
    game = folder / "studio_hello" / "hello"
    game.mkdir()
    (game / "index.html").write_text("<!DOCTYPE html><title>Hello</title><p>Hello</p>")
    meta = {"name": "hello", "title": "Hello", "description": "The README's game"}
    (game / "template.json").write_text(json.dumps(meta))
    return folder


@pytest.fixture(scope="module")
def wheel(hello: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    pip("wheel", "--no-deps", "-w", str(out), str(hello))
    (found,) = out.glob("studio_hello-*.whl")
    return found


@pytest.fixture
def installed(wheel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The wheel installed into a folder on sys.path, as pip installs it for Studio."""
    site = tmp_path / "site"
    pip("install", "--no-deps", "--target", str(site), str(wheel))
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in [m for m in sys.modules if m.split(".")[0] == "studio_hello"]:
        del sys.modules[name]


def test_the_wheel_holds_the_game_and_the_entry_point(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        (entry_points,) = (n for n in names if n.endswith(".dist-info/entry_points.txt"))
        declared = whl.read(entry_points).decode()
    assert {"studio_hello/hello/index.html", "studio_hello/pattern.py"} <= names
    assert "[studio.plugins]" in declared and "hello = studio_hello" in declared


async def test_studio_finds_and_runs_the_installed_plugin(
    installed: Path, studio_project, tmp_path: Path
) -> None:
    host = PluginHost()
    host.load_all()  # real discovery: importlib.metadata finds the installed distribution
    info = host.plugins["hello"]
    assert info.state == "enabled", info.error
    assert info.version == "0.1.0"
    template = host.template("hello")
    assert template.title == "Hello" and template.folder.is_relative_to(installed)
    assert host.owner("video_providers", "test-pattern") == "hello"

    result = await VideoJobs(studio_project).run("test-pattern", "anything", host=host, seconds=2)
    assert result.ok, result.job.error
    assert result.clip is not None and result.clip.duration == pytest.approx(2, abs=0.1)


def test_the_readme_tests_of_the_plugin_pass(hello: Path) -> None:
    done = run_author_suite(hello, "-p", "studio.testing.fixtures")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
