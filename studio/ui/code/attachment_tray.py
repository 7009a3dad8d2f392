"""What goes with the next prompt, shown as removable chips above the prompt box: pictures
dropped or pasted, a marked frame, what was picked in the Preview. `pictures_in` reads the
pictures a drop or a paste carries."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from studio.ai.attachments import Attachment
from studio.ui.widgets.asset_drag import asset_paths
from studio.ui.widgets.elided_label import plain_tooltip
from studio.ui.widgets.flow_layout import FlowLayout
from studio.ui.widgets.png import png_of

TOOLTIP_CHARS = 1500
PICTURE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp"})
MAX_FILE = 40 * 1024 * 1024  # bytes of a dropped picture file read at most
MAX_ATTACHMENTS = 8
THUMB = (48, 20)  # the largest a chip's picture is shown


def pictures_in(data: QMimeData) -> list[tuple[str, bytes]]:
    """(name, bytes) of each picture a drop or paste carries: picture files, or a picture
    on the clipboard. Assets dragged from the Images tab are not pictures here: they are
    named in the prompt (`asset_paths`)."""
    if asset_paths(data):
        return []
    found: list[tuple[str, bytes]] = []
    for url in data.urls() if data.hasUrls() else []:
        path = Path(url.toLocalFile()) if url.isLocalFile() else None
        if path is None or path.suffix.lower() not in PICTURE_SUFFIXES:
            continue
        try:
            if path.stat().st_size <= MAX_FILE:
                found.append((path.name, path.read_bytes()))
        except OSError:
            continue
    if not found and data.hasImage():
        image = data.imageData()
        if isinstance(image, QImage) and not image.isNull():
            found.append(("pasted picture", png_of(image)))
    return found


class Chip(QFrame):
    removed = Signal(object)

    def __init__(self, attachment: Attachment, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.attachment = attachment
        self.setObjectName("attachmentChip")
        self.setStyleSheet(
            "QFrame#attachmentChip { background: #2c3340; border: 1px solid #3e4756;"
            " border-radius: 10px; } QFrame#attachmentChip QLabel { color: #d7dae0; }"
            " QToolButton { border: none; color: #9da5b4; padding: 0 2px; }"
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 1, 2, 1)
        row.setSpacing(4)
        picture = attachment.picture
        if picture is not None:
            thumb = QImage.fromData(picture.data)
            if not thumb.isNull():
                icon = QLabel()
                icon.setPixmap(
                    QPixmap.fromImage(
                        thumb.scaled(
                            *THUMB,
                            Qt.AspectRatioMode.KeepAspectRatio,
                            Qt.TransformationMode.SmoothTransformation,
                        )
                    )
                )
                row.addWidget(icon)
        text = QLabel()
        text.setTextFormat(Qt.TextFormat.PlainText)  # a picked element's words are the page's
        metrics = text.fontMetrics()
        text.setText(metrics.elidedText(attachment.label, Qt.TextElideMode.ElideRight, 220))
        row.addWidget(text)
        # The page's words (markup shown as words), and not screens of them: a state can be long.
        self.setToolTip(plain_tooltip((attachment.note or attachment.label)[:TOOLTIP_CHARS]))
        close = QToolButton(text="✕", toolTip="Do not send this")
        close.setObjectName("removeAttachment")
        close.clicked.connect(lambda: self.removed.emit(self.attachment))
        row.addWidget(close)


class AttachmentTray(QWidget):
    """The chips; hidden while there is none. `changed` when one comes or goes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentTray")
        self._layout = FlowLayout(self)
        self._layout.setContentsMargins(6, 0, 6, 0)
        self._chips: list[Chip] = []
        self.hide()

    @property
    def attachments(self) -> list[Attachment]:
        return [c.attachment for c in self._chips]

    def add(self, attachment: Attachment) -> bool:
        """Add a chip; False (and nothing added) when the tray is full."""
        if len(self._chips) >= MAX_ATTACHMENTS:
            return False
        chip = Chip(attachment, self)
        chip.removed.connect(self.remove)
        self._chips.append(chip)
        self._layout.addWidget(chip)
        self.show()
        self.changed.emit()
        return True

    def remove(self, attachment: Attachment) -> None:
        for chip in [c for c in self._chips if c.attachment is attachment]:
            self._chips.remove(chip)
            self._layout.removeWidget(chip)
            chip.deleteLater()
        self.setVisible(bool(self._chips))
        self.changed.emit()

    def take(self) -> list[Attachment]:
        """Everything, for the prompt being sent; the tray is empty after."""
        taken = self.attachments
        for attachment in taken:
            self.remove(attachment)
        return taken

    def restore(self, attachments: list[Attachment]) -> None:
        """Give back what a prompt that was never sent took."""
        for attachment in attachments:
            self.add(attachment)
