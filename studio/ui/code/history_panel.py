"""History: the version tree drawn as a graph (branches from where they grew, a picture per
version, runs of alike versions folded), with preview, compare, restore and fork. The rules
are the session's and `studio.operations.history_graph`'s; this panel only shows them."""

from __future__ import annotations

import time
from pathlib import Path

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
from studio.operations.history_graph import GraphRow, history_rows
from studio.operations.recent import thumbnail_path
from studio.operations.session import compare_pair
from studio.ui.code.diff_dialog import CompareDialog
from studio.ui.code.history_delegate import PICTURE_ROLE, ROW_ROLE, HistoryDelegate
from studio.ui.icons import icon
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


def row_title(row: GraphRow) -> str:
    """The list's line for a row: `v5  prompt`, or for a folded run `▸ v3–v8  … (6)`."""
    first, last = row.versions[0], row.version
    if not row.folded:
        return f"v{last.id}  {title_for(last)}"
    return f"▸ v{first.id}–v{last.id}  {title_for(last)}  ({len(row.versions)} alike)"


class HistoryPanel(QWidget):
    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.expanded: set[int] = set()  # folded runs the person opened (by first version)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Version", "Kind", "When", "Model"])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)  # long histories lay out in constant time
        self.delegate = HistoryDelegate(self.tree)
        self.tree.setItemDelegate(self.delegate)
        self.tree.setColumnWidth(0, 320)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.tree.itemDoubleClicked.connect(lambda item, _c: self._toggle_fold(item))
        self.compare_btn = QPushButton(icon("compare"), "Compare")
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
        session.project_changed.connect(self._project_changed)
        session.versions_changed.connect(self.refresh)
        session.version_shown.connect(self._mark_shown)
        self._refreshing = False
        self.refresh()

    def _project_changed(self, _project: object) -> None:
        self.expanded.clear()
        self.delegate.forget()
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
            rows = history_rows(project.versions(), self.expanded)
            self.delegate.lanes = max((r.lane for r in rows), default=0) + 1
            pictures = str(thumbnail_path(project.path, 0).parent)  # one Path, not a thousand
            for row in rows:
                v = row.version
                when = time.strftime("%b %d %H:%M", time.localtime(v.created))
                item = QTreeWidgetItem([row_title(row), v.kind, when, made_by(v)])
                item.setData(0, ID_ROLE, v.id)
                item.setData(0, ROW_ROLE, row)
                item.setData(0, PICTURE_ROLE, f"{pictures}/v{v.id}.png")
                tip = describe(v)
                if row.folded:
                    tip += f"\n\n{len(row.versions)} alike versions: double-click to show each"
                item.setToolTip(0, tip)
                item.setToolTip(3, describe(v))
                if head in (r.id for r in row.versions):
                    font = item.font(0)
                    font.setBold(True)
                    item.setFont(0, font)
                items.append(item)
                self._items.update(dict.fromkeys((r.id for r in row.versions), item))
            self.tree.addTopLevelItems(items)
        self.tree.setUpdatesEnabled(True)
        self._refreshing = False
        if self.session.shown is not None:
            self._mark_shown(self.session.shown)
        self._update_buttons()

    def picture_saved(self, version_id: int) -> None:
        """The Preview saved version `version_id`'s picture: paint its row again."""
        project = self.session.project
        item = self.item_for(version_id)
        if project is None or item is None:
            return
        self.delegate.forget(Path(item.data(0, PICTURE_ROLE)))
        self.tree.viewport().update(self.tree.visualItemRect(item))

    def _toggle_fold(self, item: QTreeWidgetItem) -> None:
        row = item.data(0, ROW_ROLE)
        if isinstance(row, GraphRow) and row.folded:
            self.expanded.add(row.versions[0].id)
            self.refresh()

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
            item = self.item_for(self.session.shown or -1)
            if item is None or int(item.data(0, ID_ROLE)) != ids[0]:  # not the run shown
                self.session.show_version(ids[0])

    def _update_buttons(self) -> None:
        ids = self.selected_ids()
        pair = compare_pair(ids)
        ready = isinstance(pair, tuple) and self.session.project is not None
        self.compare_btn.setEnabled(ready)
        self.compare_btn.setToolTip(
            "Both versions side by side: their code, and the two games playing"
            if ready
            else str(pair)
        )
        self.restore_btn.setEnabled(len(ids) == 1)
        self.fork_btn.setEnabled(len(ids) == 1)

    def _with_selected(self, action) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            action(ids[0])

    def compare_selected(self) -> CompareDialog | None:
        pair = compare_pair(self.selected_ids())
        return self.compare_versions(*pair) if isinstance(pair, tuple) else None

    def compare_with_parent(self, version_id: int) -> CompareDialog | None:
        """ "view changes" on a version's line in Chat: the version beside the one before."""
        project = self.session.project
        parent = project.version(version_id).parent if project is not None else None
        return self.compare_versions(parent, version_id) if parent is not None else None

    def compare_versions(self, old: int, new: int) -> CompareDialog | None:
        project = self.session.project
        if project is None:
            return None
        dialog = CompareDialog(self.session, old, new, self)
        dialog.show()
        return dialog
