"""What work cut off mid-way leaves behind is removed when the project opens, and nothing a
version, an asset, a video job or any other row names is touched (issue 18)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from studio.core.blobs import sha256_bytes
from studio.core.store import BLOB_DIR, Project
from studio.testing.clips import make_test_clip

REPO = Path(__file__).resolve().parents[2]


def run_child(code: str, *args: str, wait: bool = True) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if wait:
        child.wait(timeout=120)
    return child


def stored(folder: Path) -> set[str]:
    return {p.name for p in (folder / BLOB_DIR).iterdir()}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    with Project.create(tmp_path / "game") as project:
        project.commit({"index.html": "<p>one</p>"}, parent=None, kind="manual")
        return project.path


@pytest.fixture(scope="module")
def clip_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_test_clip(tmp_path_factory.mktemp("clip") / "holiday.mp4", 1, (160, 90))


def test_a_clip_import_killed_while_copying_its_proxy_leaves_nothing(folder, clip_file):
    """The process dies inside the proxy's copy into the store: the original and the
    thumbnail are in the library without their clip, and a half-copied temporary file lies
    in the blob folder. Opening the project removes all of it."""
    before = stored(folder)
    child = run_child(
        """
        import asyncio, os, shutil, sys
        from studio.core import assets, blobs
        from studio.core.store import Project
        project = Project.open(sys.argv[1])
        real_add = project.add_asset
        def add_asset(name, data, **kw):
            if name.endswith(".webm"):  # the proxy, last: die halfway through its copy
                def half(src, dst, length=0):
                    dst.write(src.read(1000)); dst.flush(); os._exit(9)
                blobs.shutil.copyfileobj = half
            return real_add(name, data, **kw)
        project.add_asset = add_asset
        asyncio.run(assets.import_video(project, sys.argv[2]))
        """,
        str(folder),
        str(clip_file),
    )
    assert child.returncode == 9, child.stderr.read()
    with Project.open(folder) as project:
        # (the half-written temporary went first, as before this change)
        assert stored(folder) == before
        assert sorted(project.cleaned.assets) == ["holiday.jpg", "holiday.mp4"]
        assert len(project.cleaned.blobs) == 2 and project.cleaned.size > 0
        assert project.assets() == []
        assert project.files(1) == {"index.html": b"<p>one</p>"}


def test_blobs_of_a_commit_killed_before_its_row_are_removed(folder):
    child = run_child(
        """
        import os, sys
        from studio.core.store import Project
        project = Project.open(sys.argv[1])
        project._insert_version = lambda *a, **k: os._exit(9)  # blobs written, row not yet
        project.commit({"index.html": "<p>two</p>", "game.js": "go()"}, parent=1, kind="edit")
        """,
        str(folder),
    )
    assert child.returncode == 9, child.stderr.read()
    written = {sha256_bytes(b"<p>two</p>"), sha256_bytes(b"go()")}
    assert written <= stored(folder)
    with Project.open(folder) as project:
        assert set(project.cleaned.blobs) == written
        assert not written & stored(folder)
        assert [v.id for v in project.versions()] == [1]


def test_nothing_any_row_names_is_removed(folder):
    """Blobs named by a version, an asset, a video job's reference picture or a table Studio
    does not know stay, and so does a lost clip part's blob when a version still holds it."""
    with Project.open(folder) as project:
        version_blob = project.file_hashes(1)["index.html"]
        asset = project.add_asset("ship.png", b"\x89PNG ship")
        picture = project.blobs.put(b"\x89PNG the last frame of a scene")
        project.add_job("openai", {"prompt": "a fox", "image": picture})
        shared = project.blobs.put(b"a frame both a version and a lost part hold")
        project.commit(
            {"assets/poster.jpg": b"a frame both a version and a lost part hold"},
            parent=1,
            kind="manual",
        )
        project.add_asset(
            "fox.jpg",
            b"a frame both a version and a lost part hold",
            meta={"role": "thumbnail", "clip": "fox.webm"},
        )
        future = project.blobs.put(b"something a later Studio keeps")
        project._conn.execute("CREATE TABLE later (id INTEGER PRIMARY KEY, data TEXT)")
        project._conn.execute("INSERT INTO later(data) VALUES (?)", (json.dumps({"b": future}),))
        project._conn.commit()
        lonely = project.blobs.put(b"nobody names me")
    with Project.open(folder) as project:
        assert project.cleaned.blobs == (lonely,)
        assert project.cleaned.assets == ("fox.jpg",)
        assert {version_blob, asset.blob, picture, shared, future} <= stored(folder)
        assert [a.name for a in project.assets()] == ["ship.png"]
        assert project.read_file(None, "assets/poster.jpg").startswith(b"a frame")


def test_no_clean_up_while_another_process_has_the_project_open(folder):
    """The other process may be between writing a blob and committing its row."""
    holder = run_child(
        """
        import sys
        from studio.core.store import Project
        project = Project.open(sys.argv[1])
        print("open", flush=True)
        sys.stdin.readline()
        """,
        str(folder),
        wait=False,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        with Project.open(folder) as project:
            lonely = project.blobs.put(b"written, its row not committed yet")
        with Project.open(folder) as project:
            assert project.cleaned.blobs == ()
            assert lonely in stored(folder)
    finally:
        holder.kill()
        holder.wait(30)
    with Project.open(folder) as project:
        assert project.cleaned.blobs == (lonely,)
