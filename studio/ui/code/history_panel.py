"""History: the version tree, with preview, compare, restore and fork."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.records import Version
from studio.operations.projects import version_tree
from studio.ui.code.diff_dialog import DiffDialog
from studio.ui.session import ProjectSession

ID_ROLE = Qt.ItemDataRole.UserRole


def describe(v: Version) -> str:
    """Tooltip: everything recorded about how the version was made."""
    lines = [
        f"Version {v.id} ({v.kind})",
        time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(v.created)),
    ]
    if v.prompt:
        lines.append(f"Prompt: {v.prompt}")
    i = v.info
    if i.provider or i.model:
        lines.append(f"Model: {i.model or '?'} via {i.provider or '?'}")
    if i.tokens_in is not None or i.tokens_out is not None:
        lines.append(f"Tokens: {i.tokens_in or 0} in, {i.tokens_out or 0} out")
    if i.ttft is not None:
        lines.append(f"First token after {i.ttft:.2f} s")
    if i.total_time is not None:
        lines.append(f"Total {i.total_time:.1f} s")
    return "\n".join(lines)


def made_by(v: Version) -> str:
    """The Model column: model, tokens out, time to first token / total, for generated
    versions (the tooltip has it all)."""
    i = v.info
    if not i.model:
        return ""
    parts = [i.model]
    if i.tokens_out is not None:
        parts.append(f"{i.tokens_out:,} tok")
    if i.total_time is not None:
        first = f"{i.ttft:.1f}/" if i.ttft is not None else ""
        parts.append(f"{first}{i.total_time:.1f} s")
    return " · ".join(parts)


def title_for(v: Version) -> str:
    """The list's line for a version: its prompt or label, else what it was made from (a
    bare kind would repeat the Kind column)."""
    if v.prompt or v.meta.get("label") or v.parent is None:
        return v.title
    made = {"manual": "your edit of", "edit": "edit of", "fix": "fix of"}.get(v.kind)
    return f"{made} v{v.parent}" if made else v.title


class HistoryPanel(QWidget):
    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Version", "Kind", "When", "Model"])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)  # long histories lay out in constant time
        self.tree.setColumnWidth(0, 260)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.compare_btn = QPushButton("Compare")
        self.compare_btn.setToolTip("Select two versions (Ctrl+click) to compare them")
        self.restore_btn = QPushButton("Restore")
        self.restore_btn.setToolTip("Bring the selected version back as the newest version")
        self.fork_btn = QPushButton("Fork")
        self.fork_btn.setToolTip("Start a new line from the selected version")
        self.compare_btn.clicked.connect(self.compare_selected)
        self.restore_btn.clicked.connect(lambda: self._with_selected(session.restore))
        self.fork_btn.clicked.connect(lambda: self._with_selected(session.fork))
        buttons = QHBoxLayout()
        for b in (self.compare_btn, self.restore_btn, self.fork_btn):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        layout.addLayout(buttons)
        session.project_changed.connect(lambda _p: self.refresh())
        session.versions_changed.connect(self.refresh)
        session.version_shown.connect(self._mark_shown)
        self._refreshing = False
        self.refresh()

    def refresh(self) -> None:
        """List the versions anew. Items are made first and added in one go, with updates off:
        added one by one, a 1,000-version project took a noticeable pause to open."""
        self._refreshing = True
        self.tree.setUpdatesEnabled(False)
        self.tree.clear()
        self._items: dict[int, QTreeWidgetItem] = {}
        project = self.session.project
        if project is not None:
            head = project.head
            items = []
            for depth, v in version_tree(project):
                indent = "   " * depth + ("└ " if depth else "")
                when = time.strftime("%b %d %H:%M", time.localtime(v.created))
                item = QTreeWidgetItem(
                    [f"{indent}v{v.id}  {title_for(v)}", v.kind, when, made_by(v)]
                )
                item.setData(0, ID_ROLE, v.id)
                item.setToolTip(0, describe(v))
                item.setToolTip(3, describe(v))
                if v.id == head:
                    font = item.font(0)
                    font.setBold(True)
                    item.setFont(0, font)
                items.append(item)
                self._items[v.id] = item
            self.tree.addTopLevelItems(items)
        self.tree.setUpdatesEnabled(True)
        self._refreshing = False
        if self.session.shown is not None:
            self._mark_shown(self.session.shown)
        self._update_buttons()

    def item_for(self, version_id: int) -> QTreeWidgetItem | None:
        return self._items.get(version_id)

    def selected_ids(self) -> list[int]:
        return sorted(int(i.data(0, ID_ROLE)) for i in self.tree.selectedItems())

    def _mark_shown(self, version_id: int) -> None:
        item = self.item_for(version_id)
        if item is not None and not item.isSelected():
            self._refreshing = True
            self.tree.setCurrentItem(item)
            self._refreshing = False
        self._update_buttons()

    def _selection_changed(self) -> None:
        self._update_buttons()
        ids = self.selected_ids()
        if not self._refreshing and len(ids) == 1 and ids[0] != self.session.shown:
            self.session.show_version(ids[0])

    def _update_buttons(self) -> None:
        n = len(self.selected_ids())
        self.compare_btn.setEnabled(n == 2 or (n == 1 and self.session.project is not None))
        self.restore_btn.setEnabled(n == 1)
        self.fork_btn.setEnabled(n == 1)

    def _with_selected(self, action) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            action(ids[0])

    def compare_selected(self) -> DiffDialog | None:
        project = self.session.project
        ids = self.selected_ids()
        if project is None or not ids:
            return None
        if len(ids) == 1:  # one selected: compare it with its parent
            parent = project.version(ids[0]).parent
            if parent is None:
                return None
            ids = [parent, ids[0]]
        dialog = DiffDialog(project, ids[0], ids[-1], self)
        dialog.show()
        return dialog
