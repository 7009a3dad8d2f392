"""The Preview pane: the game running in QtWebEngine through the project URL scheme."""

from __future__ import annotations

from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from studio.core.store import Project
from studio.sandbox.scheme import SCHEME, ProjectSchemeHandler, version_url
from studio.ui.session import ProjectSession


class PreviewPane(QWidget):
    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.profile = QWebEngineProfile(self)  # off the record: nothing persists
        self.handler = ProjectSchemeHandler(self.profile)
        self.profile.installUrlSchemeHandler(SCHEME, self.handler)
        self.view = QWebEngineView(self)
        self.page = QWebEnginePage(self.profile, self.view)
        self.view.setPage(self.page)
        self.title = QLabel("No game")
        reload_btn = QToolButton(text="⟳")
        reload_btn.setToolTip("Reload the game")
        reload_btn.clicked.connect(self.view.reload)
        bar = QHBoxLayout()
        bar.addWidget(self.title, 1)
        bar.addWidget(reload_btn)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        session.project_changed.connect(self._project_changed)
        session.version_shown.connect(self.show_version)

    def _project_changed(self, project: Project | None) -> None:
        if project is not None:
            self.handler.mount(project)
        else:
            self.view.setHtml("")
            self.title.setText("No game")

    def show_version(self, version_id: int) -> None:
        project = self.session.project
        if project is None:
            return
        self.title.setText(f"v{version_id}")
        self.view.setUrl(version_url(project, version_id))
