"""The pytest fixtures Studio gives plugin authors, used as an author would: a plugin's own
test suite, in a folder of its own, run by a separate pytest. Its tests of providers
against the local servers are the ones plugins/README.md shows."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.plugins.authoring import run_author_suite, write_readme_files

AUTHOR_PLUGIN = '''
"""A plugin as an author writes it: a template, a video provider that "renders" a clip,
a code provider of its own on the `openai` client, and a video provider for a service that
speaks the OpenAI Videos API (Studio's provider at the service's address)."""
import time
from pathlib import Path

import openai

from studio.ai.providers import ChatDone, TextDelta
from studio.ai.video_openai import create_provider as openai_videos
from studio.ai.video_provider import VideoCapabilities, VideoError, VideoStatus
from studio.core.templates import Template
from studio.testing.clips import make_test_clip
from studio.plugins import hookimpl

STUDIO_API = 1
GAME = Path(__file__).resolve().parent / "my_game"


class ClipMaker:
    capabilities = VideoCapabilities(durations=(1, 2))

    def __init__(self, options):
        self.options = options
        self.jobs = {}

    async def submit(self, request):
        job_id = f"job{len(self.jobs) + 1}"
        self.jobs[job_id] = request
        return job_id

    async def poll(self, remote_id):
        return VideoStatus("completed", 1.0)

    async def download(self, remote_id, variant, dest):
        seconds = self.jobs[remote_id].seconds or 1
        return make_test_clip(dest, seconds, (64, 36))

    async def cancel(self, remote_id):
        pass

    async def remix(self, remote_id, prompt):
        raise VideoError("unsupported", "no remix")

    async def extend(self, remote_id, prompt, seconds):
        raise VideoError("unsupported", "no extend")

    async def aclose(self):
        pass


class MyChat:
    name = "my-chat"

    def __init__(self, options):
        self.client = openai.AsyncOpenAI(
            base_url=options["base_url"], api_key=options["api_key"], max_retries=0
        )

    async def stream_chat(self, messages, *, model, temperature=None, max_tokens=None,
                          on_wait=None):
        started = time.monotonic()
        stream = await self.client.chat.completions.create(
            model=model, messages=messages, stream=True
        )
        finish = None
        async for chunk in stream:
            for choice in chunk.choices:
                if choice.delta.content:
                    yield TextDelta(choice.delta.content)
                finish = choice.finish_reason or finish
        yield ChatDone(finish, None, None, time.monotonic() - started)

    async def list_models(self):
        return [model.id async for model in self.client.models.list()]


def my_videos(options):
    return openai_videos({**options, "name": "my-videos"})


@hookimpl
def register_templates(register):
    register("my-game", Template("my-game", "My game", "", "arcade", GAME))


@hookimpl
def register_code_providers(register):
    register("my-chat", MyChat)


@hookimpl
def register_video_providers(register):
    register("clip-maker", ClipMaker)
    register("my-videos", my_videos)
'''

AUTHOR_TESTS = """
import pytest

import my_plugin


def test_plugin_loads(studio_plugin_host):
    host = studio_plugin_host(my_plugin)
    assert host.plugins["my_plugin"].state == "enabled", host.plugins["my_plugin"].error
    assert host.template("my-game").title == "My game"


def test_project_fixture(studio_project):
    assert studio_project.head is None and studio_project.path.name == "game.studio"


def test_settings_fixture(studio_settings, tmp_path):
    studio_settings.set("disabled_plugins", ["x"])
    assert studio_settings.path.is_relative_to(tmp_path)


def test_provider_through_the_queue(studio_plugin_host, studio_video_jobs):
    host = studio_plugin_host(my_plugin)
    result = studio_video_jobs.run_sync("clip-maker", "a test clip", host=host, seconds=2)
    assert result.ok, result.job.error
    assert result.clip.duration == pytest.approx(2.0, abs=0.1)
    assert result.clip.name.endswith(".webm")


@pytest.mark.asyncio
async def test_provider_object_async(studio_video_jobs):
    result = await studio_video_jobs.run(my_plugin.ClipMaker({}), "object", seconds=1)
    assert result.ok and result.job.provider == "provider-under-test"
"""


@pytest.fixture
def author_project(tmp_path: Path) -> Path:
    folder = tmp_path / "my-plugin"
    (folder / "tests").mkdir(parents=True)
    (folder / "my_game").mkdir()
    (folder / "my_game" / "index.html").write_text("<!DOCTYPE html><title>Mine</title>")
    (folder / "my_game" / "template.json").write_text('{"name": "my-game"}')
    (folder / "my_plugin.py").write_text(textwrap.dedent(AUTHOR_PLUGIN))
    (folder / "tests" / "test_my_plugin.py").write_text(textwrap.dedent(AUTHOR_TESTS))
    write_readme_files(folder, "tests/test_providers.py")  # the server fixtures, as documented
    return folder


def test_the_fixtures_work_in_an_authors_own_test_suite(author_project: Path) -> None:
    done = run_author_suite(author_project, "-p", "studio.testing.fixtures")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "8 passed" in done.stdout


def _declared_pytest11() -> list[importlib.metadata.EntryPoint]:
    return [
        ep
        for ep in importlib.metadata.entry_points(group="pytest11")
        if ep.value == "studio.testing.fixtures"
    ]


@pytest.mark.skipif(
    not _declared_pytest11(),
    reason="Studio's pyproject.toml does not declare the pytest11 entry point yet",
)
def test_the_fixtures_come_with_studio_through_pytest11(author_project: Path) -> None:
    assert all(ep.dist is not None and ep.dist.name == "studio" for ep in _declared_pytest11())
    done = run_author_suite(author_project)  # no -p: the entry point brings them
    assert done.returncode == 0, done.stdout + done.stderr
    assert "8 passed" in done.stdout


def test_the_fixtures_and_servers_never_import_qt() -> None:
    """An author's test run (and a headless CI) must not need a display or PySide6 loaded."""
    code = (
        "import sys\n"
        "import studio.testing.fixtures, studio.testing.servers.chat\n"
        "import studio.testing.servers.video\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')]\n"
        "sys.exit(f'Qt imported: {bad}' if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
