"""File > New: a gallery of starter games with their thumbnails."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.templates import Template
from studio.operations.start import free_project_path, projects_dir

NAME_ROLE = Qt.ItemDataRole.UserRole
THUMBNAIL = QSize(256, 144)


def placeholder(text: str, *, big: bool = False) -> QPixmap:
    """A thumbnail for a template without one (or for "Empty project"): a card with a word,
    so every item in the gallery has the same shape."""
    pixmap = QPixmap(THUMBNAIL)
    pixmap.fill(QColor("#2c313a"))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor("#3a404b"), 2))
    painter.drawRoundedRect(pixmap.rect().adjusted(1, 1, -1, -1), 8, 8)
    font = painter.font()
    font.setPointSize(40 if big else 13)
    painter.setFont(font)
    painter.setPen(QColor("#7f8794"))
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return pixmap


def template_item(t: Template) -> QListWidgetItem:
    """A template as a gallery's item: its picture (or a card), title, description, name."""
    item = QListWidgetItem(t.title)
    thumbnail = QPixmap(str(t.thumbnail)) if t.thumbnail else QPixmap()
    item.setIcon(QIcon(thumbnail if not thumbnail.isNull() else placeholder(t.kind)))
    item.setToolTip(t.description)
    item.setData(NAME_ROLE, t.name)
    return item


class GalleryDialog(QDialog):
    """Pick a template (or an empty project), a name and a folder."""

    def __init__(self, templates: list[Template], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New game")
        self.resize(900, 600)
        self.templates = {t.name: t for t in templates}
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(THUMBNAIL)
        self.list.setGridSize(QSize(THUMBNAIL.width() + 20, THUMBNAIL.height() + 44))
        self.list.setSpacing(4)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setWordWrap(True)
        self.list.setObjectName("gallery")
        for t in templates:
            self.list.addItem(template_item(t))
        empty = QListWidgetItem("Empty project")
        empty.setIcon(QIcon(placeholder("+", big=True)))
        empty.setToolTip("Start from nothing and describe your game in the prompt")
        empty.setData(NAME_ROLE, "")
        self.list.addItem(empty)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.name = QLineEdit()
        self.folder = QLineEdit(str(projects_dir()))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder)
        folder_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Folder", folder_row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.list.currentItemChanged.connect(self._picked)
        self.list.itemDoubleClicked.connect(lambda _i: self.accept())
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Start from a starter game</b>"))
        layout.addWidget(self.list, 1)
        layout.addWidget(self.description)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.list.setCurrentRow(0)

    def _picked(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        template = self.templates.get(item.data(NAME_ROLE))
        self.description.setText(template.description if template else item.toolTip())
        self.name.setText(template.title if template else "My game")

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Projects folder", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def select(self, name: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(NAME_ROLE) == name:
                self.list.setCurrentRow(i)
                return
        raise KeyError(name)

    def chosen_template(self) -> Template | None:
        item = self.list.currentItem()
        return self.templates.get(item.data(NAME_ROLE)) if item else None

    def chosen_path(self) -> Path:
        folder = Path(self.folder.text()).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        return free_project_path(folder, self.name.text())
