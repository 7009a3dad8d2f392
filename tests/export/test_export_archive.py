"""Project archives: everything comes back byte for byte, and hostile archives are refused
with nothing written."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import stat
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from studio.core.records import GenerationInfo
from studio.core.store import DB_NAME, Project
from studio.export import (
    ArchiveError,
    ArchiveExporter,
    default_import_dest,
    import_archive,
    inspect_archive,
)

from .conftest import run


def rich_project(path: Path, clip: Path) -> Project:
    """Several lines of versions, a conversation, assets with metadata, a video job."""
    p = Project.create(path, name="Rich game")
    v1 = p.commit(
        {"index.html": "<title>v1</title>"},
        parent=None,
        kind="template",
        meta={"label": "template: runner", "template": "runner"},
    )
    p.add_message("user", "make it faster", version=v1.id)
    v2 = p.commit(
        {"index.html": "<title>v2</title>", "game.js": "var speed = 3;\n"},
        parent=v1.id,
        kind="generate",
        prompt="make it faster",
        info=GenerationInfo("openai", "gpt-x", 120, 480, 0.4, 3.2),
    )
    p.add_message("assistant", "Faster now.", version=v2.id, meta={"tokens": 480})
    v3 = p.commit(
        {"index.html": "<title>v3</title>", "game.js": "var speed = 4;\n"},
        parent=v2.id,
        kind="edit",
        prompt="even faster",
    )
    p.fork(v1.id)  # a second line from the first version
    p.restore(v2.id)  # and the head back on v2's content
    p.add_asset(
        "clip.webm",
        clip,
        mime="video/webm",
        meta={"role": "proxy", "duration": 2.0, "width": 320, "height": 180},
    )
    p.add_asset("sprite.png", b"\x89PNG\r\n\x1a\nfake", meta={"source": "imported"})
    p.add_asset("notes.txt", ("ünïcødé text\n" * 200).encode())
    p.commit_hashes(
        {**p.file_hashes(v3.id), "assets/clip.webm": p.asset("clip.webm").blob},
        parent=v3.id,
        kind="manual",
        meta={"label": "added assets/clip.webm"},
    )
    job = p.add_job("openai", {"prompt": "a cat", "seconds": 4})
    p.update_job(job.id, status="completed", progress=1.0, result=["clip.webm"], remote_id="r1")
    p.set_meta("origin", "p0123456789abcdef")
    return p


def table(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def settings(project: Project) -> dict[str, str]:
    """The project's meta table, without its preview origin."""
    rows = table(project.path / DB_NAME, "SELECT key, value FROM meta")
    return {k: v for k, v in rows if k != "origin"}


def blob_files(project: Project) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in project.blobs.root.iterdir()}


def test_archive_round_trip_brings_back_everything(tmp_path, clip_webm):
    src = rich_project(tmp_path / "rich.studio", clip_webm)
    archive = tmp_path / "rich.studioproj"
    result = run(ArchiveExporter().export(src, None, archive))
    assert result.size == archive.stat().st_size

    summary = inspect_archive(archive)
    assert (summary.name, summary.versions, summary.messages, summary.jobs) == (
        "Rich game",
        6,
        2,
        1,
    )
    assert summary.branches == 2 and summary.head == src.head
    assert [a.name for a in summary.assets] == ["clip.webm", "sprite.png", "notes.txt"]
    assert summary.blobs == len(blob_files(src))
    assert summary.unpacked_size > sum(len(b) for b in blob_files(src).values())
    assert "6 versions on 2 lines" in summary.describe()

    dest = tmp_path / "elsewhere" / "copy"
    got = import_archive(archive, dest)
    try:
        assert got.path == tmp_path / "elsewhere" / "copy.studio"
        assert got.versions() == src.versions()
        for v in src.versions():
            assert got.file_hashes(v.id) == src.file_hashes(v.id)
            assert got.files(v.id) == src.files(v.id)
        assert got.assets() == src.assets()
        for a in src.assets():
            assert got.blobs.read(a.blob) == src.blobs.read(a.blob)
        assert got.messages() == src.messages()
        assert got.jobs() == src.jobs()
        assert got.head == src.head and got.name == src.name
        assert blob_files(got) == blob_files(src)
        # Its own preview origin: two projects must not share a browser storage.
        assert got.get_meta("origin") is None
        assert settings(got) == settings(src)
        # And one can go on from any version.
        nxt = got.commit({"index.html": "<title>v7</title>"}, parent=2, kind="edit")
        assert nxt.parent == 2
    finally:
        got.close()
        src.close()


