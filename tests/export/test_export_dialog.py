"""The Export and Import archive dialogs, driven like a person would (pytest-qt, offscreen)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtGui import QDesktopServices

from studio.core.store import Project
from studio.export import ArchiveExporter
from studio.plugins.host import PluginHost, PluginState
from studio.ui.dialogs.export_dialog import ExportDialog, ImportArchiveDialog
from tests.export.broken_plugin import raising_exporter_plugin

from .conftest import run


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    urls: list[str] = []
    monkeypatch.setattr(
        QDesktopServices, "openUrl", lambda url: urls.append(url.toString()) or True
    )
    return urls


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project.create(tmp_path / "game.studio", name="Game")
    v1 = p.commit({"index.html": "<title>One</title><p>first</p>"}, parent=None, kind="manual")
    p.commit({"index.html": "<title>Two</title><p>second</p>"}, parent=v1.id, kind="edit")
    yield p
    p.close()


def test_export_dialog_exports_the_chosen_version(qtbot, host, project, tmp_path, opened):
    dialog = ExportDialog(project, host, version=1)
    qtbot.addWidget(dialog)
    formats = [dialog.format.itemData(i) for i in range(dialog.format.count())]
    assert formats == ["html", "zip", "folder", "archive"]
    assert dialog.version.currentData() == 1
    assert dialog.dest.text() == str(tmp_path / "Game-v1.html")
    assert dialog.size.text().startswith("about ") and not dialog.warning.isVisibleTo(dialog)

    dialog.dest.setText(str(tmp_path / "out" / "one.html"))
    dialog._dest_typed("")
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=10_000)
    assert "first" in (tmp_path / "out" / "one.html").read_text()
    assert "Exported to" in dialog.status.text()
    assert dialog.show_folder.isVisibleTo(dialog) and dialog.open_browser.isVisibleTo(dialog)
    dialog.open_browser.click()
    dialog.show_folder.click()
    assert opened == [(tmp_path / "out" / "one.html").as_uri(), (tmp_path / "out").as_uri()]


def test_switching_format_and_version_updates_name_and_size(qtbot, host, project, tmp_path):
    dialog = ExportDialog(project, host)
    qtbot.addWidget(dialog)
    assert dialog.version.currentData() == 2  # the head by default
    dialog.select_format("zip")
    assert dialog.dest.text() == str(tmp_path / "Game-v2.zip")
    dialog.version.setCurrentIndex(dialog.version.findData(1))
    assert dialog.dest.text() == str(tmp_path / "Game-v1.zip")
    dialog.select_format("archive")
    assert dialog.dest.text() == str(tmp_path / "Game.studioproj")
    assert not dialog.version.isEnabled()
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=10_000)
    assert not dialog.open_browser.isVisibleTo(dialog)  # an archive is not for a browser


def test_large_single_file_is_warned_about_and_zip_offered(qtbot, host, tmp_path):
    big = Project.create(tmp_path / "big.studio", name="Big")
    big.commit(
        {"index.html": "<video src='assets/v.bin'></video>", "assets/v.bin": bytes(18 << 20)},
        parent=None,
        kind="manual",
    )
    dialog = ExportDialog(big, host)
    qtbot.addWidget(dialog)
    assert dialog.warning.isVisibleTo(dialog) and "zip" in dialog.warning.text()
    assert dialog.use_zip.isVisibleTo(dialog)
    dialog.use_zip.click()
    assert dialog.format.currentData() == "zip"
    assert not dialog.warning.isVisibleTo(dialog)
    big.close()


def test_a_failed_export_says_why(qtbot, host, tmp_path):
    p = Project.create(tmp_path / "bad.studio")
    p.commit({"page.html": "<p>no index</p>"}, parent=None, kind="manual")
    dialog = ExportDialog(p, host)
    qtbot.addWidget(dialog)
    assert not dialog.export_button.isEnabled()
    assert "no index.html" in dialog.warning.text()
    p.close()


@pytest.mark.parametrize("where", ["export", "estimate"])
def test_a_plugin_exporter_that_raises_switches_its_plugin_off(qtbot, project, tmp_path, where):
    host = PluginHost()
    host.load_all(entry_points=False)
    host.add_module("broken", raising_exporter_plugin(where))
    assert host.plugins["broken"].state == PluginState.ENABLED
    dialog = ExportDialog(project, host)
    qtbot.addWidget(dialog)
    dialog.select_format("broken")
    if where == "export":
        assert dialog.exporter.name == "broken" and dialog.export_button.isEnabled()
        dialog.dest.setText(str(tmp_path / "out.broken"))
        dialog.export_button.click()
        qtbot.waitUntil(lambda: dialog.job is None, timeout=10_000)
    status = dialog.status.text()
    assert f"plugin 'broken' broke (RuntimeError: {where} blew up)" in status
    assert "switched that plugin off" in status and "Traceback" not in status
    info = host.plugins["broken"]
    assert info.state == PluginState.FAILED and f"{where} blew up" in info.error
    # Its format is gone; the built-in ones go on working.
    qtbot.waitUntil(lambda: dialog.format.count() == 4)
    formats = [dialog.format.itemData(i) for i in range(dialog.format.count())]
    assert formats == ["html", "zip", "folder", "archive"]
    assert dialog.exporter.name == "html" and dialog.export_button.isEnabled()
    assert not (tmp_path / "out.broken").exists()


@pytest.fixture
def archive(project: Project, tmp_path: Path) -> Path:
    out = tmp_path / "share" / "Game.studioproj"
    run(ArchiveExporter().export(project, None, out))
    return out


def test_import_dialog_shows_the_summary_before_writing(qtbot, archive, tmp_path):
    dialog = ImportArchiveDialog(archive)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.summary is not None, timeout=10_000)
    assert "2 versions on 1 line" in dialog.details.toPlainText()
    assert dialog.dest.text() == str(tmp_path / "share" / "Game.studio")
    assert not (tmp_path / "share" / "Game.studio").exists()
    with qtbot.waitSignal(dialog.imported, timeout=10_000) as signal:
        dialog.import_button.click()
    assert signal.args == [tmp_path / "share" / "Game.studio"]
    with Project.open(signal.args[0]) as p:
        assert p.read_file(1, "index.html").endswith(b"first</p>")


def test_import_dialog_refuses_a_damaged_archive(qtbot, tmp_path):
    junk = tmp_path / "junk.studioproj"
    junk.write_bytes(b"PK\x03\x04 broken")
    dialog = ImportArchiveDialog(junk)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "refused" in dialog.details.toPlainText(), timeout=10_000)
    assert not dialog.import_button.isEnabled()
    assert "Nothing was written" in dialog.status.text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.studioproj"]


def test_file_menu_offers_export_and_import_archive(qtbot, host, project, config_dir):
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from studio.config.settings import Settings
    from studio.ui.main_window import MainWindow

    window = MainWindow(host, Settings(config_dir / "settings.json"))
    try:
        texts = [a.text() for a in window.file_menu.actions()]
        assert "&Export…" in texts and "Import &archive…" in texts
        assert not window.export_action.isEnabled()
        window.open_project(project)
        assert window.export_action.isEnabled()
    finally:
        window.close()
        window.deleteLater()
        # Deleted now: its web page and renderer go with it.
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        qtbot.wait(50)


def test_an_exporter_breaking_on_the_worker_thread_is_reported_on_the_gui_thread(
    qtbot, qloop, project, tmp_path
):
    """The export runs on a worker thread; the host, and the widgets listening to it, hear
    of the broken plugin on the GUI thread (through the asyncio loop running there)."""
    host = PluginHost()
    host.load_all(entry_points=False)
    host.add_module("broken", raising_exporter_plugin("export"))
    heard: list[tuple[str, int]] = []
    host.subscribe(lambda: heard.append((host.plugins["broken"].state, threading.get_ident())))
    dialog = ExportDialog(project, host)
    qtbot.addWidget(dialog)
    dialog.select_format("broken")
    dialog.dest.setText(str(tmp_path / "out.broken"))
    dialog.export_button.click()
    worker = dialog.job.thread
    qtbot.waitUntil(lambda: dialog.job is None and dialog.format.count() == 4, timeout=10_000)
    assert heard == [(PluginState.FAILED, threading.main_thread().ident)]
    assert worker is not None and worker.ident != threading.main_thread().ident
    assert "plugin 'broken' broke (RuntimeError: export blew up)" in dialog.status.text()
