"""The project store: versions, head, blobs, assets, conversation, video jobs, and how it
behaves on damaged, foreign and newer projects and after a crash."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from studio.core import schema, store
from studio.core.blobs import BlobStore, sha256_bytes
from studio.core.errors import NotFoundError, ProjectError
from studio.core.records import GenerationInfo
from studio.core.store import BLOB_DIR, DB_NAME, Project

REPO = Path(__file__).resolve().parents[2]

GAME_V1 = "<!doctype html>\n<canvas></canvas>\n<script src='game.js'></script>\n"
JS_V1 = "const speed = 2;\nfunction loop() { requestAnimationFrame(loop); }\nloop();\n"
JS_V2 = JS_V1.replace("speed = 2", "speed = 3")


# -- helpers -----------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, tuple[bytes, int] | str]:
    """Every entry below `root`: files with bytes and mtime, folders by name."""
    result: dict[str, tuple[bytes, int] | str] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_dir():
            result[rel] = "<dir>"
        else:
            result[rel] = (p.read_bytes(), p.stat().st_mtime_ns)
    return result


def blob_files(project_dir: Path) -> list[Path]:
    return sorted(p for p in (project_dir / BLOB_DIR).iterdir() if p.is_file())


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def project(tmp_path: Path):
    p = Project.create(tmp_path / "game")
    yield p
    p.close()


def make_closed_project(path: Path, versions: int = 3) -> Path:
    """A real project on disk with a few versions, closed again; returns its folder."""
    with Project.create(path) as p:
        for i in range(versions):
            p.commit(
                {"index.html": GAME_V1, "game.js": JS_V1 + f"// {i}\n" * (i + 1)},
                parent=p.head,
                kind="generate",
                prompt=f"step {i}",
            )
        return p.path


# -- create and open ---------------------------------------------------------------------


def test_create_makes_a_studio_folder_with_wal_database(tmp_path: Path) -> None:
    with Project.create(tmp_path / "game") as p:
        assert p.path == tmp_path / "game.studio"
        assert p.name == "game"
        assert p.head is None
        assert p.versions() == []
        assert (p.path / DB_NAME).is_file()
        assert (p.path / BLOB_DIR).is_dir()
        assert p._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert p._conn.execute("PRAGMA user_version").fetchone()[0] == schema.FORMAT_VERSION
        assert p.get_meta("app") == schema.APP_ID


def test_create_with_name_and_suffix(tmp_path: Path) -> None:
    with Project.create(tmp_path / "x.studio", name="Space Rocks") as p:
        assert p.path == tmp_path / "x.studio"
        assert p.name == "Space Rocks"
    with Project.open(tmp_path / "x") as p:
        assert p.name == "Space Rocks"


def test_create_in_an_existing_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "g.studio").mkdir()
    with Project.create(tmp_path / "g.studio") as p:
        assert p.versions() == []


def test_create_refuses_a_non_empty_folder_and_leaves_it_alone(tmp_path: Path) -> None:
    folder = tmp_path / "g.studio"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    before = snapshot(tmp_path)
    with pytest.raises(ProjectError, match="already exists"):
        Project.create(folder)
    assert snapshot(tmp_path) == before


def test_create_refuses_a_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "g.studio").write_text("a file, not a folder")
    with pytest.raises(ProjectError, match="already exists"):
        Project.create(tmp_path / "g")
    assert (tmp_path / "g.studio").read_text() == "a file, not a folder"


def test_create_where_no_folder_can_be_made_says_why(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("a file")
    with pytest.raises(ProjectError, match=r"cannot create .*g\.studio: Not a directory"):
        Project.create(tmp_path / "plain" / "deeper" / "g")
    assert snapshot(tmp_path) == {"plain": (b"a file", (tmp_path / "plain").stat().st_mtime_ns)}


def test_a_failed_setup_removes_what_create_made(tmp_path: Path) -> None:
    def broken(project: Project) -> None:
        project.commit({"index.html": GAME_V1}, parent=None, kind="template")
        raise ProjectError("the first version could not be written")

    with pytest.raises(ProjectError, match="first version"):
        Project.create(tmp_path / "new" / "parents" / "g", setup=broken)
    assert list(tmp_path.iterdir()) == []  # the new parent folders went too
    given = tmp_path / "given.studio"
    given.mkdir()
    with pytest.raises(ProjectError, match="first version"):
        Project.create(given, setup=broken)
    assert given.is_dir() and list(given.iterdir()) == []  # the person's folder stays


def test_blob_writes_that_fail_say_where_and_why(tmp_path: Path) -> None:
    (tmp_path / "blobs").write_text("a file where the blob folder should be")
    blobs = BlobStore(tmp_path / "blobs")
    with pytest.raises(ProjectError, match=r"cannot store a file in .*blobs: Not a directory"):
        blobs.put(b"data")
    source = tmp_path / "missing.webm"
    with pytest.raises(ProjectError, match=r"cannot read .*missing\.webm: No such file"):
        blobs.put_file(source)


def test_open_by_name_with_or_without_suffix(tmp_path: Path) -> None:
    folder = make_closed_project(tmp_path / "game")
    for given in (tmp_path / "game", folder, str(folder)):
        with Project.open(given) as p:
            assert p.path == folder
            assert len(p.versions()) == 3


def test_open_a_project_folder_without_the_suffix(tmp_path: Path) -> None:
    folder = make_closed_project(tmp_path / "game")
    plain = folder.rename(tmp_path / "plain")
    with Project.open(plain) as p:
        assert p.path == plain
        assert p.read_file(None, "index.html") == GAME_V1.encode()


def test_open_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="does not exist"):
        Project.open(tmp_path / "nothing")
    assert list(tmp_path.iterdir()) == []


def test_everything_persists_across_close_and_open(tmp_path: Path) -> None:
    with Project.create(tmp_path / "game") as p:
        v1 = p.commit(
            {"index.html": GAME_V1},
            parent=None,
            kind="generate",
            prompt="a space game\nwith rocks",
            info=GenerationInfo("openai", "gpt-x", 120, 900, 0.4, 7.5),
            meta={"temperature": 0.2},
        )
        p.add_asset("ship.png", b"\x89PNG fake")
        p.add_message("user", "a space game", version=v1.id)
        job = p.add_job("openai-video", {"prompt": "stars"})
        p.set_meta("layout", "wide")
    with Project.open(tmp_path / "game") as p:
        v = p.version(v1.id)
        assert v == v1
        assert v.info == GenerationInfo("openai", "gpt-x", 120, 900, 0.4, 7.5)
        assert v.title == "a space game"
        assert v.meta == {"temperature": 0.2}
        assert p.head == v1.id
        assert p.asset("ship.png").size == len(b"\x89PNG fake")
        assert [m.content for m in p.messages()] == ["a space game"]
        assert p.job(job.id).params == {"prompt": "stars"}
        assert p.get_meta("layout") == "wide"
        assert p.get_meta("missing", "dflt") == "dflt"


# -- versions and head -------------------------------------------------------------------


def test_commit_stores_files_and_reads_them_back(project: Project) -> None:
    v = project.commit(
        {"index.html": GAME_V1, "game.js": JS_V1.encode(), "assets/a.bin": bytes(range(256))},
        parent=None,
        kind="generate",
        prompt="make a game",
    )
    assert v.id == 1 and v.parent is None and v.kind == "generate"
    assert project.files(v.id) == {
        "index.html": GAME_V1.encode(),
        "game.js": JS_V1.encode(),
        "assets/a.bin": bytes(range(256)),
    }
    assert project.read_file(v.id, "assets/a.bin") == bytes(range(256))
    assert project.file_hashes(v.id)["game.js"] == sha256_bytes(JS_V1.encode())
    with pytest.raises(NotFoundError):
        project.read_file(v.id, "missing.js")
    with pytest.raises(NotFoundError):
        project.files(99)


def test_title_falls_back_to_label_then_kind(project: Project) -> None:
    a = project.commit({"index.html": "a"}, parent=None, kind="manual")
    b = project.commit({"index.html": "b"}, parent=a.id, kind="import", meta={"label": "imp"})
    c = project.commit({"index.html": "c"}, parent=b.id, kind="fix", prompt="x" * 200)
    assert (a.title, b.title, c.title) == ("manual", "imp", "x" * 80)


def test_commit_refuses_unknown_kind_and_parent_before_writing(project: Project) -> None:
    with pytest.raises(ValueError, match="kind"):
        project.commit({"index.html": "x"}, parent=None, kind="dream")
    with pytest.raises(NotFoundError):
        project.commit({"index.html": "x"}, parent=42, kind="manual")
    assert project.versions() == []
    assert blob_files(project.path) == []


@pytest.mark.parametrize(
    "bad",
    ["../x", "/etc/passwd", "a/../../x", "js/../../../etc/passwd", "", ".", "./", "\\etc\\x",
     "C:/Windows/x", "..\\x", "a\0b"],
)  # fmt: skip
def test_bad_file_paths_are_refused_and_nothing_is_written(project: Project, bad: str) -> None:
    with pytest.raises(ProjectError, match="bad file path"):
        project.commit({"index.html": "ok", bad: "evil"}, parent=None, kind="manual")
    assert project.versions() == []
    assert blob_files(project.path) == []


def test_file_paths_are_normalised(project: Project) -> None:
    v = project.commit({"./js//game.js": "1", "assets\\a.png": "2"}, parent=None, kind="manual")
    assert set(project.file_hashes(v.id)) == {"js/game.js", "assets/a.png"}


def test_two_spellings_of_one_path_are_refused(project: Project) -> None:
    with pytest.raises(ProjectError, match="same file"):
        project.commit({"a.js": "one", "./a.js": "two"}, parent=None, kind="manual")
    assert project.versions() == []


def test_head_follows_commits_and_can_be_set(tmp_path: Path, project: Project) -> None:
    assert project.head is None
    with pytest.raises(NotFoundError, match="no versions"):
        project.resolve(None)
    v1 = project.commit({"index.html": "1"}, parent=None, kind="manual")
    v2 = project.commit({"index.html": "2"}, parent=v1.id, kind="manual")
    assert project.head == v2.id
    assert project.files() == {"index.html": b"2"}
    v3 = project.commit({"index.html": "3"}, parent=v2.id, kind="manual", move_head=False)
    assert project.head == v2.id
    assert project.resolve(None) == v2.id
    assert project.resolve(v3.id) == v3.id
    project.set_head(v1.id)
    assert project.files() == {"index.html": b"1"}
    with pytest.raises(NotFoundError):
        project.set_head(77)
    assert project.head == v1.id
    with pytest.raises(NotFoundError):
        project.resolve(77)
    project.close()
    with Project.open(project.path) as again:
        assert again.head == v1.id


def test_restore_makes_an_old_version_the_newest_without_new_blobs(project: Project) -> None:
    v1 = project.commit({"index.html": GAME_V1, "game.js": JS_V1}, parent=None, kind="generate")
    v2 = project.commit({"index.html": GAME_V1, "game.js": JS_V2}, parent=v1.id, kind="edit")
    blobs_before = blob_files(project.path)
    r = project.restore(v1.id)
    assert (r.kind, r.parent, r.meta["label"]) == ("restore", v2.id, f"restored v{v1.id}")
    assert project.head == r.id
    assert project.files(r.id) == project.files(v1.id)
    assert project.files(v2.id)["game.js"] == JS_V2.encode()  # nothing lost
    assert blob_files(project.path) == blobs_before
    with pytest.raises(NotFoundError):
        project.restore(99)


def test_fork_starts_a_new_line_from_an_old_version(project: Project) -> None:
    v1 = project.commit({"index.html": "1"}, parent=None, kind="generate")
    v2 = project.commit({"index.html": "2"}, parent=v1.id, kind="edit")
    f = project.fork(v1.id)
    assert (f.kind, f.parent, f.meta["label"]) == ("fork", v1.id, f"fork of v{v1.id}")
    assert project.head == f.id
    assert project.files(f.id) == {"index.html": b"1"}
    assert project.version(v2.id).parent == v1.id
    with pytest.raises(NotFoundError):
        project.fork(99)


def test_commit_hashes_checks_blobs_parent_and_paths(project: Project) -> None:
    sha = project.blobs.put(b"data")
    v = project.commit_hashes({"index.html": sha}, parent=None, kind="manual")
    assert project.read_file(v.id, "index.html") == b"data"
    with pytest.raises(ProjectError, match="not in the store"):
        project.commit_hashes({"index.html": "0" * 64}, parent=v.id, kind="manual")
    with pytest.raises(NotFoundError):
        project.commit_hashes({"index.html": sha}, parent=99, kind="manual")
    with pytest.raises(ProjectError, match="bad file path"):
        project.commit_hashes({"../index.html": sha}, parent=v.id, kind="manual")
    with pytest.raises(ValueError):
        project.commit_hashes({"index.html": sha}, parent=v.id, kind="nope")
    assert [x.id for x in project.versions()] == [v.id]


# -- blobs -------------------------------------------------------------------------------


def test_identical_files_in_two_versions_are_one_blob_on_disk(project: Project) -> None:
    files = {"index.html": GAME_V1, "game.js": JS_V1, "copy.js": JS_V1}
    v1 = project.commit(files, parent=None, kind="generate")
    v2 = project.commit(files, parent=v1.id, kind="manual")
    on_disk = blob_files(project.path)
    assert len(on_disk) == 2  # index.html, and game.js == copy.js
    assert project.file_hashes(v1.id) == project.file_hashes(v2.id)
    for blob in on_disk:
        assert blob.name == hashlib.sha256(blob.read_bytes()).hexdigest()
    project.commit({"index.html": GAME_V1, "game.js": JS_V2}, parent=v2.id, kind="edit")
    assert len(blob_files(project.path)) == 3  # only the changed file is new


def test_identical_asset_is_stored_once(tmp_path: Path, project: Project) -> None:
    data = os.urandom(50_000)
    source = tmp_path / "clip.webm"
    source.write_bytes(data)
    a = project.add_asset("one.webm", data)
    b = project.add_asset("two.webm", source)  # from a file, streamed
    project.commit({"index.html": "x", "assets/one.webm": data}, parent=None, kind="manual")
    assert a.blob == b.blob == sha256_bytes(data)
    webm_blobs = [p for p in blob_files(project.path) if p.read_bytes() == data]
    assert len(webm_blobs) == 1
    assert len(blob_files(project.path)) == 2


def test_blob_ids_are_checked(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    for bad in ("../../etc/passwd", "abc", "G" * 64, "A" * 64):
        with pytest.raises(ProjectError, match="not a blob id"):
            blobs.path(bad)


def test_missing_and_tampered_blobs_are_reported(project: Project) -> None:
    sha = project.blobs.put(b"hello")
    assert project.blobs.verify(sha)
    (project.path / BLOB_DIR / sha).write_bytes(b"hullo")
    assert not project.blobs.verify(sha)
    (project.path / BLOB_DIR / sha).unlink()
    with pytest.raises(ProjectError, match="missing blob"):
        project.blobs.read(sha)
    with pytest.raises(ProjectError, match="missing blob"):
        project.blobs.size(sha)


def test_blobs_leave_no_temporaries_behind(project: Project) -> None:
    project.commit({f"f{i}.js": f"{i}" for i in range(20)}, parent=None, kind="manual")
    names = [p.name for p in (project.path / BLOB_DIR).iterdir()]
    assert len(names) == 20
    assert not [n for n in names if n.startswith(".tmp-")]


# -- damaged, foreign and newer projects -------------------------------------------------


def assert_refused_untouched(folder: Path, match: str) -> ProjectError:
    """Project.open raises ProjectError matching `match` and changes nothing on disk."""
    parent = folder.parent
    before = snapshot(parent)
    with pytest.raises(ProjectError, match=match) as info:
        Project.open(folder)
    after = snapshot(parent)
    assert after == before
    assert not [n for n in after if n.endswith(("-wal", "-shm", "-journal"))]
    assert "\n" not in str(info.value)
    return info.value


def test_open_garbage_database(tmp_path: Path) -> None:
    folder = make_closed_project(tmp_path / "game")
    (folder / DB_NAME).write_bytes(os.urandom(8192))
    assert_refused_untouched(folder, "damaged")


def test_open_empty_database_file(tmp_path: Path) -> None:
    folder = make_closed_project(tmp_path / "game")
    (folder / DB_NAME).write_bytes(b"")
    assert_refused_untouched(folder, "damaged")


def _big_project(path: Path) -> Path:
    """A project whose database spans many pages, so damage can land in the middle."""
    with Project.create(path) as p:
        for i in range(150):
            p.commit(
                {"index.html": GAME_V1, "game.js": f"// {i}\n" + JS_V1},
                parent=p.head,
                kind="generate",
                prompt=f"prompt number {i} " * 20,
            )
            p.add_message("assistant", f"answer {i} " * 50)
        return p.path


def test_open_database_with_junk_pages_in_the_middle(tmp_path: Path) -> None:
    folder = _big_project(tmp_path / "game")
    db = folder / DB_NAME
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    pages = len(data) // page
    assert pages > 20
    junk = bytes((i * 37 + 11) % 256 for i in range(page))
    for n in range(pages // 3, pages // 3 + 5):
        data[n * page : (n + 1) * page] = junk
    db.write_bytes(bytes(data))
    assert_refused_untouched(folder, "damaged")


def test_open_database_with_a_damaged_schema_page(tmp_path: Path) -> None:
    folder = make_closed_project(tmp_path / "game")
    db = folder / DB_NAME
    data = bytearray(db.read_bytes())
    data[100:400] = b"\xff" * 300  # the first b-tree page header: sqlite_master itself
    db.write_bytes(bytes(data))
    assert_refused_untouched(folder, "damaged")


@pytest.mark.parametrize("keep", [100, 4096 + 100, 0.5])
def test_open_truncated_database(tmp_path: Path, keep: float) -> None:
    folder = _big_project(tmp_path / "game")
    db = folder / DB_NAME
    data = db.read_bytes()
    size = int(len(data) * keep) if isinstance(keep, float) else keep
    db.write_bytes(data[:size])
    assert_refused_untouched(folder, "damaged")


def test_open_database_missing_a_table(tmp_path: Path) -> None:
    folder = make_closed_project(tmp_path / "game")
    conn = sqlite3.connect(folder / DB_NAME)
    conn.execute("DROP TABLE video_jobs")
    conn.commit()
    conn.close()
    assert_refused_untouched(folder, "missing tables video_jobs")


def test_open_foreign_folder_without_database(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(b"\xff\xd8 not really")
    err = assert_refused_untouched(folder, "not a Studio project")
    assert "photos" in str(err)


def test_open_foreign_studio_suffixed_folder(tmp_path: Path) -> None:
    folder = tmp_path / "other.studio"
    folder.mkdir()
    (folder / "readme.txt").write_text("hi")
    assert_refused_untouched(folder, "not a Studio project")
    assert_refused_untouched(tmp_path / "other", "not a Studio project")


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_open_foreign_sqlite_database(tmp_path: Path, journal: str) -> None:
    folder = tmp_path / "foreign"
    folder.mkdir()
    conn = sqlite3.connect(folder / DB_NAME)
    conn.execute(f"PRAGMA journal_mode = {journal}")
    conn.execute("CREATE TABLE songs (title TEXT)")
    conn.execute("INSERT INTO songs VALUES ('la')")
    conn.commit()
    conn.close()
    assert_refused_untouched(folder, "not a Studio project")


def test_open_foreign_database_with_its_own_meta_table(tmp_path: Path) -> None:
    folder = tmp_path / "foreign"
    folder.mkdir()
    conn = sqlite3.connect(folder / DB_NAME)
    conn.execute("CREATE TABLE meta (k TEXT, v TEXT)")
    conn.commit()
    conn.close()
    assert_refused_untouched(folder, "not a Studio project")
    conn = sqlite3.connect(folder / DB_NAME)
    conn.execute("DROP TABLE meta")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO meta VALUES ('app', 'someone-else')")
    conn.commit()
    conn.close()
    assert_refused_untouched(folder, "not a Studio project")


def test_open_project_from_a_newer_studio(tmp_path: Path) -> None:
    folder = make_closed_project(tmp_path / "game")
    conn = sqlite3.connect(folder / DB_NAME)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    err = assert_refused_untouched(folder, "newer Studio")
    assert "format 99" in str(err)


def test_older_format_is_migrated_in_place(tmp_path: Path, monkeypatch) -> None:
    folder = make_closed_project(tmp_path / "game")
    current = schema.FORMAT_VERSION
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, "CREATE TABLE extra (x)"])
    monkeypatch.setattr(schema, "FORMAT_VERSION", current + 1)
    monkeypatch.setattr(store, "FORMAT_VERSION", current + 1)
    with Project.open(folder) as p:
        assert p._conn.execute("PRAGMA user_version").fetchone()[0] == current + 1
        assert p._conn.execute("SELECT count(*) FROM extra").fetchone()[0] == 0
        assert len(p.versions()) == 3
    with Project.open(folder) as p:  # already migrated: opens as is
        assert len(p.versions()) == 3


def test_failed_migration_leaves_the_old_database_as_it_was(tmp_path: Path, monkeypatch) -> None:
    folder = make_closed_project(tmp_path / "game")
    # The second statement fails; the first must not survive on its own.
    broken = "CREATE TABLE extra (x); CREATE TABLE versions (y)"
    current = schema.FORMAT_VERSION
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, broken])
    monkeypatch.setattr(schema, "FORMAT_VERSION", current + 1)
    monkeypatch.setattr(store, "FORMAT_VERSION", current + 1)
    with pytest.raises(ProjectError):
        Project.open(folder)
    conn = sqlite3.connect(folder / DB_NAME)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "extra" not in tables
    assert conn.execute("PRAGMA user_version").fetchone()[0] == current
    conn.close()
    monkeypatch.undo()
    with Project.open(folder) as p:
        assert len(p.versions()) == 3


# -- crashes -----------------------------------------------------------------------------


def test_failure_between_blobs_and_row_keeps_the_project_as_it_was(
    tmp_path: Path, monkeypatch
) -> None:
    folder = make_closed_project(tmp_path / "game")
    with Project.open(folder) as p:
        before = [(v.id, p.files(v.id)) for v in p.versions()]
        head = p.head

        def crash(*args, **kwargs):
            raise RuntimeError("power cut")

        monkeypatch.setattr(Project, "_insert_version", crash)
        with pytest.raises(RuntimeError):
            p.commit({"index.html": "brand new"}, parent=p.head, kind="edit")
        assert (folder / BLOB_DIR / sha256_bytes(b"brand new")).is_file()  # blobs came first
    monkeypatch.undo()
    with Project.open(folder) as p:
        assert [(v.id, p.files(v.id)) for v in p.versions()] == before
        assert p.head == head


def test_process_killed_between_blobs_and_row(tmp_path: Path) -> None:
    folder = make_closed_project(tmp_path / "game")
    result = run_python(
        f"""
        import os
        from studio.core.store import Project
        p = Project.open({str(folder)!r})
        Project._insert_version = lambda *a, **k: os._exit(17)
        p.commit({{"index.html": "never committed"}}, parent=p.head, kind="edit")
        """,
        tmp_path,
    )
    assert result.returncode == 17, result.stderr
    with Project.open(folder) as p:
        assert [v.id for v in p.versions()] == [1, 2, 3]
        assert p.head == 3
        assert p.files(3)["game.js"].startswith(JS_V1.encode())
    assert not (folder / "project.db-journal").exists()


def test_process_killed_in_the_middle_of_a_blob_write(tmp_path: Path) -> None:
    folder = make_closed_project(tmp_path / "game")
    result = run_python(
        f"""
        import os
        from studio.core.store import Project
        p = Project.open({str(folder)!r})
        real_write = os.fdopen
        class Half:
            def __init__(self, f): self.f = f
            def __enter__(self): return self
            def __exit__(self, *a): return False
            def write(self, data):
                self.f.write(data[: len(data) // 2])
                self.f.flush()
                os._exit(9)
        import studio.core.blobs as blobs
        blobs.os.fdopen = lambda fd, mode: Half(real_write(fd, mode))
        p.commit({{"index.html": "x" * 10000}}, parent=p.head, kind="edit")
        """,
        tmp_path,
    )
    assert result.returncode == 9, result.stderr
    strays = list((folder / BLOB_DIR).glob(".tmp-*"))
    assert len(strays) == 1 and strays[0].stat().st_size == 5000
    with Project.open(folder) as p:
        assert not list((folder / BLOB_DIR).glob(".tmp-*"))
        assert not p.blobs.has(sha256_bytes(b"x" * 10000))
        assert [v.id for v in p.versions()] == [1, 2, 3]
        assert all(p.blobs.verify(h) for v in (1, 2, 3) for h in p.file_hashes(v).values())


def test_leftover_temporary_blob_is_removed_on_open(tmp_path: Path) -> None:
    folder = make_closed_project(tmp_path / "game")
    blobs_dir = folder / BLOB_DIR
    (blobs_dir / ".tmp-abc123").write_bytes(b"half a file")
    (blobs_dir / ".tmp-").write_bytes(b"")
    keep = sorted(p.name for p in blobs_dir.iterdir() if not p.name.startswith(".tmp-"))
    with Project.open(folder) as p:
        assert sorted(x.name for x in blobs_dir.iterdir()) == keep
        assert p.read_file(None, "index.html") == GAME_V1.encode()


def test_open_does_not_remove_a_blob_another_writer_is_writing(tmp_path: Path) -> None:
    """The CLI opening a project must not break a blob write in flight in the app."""
    folder = make_closed_project(tmp_path / "game")
    started, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    writer = BlobStore(folder / BLOB_DIR)

    def slow_write(f) -> None:
        f.write(b"first half ")
        f.flush()
        started.set()
        release.wait(10)
        f.write(b"second half")

    def run() -> None:
        try:
            writer._write_atomically(sha256_bytes(b"first half second half"), slow_write)
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert started.wait(10)
        assert len(list((folder / BLOB_DIR).glob(".tmp-*"))) == 1
        Project.open(folder).close()
        assert len(list((folder / BLOB_DIR).glob(".tmp-*"))) == 1
    finally:
        release.set()
        thread.join(10)
    assert errors == []
    assert writer.read(sha256_bytes(b"first half second half")) == b"first half second half"


# -- assets ------------------------------------------------------------------------------


def test_assets_add_list_replace_remove(tmp_path: Path, project: Project) -> None:
    png = project.add_asset("ship.png", b"\x89PNG" + b"0" * 100, meta={"from": "upload"})
    assert (png.name, png.kind, png.mime, png.size) == ("ship.png", "image", "image/png", 104)
    assert png.meta == {"from": "upload"}
    clip_file = tmp_path / "clip.webm"
    clip_file.write_bytes(b"webm" * 10)
    clip = project.add_asset("intro.webm", clip_file)
    assert (clip.kind, clip.mime, clip.size) == ("video", "video/webm", 40)
    raw = project.add_asset("level.xyz123", b"?")
    assert (raw.kind, raw.mime) == ("application", "application/octet-stream")
    forced = project.add_asset("noise", b"..", mime="audio/wav")
    assert forced.kind == "audio"
    assert [a.name for a in project.assets()] == ["ship.png", "intro.webm", "level.xyz123", "noise"]

    replaced = project.add_asset("ship.png", b"new ship")
    assert replaced.blob == sha256_bytes(b"new ship")
    assert [a.name for a in project.assets()].count("ship.png") == 1
    assert project.asset("ship.png").size == 8

    project.remove_asset("intro.webm")
    with pytest.raises(NotFoundError):
        project.asset("intro.webm")
    assert project.blobs.has(clip.blob)  # versions that use it keep their copy
    project.remove_asset("intro.webm")  # removing twice is harmless


def test_asset_names_are_plain_file_names(project: Project) -> None:
    assert project.add_asset("sub/dir/boom.wav", b"1").name == "boom.wav"
    assert project.add_asset("..\\..\\evil.png", b"1").name == "evil.png"
    for bad in ("", "  ", ".", "..", ".hidden", "dir/"):
        with pytest.raises(ProjectError, match="bad asset name"):
            project.add_asset(bad, b"1")


def test_unique_asset_names(project: Project) -> None:
    assert project.unique_asset_name("jump.wav") == "jump.wav"
    project.add_asset("jump.wav", b"1")
    assert project.unique_asset_name("jump.wav") == "jump-2.wav"
    project.add_asset("jump-2.wav", b"2")
    assert project.unique_asset_name("jump.wav") == "jump-3.wav"
    assert project.unique_asset_name("path/to/jump.wav") == "jump-3.wav"
    project.add_asset("sprite", b"3")
    assert project.unique_asset_name("sprite") == "sprite-2"
    assert project.unique_asset_name("other.png") == "other.png"


# -- conversation ------------------------------------------------------------------------


def test_messages_in_order_with_limit(project: Project) -> None:
    v = project.commit({"index.html": "1"}, parent=None, kind="generate")
    for i in range(5):
        role = "user" if i % 2 == 0 else "assistant"
        project.add_message(role, f"m{i}", version=v.id if i == 1 else None, meta={"i": i})
    msgs = project.messages()
    assert [m.content for m in msgs] == ["m0", "m1", "m2", "m3", "m4"]
    assert [m.role for m in msgs][:2] == ["user", "assistant"]
    assert msgs[1].version == v.id and msgs[0].version is None
    assert msgs[3].meta == {"i": 3}
    assert [m.content for m in project.messages(limit=2)] == ["m3", "m4"]
    assert project.messages(limit=0) == []
    assert len(project.messages(limit=50)) == 5


# -- video jobs --------------------------------------------------------------------------


def test_video_jobs_add_update_and_list_by_status(project: Project) -> None:
    a = project.add_job("openai", {"prompt": "a cat", "seconds": 4})
    b = project.add_job("openai", {"prompt": "a dog"}, status="submitted")
    c = project.add_job("other", {})
    assert (a.status, a.progress, a.result, a.error, a.remote_id) == ("queued", 0, [], None, None)
    assert a.params == {"prompt": "a cat", "seconds": 4}

    a2 = project.update_job(a.id, status="running", progress=0.5, remote_id="video_123")
    assert (a2.status, a2.progress, a2.remote_id) == ("running", 0.5, "video_123")
    assert a2.updated >= a.updated and a2.created == a.created
    done = project.update_job(b.id, status="completed", progress=1.0, result=["x.webm", "y.jpg"])
    assert done.result == ["x.webm", "y.jpg"]
    project.update_job(c.id, status="failed", error="quota", params={"prompt": "?"})
    assert project.job(c.id).error == "quota" and project.job(c.id).params == {"prompt": "?"}

    assert [j.id for j in project.jobs()] == [a.id, b.id, c.id]
    assert [j.id for j in project.jobs(["running", "queued", "submitted"])] == [a.id]
    assert [j.id for j in project.jobs({"completed", "failed"})] == [b.id, c.id]
    assert project.jobs([]) == []

    with pytest.raises(ValueError, match="unknown job fields"):
        project.update_job(a.id, owner="me")
    with pytest.raises(NotFoundError):
        project.update_job(999, status="running")
    with pytest.raises(NotFoundError):
        project.job(999)
