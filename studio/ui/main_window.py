"""The main window: Code, Preview and Video panes side by side, menus and toolbar."""

from __future__ import annotations

import base64
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QSplitter, QWidget

from studio import __version__
from studio.core.errors import StudioError
from studio.core.operations import import_source, new_project
from studio.core.settings import Settings
from studio.core.store import Project
from studio.core.templates import Template
from studio.plugins.host import PluginHost
from studio.ui.code_pane import CodePane
from studio.ui.gallery import GalleryDialog
from studio.ui.preview_pane import PreviewPane
from studio.ui.session import ProjectSession
from studio.ui.video_pane import VideoPane

PANES = ("code", "preview", "video")


class MainWindow(QMainWindow):
    def __init__(self, host: PluginHost, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.session = ProjectSession(host, self)
        self.setWindowTitle("Studio")
        self.resize(1500, 900)
        self.code = CodePane(self.session)
        self.preview = PreviewPane(self.session)
        self.video = VideoPane(self.session)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        for pane, name in zip((self.code, self.preview, self.video), PANES, strict=True):
            pane.setObjectName(f"{name}Pane")
            self.splitter.addWidget(pane)
        self.splitter.setSizes([520, 640, 340])
        self.setCentralWidget(self.splitter)
        self.pane_actions: dict[str, QAction] = {}
        self._build_actions()
        self.session.status.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.session.project_changed.connect(self._project_changed)
        self.session.version_shown.connect(self._version_shown)
        self.statusBar().showMessage("Ready")
        self.restore_layout()

    # -- actions -------------------------------------------------------------------------

    def _action(
        self, text: str, slot, shortcuts: list[str] | None = None, tip: str = ""
    ) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(slot)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        self.new_action = self._action(
            "&New…", self.new_from_gallery, ["Ctrl+N"], "New game from a template"
        )
        self.open_action = self._action("&Open…", self.open_dialog, ["Ctrl+O"], "Open a project")
        self.import_action = self._action(
            "&Import HTML or folder…",
            self.import_dialog,
            [],
            "Make an HTML file or folder a new version",
        )
        self.close_action = self._action("&Close project", self.session.close, ["Ctrl+W"])
        quit_action = self._action("&Quit", self.close, ["Ctrl+Q"])
        self.file_menu = bar.addMenu("&File")
        for a in (self.new_action, self.open_action, self.import_action, self.close_action):
            self.file_menu.addAction(a)
        self.file_menu.addSeparator()
        self.file_menu.addAction(quit_action)
        self.run_action = self._action(
            "&Run", self.code.run, ["Ctrl+R", "Ctrl+Return"], "Save edits as a version and play it"
        )
        self.run_menu = bar.addMenu("&Run")
        self.run_menu.addAction(self.run_action)
        self.view_menu = bar.addMenu("&View")
        for i, name in enumerate(PANES):
            action = QAction(name.capitalize(), self, checkable=True, checked=True)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.toggled.connect(lambda on, n=name: self.set_pane_visible(n, on))
            self.view_menu.addAction(action)
            self.pane_actions[name] = action
        self.tools_menu = bar.addMenu("&Tools")
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("&About Studio", self.about))
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        for a in (self.new_action, self.open_action, self.run_action):
            toolbar.addAction(a)
        self.toolbar = toolbar

    def pane(self, name: str) -> QWidget:
        return {"code": self.code, "preview": self.preview, "video": self.video}[name]

    def set_pane_visible(self, name: str, visible: bool) -> None:
        self.pane(name).setVisible(visible)
        action = self.pane_actions[name]
        if action.isChecked() != visible:
            action.setChecked(visible)

    # -- projects ------------------------------------------------------------------------

    def new_from_gallery(self) -> None:
        dialog = GalleryDialog(self.session.host.templates(), self)
        if dialog.exec():
            self.create_project(dialog.chosen_path(), dialog.chosen_template())

    def create_project(self, path: Path, template: Template | None) -> Project | None:
        try:
            project = new_project(path, template)
        except StudioError as exc:
            self.show_error("Could not create the project", exc)
            return None
        self.open_project(project)
        return project

    def open_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open project (a .studio folder)")
        if folder:
            self.open_path(Path(folder))

    def open_path(self, path: Path, version_id: int | None = None) -> Project | None:
        try:
            project = Project.open(path)
        except StudioError as exc:
            self.show_error("Could not open the project", exc)
            return None
        self.open_project(project, version_id)
        return project

    def open_project(self, project: Project, version_id: int | None = None) -> None:
        self.session.open(project)
        if version_id is not None and version_id != self.session.shown:
            try:
                project.version(version_id)
            except StudioError:
                return
            self.session.show_version(version_id)

    def import_dialog(self) -> None:
        if self.session.project is None:
            return
        source, _ = QFileDialog.getOpenFileName(
            self, "Import an HTML file", "", "HTML (*.html *.htm)"
        )
        if source:
            try:
                version = import_source(self.session.project, Path(source))
            except StudioError as exc:
                self.show_error("Could not import", exc)
                return
            self.session.add_version(version)

    def _project_changed(self, project: Project | None) -> None:
        self.setWindowTitle(f"{project.name} — Studio" if project else "Studio")
        self.settings.set("last_project", str(project.path) if project else None)
        for a in (self.run_action, self.import_action, self.close_action):
            a.setEnabled(project is not None)

    def _version_shown(self, version_id: int) -> None:
        self.settings.set("last_version", version_id)

    def show_error(self, title: str, exc: Exception) -> None:
        self.statusBar().showMessage(f"{title}: {exc}", 10000)
        QMessageBox.warning(self, title, str(exc))

    def about(self) -> None:
        QMessageBox.about(
            self,
            "About Studio",
            f"<b>Studio {__version__}</b><p>Make mini-games and videos with AI.</p>",
        )

    # -- layout --------------------------------------------------------------------------

    def save_layout(self) -> None:
        def encode(data: QByteArray) -> str:
            return base64.b64encode(bytes(data)).decode()

        self.settings.set(
            "layout",
            {
                "geometry": encode(self.saveGeometry()),
                "splitter": encode(self.splitter.saveState()),
                "code_splitter": encode(self.code.splitter.saveState()),
                "hidden": [n for n in PANES if not self.pane_actions[n].isChecked()],
            },
        )

    def restore_layout(self) -> None:
        layout = self.settings.get("layout") or {}

        def decode(key: str) -> QByteArray | None:
            value = layout.get(key)
            return QByteArray(base64.b64decode(value)) if value else None

        if (geometry := decode("geometry")) is not None:
            self.restoreGeometry(geometry)
        if (state := decode("splitter")) is not None:
            self.splitter.restoreState(state)
        if (state := decode("code_splitter")) is not None:
            self.code.splitter.restoreState(state)
        for name in PANES:
            self.set_pane_visible(name, name not in layout.get("hidden", []))

    def restore_last_project(self) -> None:
        last = self.settings.get("last_project")
        if last and Path(last).exists():
            version = self.settings.get("last_version")
            self.open_path(Path(last), version)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.save_layout()
        last = self.settings.get("last_project")
        version = self.session.shown
        self.session.close()
        # Closing the session clears `last_project`; the next start should bring it back.
        self.settings.set("last_project", last)
        self.settings.set("last_version", version)
        super().closeEvent(event)