def test_an_open_project_is_archived_consistently(tmp_path, clip_webm):
    """The snapshot comes from SQLite's backup API while the project stays open and writable."""
    src = rich_project(tmp_path / "live.studio", clip_webm)
    run(ArchiveExporter().export(src, None, tmp_path / "a.studioproj"))
    src.add_message("user", "after the archive")
    got = import_archive(tmp_path / "a.studioproj", tmp_path / "b")
    assert [m.content for m in got.messages()] == ["make it faster", "Faster now."]
    got.close()
    src.close()


def test_default_import_destination_is_free_and_beside_the_archive(tmp_path):
    archive = tmp_path / "game.studioproj"
    archive.write_bytes(b"")
    assert default_import_dest(archive) == tmp_path / "game.studio"
    (tmp_path / "game.studio").mkdir()
    assert default_import_dest(archive) == tmp_path / "game-2.studio"


# -- hostile archives ------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_archive(tmp_path_factory, clip_webm) -> Path:
    folder = tmp_path_factory.mktemp("good")
    project = rich_project(folder / "p.studio", clip_webm)
    run(ArchiveExporter().export(project, None, folder / "good.studioproj"))
    project.close()
    return folder / "good.studioproj"


Entries = dict[str, tuple[zipfile.ZipInfo, bytes]]


def remake(good: Path, out: Path, change: Callable[[Entries], None]) -> Path:
    with zipfile.ZipFile(good) as zf:
        entries: Entries = {i.filename: (i, zf.read(i)) for i in zf.infolist()}
    change(entries)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries.values():
            zf.writestr(info, data)
    return out


def add(name: str, data: bytes, *, mode: int = 0o100644) -> Callable[[Entries], None]:
    def change(entries: Entries) -> None:
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = mode << 16
        entries[name] = (info, data)

    return change


def blob_names(entries: Entries) -> list[str]:
    return [n for n in entries if n.startswith("blobs/")]


def swap_blob(entries: Entries) -> None:
    name = blob_names(entries)[0]
    info, data = entries[name]
    entries[name] = (info, data + b"tampered")


def drop_blob(entries: Entries) -> None:
    used = {r for r in _db_blobs(entries)}
    name = next(n for n in blob_names(entries) if n[6:] in used)
    del entries[name]


def _db_blobs(entries: Entries) -> set[str]:
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "p.db"
        db.write_bytes(entries["project.db"][1])
        return {
            r[0] for r in table(db, "SELECT blob FROM version_files UNION SELECT blob FROM assets")
        }


def corrupt_db(entries: Entries) -> None:
    info, data = entries["project.db"]
    page = 4096
    broken = data[: page * 2] + bytes(range(256)) * 16 + data[page * 3 :]
    entries["project.db"] = (info, broken)


def garbage_db(entries: Entries) -> None:
    info, _ = entries["project.db"]
    entries["project.db"] = (info, b"SQLite format 3\x00" + b"\xff" * 5000)


def evil_db_path(entries: Entries) -> None:
    info, data = entries["project.db"]
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "p.db"
        db.write_bytes(data)
        conn = sqlite3.connect(db)
        with conn:
            conn.execute("UPDATE version_files SET path = '../../outside.html' WHERE version = 1")
        conn.close()
        entries["project.db"] = (info, db.read_bytes())


def foreign_manifest(entries: Entries) -> None:
    info, _ = entries["manifest.json"]
    entries["manifest.json"] = (info, json.dumps({"app": "something-else"}).encode())


