"""The Video pane's clip library: a gallery of the project's finished clips, newest first,
with thumbnails decoded on a worker thread (a few ms each) and kept by blob."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from studio.core import assets
from studio.core.assets import Clip
from studio.core.store import Project
from studio.errors import StudioError
from studio.ui.session import ProjectSession
from studio.ui.video.video_player import thumb_images
from studio.ui.video.video_work import PaneWork

log = logging.getLogger(__name__)

THUMB = QSize(112, 63)
THUMB_ROLE = Qt.ItemDataRole.UserRole + 1  # a gallery item's thumbnail blob


class ClipLibrary(QWidget):
    """The gallery, or a word on what to do when there is nothing in it."""

    chosen = Signal(object)  # the selected clip's name, or None
    activated = Signal()  # a clip was double-clicked
    clips_changed = Signal()

    def __init__(
        self, session: ProjectSession, work: PaneWork, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.work = work
        self._thumbs: dict[str, QIcon] = {}
        self._thumbs_loading: set[str] = set()
        self.gallery = QListWidget()
        self.gallery.setObjectName("gallery")
        self.gallery.setViewMode(QListWidget.ViewMode.IconMode)
        self.gallery.setIconSize(THUMB)
        self.gallery.setGridSize(QSize(THUMB.width() + 14, THUMB.height() + 44))
        self.gallery.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.gallery.setMovement(QListWidget.Movement.Static)
        self.gallery.setWordWrap(False)  # captions are elided here, one line each
        self.gallery.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.gallery.setUniformItemSizes(True)
        self.gallery.setSpacing(2)
        self.gallery.setMinimumHeight(THUMB.height() + 56)
        self.gallery.currentItemChanged.connect(
            lambda current, _previous: self.chosen.emit(_name(current))
        )
        self.gallery.itemDoubleClicked.connect(lambda _i: self.activated.emit())
        self.empty = QLabel("No clips yet.\nGenerate one above, import a video or record the game.")
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.gallery, 1)
        layout.addWidget(self.empty, 1)

    @property
    def project(self) -> Project | None:
        return self.session.project

    def forget_thumbs(self) -> None:
        """Another project: its thumbnails are other blobs (a load under way is dropped)."""
        self._thumbs.clear()
        self._thumbs_loading.clear()

    def clips(self) -> list[Clip]:
        return assets.clips(self.project) if self.project is not None else []

    def selected_name(self) -> str | None:
        return _name(self.gallery.currentItem())

    def selected_clip(self) -> Clip | None:
        name = self.selected_name()
        if name is None or self.project is None:
            return None
        try:
            return assets.clip(self.project, name)
        except StudioError:
            return None

    def show_new(self, name: str) -> None:
        """A clip was made here: select it, and tell the other panes."""
        self.refresh_gallery(select=name)
        self.session.assets_changed.emit()

    def refresh_gallery(self, select: str | None = None) -> None:
        current = select or self.selected_name()
        self.gallery.blockSignals(True)
        self.gallery.clear()
        project = self.project
        missing: dict[str, Path] = {}
        for clip in reversed(self.clips()):  # newest first
            blob = None
            if clip.thumbnail and project is not None:
                with contextlib.suppress(StudioError):
                    blob = project.asset(clip.thumbnail).blob
            icon = self._thumbs.get(blob) if blob else None
            if blob and icon is None and blob not in self._thumbs_loading:
                with contextlib.suppress(StudioError):
                    missing[blob] = project.blobs.path(blob)
            stem = self.gallery.fontMetrics().elidedText(
                Path(clip.name).stem, Qt.TextElideMode.ElideMiddle, THUMB.width() - 4
            )
            caption = f"{stem}\n{clip.duration:.1f} s"
            item = QListWidgetItem(icon or QIcon(), caption)
            item.setData(Qt.ItemDataRole.UserRole, clip.name)
            item.setData(THUMB_ROLE, blob)
            item.setToolTip(f"{clip.title}\n{clip.name} · {clip.width}×{clip.height}")
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.gallery.addItem(item)
        self.gallery.blockSignals(False)
        has = self.gallery.count() > 0
        self.gallery.setVisible(has)
        self.empty.setVisible(not has)
        self.empty.setText(
            "No clips yet.\nGenerate one above, import a video or record the game."
            if self.project is not None
            else "Open a project to make video clips."
        )
        found = self._item(current) if current else None
        if found is not None:
            self.gallery.setCurrentItem(found)
        else:
            self.chosen.emit(None)
        if missing and project is not None:
            self._load_thumbs(project, missing)
        self.clips_changed.emit()

    def _load_thumbs(self, project: Project, paths: dict[str, Path]) -> None:
        """Decode thumbnails on a worker thread; their gallery items get them when ready."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a script): decode them here
            self._show_thumbs(project, thumb_images(paths, THUMB))
            return
        self._thumbs_loading.update(paths)

        async def load() -> None:
            try:
                images = await asyncio.to_thread(thumb_images, paths, THUMB)
            finally:
                self._thumbs_loading.difference_update(paths)
            self._show_thumbs(project, images)

        def done(t: asyncio.Future) -> None:
            if not t.cancelled() and t.exception() is not None:
                log.error("gallery thumbnails failed", exc_info=t.exception())

        self.work.tasks.start(load(), done)

    def _show_thumbs(self, project: Project, images: dict[str, QImage]) -> None:
        if project is not self.project:
            return  # another project opened meanwhile
        for blob, image in images.items():
            self._thumbs[blob] = QIcon(QPixmap.fromImage(image))
        for i in range(self.gallery.count()):
            item = self.gallery.item(i)
            icon = self._thumbs.get(item.data(THUMB_ROLE))
            if icon is not None and item.icon().isNull():
                item.setIcon(icon)

    def _item(self, name: str) -> QListWidgetItem | None:
        for i in range(self.gallery.count()):
            item = self.gallery.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                return item
        return None


def _name(item: QListWidgetItem | None) -> str | None:
    return item.data(Qt.ItemDataRole.UserRole) if item is not None else None
