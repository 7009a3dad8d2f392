"""The project commands, run as a real `python -m studio` process."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import studio
from studio.core.records import GenerationInfo
from studio.core.store import Project
from studio.core.templates import load_template
from studio.operations.projects import new_project
from studio.plugins.host import PluginHost

REPO = Path(__file__).resolve().parents[1]


class Run:
    def __init__(self, result: subprocess.CompletedProcess[bytes]) -> None:
        self.code = result.returncode
        self.raw = result.stdout
        self.out = result.stdout.decode("utf-8", "replace")
        self.err = result.stderr.decode("utf-8", "replace")

    def ok(self) -> Run:
        assert self.code == 0, self.err
        assert "Traceback" not in self.err
        return self

    def error(self, *fragments: str) -> str:
        """Failed with exactly one `studio: error:` line on stderr; returns that line."""
        assert self.code != 0, self.out
        assert "Traceback" not in self.err, self.err
        lines = self.err.splitlines()
        assert len(lines) == 1, self.err
        assert lines[0].startswith("studio: error: "), self.err
        for fragment in fragments:
            assert fragment in lines[0]
        return lines[0]


@pytest.fixture
def cli(tmp_path: Path):
    """Run `studio ARGS` in tmp_path/work with its own settings folder."""
    work = tmp_path / "work"
    work.mkdir()
    extra_path: list[Path] = []

    def run(*args: str | Path, plugins: Path | None = None, max_file_size: int = 0) -> Run:
        env = {
            **os.environ,
            "STUDIO_CONFIG_DIR": str(tmp_path / "config"),
            "PYTHONPATH": os.pathsep.join(str(p) for p in [REPO, *extra_path]),
        }
        result = subprocess.run(
            [sys.executable, "-m", "studio", *map(str, args)],
            cwd=work,
            env=env,
            capture_output=True,
            timeout=60,
            preexec_fn=(lambda: limit_file_size(max_file_size)) if max_file_size else None,
        )
        return Run(result)

    run.work = work  # type: ignore[attr-defined]
    run.extra_path = extra_path  # type: ignore[attr-defined]
    return run


def limit_file_size(limit: int) -> None:
    """In the child: no file may grow beyond `limit` bytes, as on a full disk (writes fail
    with EFBIG instead of the process being killed by SIGXFSZ)."""
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def make_template_folder(folder: Path, name: str = "tmpl", title: str = "Tiny Pong") -> Path:
    (folder / "js").mkdir(parents=True)
    meta = {"name": name, "title": title, "description": "made by the test", "kind": "2d"}
    (folder / "template.json").write_text(json.dumps(meta))
    (folder / "thumbnail.png").write_bytes(b"\x89PNG thumbnail")
    (folder / "index.html").write_text("<!doctype html><script src='js/main.js'></script>\n")
    (folder / "js" / "main.js").write_text("requestAnimationFrame(function f() {});\n")
    return folder


def install_template_plugin(root: Path) -> Path:
    """An outside plugin, found through its entry point, that registers one template."""
    root.mkdir()
    make_template_folder(root / "tmpl_files")
    (root / "studio_tmpl_plugin.py").write_text(
        textwrap.dedent(
            """
            from pathlib import Path

            from studio.core.templates import load_template
            from studio.plugins.hookspecs import hookimpl

            STUDIO_API = 1

            @hookimpl
            def register_templates(register):
                template = load_template(Path(__file__).parent / "tmpl_files")
                register(template.name, template)
            """
        )
    )
    dist = root / "studio_tmpl_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: studio-tmpl-plugin\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text("[studio.plugins]\ntmpl = studio_tmpl_plugin\n")
    return root


# -- commands that work ------------------------------------------------------------------


def test_version(cli) -> None:
    r = cli("--version").ok()
    assert r.out.strip() == f"studio {studio.__version__}"


def test_new_empty_project(cli) -> None:
    r = cli("new", "game").ok()
    assert r.out.strip() == "created game.studio"
    folder = cli.work / "game.studio"
    with Project.open(folder) as p:
        assert p.versions() == [] and p.name == "game"
    assert cli("versions", "game").ok().out == ""
    cli("show", "game").error("no versions yet")


def test_new_from_a_template_of_an_outside_plugin(cli, tmp_path: Path) -> None:
    cli.extra_path.append(install_template_plugin(tmp_path / "plugin"))
    listing = cli("templates").ok().out
    assert any(line.split()[:3] == ["tmpl", "Tiny", "Pong"] for line in listing.splitlines())

    r = cli("new", "pong", "--template", "tmpl").ok()
    assert r.out.strip() == "created pong.studio (version 1, tmpl)"
    files = cli("show", "pong").ok().out.splitlines()
    source = tmp_path / "plugin" / "tmpl_files"
    assert [line.split() for line in files] == [
        [str((source / "index.html").stat().st_size), "index.html"],
        [str((source / "js" / "main.js").stat().st_size), "js/main.js"],
    ]  # template.json and thumbnail.png stay in the gallery
    assert cli("show", "pong", "js/main.js").ok().out == "requestAnimationFrame(function f() {});\n"
    (line,) = cli("versions", "pong").ok().out.splitlines()
    assert line.startswith("*    1  template ") and line.endswith("template: Tiny Pong")


def test_new_from_the_first_shipped_template(cli) -> None:
    listing = cli("templates").ok().out.splitlines()
    if not listing:
        pytest.skip("no templates in resources/templates yet")
    name = listing[0].split()[0]
    r = cli("new", "first", "--template", name).ok()
    assert r.out.strip() == f"created first.studio (version 1, {name})"
    names = [line.split()[-1] for line in cli("show", "first").ok().out.splitlines()]
    assert "index.html" in names
    assert "template.json" not in names
    index = cli("show", "first", "index.html").ok().raw
    host = PluginHost()
    host.load_all()  # as the command does: the built-in templates and the plugins'
    assert index == host.template(name).files()["index.html"]


def test_project_made_from_a_template_with_the_core_api(cli, tmp_path: Path) -> None:
    template = load_template(make_template_folder(tmp_path / "templates" / "pong"))
    new_project(cli.work / "made", template).close()
    names = [line.split()[-1] for line in cli("show", "made").ok().out.splitlines()]
    assert names == ["index.html", "js/main.js"]
    assert (
        cli("show", "made.studio", "index.html").ok().raw
        == (template.folder / "index.html").read_bytes()
    )


def test_versions_shows_the_tree_head_and_model(cli) -> None:
    with Project.create(cli.work / "game") as p:
        v1 = p.commit({"index.html": "1"}, parent=None, kind="template", meta={"label": "start"})
        v2 = p.commit(
            {"index.html": "2"},
            parent=v1.id,
            kind="generate",
            prompt="add rocks\nand stars",
            info=GenerationInfo(provider="openai", model="gpt-test"),
        )
        p.fork(v1.id)
        p.set_head(v2.id)
    lines = cli("versions", "game").ok().out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("     1  template ") and lines[0].endswith("  start")
    assert lines[1].startswith("*    2  generate ")
    assert lines[1].endswith("  add rocks  [gpt-test]")
    assert lines[2].startswith("       3  fork ")  # one level in
    assert lines[2].endswith("fork of v1")


def test_show_lists_and_prints_files_of_any_version(cli) -> None:
    blob = bytes(range(256)) * 3
    with Project.create(cli.work / "game") as p:
        v1 = p.commit({"index.html": "<p>one</p>", "game.js": "a"}, parent=None, kind="manual")
        p.commit({"index.html": "<p>two</p>", "logo.png": blob}, parent=v1.id, kind="edit")
    head = [line.split() for line in cli("show", "game").ok().out.splitlines()]
    assert head == [["10", "index.html"], ["768", "logo.png"]]
    old = [line.split() for line in cli("show", "game", "--version", "1").ok().out.splitlines()]
    assert old == [["1", "game.js"], ["10", "index.html"]]
    assert cli("show", "game", "index.html").ok().out == "<p>two</p>"
    assert cli("show", "game", "index.html", "--version", "1").ok().out == "<p>one</p>"
    assert cli("show", "game", "logo.png").ok().raw == blob


def test_import_an_html_file_and_a_folder(cli) -> None:
    cli("new", "game").ok()
    (cli.work / "page.html").write_text("<h1>page</h1>")
    r = cli("import", "game", "page.html").ok()
    assert r.out.strip() == "imported page.html as version 1"
    assert cli("show", "game", "index.html").ok().out == "<h1>page</h1>"

    site = cli.work / "site"
    (site / "js").mkdir(parents=True)
    (site / "index.html").write_text("<h1>site</h1>")
    (site / "js" / "game.js").write_text("go();")
    (site / ".env").write_text("SECRET=1")
    r = cli("import", "game", "site").ok()
    assert r.out.strip() == "imported site as version 2"
    names = [line.split()[-1] for line in cli("show", "game").ok().out.splitlines()]
    assert names == ["index.html", "js/game.js"]
    with Project.open(cli.work / "game") as p:
        assert p.version(2).parent == 1 and p.version(2).kind == "import"


def test_templates_lists_name_title_description(cli, tmp_path: Path) -> None:
    cli.extra_path.append(install_template_plugin(tmp_path / "plugin"))
    lines = cli("templates").ok().out.splitlines()
    (line,) = [x for x in lines if x.startswith("tmpl ")]
    assert line.split(None, 1)[1].split() == ["Tiny", "Pong", "made", "by", "the", "test"]


# -- errors: one line, no traceback, non-zero exit ---------------------------------------


@pytest.mark.parametrize("command", ["versions", "show", "open"])
def test_a_folder_that_is_not_a_project(cli, command: str) -> None:
    (cli.work / "photos").mkdir()
    (cli.work / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    cli(command, "photos").error("not a Studio project")
    assert sorted(p.name for p in (cli.work / "photos").iterdir()) == ["cat.jpg"]


def test_a_path_that_does_not_exist(cli) -> None:
    cli("versions", "nowhere").error("does not exist")
    cli("import", "nowhere", "page.html").error("does not exist")


def test_damaged_and_newer_projects(cli) -> None:
    cli("new", "broken").ok()
    (cli.work / "broken.studio" / "project.db").write_bytes(b"this is not sqlite" * 100)
    cli("versions", "broken").error("damaged")

    cli("new", "future").ok()
    conn = sqlite3.connect(cli.work / "future.studio" / "project.db")
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    cli("show", "future").error("newer Studio")


def test_new_on_an_existing_non_empty_path(cli) -> None:
    folder = cli.work / "game.studio"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    cli("new", "game").error("already exists")
    cli("new", "game.studio").error("already exists")
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]
    (cli.work / "file.studio").write_text("a file")
    cli("new", "file").error("already exists")


def test_new_with_an_unknown_template(cli) -> None:
    cli("new", "game", "--template", "no-such-template").error("no-such-template")
    assert not (cli.work / "game.studio").exists()


def test_unknown_version(cli) -> None:
    cli("new", "game").ok()
    (cli.work / "a.html").write_text("a")
    cli("import", "game", "a.html").ok()
    cli("show", "game", "--version", "42").error("no version 42")
    cli("show", "game", "index.html", "--version", "42").error("no version 42")


def test_missing_file(cli) -> None:
    cli("new", "game").ok()
    (cli.work / "a.html").write_text("a")
    cli("import", "game", "a.html").ok()
    cli("show", "game", "nope.js").error("no file nope.js")


def test_import_errors(cli) -> None:
    cli("new", "game").ok()
    (cli.work / "notes.txt").write_text("x")
    cli("import", "game", "notes.txt").error("not an HTML file")
    (cli.work / "empty").mkdir()
    cli("import", "game", "empty").error("no index.html")
    cli("import", "game", "missing.html").error("does not exist")
    assert cli("versions", "game").ok().out == ""


def test_new_where_no_folder_can_be_made(cli) -> None:
    (cli.work / "plain").write_text("a file, not a folder")
    cli("new", "plain/sub").error("cannot create", "sub.studio", "Not a directory")
    assert (cli.work / "plain").read_text() == "a file, not a folder"
    if Path("/proc/self").is_dir():  # Linux: /proc takes no new folders
        cli("new", "/proc/x").error("cannot create /proc/x.studio", "No such file")
        assert not Path("/proc/x.studio").exists()


def test_new_on_a_full_disk_leaves_nothing_behind(cli) -> None:
    for limit in (4096, 60_000):  # no database can be made; the first version fails
        cli("new", "game", "--template", "breakout", max_file_size=limit).error("game.studio")
        assert not (cli.work / "game.studio").exists()
    empty = cli.work / "given.studio"
    empty.mkdir()
    cli("new", "given", max_file_size=4096).error("cannot create", "given.studio")
    assert empty.is_dir() and list(empty.iterdir()) == []  # the person's folder stays


def test_import_on_a_full_disk_keeps_the_project_as_it_was(cli) -> None:
    cli("new", "game").ok()
    (cli.work / "small.html").write_text("<h1>small</h1>")
    cli("import", "game", "small.html").ok()
    (cli.work / "big.html").write_text("<!-- padding -->" * 8000)  # 128 KB
    cli("import", "game", "big.html", max_file_size=100_000).error(
        "cannot store a file in", "blobs", "File too large"
    )
    assert len(cli("versions", "game").ok().out.splitlines()) == 1
    assert cli("show", "game", "index.html").ok().out == "<h1>small</h1>"
    blobs = cli.work / "game.studio" / "blobs"
    assert [p.name for p in blobs.iterdir() if p.name.startswith(".tmp")] == []


# -- history: restore, fork, diff ----------------------------------------------------------


def three_versions(cli) -> None:
    """v1 → v2 (game.js changed, logo.png added) → v3 (index.html changed)."""
    with Project.create(cli.work / "game") as p:
        v1 = p.commit(
            {"index.html": "<p>one</p>\n", "game.js": "let a = 1;\n"}, parent=None, kind="manual"
        )
        v2 = p.commit(
            {"index.html": "<p>one</p>\n", "game.js": "let a = 2;\n", "logo.png": b"\x89PNG\0"},
            parent=v1.id,
            kind="edit",
        )
        p.commit(
            {"index.html": "<p>three</p>\n", "game.js": "let a = 2;\n"}, parent=v2.id, kind="edit"
        )


def test_restore_makes_an_old_version_the_newest(cli) -> None:
    three_versions(cli)
    assert cli("restore", "game", "1").ok().out.strip() == "restored version 1 as version 4"
    assert cli("show", "game", "game.js").ok().out == "let a = 1;\n"
    with Project.open(cli.work / "game") as p:
        assert p.head == 4 and p.version(4).parent == 3 and p.version(4).kind == "restore"
        assert p.files(4) == p.files(1)


def test_fork_starts_a_new_line(cli) -> None:
    three_versions(cli)
    assert cli("fork", "game", "2").ok().out.strip() == "forked version 2 as version 4"
    lines = cli("versions", "game").ok().out.splitlines()
    assert lines[-1].startswith("*      4  fork ")  # one level in, under version 2
    with Project.open(cli.work / "game") as p:
        assert p.version(4).parent == 2 and p.files(4) == p.files(2)


def test_diff_between_two_versions_and_against_the_head(cli) -> None:
    three_versions(cli)
    out = cli("diff", "game", "1", "2").ok().out
    assert out == (
        "--- a/game.js\n+++ b/game.js\n@@ -1 +1 @@\n-let a = 1;\n+let a = 2;\n"
        "Binary file logo.png added\n"
    )
    to_head = cli("diff", "game", "2").ok().out  # V2 defaults to the head (3)
    assert "-<p>one</p>\n+<p>three</p>\n" in to_head
    assert "Binary file logo.png removed" in to_head and "game.js" not in to_head
    assert cli("diff", "game", "3", "3").ok().out == ""


def test_history_commands_refuse_unknown_versions(cli) -> None:
    three_versions(cli)
    cli("restore", "game", "9").error("no version 9")
    cli("fork", "game", "9").error("no version 9")
    cli("diff", "game", "1", "9").error("no version 9")
    cli("diff", "nowhere", "1").error("does not exist")
    assert len(cli("versions", "game").ok().out.splitlines()) == 3


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The projects the app would open (no window: `run_app` only notes its argument)."""
    import studio.app

    paths: list[Path] = []
    monkeypatch.setattr(studio.app, "run_app", lambda path: paths.append(path) or 0)
    return paths


