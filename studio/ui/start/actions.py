"""The main window's start screen part: what its box, its cards and its buttons do. A mixin
of `MainWindow` (it uses the window's projects: `create_project`, `open_path`,
`import_path`, the Chat panel); the screen itself is `studio.ui.start.start_screen`."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog

from studio.core.store import Project
from studio.operations.recent import recent_projects
from studio.operations.start import free_project_path, plan_start, projects_dir


class StartActions:
    """`MainWindow`'s start screen: show it, fill it, act on it."""

    start: Any
    stack: Any
    splitter: Any
    session: Any
    settings: Any
    chat: Any

    def _connect_start(self) -> None:
        start = self.start
        start.sentence_submitted.connect(self.start_from_sentence)
        start.template_chosen.connect(self.create_from_template)
        start.recent_chosen.connect(lambda path: self.open_path(path))
        start.open_requested.connect(self.open_dialog)
        start.import_requested.connect(self.import_game)
        start.back_requested.connect(self.show_work)
        start.settings_requested.connect(self.chat.open_settings)

    def show_start(self) -> None:
        self.stack.setCurrentWidget(self.start)
        if self.isVisible():
            self._fill_start()
        self.start.sentence.setFocus()

    def _fill_start(self) -> None:
        """The start screen's pictures are read when it shows (not at a start-up that opens
        a project at once)."""
        project = self.session.project
        self.start.show_templates(self.session.host.templates())
        self.start.show_recent(
            [r for r in recent_projects(self.settings) if project is None or r.path != project.path]
        )
        self.start.set_open_project(project.name if project else None)

    def fill_start_once_shown(self) -> None:
        """The window was shown: the start screen, if it is what shows, gets its pictures."""
        if self.stack.currentWidget() is self.start and not self.start.templates.count():
            self._fill_start()

    def show_work(self) -> None:
        if self.session.project is not None:
            self.stack.setCurrentWidget(self.splitter)

    def start_from_sentence(self, sentence: str) -> asyncio.Future | None:
        """The start screen's box: a project named after the sentence (the story template
        for a story), opened, and the sentence sent to the code model."""
        if self.chat.model_status.ready is False:
            self.statusBar().showMessage("Set up a code model first (see the line above)", 8000)
            return None
        plan = plan_start(sentence)
        template = None
        if plan.template is not None:
            template = next(
                (t for t in self.session.host.templates() if t.name == plan.template), None
            )
        made = self.create_project(self._new_path(plan.name), template)

        async def send() -> Project | None:  # once the project is made (off the GUI thread)
            project = await made
            if project is not None:
                self.start.sentence.clear()
                self.chat.prompt.setPlainText(plan.request)
                self.chat.generate()
            return project

        return asyncio.ensure_future(send())

    def create_from_template(self, name: str) -> asyncio.Future | None:
        template = next((t for t in self.session.host.templates() if t.name == name), None)
        if template is None:
            return None
        return self.create_project(self._new_path(template.title), template)

    def _new_path(self, name: str) -> Path:
        folder = projects_dir()
        with contextlib.suppress(OSError):  # said when the project cannot be made there
            folder.mkdir(parents=True, exist_ok=True)
        return free_project_path(folder, name)

    def import_game(self, kind: str) -> None:
        """A game made elsewhere becomes a new project ("file", "folder" or "archive")."""
        if kind == "archive":
            self.import_archive_dialog()
            return
        if kind == "folder":
            source = QFileDialog.getExistingDirectory(self, "Import a folder with index.html")
        else:
            source = QFileDialog.getOpenFileName(
                self, "Import an HTML file", "", "HTML (*.html *.htm)"
            )[0]
        if not source:
            return
        made = self.create_project(self._new_path(Path(source).stem), None)

        async def fill() -> None:  # once the project is made (off the GUI thread)
            if await made is not None:
                self.import_path(Path(source))

        asyncio.ensure_future(fill())
