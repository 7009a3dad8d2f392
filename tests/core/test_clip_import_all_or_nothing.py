"""Importing a clip stores its original, thumbnail and proxy all together or not at all:
cancelled or failed at any step, it leaves no asset row, no new blob and no temporary file.
Real ffmpeg, a real project store."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.core import assets
from studio.core.errors import ProjectError
from studio.core.store import BLOB_DIR, Project
from studio.testing.clips import make_test_clip


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    project = Project.create(tmp_path / "game")
    yield project
    project.close()


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary folder of this test's own, to see what is left in it."""
    path = tmp_path / "tmp"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    return path


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("source")
    return make_test_clip(folder / "holiday.mp4", 3, (320, 180), 25)


def blobs(project: Project) -> set[str]:
    return {p.name for p in (project.path / BLOB_DIR).iterdir()}


def interrupt_storing(project: Project, monkeypatch, *, after: int, action) -> list[str]:
    """Run `action()` when the store, having added `after` assets (with the real
    `add_asset`), is about to add the next: between two steps of the worker thread."""
    real = project.add_asset
    added: list[str] = []

    def add_asset(name, data, **kwargs):
        if len(added) == after:
            action()
        asset = real(name, data, **kwargs)
        added.append(name)
        return asset

    monkeypatch.setattr(project, "add_asset", add_asset)
    return added


async def test_cancelled_while_storing_keeps_nothing(
    project: Project, source: Path, temp_dir: Path, monkeypatch
) -> None:
    before = blobs(project)
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(assets.import_video(project, source))

    def cancel_now() -> None:
        loop.call_soon_threadsafe(task.cancel)
        time.sleep(0.2)  # the cancel arrives while this thread is between two assets

    added = interrupt_storing(project, monkeypatch, after=1, action=cancel_now)
    with pytest.raises(asyncio.CancelledError):
        await task
    assert added == ["holiday.mp4", "holiday.jpg", "holiday.webm"]  # stored, then taken back
    assert project.assets() == [] and assets.clips(project) == []
    assert blobs(project) == before
    assert list(temp_dir.iterdir()) == []


async def test_cancelled_while_making_the_proxy_keeps_nothing(
    project: Project, source: Path, temp_dir: Path
) -> None:
    before = blobs(project)
    seen: list[float] = []
    task: asyncio.Future | None = None

    def progress(fraction: float) -> None:
        seen.append(fraction)
        if fraction > 0.3 and task is not None:  # verified, the proxy under way
            task.cancel()

    task = asyncio.ensure_future(assets.import_video(project, source, on_progress=progress))
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen and max(seen) < 1.0
    assert project.assets() == [] and blobs(project) == before
    assert list(temp_dir.iterdir()) == []


async def test_a_failure_between_parts_takes_back_only_what_it_added(
    project: Project, source: Path, temp_dir: Path, monkeypatch
) -> None:
    """The same file imported before: its blobs are shared, and must survive the failed
    second import that is taken back."""
    first = await assets.import_video(project, source)
    before = blobs(project)

    def disk_full() -> None:
        raise ProjectError("cannot store a file in blobs: No space left on device")

    interrupt_storing(project, monkeypatch, after=2, action=disk_full)
    with pytest.raises(ProjectError, match="No space left"):
        await assets.import_video(project, source, name="again")
    assert [c.name for c in assets.clips(project)] == [first.name]
    assert {a.name for a in project.assets()} == {"holiday.webm", "holiday.mp4", "holiday.jpg"}
    assert blobs(project) == before  # the shared original blob is still there
    for asset in project.assets():
        assert project.blobs.verify(asset.blob)
    assert list(temp_dir.iterdir()) == []
