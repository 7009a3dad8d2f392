"""A grid of picture thumbnails (the Images tab's results and its library).

Each entry has a key (the picture's blob: the same picture is decoded once) and a caption;
thumbnails are made on a worker thread (`picture_images.thumbnails`) and shown
when ready. Library entries can be dragged: the drag carries the asset's name (for the
Chat prompt box, which names it: `studio.ui.widgets.asset_drag`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QMimeData, QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from studio.ui.images.picture_images import thumbnails
from studio.ui.widgets.asset_drag import ASSET_MIME, asset_mime_data
from studio.ui.widgets.background import Tasks

log = logging.getLogger(__name__)

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class Entry:
    key: str  # the picture's blob hash: `read(key)` gives its bytes (on a worker thread)
    caption: str
    name: str | None = None  # the asset's name (library entries: draggable)
    ref: object = None  # what the owner needs back (a job id, ...)


class PictureGrid(QListWidget):
    """`read(key)` gives a picture's bytes (the open project's blob store); it is called on
    a worker thread, and only for pictures without a thumbnail yet."""

    def __init__(self, thumb: QSize, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumb = thumb
        self.read: Callable[[str], bytes] | None = None
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(thumb)
        self.setGridSize(QSize(thumb.width() + 16, thumb.height() + 30))
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setMovement(QListWidget.Movement.Static)
        self.setWordWrap(False)
        self.setUniformItemSizes(True)
        self.setSpacing(2)
        self.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self._icons: dict[str, QIcon] = {}
        self._tasks = Tasks()

    def set_entries(self, entries: Sequence[Entry]) -> None:
        """Show `entries` (keeping the selection where the same keys are still there)."""
        selected = {e.key for e in self.selected_entries()}
        current = self.current_entry()
        restore: QListWidgetItem | None = None
        self.blockSignals(True)
        self.clear()
        for entry in entries:
            item = QListWidgetItem(entry.caption)
            item.setData(ENTRY_ROLE, entry)
            item.setToolTip(entry.caption)
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if entry.name:
                flags |= Qt.ItemFlag.ItemIsDragEnabled
            item.setFlags(flags)
            icon = self._icons.get(entry.key)
            if icon is not None:
                item.setIcon(icon)
            self.addItem(item)
            item.setSelected(entry.key in selected)
            if current is not None and entry.key == current.key:
                restore = item
        if restore is not None:
            self.setCurrentItem(restore)
        self.blockSignals(False)
        self._load([e for e in entries if e.key not in self._icons])

    def _load(self, entries: list[Entry]) -> None:
        if not entries:
            return
        read = self.read
        if read is None:
            return
        keys = [e.key for e in entries]

        def done(task) -> None:
            if task.cancelled() or task.exception() is not None:
                if not task.cancelled():
                    log.warning("thumbnails failed: %s", task.exception())
                return
            self._show(task.result())

        self._tasks.start(thumbnails(keys, read, self.thumb), done)

    def _show(self, images: dict[str, QImage]) -> None:
        for key, image in images.items():
            self._icons[key] = QIcon(QPixmap.fromImage(image))
        for i in range(self.count()):
            item = self.item(i)
            entry = item.data(ENTRY_ROLE)
            if entry.key in images:
                item.setIcon(self._icons[entry.key])

    def forget(self) -> None:
        """Another project: its pictures are other blobs."""
        self._tasks.cancel_all()
        self._icons.clear()
        self.clear()

    async def idle(self) -> None:
        await self._tasks.wait_all()

    def entries(self) -> list[Entry]:
        return [self.item(i).data(ENTRY_ROLE) for i in range(self.count())]

    def selected_entries(self) -> list[Entry]:
        return [item.data(ENTRY_ROLE) for item in self.selectedItems()]

    def current_entry(self) -> Entry | None:
        item = self.currentItem()
        return item.data(ENTRY_ROLE) if item is not None else None

    def select_key(self, key: str) -> None:
        for i in range(self.count()):
            if self.item(i).data(ENTRY_ROLE).key == key:
                self.setCurrentRow(i)
                return

    def has_icon(self, key: str) -> bool:
        return key in self._icons

    def as_strip(self) -> None:
        """One row that scrolls sideways, as tall as a thumbnail and its caption (new
        pictures: a few at a time, and the row never takes room from the rest)."""
        self.setFlow(QListWidget.Flow.LeftToRight)
        self.setWrapping(False)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scrollbar = self.horizontalScrollBar().sizeHint().height()
        self.setFixedHeight(self.gridSize().height() + scrollbar + 2 * self.frameWidth() + 4)

    def allow_dragging(self) -> None:
        """Entries with an asset name can be dragged out (to name them in a prompt)."""
        self.setDragEnabled(True)
        self.setDragDropMode(QListWidget.DragDropMode.DragOnly)

    # -- dragging an asset's name ----------------------------------------------------------

    def mimeTypes(self) -> list[str]:  # noqa: N802 (Qt API)
        return [ASSET_MIME, "text/plain"]

    def mimeData(self, items: Sequence[QListWidgetItem]) -> QMimeData:  # noqa: N802
        return asset_mime_data(item.data(ENTRY_ROLE).name for item in items)