HOSTILE = {
    "zip slip": (add("../evil.txt", b"x"), "outside the project"),
    "nested zip slip": (add("blobs/../../evil.txt", b"x"), "outside the project"),
    "absolute path": (add("/tmp/evil.txt", b"x"), "absolute path"),
    "windows absolute path": (add("C:/evil.txt", b"x"), "absolute path"),
    "symlink": (
        add("blobs/" + "0" * 64, b"/etc/passwd", mode=stat.S_IFLNK | 0o777),
        "symbolic link",
    ),
    "unexpected entry": (add("run-me.sh", b"#!/bin/sh"), "unexpected entry"),
    "blob hash mismatch": (swap_blob, "does not match its hash"),
    "missing blob": (drop_blob, "does not hold"),
    "corrupted database": (corrupt_db, "damaged"),
    "garbage database": (garbage_db, "damaged"),
    "path outside in the database": (evil_db_path, "outside it"),
    "foreign manifest": (foreign_manifest, "not a Studio project archive"),
}


def _patch_declared_size(path: Path, name: str, size: int) -> None:
    """Make an entry declare `size` bytes, in its local header and the central directory."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    data[info.header_offset + 22 : info.header_offset + 26] = size.to_bytes(4, "little")
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    data[central + 24 : central + 28] = size.to_bytes(4, "little")
    path.write_bytes(bytes(data))


def zip_bomb(good: Path, out: Path, declared: int) -> Path:
    """A blob entry of 64 MiB of zeros (64 KiB deflated) that declares `declared` bytes."""
    payload = bytes(64 << 20)
    name = "blobs/" + hashlib.sha256(payload).hexdigest()
    remake(good, out, add(name, payload))
    _patch_declared_size(out, name, declared)
    return out


def assert_refused(archive: Path, dest: Path, match: str) -> None:
    before = set(dest.parent.iterdir())
    temp_before = set(Path(tempfile.gettempdir()).glob("studio-*"))
    with pytest.raises(ArchiveError, match=match):
        import_archive(archive, dest)
    assert not dest.exists() and not dest.with_name(dest.name + ".studio").exists()
    assert set(dest.parent.iterdir()) == before, "something was left beside the destination"
    assert set(Path(tempfile.gettempdir()).glob("studio-*")) <= temp_before


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_archive_is_refused_with_nothing_written(case, good_archive, tmp_path):
    change, match = HOSTILE[case]
    archive = remake(good_archive, tmp_path / "bad.studioproj", change)
    workdir = tmp_path / "work"
    workdir.mkdir()
    assert_refused(archive, workdir / "imported.studio", match)
    if case not in ("blob hash mismatch",):  # blob contents are read on import only
        with pytest.raises(ArchiveError, match=match):
            inspect_archive(archive)


def test_entry_expanding_beyond_its_declared_size_is_refused(good_archive, tmp_path):
    archive = zip_bomb(good_archive, tmp_path / "bomb.studioproj", declared=1000)
    workdir = tmp_path / "work"
    workdir.mkdir()
    assert_refused(archive, workdir / "x", "expands beyond its declared size")
    # Python's own zipfile would have stopped quietly at 1000 bytes.
    with zipfile.ZipFile(archive) as zf:
        name = next(
            n for n in zf.namelist() if n.startswith("blobs/") and zf.getinfo(n).file_size == 1000
        )
        with pytest.raises(zipfile.BadZipFile):
            zf.read(name)


def test_entry_declaring_an_impossible_size_is_refused_before_reading(good_archive, tmp_path):
    archive = zip_bomb(good_archive, tmp_path / "bomb2.studioproj", declared=4_000_000_000)
    workdir = tmp_path / "work"
    workdir.mkdir()
    assert_refused(archive, workdir / "x", "deflate cannot do")


def test_not_an_archive_and_existing_destination_are_refused(good_archive, tmp_path):
    junk = tmp_path / "junk.studioproj"
    junk.write_bytes(b"not a zip at all")
    (tmp_path / "work").mkdir()
    assert_refused(junk, tmp_path / "work" / "x", "not a readable archive")
    taken = tmp_path / "work" / "taken.studio"
    taken.mkdir()
    with pytest.raises(ArchiveError, match="already exists"):
        import_archive(good_archive, taken)
    assert list(taken.iterdir()) == []


def test_a_missing_parent_folder_is_made_and_removed_again_on_refusal(good_archive, tmp_path):
    archive = remake(good_archive, tmp_path / "bad.studioproj", swap_blob)
    with pytest.raises(ArchiveError):
        import_archive(archive, tmp_path / "new" / "deeper" / "x")
    assert not (tmp_path / "new").exists()
