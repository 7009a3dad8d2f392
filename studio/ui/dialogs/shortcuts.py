"""Help › Keyboard shortcuts: every menu action that has keys, from the menus themselves."""

from __future__ import annotations

import html

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox

EXTRA = (("Send the prompt (in the prompt box)", "Ctrl+Enter"),)


def show_shortcuts(window: QMainWindow) -> None:
    rows = []
    seen = set()
    for menu in window.menuBar().findChildren(QMenu):
        for action in menu.actions():
            if action in seen or not action.shortcuts():
                continue
            seen.add(action)
            keys = ", ".join(
                k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()
            )
            rows.append((action.text().replace("&", ""), keys))
    table = "".join(
        f"<tr><td>{html.escape(what)}&nbsp;&nbsp;</td><td><b>{html.escape(keys)}</b></td></tr>"
        for what, keys in [*rows, *EXTRA]
    )
    QMessageBox.information(window, "Keyboard shortcuts", f"<table>{table}</table>")
