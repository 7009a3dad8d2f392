"""Fixtures for the plugin tests: throw-away plugin distributions that importlib.metadata
discovers like installed ones, and the fixtures Studio offers plugin authors.

A throw-away distribution is a module file and a `NAME-VERSION.dist-info` folder (METADATA,
entry_points.txt) side by side in a folder put on sys.path, which is all an installed
distribution is to `importlib.metadata.entry_points()`.
"""

from __future__ import annotations

import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from studio.config.settings import FILE_NAME, Settings

# The fixtures plugin authors get through the `pytest11` entry point, imported here so these
# tests have them whether or not that entry point is installed.
from studio.testing.fixtures import (  # noqa: F401
    studio_chat_server,
    studio_plugin_host,
    studio_project,
    studio_settings,
    studio_video_jobs,
    studio_video_server,
)

# The Preview pane of the sandbox tests (a shown PreviewPane and its clean-up), reused.
from tests.sandbox.conftest import preview  # noqa: F401

# A plugin that registers one template (a real folder) and one video provider factory.
GOOD_PLUGIN = """
from pathlib import Path
from studio.core.templates import Template
from studio.plugins import hookimpl

STUDIO_API = 1
HERE = Path(__file__).resolve().parent / "{module}_game"

@hookimpl
def register_templates(register):
    HERE.mkdir(exist_ok=True)
    (HERE / "index.html").write_text("<!DOCTYPE html><title>{title}</title><p>{title}</p>")
    (HERE / "template.json").write_text('{"name": "{template}", "title": "{title}"}')
    register("{template}", Template("{template}", "{title}", "A test game", "test", HERE))

@hookimpl
def register_video_providers(register):
    register("{provider}", lambda options: None)
"""


@dataclass
class Dist:
    """A throw-away distribution on sys.path."""

    entry: str  # the entry point's (the plugin's) name
    module: str
    distribution: str
    version: str
    site: Path

    @property
    def site_path(self) -> str:
        return str(self.site)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on sys.path where throw-away distributions are installed."""
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


@pytest.fixture
def make_dist(site: Path) -> Iterator[Callable[..., Dist]]:
    """make_dist(source, entry=..., distribution=..., version=...) → an installed plugin.

    `source` is the plugin module's code; `{module}` in it becomes the module's (unique)
    name, and `{key}` the value of each further keyword. Modules imported from it are
    forgotten after the test."""
    made: list[str] = []

    def make(
        source: str,
        *,
        entry: str | None = None,
        distribution: str | None = None,
        version: str = "1.0",
        **fields: str,
    ) -> Dist:
        module = f"studio_test_plugin_{uuid.uuid4().hex[:10]}"
        entry = entry or module.replace("_", "-")
        distribution = distribution or f"{module.replace('_', '-')}"
        code = textwrap.dedent(source)
        for key, value in {"module": module, **fields}.items():
            code = code.replace("{" + key + "}", value)
        (site / f"{module}.py").write_text(code, encoding="utf-8")
        info = site / f"{distribution.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(
            f"[studio.plugins]\n{entry} = {module}\n", encoding="utf-8"
        )
        made.append(module)
        return Dist(entry, module, distribution, version, site)

    yield make
    for module in made:
        sys.modules.pop(module, None)


@pytest.fixture
def good_plugin(make_dist: Callable[..., Dist]) -> Dist:
    """An installed plugin adding the template `demo-game` and the video provider `demo-video`."""
    return make_dist(
        GOOD_PLUGIN,
        entry="demo",
        distribution="studio-demo",
        version="1.2.3",
        template="demo-game",
        title="Demo game",
        provider="demo-video",
    )


@pytest.fixture
def settings(config_dir: Path) -> Settings:
    return Settings(config_dir / FILE_NAME)
