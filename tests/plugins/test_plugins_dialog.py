"""Settings > Plugins: the table, the toggle that applies at once, failure reasons."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import QApplication

from studio.config.settings import FILE_NAME, Settings
from studio.plugins.control import load_host
from studio.plugins.host import PluginState
from studio.ui.dialogs.plugins_dialog import ADDS, NAME, ON, PROBLEM, STATE, VERSION, PluginsDialog
from studio.ui.dialogs.template_gallery import GalleryDialog
from studio.ui.main_window import MainWindow

BROKEN = "STUDIO_API = 1\nraise RuntimeError('the plugin is broken on purpose')\n"


def cells(dialog: PluginsDialog, name: str) -> dict[int, str]:
    r = dialog.row_of(name)
    return {c: dialog.table.item(r, c).text() for c in (NAME, VERSION, STATE, ADDS, PROBLEM)}


def check_state(dialog: PluginsDialog, name: str) -> Qt.CheckState:
    return dialog.table.item(dialog.row_of(name), ON).checkState()


def gallery_names(templates) -> list[str]:
    dialog = GalleryDialog(templates)
    try:
        return [t.name for t in dialog.templates.values()]
    finally:
        dialog.deleteLater()


def test_the_table_lists_plugins_states_and_failure_reasons(
    qtbot, good_plugin, make_dist, settings: Settings
) -> None:
    make_dist(BROKEN, entry="broken", version="0.9")
    dialog = PluginsDialog(load_host(settings), settings)
    qtbot.addWidget(dialog)
    names = [dialog.table.item(r, NAME).text() for r in range(dialog.table.rowCount())]
    assert names[0] == "builtin"
    assert {"demo", "broken", "title-cards", "template-pack"} <= set(names)
    assert cells(dialog, "demo") == {
        NAME: "demo",
        VERSION: "1.2.3",
        STATE: "enabled",
        ADDS: "template: demo-game; video provider: demo-video",
        PROBLEM: "",
    }
    broken = cells(dialog, "broken")
    assert broken[STATE] == "failed"
    assert broken[PROBLEM].startswith("could not be imported: RuntimeError: the plugin is broken")
    # The built-in plugin's box cannot be unticked.
    builtin = dialog.table.item(dialog.row_of("builtin"), ON)
    assert not builtin.flags() & Qt.ItemFlag.ItemIsUserCheckable
    # Selecting a failed plugin shows its whole reason below the table.
    dialog.table.selectRow(dialog.row_of("broken"))
    assert "Failed: could not be imported: RuntimeError" in dialog.details.text()


def test_the_toggle_applies_at_once_and_is_saved(
    qtbot, good_plugin, settings: Settings, config_dir: Path
) -> None:
    host = load_host(settings)
    dialog = PluginsDialog(host, settings)
    qtbot.addWidget(dialog)
    assert "demo-game" in gallery_names(host.templates())

    box = dialog.table.item(dialog.row_of("demo"), ON)
    box.setCheckState(Qt.CheckState.Unchecked)  # what a click on the box does
    assert host.plugins["demo"].state == PluginState.DISABLED
    assert cells(dialog, "demo")[STATE] == "disabled"
    assert "demo-game" not in gallery_names(host.templates())  # File > New forgot it
    saved = json.loads((config_dir / FILE_NAME).read_text())
    assert saved["disabled_plugins"] == ["demo"]
    assert load_host(Settings(config_dir / FILE_NAME)).plugins["demo"].state == "disabled"

    dialog.table.item(dialog.row_of("demo"), ON).setCheckState(Qt.CheckState.Checked)
    assert host.plugins["demo"].state == PluginState.ENABLED
    assert check_state(dialog, "demo") == Qt.CheckState.Checked
    assert "demo-game" in gallery_names(host.templates())
    assert json.loads((config_dir / FILE_NAME).read_text())["disabled_plugins"] == []


def test_the_table_follows_changes_made_elsewhere(qtbot, good_plugin, settings) -> None:
    host = load_host(settings)
    dialog = PluginsDialog(host, settings)
    qtbot.addWidget(dialog)
    host.report_failure("demo", RuntimeError("crashed in use"))
    assert cells(dialog, "demo")[STATE] == "failed"
    assert "raised while in use: RuntimeError: crashed in use" in cells(dialog, "demo")[PROBLEM]
    dialog.close()
    dialog.finished.emit(0)
    assert dialog.refresh not in host._listeners  # no updates to a closed dialog


def test_settings_menu_opens_the_dialog_on_the_windows_host(
    qtbot, good_plugin, settings: Settings, config_dir: Path
) -> None:
    host = load_host(settings)
    window = MainWindow(host, settings)
    try:
        use_the_menu(qtbot, window, config_dir)
    finally:
        # Deleted now, with its web page, before the profile goes (as tests/ui does).
        window.close()
        window.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def use_the_menu(qtbot, window: MainWindow, config_dir: Path) -> None:
    menu_titles = [a.text() for a in window.menuBar().actions()]
    assert "&Settings" in menu_titles
    assert window.plugins_action in window.settings_menu.actions()
    seen: list[str] = []

    def use_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, PluginsDialog) and dialog.host is window.session.host
        seen.append(dialog.windowTitle())
        dialog.set_enabled("demo", False)
        dialog.reject()

    QTimer.singleShot(0, use_dialog)
    window.plugins_action.trigger()  # modal: returns when use_dialog closed it
    assert seen == ["Plugins"]
    assert "demo-game" not in [t.name for t in window.session.host.templates()]
    assert Settings(config_dir / FILE_NAME).get("disabled_plugins") == ["demo"]
