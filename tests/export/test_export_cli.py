"""`studio export`, `studio import-archive` and `studio open ARCHIVE` from the command line."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from studio.cli import main
from studio.core.store import Project
from studio.plugins.host import PluginHost, PluginState
from tests.export.broken_plugin import raising_exporter_plugin


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    with Project.create(tmp_path / "game.studio", name="Game") as p:
        v1 = p.commit({"index.html": "<title>A</title><p>first</p>"}, parent=None, kind="manual")
        p.commit({"index.html": "<title>B</title><p>second</p>"}, parent=v1.id, kind="edit")
    return tmp_path / "game.studio"


def test_export_each_format(project_dir, tmp_path, capsys):
    assert (
        main(["export", str(project_dir), "--format", "html", "--out", str(tmp_path / "g.html")])
        == 0
    )
    out = capsys.readouterr().out
    assert "exporting version 2 as Single HTML file: about" in out and "wrote" in out
    assert "second" in (tmp_path / "g.html").read_text()

    assert main(["export", str(project_dir), "--format", "html", "--version", "1", "-q"]) == 0
    written = Path(capsys.readouterr().out.strip())
    assert written == tmp_path / "Game-v1.html" and "first" in written.read_text()

    assert (
        main(["export", str(project_dir), "--format", "zip", "--out", str(tmp_path / "g.zip")]) == 0
    )
    assert zipfile.ZipFile(tmp_path / "g.zip").namelist() == ["index.html"]

    archive = tmp_path / "g.studioproj"
    assert main(["export", str(project_dir), "--format", "archive", "--out", str(archive)]) == 0
    assert "exporting the whole project" in capsys.readouterr().out


def test_export_refuses_unknown_format_and_version(project_dir, capsys):
    assert main(["export", str(project_dir), "--format", "pdf"]) == 1
    assert "no export format named 'pdf'" in capsys.readouterr().err
    assert main(["export", str(project_dir), "--version", "99"]) == 1
    assert "no version 99" in capsys.readouterr().err


def test_import_archive_shows_the_summary_then_imports(project_dir, tmp_path, capsys):
    archive = tmp_path / "g.studioproj"
    main(["export", str(project_dir), "--format", "archive", "--out", str(archive), "-q"])
    capsys.readouterr()
    assert main(["import-archive", str(archive), str(tmp_path / "dry"), "--dry-run"]) == 0
    assert "2 versions on 1 line" in capsys.readouterr().out
    assert not (tmp_path / "dry.studio").exists()
    assert main(["import-archive", str(archive), str(tmp_path / "copy")]) == 0
    assert f"imported as {tmp_path / 'copy.studio'}" in capsys.readouterr().out
    with Project.open(tmp_path / "copy.studio") as p:
        assert p.read_file(1, "index.html") == b"<title>A</title><p>first</p>"
    assert main(["import-archive", str(archive), str(tmp_path / "copy")]) == 1
    assert "already exists" in capsys.readouterr().err


def test_open_an_archive_imports_it_beside_itself(project_dir, tmp_path, monkeypatch, capsys):
    import studio.app

    opened: list[Path] = []
    monkeypatch.setattr(studio.app, "run_app", lambda path: opened.append(path) or 0)
    share = tmp_path / "share"
    share.mkdir()
    archive = share / "Game.studioproj"
    main(["export", str(project_dir), "--format", "archive", "--out", str(archive), "-q"])
    assert main(["open", str(archive)]) == 0
    assert opened == [share / "Game.studio"]
    assert main(["open", str(archive)]) == 0  # a second time: a free name, nothing replaced
    assert opened[-1] == share / "Game-2.studio"
    junk = share / "junk.studioproj"
    junk.write_bytes(b"nope")
    assert main(["open", str(junk)]) == 1
    assert "not a readable archive" in capsys.readouterr().err
    assert len(opened) == 2


@pytest.mark.parametrize("where", ["export", "estimate"])
def test_a_plugin_exporter_that_raises_is_one_clear_line(
    project_dir, tmp_path, monkeypatch, capsys, where
):
    host = PluginHost()
    host.load_all(entry_points=False)
    host.add_module("broken", raising_exporter_plugin(where))
    monkeypatch.setattr("studio.commands.project.load_host", lambda: host)
    out = tmp_path / "g.broken"
    assert main(["export", str(project_dir), "--format", "broken", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"plugin 'broken' broke (RuntimeError: {where} blew up)" in err
    assert "Traceback" not in err and not out.exists()
    assert host.plugins["broken"].state == PluginState.FAILED
