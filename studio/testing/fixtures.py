"""pytest fixtures for plugin authors: installed with Studio as the `pytest11` plugin `studio`.

Available in any test run where Studio is installed (or with `pytest -p studio.testing.fixtures`):

- `studio_settings`: a private settings file (STUDIO_CONFIG_DIR points at a temp folder).
- `studio_project`: an open, empty project in a temp folder, closed afterwards.
- `studio_plugin_host`: `studio_plugin_host(module_or_name, name=...)` returns a PluginHost
  with Studio's built-in plugin and the given module loaded as a plugin, as Studio would
  load it from its entry point; `host.plugins[name]` tells its state and error.
- `studio_video_jobs`: runs a video provider through Studio's real job queue, in a
  project: `await studio_video_jobs.run(provider, "prompt", seconds=2)` (or `run_sync`)
  returns the finished job and its clip (MP4 original, WebM proxy, thumbnail).
- `studio_chat_server`: a scripted OpenAI-compatible chat server on 127.0.0.1
  (`studio.testing.servers.chat.ChatServer`): `script(Scripted.text("..."))`, then point a
  code provider at its `base_url`; it records every request.
- `studio_video_server`: an OpenAI Videos API server on 127.0.0.1
  (`studio.testing.servers.video.VideoServer`) serving a real 1-second MP4; give a video
  provider its `base_url` and `api_key`.
- `studio_image_server`: an OpenAI Images API server on 127.0.0.1
  (`studio.testing.servers.images.ImageServer`) drawing real PNGs; give an image provider
  its `base_url` and `api_key`.

Nothing here imports Qt, and nothing is imported before a fixture is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from studio.ai.video_provider import VideoProvider
    from studio.config.settings import Settings
    from studio.core.assets import Clip
    from studio.core.records import VideoJob
    from studio.core.store import Project
    from studio.plugins.host import PluginHost
    from studio.testing.servers.chat import ChatServer
    from studio.testing.servers.images import ImageServer
    from studio.testing.servers.video import VideoServer

__all__ = [
    "VideoJobResult",
    "VideoJobs",
    "studio_chat_server",
    "studio_image_server",
    "studio_plugin_host",
    "studio_project",
    "studio_settings",
    "studio_video_jobs",
    "studio_video_server",
]


@pytest.fixture
def studio_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings in a fresh folder: nothing the test changes reaches the person's own."""
    from studio.config.settings import FILE_NAME, Settings

    folder = tmp_path / "studio-config"
    folder.mkdir()
    monkeypatch.setenv("STUDIO_CONFIG_DIR", str(folder))
    return Settings(folder / FILE_NAME)


@pytest.fixture
def studio_project(tmp_path: Path) -> Iterator[Project]:
    """An open, empty project (`game.studio/` in a temp folder)."""
    from studio.core.store import Project

    project = Project.create(tmp_path / "game")
    yield project
    with contextlib.suppress(Exception):  # the test may have closed it already
        project.close()


@pytest.fixture
def studio_plugin_host() -> Callable[..., PluginHost]:
    """Make a host with the built-in plugin and one module loaded as a plugin.

    `studio_plugin_host("my_plugin")` (a module name or module object); `name` defaults to
    the module's last part; `disabled` lists plugins to start disabled; `builtin=False`
    leaves Studio's own plugin out (then only yours registers anything).
    """

    def make(
        module: ModuleType | str,
        *,
        name: str | None = None,
        disabled: tuple[str, ...] | list[str] = (),
        builtin: bool = True,
    ) -> PluginHost:
        from studio.plugins.host import PluginHost

        if isinstance(module, str):
            module = importlib.import_module(module)
        host = PluginHost(disabled=disabled)
        if builtin:
            host.load_all(entry_points=False)
        plugin_name = name or module.__name__.rsplit(".", 1)[-1]
        host.add_module(plugin_name, module, version=str(getattr(module, "__version__", "")))
        return host

    return make


@dataclass
class VideoJobResult:
    job: VideoJob
    clip: Clip | None  # None unless the job completed
    project: Project

    @property
    def ok(self) -> bool:
        return self.job.status == "completed"

    def path(self, name: str) -> Path:
        """Where an asset's bytes are (e.g. `result.path(result.clip.name)` for the proxy)."""
        return self.project.blobs.path(self.project.asset(name).blob)


class VideoJobs:
    """Drives providers through `studio.operations.video_queue.VideoQueue` in one project."""

    def __init__(self, project: Project) -> None:
        self.project = project

    async def run(
        self,
        provider: VideoProvider | str,
        prompt: str,
        *,
        host: PluginHost | None = None,
        options: dict[str, Any] | None = None,
        timeout: float = 120.0,
        **request: Any,
    ) -> VideoJobResult:
        """Queue one clip (`seconds`, `size`, `model`, `image`, `name` as for
        `VideoQueue.generate`) and wait for it to finish, fail or time out.

        `provider` is a provider object, or the name of one registered with `host`.
        """
        from studio.ai.video_provider import make_provider
        from studio.core import assets
        from studio.operations.video_queue import PollPolicy, VideoQueue

        if isinstance(provider, str):
            if host is None:
                raise ValueError("give host= to run a provider by name")
            name = provider

            def providers(wanted: str) -> VideoProvider:
                return make_provider(host, wanted, options or {})
        else:
            name = getattr(provider, "name", None) or "provider-under-test"
            made = provider

            def providers(wanted: str) -> VideoProvider:
                return made

        # Polls quickly: a test should not wait the seconds a real service asks for.
        fast = PollPolicy(first=0.05, longest=0.5, max_suggested=1.0, max_transient=3)
        queue = VideoQueue(self.project, providers, poll=fast)
        try:
            job = queue.generate(name, prompt, **request)
            await asyncio.wait_for(queue.run(), timeout)
        finally:
            await queue.aclose()
        job = self.project.job(job.id)
        clip = assets.clip(self.project, job.result[0]) if job.status == "completed" else None
        return VideoJobResult(job, clip, self.project)

    def run_sync(self, provider: VideoProvider | str, prompt: str, **kwargs: Any) -> VideoJobResult:
        """`run` for tests that are not async (starts and closes its own event loop)."""
        return asyncio.run(self.run(provider, prompt, **kwargs))


@pytest.fixture
def studio_video_jobs(studio_project: Project) -> VideoJobs:
    """Run a video provider through Studio's job queue: see `VideoJobs.run`."""
    return VideoJobs(studio_project)


@pytest.fixture
def studio_chat_server() -> Iterator[ChatServer]:
    """A scripted chat-completions server on 127.0.0.1, stopped after the test: see
    `studio.testing.servers.chat` (`Scripted` answers, `requests` recorded)."""
    from studio.testing.servers.chat import ChatServer

    with ChatServer() as server:
        yield server


@pytest.fixture
def studio_video_server() -> Iterator[VideoServer]:
    """An OpenAI Videos API server on 127.0.0.1 serving a real 1-second clip, stopped after
    the test: see `studio.testing.servers.video` (scripted failures, recorded requests)."""
    from studio.testing.servers.video import VideoServer, server_clip

    with VideoServer(server_clip()) as server:
        yield server


@pytest.fixture
def studio_image_server() -> Iterator[ImageServer]:
    """An OpenAI Images API server on 127.0.0.1 answering with real PNGs, stopped after the
    test: see `studio.testing.servers.images` (scripted failures, recorded requests)."""
    from studio.testing.servers.images import ImageServer

    with ImageServer() as server:
        yield server
