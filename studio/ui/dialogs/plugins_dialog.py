"""Settings > Plugins: every plugin found, its state and what it adds, with an on/off box.

A toggle applies at once, through the same `set_plugin_enabled` the CLI uses: the running
host drops or regains the plugin's registrations (File > New no longer lists a disabled
template pack's games) and the choice is saved for the next start.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.config.settings import Settings
from studio.errors import StudioError
from studio.plugins.control import PluginRow, plugin_rows, set_plugin_enabled
from studio.plugins.host import PluginHost, PluginState

COLUMNS = ("On", "Plugin", "Version", "State", "Adds", "Problem")
ON, NAME, VERSION, STATE, ADDS, PROBLEM = range(len(COLUMNS))
NAME_ROLE = Qt.ItemDataRole.UserRole
STATE_COLOURS = {
    PluginState.FAILED: "#e5484d",
    PluginState.DISABLED: "#8b8d98",
    PluginState.ENABLED: "#30a46c",
}


class PluginsDialog(QDialog):
    def __init__(self, host: PluginHost, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.settings = settings
        self.setWindowTitle("Plugins")
        self.resize(980, 460)
        self._filling = False

        intro = QLabel(
            "Plugins add templates, code and video providers and export formats. Switching "
            "one off removes everything it adds at once, and Studio remembers the choice."
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("pluginTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        # The dark palette leaves an unticked box nearly invisible: draw the boxes plainly.
        self.table.setStyleSheet(
            "QTableWidget#pluginTable::indicator { width: 13px; height: 13px;"
            " border: 1px solid #7f8794; border-radius: 3px; background: #1b1f27; }"
            "QTableWidget#pluginTable::indicator:checked { background: #30a46c;"
            " border-color: #d7dae0; }"
        )
        header = self.table.horizontalHeader()
        for column in (ON, NAME, VERSION, STATE):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ADDS, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(PROBLEM, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(ADDS, 330)
        self.details = QLabel()
        self.details.setObjectName("pluginDetails")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setMinimumHeight(64)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addWidget(buttons)

        self.table.itemChanged.connect(self._item_changed)
        self.table.itemSelectionChanged.connect(self._show_details)
        self.host.subscribe(self.refresh)
        self.finished.connect(lambda _result: self.host.unsubscribe(self.refresh))
        self.refresh()
        if self.table.rowCount():
            self.table.selectRow(0)

    # -- showing -------------------------------------------------------------------------

    def rows(self) -> list[PluginRow]:
        return plugin_rows(self.host)

    def refresh(self) -> None:
        selected = self.selected_name()
        self._filling = True
        try:
            rows = self.rows()
            self.table.setRowCount(len(rows))
            for r, row in enumerate(rows):
                self._fill_row(r, row)
        finally:
            self._filling = False
        names = [self.table.item(r, NAME).text() for r in range(self.table.rowCount())]
        if selected in names:
            self.table.selectRow(names.index(selected))
        self._show_details()

    def _fill_row(self, r: int, row: PluginRow) -> None:
        # Items are updated in place: a toggle refreshes the table from inside the
        # checkbox's own itemChanged signal, where replacing that item would delete it.
        items = [self._item(r, c) for c in range(len(COLUMNS))]
        toggle = items[ON]
        flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
        if row.can_toggle:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
            toggle.setToolTip("Switch this plugin on or off")
        else:
            toggle.setToolTip("Part of Studio: always on")
        toggle.setFlags(flags)
        on = row.state != PluginState.DISABLED
        toggle.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        problem = row.error or "; ".join(row.warnings)
        texts = {NAME: row.name, VERSION: row.version or "—", STATE: row.state.value}
        texts |= {ADDS: row.adds or "—", PROBLEM: problem}
        for c, text in texts.items():
            items[c].setText(text)
            items[c].setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)
            items[c].setToolTip(text if c in (ADDS, PROBLEM) else "")
        for item in items:
            item.setData(NAME_ROLE, row.name)
        colour = STATE_COLOURS.get(row.state)
        palette = self.table.palette().text()
        items[STATE].setForeground(QBrush(QColor(colour)) if colour else palette)
        failed = QBrush(QColor(STATE_COLOURS[PluginState.FAILED]))
        items[PROBLEM].setForeground(failed if row.error else palette)

    def _item(self, r: int, c: int) -> QTableWidgetItem:
        item = self.table.item(r, c)
        if item is None:
            item = QTableWidgetItem()
            self.table.setItem(r, c, item)
        return item

    def selected_name(self) -> str | None:
        items = self.table.selectedItems()
        return items[0].data(NAME_ROLE) if items else None

    def _show_details(self) -> None:
        name = self.selected_name()
        info = self.host.plugins.get(name) if name else None
        if info is None:
            self.details.setText("")
            return
        lines = [f"<b>{_html(info.name)}</b> {_html(info.version)}"]
        if info.distribution:
            lines[0] += f" — from {_html(info.distribution)}"
        lines.append(f"State: {info.state.value}")
        if info.adds:
            lines.append(f"Adds: {_html(info.adds)}")
        if info.error:
            colour = STATE_COLOURS[PluginState.FAILED]
            lines.append(f"<span style='color:{colour}'>Failed: {_html(info.error)}</span>")
        lines += [f"Warning: {_html(w)}" for w in info.warnings]
        others = [p for p in self.host.problems if p not in info.warnings and name in p]
        lines += [f"Warning: {_html(p)}" for p in others]
        self.details.setText("<br>".join(lines))

    # -- toggling ------------------------------------------------------------------------

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != ON:
            return
        name = item.data(NAME_ROLE)
        self.set_enabled(name, item.checkState() == Qt.CheckState.Checked)

    def set_enabled(self, name: str, enabled: bool) -> None:
        """What the checkbox does; applies to the running Studio and to the settings."""
        try:
            set_plugin_enabled(self.settings, self.host, name, enabled)
        except StudioError as exc:
            self.details.setText(f"<span style='color:#e5484d'>{_html(str(exc))}</span>")
        self.refresh()

    def row_of(self, name: str) -> int:
        for r in range(self.table.rowCount()):
            if self.table.item(r, NAME).text() == name:
                return r
        raise KeyError(name)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
