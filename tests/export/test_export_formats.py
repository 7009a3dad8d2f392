"""The exporters without a browser: registration, sizes, versions, all-or-nothing writes."""

from __future__ import annotations

import re
import types
import zipfile
from pathlib import Path

import pytest

from studio.core.store import Project
from studio.export import (
    LARGE_SINGLE_FILE,
    ExportError,
    SingleHtmlExporter,
    ZipExporter,
    default_file_name,
    exporters,
    get_exporter,
    size_warning,
)
from studio.export.shell import SINGLE_FILE_CSP, WEB_FOLDER_CSP
from studio.plugins.hookspecs import hookimpl
from studio.plugins.host import PluginHost

from .conftest import EXPECTED_TEMPLATES, extract, run, template_names


def test_the_starter_templates_are_all_there():
    assert set(EXPECTED_TEMPLATES) <= set(template_names())


def test_builtin_exporters_are_registered_like_a_plugin(host):
    assert [e.name for e in exporters(host)] == ["html", "zip", "folder", "archive"]
    assert host.owner("exporters", "html") == "builtin"
    with pytest.raises(ExportError, match="known: html, zip, folder, archive"):
        get_exporter(host, "pdf")


def test_a_plugin_adds_an_exporter_and_disabling_it_removes_it():
    class Upper:
        name, title, suffix = "upper", "Upper-case HTML", ".txt"

        def estimate(self, project, version):
            return 1

        async def export(self, project, version, out_path, on_progress=None):
            raise NotImplementedError

    plugin = types.ModuleType("upper_plugin")
    plugin.STUDIO_API = 1

    @hookimpl
    def register_exporters(register):
        register("upper", Upper())

    plugin.register_exporters = register_exporters
    host = PluginHost()
    host.load_all(entry_points=False)
    host.add_module("upper", plugin)
    assert [e.name for e in exporters(host)][-1] == "upper"
    host.disable("upper")
    assert "upper" not in [e.name for e in exporters(host)]


def two_versions(tmp_path: Path) -> tuple[Project, int, int]:
    project = Project.create(tmp_path / "g.studio", name="My game: 2")
    v1 = project.commit(
        {"index.html": "<title>One</title><script src='a.js'></script>", "a.js": "var v = 'ONE';"},
        parent=None,
        kind="manual",
    ).id
    v2 = project.commit(
        {"index.html": "<title>Two</title><script src='a.js'></script>", "a.js": "var v = 'TWO';"},
        parent=v1,
        kind="edit",
    ).id
    return project, v1, v2


def test_any_version_can_be_exported_not_only_the_head(tmp_path):
    project, v1, v2 = two_versions(tmp_path)
    assert project.head == v2
    run(SingleHtmlExporter().export(project, v1, tmp_path / "one.html"))
    run(SingleHtmlExporter().export(project, None, tmp_path / "head.html"))
    one, head = (tmp_path / "one.html").read_text(), (tmp_path / "head.html").read_text()
    assert "ONE" in one and "TWO" not in one and "<title>One</title>" in one
    assert "TWO" in head and "<title>Two</title>" in head
    run(ZipExporter().export(project, v1, tmp_path / "one.zip"))
    with zipfile.ZipFile(tmp_path / "one.zip") as zf:
        assert zf.read("a.js") == b"var v = 'ONE';"
    assert default_file_name(project, v1, SingleHtmlExporter()) == f"My-game-2-v{v1}.html"


def test_pages_carry_the_policy_that_forbids_the_network(tmp_path):
    project, _, _ = two_versions(tmp_path)
    run(SingleHtmlExporter().export(project, None, tmp_path / "g.html"))
    text = (tmp_path / "g.html").read_text()
    policies = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text)
    assert policies and policies[0] == SINGLE_FILE_CSP
    assert "connect-src blob: data:;" in SINGLE_FILE_CSP and "http" not in SINGLE_FILE_CSP
    run(ZipExporter().export(project, None, tmp_path / "g.zip"))
    index = (extract(tmp_path / "g.zip", tmp_path / "web") / "index.html").read_text()
    assert f'content="{WEB_FOLDER_CSP}"' in index
    assert "connect-src 'self' data: blob:;" in WEB_FOLDER_CSP


@pytest.mark.parametrize("name", ["html", "zip", "folder", "archive"])
def test_the_estimate_is_close_to_what_is_written(tmp_path, host, video_project, name, monkeypatch):
    monkeypatch.setenv("STUDIO_CACHE_DIR", str(tmp_path / "cold"))  # no MP4 made yet: a guess
    exporter = get_exporter(host, name)
    out = tmp_path / f"out{exporter.suffix or '-folder'}"
    estimate = exporter.estimate(video_project, None)
    result = run(exporter.export(video_project, None, out))
    assert result.size == (
        sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        if out.is_dir()
        else out.stat().st_size
    )
    assert 0.6 * result.size <= estimate <= 1.6 * result.size, (estimate, result.size)


def test_a_large_single_file_is_warned_about_and_the_zip_suggested(tmp_path, host):
    html = get_exporter(host, "html")
    assert size_warning(html, LARGE_SINGLE_FILE - 1) is None
    warning = size_warning(html, 34 * 1024 * 1024)
    assert warning is not None and "34.0 MB" in warning and "zip" in warning
    assert size_warning(get_exporter(host, "zip"), 10 * LARGE_SINGLE_FILE) is None
    project = Project.create(tmp_path / "big.studio")
    project.commit(
        {"index.html": "<video src='assets/big.bin'></video>", "assets/big.bin": bytes(16 << 20)},
        parent=None,
        kind="manual",
    )
    assert size_warning(html, html.estimate(project, None)) is not None


def test_a_failed_export_leaves_nothing_behind(tmp_path):
    project = Project.create(tmp_path / "empty.studio")
    project.commit({"game.html": "<p>no index</p>"}, parent=None, kind="manual")
    out = tmp_path / "out"
    out.mkdir()
    for exporter in (SingleHtmlExporter(), ZipExporter()):
        with pytest.raises(ExportError, match="no index.html"):
            run(exporter.export(project, None, out / f"g{exporter.suffix}"))
    assert list(out.iterdir()) == []


def test_an_existing_file_is_replaced_only_when_the_export_succeeds(tmp_path):
    project, v1, _ = two_versions(tmp_path)
    target = tmp_path / "g.html"
    target.write_text("old")
    run(SingleHtmlExporter().export(project, v1, target))
    assert "ONE" in target.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.html", "g.studio"]


def test_missing_references_are_reported(tmp_path):
    project = Project.create(tmp_path / "m.studio")
    project.commit({"index.html": "<img src='assets/gone.png'>"}, parent=None, kind="manual")
    result = run(SingleHtmlExporter().export(project, None, tmp_path / "m.html"))
    assert result.notes == ("index.html refers to assets/gone.png, which is not in the game",)