def test_open_an_archive_shows_what_it_holds_before_importing(
    tmp_path: Path, config_dir: Path, opened: list[Path], capsys
) -> None:
    from studio.cli import main

    with Project.create(tmp_path / "game", name="Game") as p:
        v1 = p.commit({"index.html": "<p>one</p>"}, parent=None, kind="manual")
        p.commit({"index.html": "<p>two</p>"}, parent=v1.id, kind="edit")
        p.add_asset("logo.png", b"\x89PNG logo")
    share = tmp_path / "share"
    share.mkdir()
    archive = share / "Game.studioproj"
    assert (
        main(["export", str(tmp_path / "game"), "--format", "archive", "--out", str(archive)]) == 0
    )
    capsys.readouterr()

    assert main(["open", str(archive)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Project “Game” (archived ")
    assert lines[1] == "2 versions on 1 line, head v2"
    assert lines[2].startswith("1 asset, ")
    assert any(line.startswith("  logo.png  (image/png, ") for line in lines)
    assert lines[-1] == f"imported {archive} as {share / 'Game.studio'}"  # written after
    assert opened == [share / "Game.studio"]


def test_studio_path_opens_a_project_or_an_archive(
    tmp_path: Path, config_dir: Path, opened: list[Path], capsys
) -> None:
    """`studio PATH`, as a file manager or the desktop entry (`Exec=studio %f`) runs it."""
    from studio.cli import main

    with Project.create(tmp_path / "game", name="Game") as p:
        p.commit({"index.html": "<p>one</p>"}, parent=None, kind="manual")
        folder = p.path
    assert main([str(folder)]) == 0
    archive = tmp_path / "Game.studioproj"
    assert main(["export", str(folder), "--format", "archive", "--out", str(archive)]) == 0
    assert main([str(archive)]) == 0
    assert opened == [folder, tmp_path / "Game.studio"]  # the archive imported beside it
    assert "imported" in capsys.readouterr().out
    # A command name stays a command; a missing project is said in one line.
    assert main(["templates"]) == 0
    assert main([str(tmp_path / "nowhere.studio")]) == 1
    assert "nowhere.studio" in capsys.readouterr().err
