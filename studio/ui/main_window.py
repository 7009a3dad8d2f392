"""The main window: Code, Preview and the media pane (Video and Images tabs) side by side,
menus and toolbar."""

from __future__ import annotations

import asyncio
import base64
from functools import partial
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QWidget,
)

from studio import __version__
from studio.config.settings import Settings
from studio.core.records import Version
from studio.core.store import Project
from studio.core.templates import Template
from studio.errors import StudioError
from studio.operations.projects import import_source, new_project
from studio.plugins.host import PluginHost
from studio.ui.code.chat_panel import ChatPanel
from studio.ui.code.code_pane import CodePane
from studio.ui.dialogs.template_gallery import GalleryDialog
from studio.ui.images.images_pane import ImagesPane
from studio.ui.preview.preview_pane import PreviewPane
from studio.ui.session import ProjectSession
from studio.ui.video.video_pane import VideoPane

PANES = ("code", "preview", "video")  # "video": the media pane, Video and Images tabs
PANE_TITLES = {"code": "Code", "preview": "Preview", "video": "Video && Images"}


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
        self.images = ImagesPane(self.session)
        self.media = QTabWidget()
        self.media.setDocumentMode(True)
        self.media.addTab(self.video, "Video")
        self.media.addTab(self.images, "Images")
        self.chat = ChatPanel(self.session, self.code, settings)
        self.code.add_tab(self.chat, "Chat", first=True)
        self.code.splitter.setSizes([480, 420])  # the chat is where a person works most
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        for pane, name in zip((self.code, self.preview, self.media), PANES, strict=True):
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
            "&Import HTML file…",
            lambda: self.import_dialog(folder=False),
            [],
            "Make an HTML file a new version",
        )
        self.import_folder_action = self._action(
            "Import &folder…",
            lambda: self.import_dialog(folder=True),
            [],
            "Make a folder with index.html (and its scripts, styles, assets) a new version",
        )
        self.close_action = self._action("&Close project", self.session.close, ["Ctrl+W"])
        quit_action = self._action("&Quit", self.close, ["Ctrl+Q"])
        self.file_menu = bar.addMenu("&File")
        for a in (
            self.new_action,
            self.open_action,
            self.import_action,
            self.import_folder_action,
            self.close_action,
        ):
            self.file_menu.addAction(a)
        self._add_export_actions()
        self.file_menu.addSeparator()
        self.file_menu.addAction(quit_action)
        self.run_action = self._action(
            "&Run", self.code.run, ["Ctrl+R", "Ctrl+Return"], "Save edits as a version and play it"
        )
        self.run_menu = bar.addMenu("&Run")
        self.run_menu.addAction(self.run_action)
        self._add_generate_actions(bar)
        self.view_menu = bar.addMenu("&View")
        for i, name in enumerate(PANES):
            action = QAction(PANE_TITLES[name], self, checkable=True, checked=True)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.toggled.connect(lambda on, n=name: self.set_pane_visible(n, on))
            self.view_menu.addAction(action)
            self.pane_actions[name] = action
        self.tools_menu = bar.addMenu("&Tools")
        self.bench_action = self._action(
            "&Benchmark…", self.show_bench, [], "Generate, play and check a suite of games"
        )
        self.tools_menu.addAction(self.bench_action)
        self.bench_dialog = None
        self.settings_menu = bar.addMenu("&Settings")
        self.plugins_action = self._action(
            "&Plugins…", self.show_plugins, [], "Switch plugins on or off"
        )
        self.code_model_action = self._action(
            "&Code model…", self.chat.open_settings, [], "Provider, model and key for generating"
        )
        self.video_service_action = self._action(
            "&Video service…",
            lambda: self.chat.open_settings(video=True),
            [],
            "Video service, its model and key, and the ffmpeg program",
        )
        self.settings_menu.addAction(self.code_model_action)
        self.settings_menu.addAction(self.video_service_action)
        self.settings_menu.addAction(self.plugins_action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("&About Studio", self.about))
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        for a in (self.new_action, self.open_action, self.run_action):
            toolbar.addAction(a)
        self.toolbar = toolbar

    def _add_generate_actions(self, bar) -> None:
        """Generate menu (studio/ui/code/chat_panel.py): Ctrl+Enter in the prompt box also sends."""
        self.generate_action = self._action(
            "&Generate", self._generate, ["Ctrl+G"], "Send the prompt (or go to the prompt box)"
        )
        self.stop_action = self._action(
            "&Stop", self.chat.stop, ["Escape"], "Stop the answer being written"
        )
        self.stop_action.setEnabled(False)  # only while generating: Esc is free otherwise
        self.variations_action = self._action(
            "&Variations", lambda: self.chat.start_variations(), [], "Several versions at once"
        )
        self.fix_action = self._action(
            "&Fix errors", lambda: self.chat.fix(), ["Ctrl+Shift+F"], "Send the errors for a fix"
        )
        self.generate_menu = bar.addMenu("&Generate")
        for a in (self.generate_action, self.stop_action, self.variations_action, self.fix_action):
            self.generate_menu.addAction(a)
        self.chat.busy_changed.connect(self.stop_action.setEnabled)
        self.chat.settings_saved.connect(self.video.settings_changed)

    def _generate(self) -> None:
        self.set_pane_visible("code", True)
        self.code.tabs.setCurrentWidget(self.chat)
        if not self.chat.generate():
            self.chat.prompt.setFocus()

    def pane(self, name: str) -> QWidget:
        return {"code": self.code, "preview": self.preview, "video": self.media}[name]

    def set_pane_visible(self, name: str, visible: bool) -> None:
        self.pane(name).setVisible(visible)
        action = self.pane_actions[name]
        if action.isChecked() != visible:
            action.setChecked(visible)

    def show_bench(self) -> None:
        """Tools › Benchmark (studio/ui/dialogs/bench_dialog.py): one dialog, kept while it runs."""
        from studio.ui.dialogs.bench_dialog import BenchDialog

        if self.bench_dialog is None:
            self.bench_dialog = BenchDialog(self.settings, self.session.host, self)
        self.bench_dialog.show()
        self.bench_dialog.raise_()
        self.bench_dialog.activateWindow()

    def show_plugins(self) -> None:
        from studio.ui.dialogs.plugins_dialog import PluginsDialog

        PluginsDialog(self.session.host, self.settings, self).exec()

    # -- projects ------------------------------------------------------------------------

    def new_from_gallery(self) -> None:
        dialog = GalleryDialog(self.session.host.templates(), self)
        if dialog.exec():
            self.create_project(dialog.chosen_path(), dialog.chosen_template())

    def create_project(self, path: Path, template: Template | None) -> Project | None:
        try:
            project = new_project(path, template)
        except (StudioError, OSError) as exc:  # the core words the OSErrors it expects
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

    def import_dialog(self, folder: bool = False) -> asyncio.Future | None:
        if self.session.project is None:
            return None
        if folder:
            source = QFileDialog.getExistingDirectory(self, "Import a folder with index.html")
        else:
            source = QFileDialog.getOpenFileName(
                self, "Import an HTML file", "", "HTML (*.html *.htm)"
            )[0]
        return self.import_path(Path(source)) if source else None

    def import_path(self, source: Path) -> asyncio.Future:
        """Import an HTML file or a folder off the GUI thread (a folder may be large); the
        new version shows once it is stored."""
        project = self.session.project
        self.statusBar().showMessage(f"Importing {source.name}…")

        async def work() -> Version | None:
            try:
                version = await asyncio.to_thread(import_source, project, source)
            except (StudioError, OSError) as exc:
                if self.session.project is not project:  # closed meanwhile: nothing to say
                    self.statusBar().showMessage(f"Import of {source.name} stopped", 5000)
                    return None
                # The modal box opens after this task step, not inside it.
                QTimer.singleShot(0, self, partial(self.show_error, "Could not import", exc))
                return None
            if self.session.project is project:
                self.session.add_version(version)
            return version

        return asyncio.ensure_future(work())

    # -- export and share (studio/ui/dialogs/export_dialog.py) ------------------------------------

    def _add_export_actions(self) -> None:
        self.export_action = self._action(
            "&Export…", self.export_dialog, ["Ctrl+E"], "Export the game or the whole project"
        )
        self.export_action.setEnabled(False)
        self.import_archive_action = self._action(
            "Import &archive…",
            lambda: self.import_archive_dialog(),
            [],
            "Open a .studioproj project archive as a new project",
        )
        self.file_menu.addAction(self.export_action)
        self.file_menu.addAction(self.import_archive_action)

    def export_dialog(self) -> None:
        from studio.ui.dialogs.export_dialog import ExportDialog

        if self.session.project is None:
            return
        dialog = ExportDialog(self.session.project, self.session.host, self.session.shown, self)
        dialog.exec()

    def import_archive_dialog(self, archive: Path | None = None) -> None:
        from studio.ui.dialogs.export_dialog import ImportArchiveDialog

        dialog = ImportArchiveDialog(archive, self)
        if dialog.exec() and dialog.imported_path is not None:
            self.open_path(dialog.imported_path)

    def _project_changed(self, project: Project | None) -> None:
        self.setWindowTitle(f"{project.name} — Studio" if project else "Studio")
        self.settings.set("last_project", str(project.path) if project else None)
        for a in (
            self.run_action,
            self.import_action,
            self.import_folder_action,
            self.close_action,
        ):
            a.setEnabled(project is not None)
        self.export_action.setEnabled(project is not None)

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
        # Only an open project is remembered: a window closed twice (Qt may send a second
        # close on quit) must not forget the version the person was looking at.
        if self.session.project is not None:
            last, version = str(self.session.project.path), self.session.shown
            self.session.close()
            # Closing the session clears `last_project`; the next start should bring it back.
            self.settings.set("last_project", last)
            self.settings.set("last_version", version)
        super().closeEvent(event)
