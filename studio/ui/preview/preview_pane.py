"""The Preview pane: the game running live in the sandbox, with its console and tools.

Public interface (used by the main window, the Fix feature and gameplay recording):

- `PreviewPane(session)`; it follows `session.version_shown` and `session.project_changed`.
- `show_version(version_id)` loads a version (a fresh renderer if the last one was killed);
  `reload()` loads the shown version (or draft) again.
- `show_draft(files, base)` plays files not saved yet (a streaming answer's) over those of
  version `base`, through the same scheme, origin and sandbox; `version_id` is None and
  `draft` names it meanwhile. `end_draft(back_to)` shows version `back_to` instead (None:
  nothing), if the draft is still what the pane shows.
- `page` (a `studio.sandbox.page.SandboxPage`) and `view` (its `QWebEngineView`): for
  recording, `page.renderProcessPid()`, `runJavaScript`, `setAudioMuted`…
- `grab_frame() -> QImage`: the game's picture now, at the view's size.
- `errors() -> list[dict(message, source, line, kind)]`: distinct errors since the version
  was loaded (kind: uncaught, rejection, console, resource, load, hang, crash, memory).
- `state`: "empty", "loading", "running", "hung", "crashed", "memory" or "failed".
- `set_paused(bool)`, `set_muted(bool)`, `set_device(name)`, `set_custom_size(w, h)`,
  `save_screenshot(path)`, `save_screenshot_as_asset() -> Asset`, `start_playtest()`.

Signals: `fix_requested(list)` (the errors, from a Fix button), `errors_changed(int)`,
`state_changed(str)`, `fps_changed(float)`, `first_frame(float)` (seconds from
`show_version` to the page's first paint), `playtest_finished(PlaytestReport)`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt, QUrl, Signal
from PySide6.QtGui import QImage
from PySide6.QtWebEngineCore import QWebEnginePage
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.assets import add_screenshot
from studio.core.records import Asset
from studio.core.store import Project
from studio.errors import StudioError
from studio.operations.autofix import errors_once_loaded
from studio.sandbox.console import ConsoleEntry
from studio.sandbox.frames import PaintedFrames
from studio.sandbox.page import SandboxPage
from studio.sandbox.playtest import PlaytestReport, PlaytestRunner
from studio.sandbox.profile import sandbox_profile
from studio.sandbox.scheme import Draft, draft_url, split_url, version_url
from studio.sandbox.watchdog import Watchdog
from studio.story.validate import as_errors, version_problems
from studio.ui.icons import icon
from studio.ui.preview.agent_panel import AgentPanel, agent_button
from studio.ui.preview.console_panel import ConsolePanel
from studio.ui.preview.playtest_dialog import PlaytestDialog
from studio.ui.preview.point_tools import PointTools
from studio.ui.preview.preview_stage import DEVICES, GameStage, device, parse_size
from studio.ui.session import ProjectSession
from studio.ui.widgets.elided_label import ElidedLabel

log = logging.getLogger(__name__)

EMPTY_TEXT = "Open or create a game to see it here."


class PreviewPane(QWidget):
    fix_requested = Signal(list)
    errors_changed = Signal(int)
    state_changed = Signal(str)
    fps_changed = Signal(float)
    first_frame = Signal(float)
    playtest_finished = Signal(object)

    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.profile = sandbox_profile("preview")
        self.handler = self.profile.handler
        self.view = QWebEngineView()
        self.page = SandboxPage(self.profile, self.view)
        self.view.setPage(self.page)
        self.stage = GameStage(self.view)
        self.console = ConsolePanel(parent=self)
        self.watchdog = Watchdog(self.page, parent=self)
        self.state = "empty"
        self.version_id: int | None = None
        self.draft: str | None = None  # the key of the draft shown (see `show_draft`)
        self.fps: float | None = None
        self.last_playtest: PlaytestReport | None = None
        self._mounted: Project | None = None
        self._origin = ""
        self._stop_reason: str | None = None
        self._killed = False  # a renderer the watchdog killed has not been reported gone yet
        self._shown_at = 0.0
        self._playtest: PlaytestRunner | None = None
        self._playtest_dialog: QDialog | None = None
        self.agent: AgentPanel | None = None  # the AI playtest, once asked for
        self._build_toolbar()

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.stage)
        self.splitter.addWidget(self.console)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([600, 170])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.splitter, 1)
        self.point = PointTools(self)  # Pick, Annotate and Knobs, in a strip under the game

        self.page.console_entries.connect(self.console.extend)
        self.frames = PaintedFrames(self.view, self)  # painted, whatever drives the game
        self.frames.fps.connect(self._fps)
        self.frames.fps.connect(self.watchdog.frames_painted)
        self.page.first_paint.connect(self._painted)
        self.page.game_loaded.connect(self._game_loaded)
        self.page.titleChanged.connect(lambda _t: self._update_title())
        self.page.renderProcessTerminated.connect(self._terminated)
        self.profile.guard.blocked.connect(self._blocked)
        self.handler.not_found.connect(self._not_found)
        self.watchdog.hung.connect(self._hung)
        self.watchdog.memory_exceeded.connect(self._memory)
        self.console.fix_requested.connect(self.request_fix)
        self.console.errors_changed.connect(self.errors_changed)
        self.fix_requested.connect(session.fix_requested)
        self.errors_changed.connect(session.errors_changed)
        session.preview = self  # other panes reach the game through the session
        self.stage.overlay.restart.connect(self.reload)
        self.stage.overlay.fix.connect(self.request_fix)
        session.project_changed.connect(self._project_changed)
        session.version_shown.connect(self.show_version)
        if session.project is not None:
            self._project_changed(session.project)
        else:
            self._set_state("empty")

    # -- toolbar -------------------------------------------------------------------------

    def _tool(self, text: str, tip: str, name: str | None = None) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        if name is not None:  # Studio's own icons (studio.ui.icons), not the platform's
            button.setIcon(icon(name))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        return button

    def _build_toolbar(self) -> None:
        self.title = ElidedLabel("No game")
        self.title.setObjectName("paneTitle")
        self.reload_button = self._tool("Reload", "Reload the game (fresh start)", "reload")
        self.reload_button.clicked.connect(self.reload)
        self.pause_button = self._tool("Pause", "Pause or resume the game", "pause")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self.set_paused)
        self.mute_button = self._tool("Mute", "Mute the game's sound", "sound")
        self.mute_button.setCheckable(True)
        self.mute_button.toggled.connect(self.set_muted)
        self.device_box = QComboBox(self)
        self.device_box.setToolTip("Device size the game sees")
        for i, d in enumerate(DEVICES):
            self.device_box.addItem(d.label, d.name)
            size = f"{d.size[0]}×{d.size[1]} CSS pixels" if d.size else "the whole pane"
            self.device_box.setItemData(i, size, Qt.ItemDataRole.ToolTipRole)
        self.device_box.addItem("Custom…", "custom")
        self.device_box.activated.connect(self._device_chosen)
        self.device_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.device_box.setMinimumContentsLength(6)  # the window must fit 1,100 px
        self.fps_label = QLabel("– fps")
        self.fps_label.setObjectName("fpsMeter")
        self.fps_label.setToolTip("Frames the page painted in the last second")
        self.fps_label.setMinimumWidth(48)
        self.fps_label.setStyleSheet("color: #98c379; font-family: monospace;")
        self.shot_button = self._tool("Screenshot", "Screenshot", "screenshot")
        menu = QMenu(self.shot_button)
        menu.addAction("Save as asset", self._save_shot_as_asset)
        menu.addAction("Save PNG…", self._save_shot_dialog)
        self.shot_button.setMenu(menu)
        self.shot_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.playtest_button = QToolButton(self)
        self.playtest_button.setText("Playtest")
        self.playtest_button.setToolTip("Play the shown version headlessly and report")
        self.playtest_button.clicked.connect(self.start_playtest)
        self.agent_button = agent_button(self, self.start_agent_playtest)
        self.toolbar = QWidget(self)
        self.toolbar.setObjectName("previewToolbar")
        bar = QHBoxLayout(self.toolbar)
        bar.setContentsMargins(4, 2, 4, 2)
        bar.setSpacing(2)
        bar.addWidget(self.title, 1)
        for w in (
            self.reload_button,
            self.pause_button,
            self.mute_button,
            self.device_box,
            self.fps_label,
            self.shot_button,
            self.playtest_button,
            self.agent_button,
        ):
            bar.addWidget(w)

    # -- projects and versions -----------------------------------------------------------

    def _project_changed(self, project: Project | None) -> None:
        if self._mounted is not None:
            self.handler.unmount(self._mounted)  # drops its drafts too
            self._mounted = None
        self.version_id = None
        self.draft = None
        if project is None:
            self._origin = ""
            self.watchdog.disarm()
            self.page.clear()
            self.console.clear()
            self._set_state("empty")
            return
        self._origin = self.handler.mount(project)
        self._mounted = project

    def show_version(self, version_id: int) -> None:
        project = self.session.project
        if project is None:
            return
        if self._mounted is not project:
            self._project_changed(project)
        self._drop_draft(project)
        self.version_id = version_id
        self._load(project, version_url(project, version_id))
        self._story_problems(project, version_id)

    def show_draft(self, files: Mapping[str, bytes], base: int | None) -> str | None:
        """Play `files` over version `base`'s without saving them; returns the draft's key."""
        project = self.session.project
        if project is None:
            return None
        if self._mounted is not project:
            self._project_changed(project)
        self._drop_draft(project)
        self.version_id = None
        self.draft = self.handler.add_draft(project, Draft(base, dict(files)))
        self._load(project, draft_url(project, self.draft))
        return self.draft

    def end_draft(self, back_to: int | None) -> None:
        """The draft is over: show version `back_to` (None: nothing) if the draft is still
        shown (the person may have chosen another version meanwhile)."""
        project = self.session.project
        if self.draft is None or project is None:
            return
        if back_to is not None:
            self.show_version(back_to)
            return
        self._drop_draft(project)
        self.watchdog.disarm()
        self.page.clear()
        self.console.clear()
        self._set_state("empty")

    def _drop_draft(self, project: Project) -> None:
        if self.draft is not None:
            self.handler.drop_draft(project, self.draft)
            self.draft = None

    def _load(self, project: Project, url: QUrl) -> None:
        self._stop_reason = None
        self.fps = None
        self.fps_label.setText("– fps")
        self.frames.restart()
        self.page.discard_console()  # lines of the page being replaced
        self.console.clear()
        self.stage.overlay.hide()
        self.stage.show_empty(None)
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(False)
        self.pause_button.blockSignals(False)
        self._shown_at = time.perf_counter()
        self._painted_once = False
        self._set_state("loading")
        self._update_title()
        self.page.load_game(url)
        self.view.setZoomFactor(self.stage.zoom)

    @property
    def shown(self) -> int | str | None:
        """What the page plays: a version's id, a draft's key, or None."""
        return self.version_id if self.version_id is not None else self.draft

    def _story_problems(self, project: Project, version_id: int) -> None:
        """A story's problems (studio.story) are listed as errors, so Fix offers them."""
        for error in as_errors(version_problems(project, version_id)):
            self.console.add(
                ConsoleEntry(
                    "error", error["message"], error["source"], error["line"], kind=error["kind"]
                )
            )
        self.console.refresh()

    def reload(self) -> None:
        project = self.session.project
        if self.version_id is not None:
            self.show_version(self.version_id)
        elif self.draft is not None and project is not None:
            self._load(project, draft_url(project, self.draft))

    def _update_title(self) -> None:
        if self.shown is None:
            self.title.setText("No game")
            return
        title = self.page.title()
        shown = title if title and not title.startswith(("studio:", "about:", "data:")) else ""
        what = f"v{self.version_id}" if self.version_id is not None else "Draft (not saved yet)"
        self.title.setText(what + (f" · {shown}" if shown else ""))

    # -- what the page does --------------------------------------------------------------

    def _game_loaded(self, ok: bool, error: str, code: int) -> None:
        if self.shown is None or self._stop_reason is not None:
            return
        if ok:
            if self.state == "loading":
                self._set_state("running")
            self.view.setZoomFactor(self.stage.zoom)  # Chromium may reset it on navigation
            return
        if code == -6 or "NOT_FOUND" in error.upper():
            text = "This version has no index.html, so there is nothing to run."
        else:
            text = f"The page could not be loaded: {error or code}"
        self._stop("failed", "The game could not be loaded", text, error_kind="load")

    def _terminated(self, status: QWebEnginePage.RenderProcessTerminationStatus, code: int) -> None:
        self.watchdog.disarm()
        if self._killed:
            # The watchdog killed it (hang, memory) and that was said already; the news may
            # arrive after the next version started loading.
            self._killed = False
            return
        if self._stop_reason is not None or self.shown is None:
            return
        if status == QWebEnginePage.RenderProcessTerminationStatus.NormalTerminationStatus:
            return
        self._stop(
            "crashed",
            "The game crashed",
            f"Its page stopped ({status.name.removesuffix('TerminationStatus').lower()}, "
            f"code {code}); it may have run out of memory. Studio is fine: Restart runs it again.",
            error_kind="crash",
        )

    def _hung(self, seconds: float) -> None:
        self._killed = True
        self._stop(
            "hung",
            "The game stopped responding",
            f"It did not answer for {seconds:.0f} seconds (an endless loop?), so it was stopped.",
            error_kind="hang",
        )

    def _memory(self, rss: int) -> None:
        self._killed = True
        self._stop(
            "memory",
            "The game used too much memory",
            f"It grew to {rss >> 20} MiB, so it was stopped before it slowed the computer down.",
            error_kind="memory",
        )

    def _stop(self, state: str, title: str, text: str, *, error_kind: str) -> None:
        self._stop_reason = state
        self.watchdog.disarm()
        self.console.add(ConsoleEntry("error", f"{title}: {text}", kind=error_kind))
        self.console.offer_fix()
        self.console.refresh()
        self.stage.overlay.show_message(title, text, fix=state != "failed")
        self.fps_label.setText("– fps")
        self._set_state(state)

    def _blocked(self, url: str, first_party: str) -> None:
        if self._origin and QUrl(first_party).host() == self._origin:
            self.console.add(ConsoleEntry("warning", f"Studio blocked a request to {url[:200]}"))

    def _not_found(self, url: str) -> None:
        split = split_url(QUrl(url))
        if split and split[0] == self._origin and split[1] == self.shown:
            self.console.add(
                ConsoleEntry("error", f"File not found: {split[2]}", split[2], 0, kind="resource")
            )

    def _fps(self, value: float) -> None:
        if self.state not in ("loading", "running"):
            return
        self.fps = value
        self.fps_label.setText(f"{value:.0f} fps")
        self.fps_changed.emit(value)

    def _painted(self, _ms: float) -> None:
        if not self._painted_once and self.state in ("loading", "running"):
            self._painted_once = True
            self.first_frame.emit(time.perf_counter() - self._shown_at)

    def _set_state(self, state: str) -> None:
        self.state = state
        running = state in ("loading", "running")
        for w in (self.pause_button, self.mute_button, self.shot_button):
            w.setEnabled(running)
        self.reload_button.setEnabled(self.shown is not None)
        self.playtest_button.setEnabled(self.version_id is not None and self._playtest is None)
        self.agent_button.setEnabled(self.version_id is not None)
        if state == "empty":
            self.stage.overlay.hide()
            self.stage.show_empty(EMPTY_TEXT)
            self._update_title()
        self.state_changed.emit(state)

    # -- errors and Fix ------------------------------------------------------------------

    def errors(self) -> list[dict]:
        """Distinct errors since the shown version was loaded, oldest first."""
        return [e.as_error() for e in self.console.buffer.errors()]

    @property
    def loading(self) -> bool:
        return self.state == "loading"

    async def play_for_errors(self, version_id: int) -> list[dict]:
        """The errors of `version_id` once it has played a moment here (for an auto-fix)."""
        return await errors_once_loaded(self, version_id)

    def request_fix(self) -> None:
        self.fix_requested.emit(self.errors())

    # -- toolbar actions -----------------------------------------------------------------

    def set_paused(self, paused: bool) -> None:
        if self.pause_button.isChecked() != paused:
            self.pause_button.setChecked(paused)  # comes back here through toggled
            return
        self.pause_button.setIcon(icon("run" if paused else "pause"))
        self.pause_button.setToolTip("Resume the game" if paused else "Pause the game")
        call = "pause" if paused else "resume"
        self.page.runJavaScript(f"window.__studio && window.__studio.{call}()", 0)

    def set_muted(self, muted: bool) -> None:
        if self.mute_button.isChecked() != muted:
            self.mute_button.setChecked(muted)
            return
        self.page.setAudioMuted(muted)
        self.mute_button.setIcon(icon("muted" if muted else "sound"))

    def set_device(self, name: str) -> None:
        d = device(name)
        self.device_box.setCurrentIndex(self.device_box.findData(name))
        self.stage.set_css_size(d.size)

    def set_custom_size(self, width: int, height: int) -> None:
        index = self.device_box.findData("custom")
        self.device_box.setItemText(index, f"{width}×{height}")
        self.device_box.setCurrentIndex(index)
        self.stage.set_css_size((width, height))

    def _device_chosen(self, index: int) -> None:
        name = self.device_box.itemData(index)
        if name != "custom":
            self.set_device(name)
            return
        current = self.stage.css_size or (800, 600)
        text, ok = QInputDialog.getText(
            self, "Custom size", "Width × height in CSS pixels:", text=f"{current[0]}x{current[1]}"
        )
        if ok:
            try:
                self.set_custom_size(*parse_size(text))
            except ValueError as exc:
                self.session.status.emit(str(exc))

    def grab_frame(self) -> QImage:
        """The game's picture now (the view's pixels, at its on-screen size)."""
        return self.frames.grab()

    def screenshot_png(self) -> bytes:
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        self.grab_frame().save(buffer, "PNG")
        return bytes(data)

    def save_screenshot(self, path: Path | str) -> Path:
        path = Path(path)
        if not self.grab_frame().save(str(path), "PNG"):
            raise StudioError(f"could not write {path}")
        return path

    def save_screenshot_as_asset(self) -> Asset | None:
        project = self.session.project
        if project is None or self.version_id is None:
            return None
        asset = add_screenshot(project, self.screenshot_png(), self.version_id)
        self.session.assets_changed.emit()
        self.session.status.emit(f"Saved a screenshot as asset {asset.name}")
        return asset

    def _save_shot_as_asset(self) -> None:
        try:
            self.save_screenshot_as_asset()
        except StudioError as exc:
            self.session.status.emit(f"Could not save the screenshot: {exc}")

    def _save_shot_dialog(self) -> None:
        name = f"screenshot-v{self.version_id}.png"
        path, _ = QFileDialog.getSaveFileName(self, "Save screenshot", name, "PNG (*.png)")
        if path:
            try:
                self.save_screenshot(path)
            except StudioError as exc:
                self.session.status.emit(str(exc))

    # -- playtest ------------------------------------------------------------------------

    def start_agent_playtest(self) -> AgentPanel | None:
        """A model plays the shown version where the game was (`AgentPanel.play_in`)."""
        self.agent = self.agent or AgentPanel(self.session, self)
        return self.agent.play_in(self)

    def start_playtest(self, seconds: float = 5.0) -> PlaytestRunner | None:
        project = self.session.project
        if project is None or self.version_id is None or self._playtest is not None:
            return None
        runner = PlaytestRunner(project, self.version_id, seconds=seconds, parent=self)
        runner.finished.connect(self._playtest_done)
        self._playtest = runner
        self.playtest_button.setEnabled(False)
        self.playtest_button.setText("Playtesting…")
        self.session.status.emit(f"Playtesting version {self.version_id}…")
        runner.start()
        return runner

    def _playtest_done(self, report: PlaytestReport) -> None:
        if self._playtest is not None:
            self._playtest.deleteLater()
        self._playtest = None
        self.last_playtest = report
        self.playtest_button.setText("Playtest")
        self.playtest_button.setEnabled(self.version_id is not None)
        self.session.status.emit(
            f"Playtest of version {report.version}: {'passed' if report.passed else 'failed'}"
        )
        self._show_report(report)
        self.playtest_finished.emit(report)

    def _show_report(self, report: PlaytestReport) -> None:
        if self._playtest_dialog is not None:
            self._playtest_dialog.close()
        dialog = PlaytestDialog(report, self)
        dialog.show()
        self._playtest_dialog = dialog
        dialog.destroyed.connect(lambda *_: setattr(self, "_playtest_dialog", None))
