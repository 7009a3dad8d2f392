"""The pictures a video request may carry, as the Video form offers them: a first frame, a
last frame (`PictureSlot`) and reference pictures of characters or style, up to the model's
number (`ReferencePictures`). Each comes from a file or from the project's pictures (an
"Asset" menu of the library's images: imported pictures, clip thumbnails, screenshots)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from studio.ui.session import ProjectSession
from studio.ui.video.video_player import scaled_thumb
from studio.ui.widgets.elided_label import ElidedLabel
from studio.ui.widgets.flow_layout import FlowLayout
from studio.ui.widgets.picture_buttons import asset_button, file_button, readable

THUMB = QSize(48, 27)
SMALL = QSize(36, 20)
_DIM = "color: #7f8794;"
_THUMB_STYLE = "background: #0d0f13; border-radius: 2px;"


class PictureSlot(QWidget):
    """One picture (a first or last frame): its thumbnail, what it is, and where to take it
    from. `picture` is its bytes (None: none); `changed` fires when it is set or cleared;
    `refused(text)` when a picture cannot be read."""

    changed = Signal()
    refused = Signal(str)

    def __init__(self, session: ProjectSession, empty: str, what: str) -> None:
        super().__init__()
        self.picture: bytes | None = None
        self.empty = empty
        self.thumb = QLabel()
        self.thumb.setFixedSize(THUMB)
        self.thumb.setStyleSheet(_THUMB_STYLE)
        self.text = ElidedLabel(empty)
        self.text.setStyleSheet(_DIM)
        self.file_button = file_button(self, "Image…", f"{what} from a picture file", self.set)
        self.asset_button = asset_button(session, self.set, f"{what} from the project's pictures")
        self.clear_button = QToolButton(text="✕")
        self.clear_button.setToolTip(f"No {what.lower()}")
        self.clear_button.clicked.connect(self.clear)
        # One line: the label gives up its room (eliding) when the pane is narrow.
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(4)
        self.row.addWidget(self.thumb)
        self.row.addWidget(self.text, 1)
        for widget in (self.file_button, self.asset_button, self.clear_button):
            self.row.addWidget(widget)

    def add_button(self, button: QToolButton) -> None:
        """Another source of pictures, before ✕ (the form's "Preview frame")."""
        self.row.insertWidget(self.row.indexOf(self.clear_button), button)

    def set(self, data: bytes, label: str) -> bool:
        if not data or not readable(data):
            self.refused.emit(f"That picture cannot be read (use PNG, JPEG or WebP): {label}")
            return False
        self.picture = data
        self.thumb.setPixmap(scaled_thumb(data, self.thumb.size()))
        self.text.setText(label)
        self.changed.emit()
        return True

    def clear(self) -> None:
        self.picture = None
        self.thumb.clear()
        self.text.setText(self.empty)
        self.changed.emit()

    def show_note(self, text: str) -> None:
        """A line in place of a picture (e.g. "Continues clip.webm by extension")."""
        self.thumb.clear()
        self.text.setText(text)

    def set_sources_enabled(self, enabled: bool) -> None:
        for button in (self.file_button, self.asset_button):
            button.setEnabled(enabled)


class ReferencePictures(QWidget):
    """Pictures of characters or style, up to `limit` (the model's number)."""

    changed = Signal()
    refused = Signal(str)

    def __init__(self, session: ProjectSession) -> None:
        super().__init__()
        self.pictures: list[tuple[bytes, str]] = []
        self.limit = 0
        self.count_label = QLabel()
        self.count_label.setStyleSheet(_DIM)
        self.thumbs: list[QLabel] = []
        self.file_button = file_button(self, "Add…", "Add a reference picture", self.add)
        self.asset_button = asset_button(session, self.add, "Add one of the project's pictures")
        self.clear_button = QToolButton(text="✕")
        self.clear_button.setToolTip("No reference pictures")
        self.clear_button.clicked.connect(self.clear)
        self.row = FlowLayout(self)
        self._lay_out()

    def set_limit(self, limit: int) -> None:
        """The model takes at most `limit`: pictures over it are dropped."""
        self.limit = limit
        if len(self.pictures) > limit:
            self.pictures = self.pictures[:limit]
            self.changed.emit()
        self._lay_out()

    def add(self, data: bytes, label: str) -> bool:
        if len(self.pictures) >= self.limit:
            self.refused.emit(f"This model takes at most {self.limit} reference pictures.")
            return False
        if not data or not readable(data):
            self.refused.emit(f"That picture cannot be read (use PNG, JPEG or WebP): {label}")
            return False
        self.pictures.append((data, label))
        self._lay_out()
        self.changed.emit()
        return True

    def clear(self) -> None:
        if self.pictures:
            self.pictures = []
            self._lay_out()
            self.changed.emit()

    @property
    def data(self) -> list[bytes]:
        return [data for data, _ in self.pictures]

    def _lay_out(self) -> None:
        while self.row.count():
            item = self.row.takeAt(0)
            widget = item.widget() if item else None
            if widget is not None and widget in self.thumbs:
                widget.deleteLater()
        self.thumbs = []
        self.count_label.setText(f"References {len(self.pictures)}/{self.limit}")
        self.row.addWidget(self.count_label)
        for data, label in self.pictures:
            thumb = QLabel()
            thumb.setFixedSize(SMALL)
            thumb.setStyleSheet(_THUMB_STYLE)
            thumb.setPixmap(scaled_thumb(data, SMALL))
            thumb.setToolTip(label)
            self.thumbs.append(thumb)
            self.row.addWidget(thumb)
        full = len(self.pictures) >= self.limit
        for widget in (self.file_button, self.asset_button, self.clear_button):
            self.row.addWidget(widget)
        self.file_button.setEnabled(not full)
        self.asset_button.setEnabled(not full)
        self.clear_button.setVisible(bool(self.pictures))
