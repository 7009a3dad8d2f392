"""File > New: a gallery of starter games with their thumbnails."""

from __future__ import annotations

import os
import re
from pathlib import Path

import platformdirs
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
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

from studio.core.store import project_path
from studio.core.templates import Template

NAME_ROLE = Qt.ItemDataRole.UserRole


def projects_dir() -> Path:
    override = os.environ.get("STUDIO_PROJECTS_DIR")
    return Path(override) if override else Path(platformdirs.user_documents_dir()) / "Studio"


def free_project_path(folder: Path, name: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-").lower() or "game"
    path, n = project_path(folder / slug), 2
    while path.exists():
        path, n = project_path(folder / f"{slug}-{n}"), n + 1
    return path


class GalleryDialog(QDialog):
    """Pick a template (or an empty project), a name and a folder."""

    def __init__(self, templates: list[Template], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New game")
        self.resize(860, 560)
        self.templates = {t.name: t for t in templates}
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(256, 144))
        self.list.setGridSize(QSize(280, 200))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setWordWrap(True)
        self.list.setObjectName("gallery")
        for t in templates:
            item = QListWidgetItem(t.title)
            if t.thumbnail:
                item.setIcon(QIcon(QPixmap(str(t.thumbnail))))
            item.setToolTip(t.description)
            item.setData(NAME_ROLE, t.name)
            self.list.addItem(item)
        empty = QListWidgetItem("Empty project")
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
