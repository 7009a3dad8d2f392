"""The Preview's AI playtest: the model plays the shown version where the game was, each step
and its reason listed beside it as it happens, Stop at any moment, then the findings, each
replayable here, and "Fix what the playtester found".

The panel only shows and asks: the run is `studio.operations.agent_playtest` on a
`studio.sandbox.game_session.GameSession` (the playtest sandbox, its view put on this
panel's stage and paced to real time so a person can follow it); the fix goes to the Chat
panel through the session, and the new version is confirmed by replaying the findings
(`studio.operations.agent_runs.confirm_fix`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.ai.code_providers import make_code_provider, provider_config
from studio.ai.vision import takes_images
from studio.config.settings import Settings
from studio.core.store import Project
from studio.errors import StudioError
from studio.operations.agent_playtest import AgentPlaytest
from studio.operations.agent_report import DEFAULT_GOAL, AgentEvent, AgentReport, Budget
from studio.operations.agent_runs import confirm_fix, run_and_keep
from studio.operations.playtest_findings import Finding, findings_as_errors, judge
from studio.sandbox.game_session import GameSession, GameStopped, replay_script
from studio.sandbox.input_script import InputScript
from studio.scoring.prices import stored_prices
from studio.ui.preview.preview_stage import GameStage
from studio.ui.session import ProjectSession
from studio.ui.widgets.background import Tasks
from studio.ui.widgets.elided_label import ElidedLabel

log = logging.getLogger(__name__)

MARKS = {True: "✔", None: "•", False: "✖"}


class ExactStage(GameStage):
    """A stage whose zoom keeps the game's CSS size exact (800x600 stays 800x600, not
    799x600), so what the model plays here replays the same way headless."""

    def relayout(self) -> None:
        super().relayout()
        if self.css_size is None:
            return
        width, height = self.css_size
        steps = math.gcd(width, height)  # zooms of n/steps give whole pixels both ways
        zoom = max(1, math.floor(self.zoom * steps)) / steps
        w, h = round(width * zoom), round(height * zoom)
        self.view.setGeometry((self.width() - w) // 2, (self.height() - h) // 2, w, h)
        self.view.setZoomFactor(zoom)
        self.zoom = zoom


class AgentPanel(QWidget):
    closed = Signal()
    finished = Signal(object)  # AgentReport

    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agentPanel")
        self.session = session
        self.tasks = Tasks()
        self.agent: AgentPlaytest | None = None
        self.game: GameSession | None = None
        self.report: AgentReport | None = None
        self.project: Project | None = None
        self.version_id: int | None = None
        self.stage: GameStage | None = None
        self._fixing: tuple[int, list[Finding]] | None = None  # (version, findings) sent to fix
        self._build()
        session.version_shown.connect(self._version_shown)
        session.project_changed.connect(lambda _p: self.close_panel())

    def _build(self) -> None:
        self.title = ElidedLabel("AI playtest")
        self.title.setObjectName("paneTitle")
        self.status = ElidedLabel("")
        self.status.setStyleSheet("color: #9da5b4;")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the model after the step it is taking")
        self.stop_button.clicked.connect(self.stop)
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip("Back to the game in the Preview")
        self.close_button.clicked.connect(self.close_panel)
        head = QHBoxLayout()
        head.setContentsMargins(6, 4, 6, 0)
        head.addWidget(self.title, 1)
        head.addWidget(self.stop_button)
        head.addWidget(self.close_button)

        self.stage_box = QWidget()
        self.stage_box.setMinimumHeight(140)
        QVBoxLayout(self.stage_box).setContentsMargins(0, 0, 0, 0)
        self.steps = QListWidget()
        self.steps.setWordWrap(True)
        self.steps.setAlternatingRowColors(True)
        self.steps.setToolTip("Each step: why the model took it, what it did, what changed")
        self.steps.setSpacing(2)
        self.findings = QListWidget()
        self.findings.setWordWrap(True)
        self.findings.setSpacing(2)
        self.findings.currentRowChanged.connect(lambda _row: self._update_buttons())
        self.replay_button = QPushButton("Replay")
        self.replay_button.setToolTip("Play the selected finding's exact inputs again, here")
        self.replay_button.clicked.connect(self.replay_selected)
        self.fix_button = QPushButton("Fix what the playtester found")
        self.fix_button.setObjectName("primaryButton")
        self.fix_button.clicked.connect(self.fix)
        finding_buttons = QHBoxLayout()
        finding_buttons.addWidget(self.replay_button)
        finding_buttons.addWidget(self.fix_button, 1)
        found = QWidget()
        found_layout = QVBoxLayout(found)
        found_layout.setContentsMargins(0, 0, 0, 0)
        found_layout.addWidget(self.findings, 1)
        found_layout.addLayout(finding_buttons)
        # Steps while it plays, findings when it is done: each gets the panel's whole width.
        self.lists = QTabWidget()
        self.lists.setDocumentMode(True)
        self.lists.addTab(self.steps, "Steps")
        self.lists.addTab(found, "Findings")

        self.goal = QLineEdit()
        self.goal.setPlaceholderText(f"Goal: {DEFAULT_GOAL}")
        self.goal.setToolTip("What the model should try, e.g. “reach the exit” or “score 3”")
        self.goal.returnPressed.connect(self.play_again)
        self.step_limit = QSpinBox()
        self.step_limit.setRange(1, 200)
        self.step_limit.setValue(30)
        self.step_limit.setPrefix("at most ")
        self.step_limit.setSuffix(" steps")
        self.again_button = QPushButton("Play again")
        self.again_button.clicked.connect(self.play_again)
        foot = QHBoxLayout()
        foot.setContentsMargins(6, 0, 6, 4)
        foot.addWidget(self.goal, 1)
        foot.addWidget(self.step_limit)
        foot.addWidget(self.again_button)

        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        split.addWidget(self.stage_box)
        split.addWidget(self.lists)
        split.setSizes([420, 260])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        layout.addLayout(foot)
        self.status.setContentsMargins(6, 0, 6, 0)
        self._update_buttons()

    # -- running --------------------------------------------------------------------------

    def play_in(self, pane: Any) -> AgentPanel | None:
        """Take the game's place in the Preview `pane` (its game pauses) and play the
        version it shows; Close gives the place back."""
        project = self.session.project
        if project is None or pane.version_id is None:
            return None
        if self.parent() is not pane.splitter:
            pane.splitter.insertWidget(0, self)
            self.closed.connect(lambda: self._place(pane, False))
        self._place(pane, True)
        self.start(project, pane.version_id)
        return self

    def _place(self, pane: Any, shown: bool) -> None:
        self.setVisible(shown)
        pane.stage.setVisible(not shown)
        pane.console.setVisible(not shown)
        pane.set_paused(shown)

    @property
    def running(self) -> bool:
        return bool(self.tasks)

    def start(self, project: Project, version_id: int) -> bool:
        """Let the model play `version_id` (no-op while a run or replay goes on)."""
        if self.running:
            return False
        self.project, self.version_id, self.report = project, version_id, None
        self.steps.clear()
        self.findings.clear()
        self.lists.setCurrentIndex(0)
        self._count()
        self.title.setText(f"AI playtest · v{version_id}")
        self._say("Starting the game…")
        goal = self.goal.text().strip()
        self.tasks.start(self._run(project, version_id, goal, self.step_limit.value()), self._done)
        self._update_buttons()
        return True

    def play_again(self) -> None:
        if self.project is not None and self.version_id is not None:
            self.start(self.project, self.version_id)

    def stop(self) -> None:
        if self.agent is not None:
            self.agent.stop()
            self._say("Stopping after this step…")
        elif self.running:
            self.tasks.cancel_all()

    def close_panel(self) -> None:
        self.tasks.cancel_all()
        if self.agent is not None:
            self.agent.stop()
        self._close_game()
        self._fixing = None
        self.hide()
        self.closed.emit()

    async def _run(self, project: Project, version_id: int, goal: str, steps: int) -> AgentReport:
        settings = Settings()
        config = provider_config(settings)
        model = config.effective_model
        provider = await asyncio.to_thread(make_code_provider, self.session.host, config)
        try:
            game = await self._open(GameSession(project, version_id, pace=True, parent=self))
            self.agent = AgentPlaytest(
                provider,
                model,
                game,
                lambda script: replay_script(project, version_id, script),
                goal=goal,
                budget=Budget(steps=steps, price=stored_prices(settings).get(model)),
                vision=takes_images(model, config.vision),
                temperature=config.temperature,
                project=project.name,
                version=version_id,
                on_event=self._event,
            )
            self.title.setText(f"AI playtest · v{version_id} · {model}")
            return await run_and_keep(project, version_id, self.agent)
        finally:
            self.agent = None
            with contextlib.suppress(Exception):
                await provider.aclose()

    async def _open(self, game: GameSession) -> GameSession:
        """Open a session with its view on this panel's stage (the last one closes)."""
        self._close_game()
        self.game = game
        await game.open(place=self._show_view)
        return game

    def _show_view(self, view: QWebEngineView) -> None:
        if self.stage is not None:
            self.stage.deleteLater()
        self.stage = ExactStage(view)
        self.stage.set_css_size(self.game.viewport if self.game else (800, 600))
        self.stage_box.layout().addWidget(self.stage)
        view.show()

    def _close_game(self) -> None:
        if self.game is not None:
            with contextlib.suppress(RuntimeError):
                self.game.close()
            self.game = None

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._update_buttons()
        if task.cancelled():
            self._say("Stopped.")
            return
        error = task.exception()
        if isinstance(error, StudioError | GameStopped):
            self._say(f"Could not play: {error}")
            return
        if error is not None:
            log.error("AI playtest failed", exc_info=error)
            self._say(f"The playtest failed: {error!r}")
            return
        report: AgentReport = task.result()
        self.report = report
        self._show_findings(report)
        found = len(report.findings)
        self._say(
            f"Ended: {report.stop_words}. {found or 'No'} finding{'s' if found != 1 else ''}"
            f" · {report.turns} steps · {report.tokens_in + report.tokens_out:,} tokens"
            + (f" · ${report.cost:.4f}" if report.cost is not None else "")
        )
        self.session.status.emit(f"AI playtest of version {report.version}: {found} finding(s)")
        self.finished.emit(report)

    # -- what the run says ----------------------------------------------------------------

    def _event(self, event: AgentEvent) -> None:
        if event.kind == "step" and event.record is not None:
            record = event.record
            lines = record.lines()
            item = QListWidgetItem("\n".join(lines))
            item.setToolTip(record.result)
            item.setData(Qt.ItemDataRole.UserRole, record.step)
            if record.error:
                item.setForeground(Qt.GlobalColor.darkYellow)
            self.steps.addItem(item)
            self._count()
            self.steps.scrollToBottom()
        elif event.kind == "finding" and event.finding is not None:
            self.findings.addItem(f"… {event.finding.headline()} (checking)")
            self._count()
        elif event.kind in ("thinking", "checking", "warning"):
            budget = self.agent.budget.steps if self.agent is not None else 0
            self._say(event.text + (f" (of {budget})" if event.kind == "thinking" else ""))

    def _show_findings(self, report: AgentReport) -> None:
        self.findings.clear()
        for finding in report.findings:
            how = {True: "confirmed by replay", None: "not checkable by replay"}[finding.confirmed]
            lines = [f"{MARKS[finding.confirmed]} {finding.headline()} — {how}"]
            if finding.expected or finding.actual:
                lines.append(
                    f"expected {finding.expected or '?'}; happened: {finding.actual or '?'}"
                )
            item = QListWidgetItem("\n".join(lines))
            item.setToolTip("\n".join(f"{label}: {value}" for label, value in finding.details()))
            self.findings.addItem(item)
        self._count(len(report.findings))
        self.lists.setCurrentIndex(1)
        if not report.findings:
            self.findings.addItem("No problems found.")
        else:
            self.findings.setCurrentRow(0)
        self._update_buttons()

    def _count(self, findings: int | None = None) -> None:
        found = self.findings.count() if findings is None else findings
        last = self.steps.item(self.steps.count() - 1) if self.steps.count() else None
        turns = last.data(Qt.ItemDataRole.UserRole) if last is not None else 0
        self.lists.setTabText(0, f"Steps ({turns})")  # the model's turns, as budgets count
        self.lists.setTabText(1, f"Findings ({found})")

    def _say(self, text: str) -> None:
        self.status.setText(text)

    def _update_buttons(self) -> None:
        busy = self.running
        findings = self.report.findings if self.report is not None else []
        self.stop_button.setEnabled(busy)
        self.again_button.setEnabled(not busy and self.version_id is not None)
        self.replay_button.setEnabled(not busy and 0 <= self.findings.currentRow() < len(findings))
        self.fix_button.setEnabled(not busy and bool(findings))

    # -- findings: replay and fix ---------------------------------------------------------

    def replay_selected(self) -> None:
        row = self.findings.currentRow()
        if self.report is None or self.running or not 0 <= row < len(self.report.findings):
            return
        self.tasks.start(self._replay(self.report.findings[row]), self._replayed)
        self._update_buttons()

    async def _replay(self, finding: Finding) -> str:
        script = InputScript.from_json(finding.script)
        self._say(f"Replaying “{finding.title}”: {len(script.actions)} inputs…")
        game = GameSession.for_script(self.project, self.version_id, script, pace=True, parent=self)
        await self._open(game)
        there, seen = judge(finding, await game.replay(script))
        verdict = {True: "it happened again", False: "it did not happen", None: "cannot tell"}
        return f"Replayed “{finding.title}”: {verdict[there]} ({seen})."

    def _replayed(self, task: asyncio.Future[str]) -> None:
        self._update_buttons()
        if not task.cancelled():
            error = task.exception()
            self._say(task.result() if error is None else f"Could not replay: {error}")

    def fix(self) -> None:
        """Send the findings to the Chat panel for a fix; the version it makes is confirmed
        by replaying them (`_version_shown`)."""
        if self.report is None or not self.report.findings or self.version_id is None:
            return
        self._fixing = (self.version_id, list(self.report.findings))
        self.session.fix_requested.emit(findings_as_errors(self.report.findings))
        self._say("Asked the code model to fix the findings; the new version will be replayed.")

    def _version_shown(self, version_id: int) -> None:
        project = self.session.project
        if self._fixing is None or project is None or project is not self.project:
            return
        version = project.version(version_id)
        played, findings = self._fixing
        if version.kind != "fix" or version.parent != played:
            return
        self._fixing = None
        work: Awaitable[Any] = confirm_fix(
            project, version_id, findings, lambda script: replay_script(project, version_id, script)
        )
        self._say(f"Replaying the findings on version {version_id}…")
        self.tasks.start(work, lambda task: self._confirmed(task, version_id))

    def _confirmed(self, task: asyncio.Future[Any], version_id: int) -> None:
        self._update_buttons()
        if task.cancelled() or task.exception() is not None:
            self._say(f"Could not replay the findings on version {version_id}.")
            return
        checks = task.result()
        self.findings.clear()
        for check in checks:
            mark = {True: "✔", False: "✖", None: "•"}[check.fixed]
            self.findings.addItem(
                f"{mark} {check.finding.headline()} — {check.verdict} in v{version_id}"
            )
        fixed = sum(1 for c in checks if c.fixed)
        self._say(f"Version {version_id}: {fixed} of {len(checks)} finding(s) fixed, by replay.")


def agent_button(parent: QWidget, start: Any) -> QToolButton:
    """The Preview toolbar's "Playtest with AI" button: "with AI", right after "Playtest"
    (short, so the toolbar does not widen the pane)."""
    button = QToolButton(parent)
    button.setText("with AI")
    button.setAccessibleName("Playtest with AI")
    button.setToolTip("Playtest with AI: a model plays the shown version and reports what it finds")
    button.clicked.connect(start)
    return button
