"""The Chat panel (first tab of the Code pane): prompt the model, watch it write, fix errors.

The panel holds no generation logic: it builds a `studio.operations.generator.Generator` from
the settings, runs its operations as asyncio tasks on Qt's loop, streams their events into
the conversation and the editor (`StreamBatcher`, ~30 ms batches), and shows outcomes.
A version is shown in the editor and the Preview as soon as it is saved (the end of the
answer): a whole file is applied and committed only once the answer is complete. Before
that the Preview plays a draft (`DraftPreview`) from the moment a file of the answer is
complete; a draft is never stored, and the Preview goes back to the version it showed
when the answer makes none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.ai.code_providers import ProviderConfig, make_code_provider, provider_config
from studio.ai.providers import close_provider
from studio.ai.stream_parser import parse_answer
from studio.core.records import Message, Version
from studio.core.store import Project
from studio.errors import StudioError
from studio.operations.conversation import discard_partial, fix_request_text, pending_partial
from studio.operations.generator import Generator
from studio.operations.model_setup import ModelSetup, missing_key
from studio.operations.outcomes import Outcome
from studio.qt.collector import install as gui_collector
from studio.ui.code.change_bar import ChangeBar
from studio.ui.code.chat_offers import OfferBar
from studio.ui.code.draft_preview import DraftPreview
from studio.ui.code.findings_fix import FindingsFix
from studio.ui.code.generate_stream import ConversationView, StreamBatcher
from studio.ui.code.model_status import ModelStatus, SetupLine
from studio.ui.code.prompt_box import PromptBox
from studio.ui.code.prompt_extras import PromptExtras
from studio.ui.code.warm_up import warm_up
from studio.ui.session import ProjectSession
from studio.ui.widgets.background import Tasks
from studio.ui.widgets.flow_layout import FlowLayout

log = logging.getLogger(__name__)

SHOWN_MESSAGES = 300  # of a long conversation, the newest are shown on opening


class ChatPanel(QWidget):
    """Conversation, prompt box, Generate / Stop / Continue / Discard / Variations / Fix."""

    finished = Signal(object)  # the Outcome of each operation (None if it could not start)
    busy_changed = Signal(bool)
    settings_saved = Signal()  # the Settings dialog was saved

    def __init__(
        self,
        session: ProjectSession,
        code: Any,
        settings: Any,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.code = code
        self.settings = settings
        self.task: asyncio.Future[Outcome] | None = None
        self._tasks = Tasks()
        self.busy = False
        self.last_outcome: Outcome | None = None
        self.variations_dialog: Any = None
        self._provider: Any = None
        self._said: set[int] = set()  # versions whose saving was said already (auto-fix)
        self._sent_prompt = ""  # given back to the prompt box if stopped before it was sent
        self._task_project: Project | None = None  # the project the running task works on
        self._pending: Message | None = None  # the cut-off answer offered to Continue
        self._failed_prompt = ""  # a prompt given back after it failed: Generate says Retry
        self.model_status = ModelStatus(settings, self)
        self._build()
        self.batcher = StreamBatcher(code, self.conversation, self)
        self.batcher.progress.connect(self.progress.setText)
        self.draft = DraftPreview(session, self)
        session.project_changed.connect(self._project_changed)
        session.version_shown.connect(lambda _v: self._update_buttons())
        session.fix_requested.connect(self.fix)
        self.findings_fix = FindingsFix(self)  # the AI playtester's fixes, asked by the Preview
        session.errors_changed.connect(lambda _n: self._update_buttons())
        session.prompt_suggested.connect(self.suggest)
        self.model_status.changed.connect(lambda _s: self.update_model_label())
        self._project_changed(session.project)
        self.update_model_label()
        # The `openai` package takes a second to import and holds ~50 MiB: import it off
        # the GUI thread once a generation is likely (a prompt being written, errors to
        # fix), so the first Generate does not freeze the window and a person who only
        # plays does not pay for it.
        self.prompt.textChanged.connect(self._prompt_written)
        session.errors_changed.connect(lambda n: n > 0 and warm_up())

    def _prompt_written(self) -> None:
        if self.prompt.toPlainText().strip():
            warm_up()

    # -- building -----------------------------------------------------------------------

    def _build(self) -> None:
        self.model_button = QToolButton()
        self.model_button.setObjectName("modelButton")
        self.model_button.setToolTip("The code model (click for Settings › Code model)")
        self.model_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.model_button.clicked.connect(self.open_settings)
        self.progress = QLabel()
        self.progress.setObjectName("generationProgress")
        self.progress.setStyleSheet("color: #9da5b4;")
        header = QHBoxLayout()
        header.setContentsMargins(6, 2, 6, 0)
        header.addWidget(self.model_button)
        header.addWidget(self.progress, 1)

        self.conversation = ConversationView()
        self.conversation.setMinimumHeight(80)

        self.pending_bar = QFrame()
        self.pending_bar.setObjectName("pendingBar")
        self.pending_bar.setStyleSheet(
            "#pendingBar { background: #3a3222; border-radius: 4px; }"
            "#pendingBar QLabel { color: #e5c07b; }"
        )
        self.pending_label = QLabel("The last answer is unfinished: nothing was saved from it.")
        self.pending_label.setWordWrap(True)
        self.continue_btn = QPushButton("Continue")
        self.continue_btn.setToolTip("Ask the model to go on exactly where it stopped")
        self.continue_btn.clicked.connect(self.continue_answer)
        self.discard_btn = QPushButton("Discard")
        self.discard_btn.setToolTip("Drop the unfinished answer (it stays in the chat to read)")
        self.discard_btn.clicked.connect(self.discard)
        bar = QHBoxLayout(self.pending_bar)
        bar.setContentsMargins(8, 4, 8, 4)
        bar.addWidget(self.pending_label, 1)
        bar.addWidget(self.continue_btn)
        bar.addWidget(self.discard_btn)
        self.pending_bar.hide()

        self.prompt = PromptBox()
        self.prompt.submitted.connect(self.generate)
        self.prompt.textChanged.connect(self._update_buttons)

        self.generate_btn = QPushButton("Generate")
        self.generate_btn.setObjectName("primaryButton")
        self.generate_btn.setToolTip("Send the prompt (Ctrl+Enter)")
        self.generate_btn.clicked.connect(self.generate)
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.setObjectName("stopButton")
        self.stop_btn.setToolTip("Stop the answer now (Esc); nothing is saved from it")
        self.stop_btn.clicked.connect(self.stop)
        self.variations_btn = QPushButton("Variations")
        self.variations_btn.setToolTip("Make several versions from this prompt at once")
        self.variations_btn.clicked.connect(lambda: self.start_variations())
        self.variations_spin = QSpinBox()
        self.variations_spin.setRange(2, 8)
        self.variations_spin.setValue(min(8, max(2, self.settings.value("variations", int, 3))))
        self.variations_spin.setToolTip("How many variations")
        self.variations_spin.valueChanged.connect(lambda n: self.settings.set("variations", n))
        self.fix_btn = QPushButton("Fix")
        self.fix_btn.setToolTip("Send the Preview's errors to the model for a fix")
        self.fix_btn.clicked.connect(lambda: self.fix())
        self.auto_fix_box = QCheckBox("auto-fix")
        self.auto_fix_box.setToolTip(
            "When a new version reports errors in the Preview, ask for a fix at once "
            "(at most once per prompt, never after a fix)"
        )
        self.auto_fix_box.setChecked(self.settings.value("auto_fix", bool, False))
        self.auto_fix_box.toggled.connect(lambda on: self.settings.set("auto_fix", on))
        self._buttons = buttons = FlowLayout()  # wraps when the pane is narrow
        buttons.setContentsMargins(6, 0, 6, 6)
        for w in (
            self.generate_btn,
            self.stop_btn,
            self.variations_btn,
            self.variations_spin,
            self.fix_btn,
            self.auto_fix_box,
        ):
            buttons.addWidget(w)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.conversation, 1)
        layout.addWidget(self.pending_bar)
        self.offers = OfferBar(self.session, self)  # requests from other panes (pictures)
        layout.addWidget(self.offers)
        self.setup_line = SetupLine(self.model_status)  # no model set up: what to do
        self.setup_line.settings_requested.connect(self.open_settings)
        layout.addWidget(self.setup_line)
        self.change_bar = ChangeBar(self.session)  # "Changing v1 (not the newest, v4)…"
        layout.addWidget(self.change_bar)
        self.extras = PromptExtras(self)  # what goes with the prompt above it, the meter under
        layout.addWidget(self.extras.review_bar)
        layout.addWidget(self.extras.tray)
        self.extras.tray.changed.connect(self.updateGeometry)  # its chips may wrap
        buttons.addWidget(self.extras.review_box)
        prompt_row = QHBoxLayout()
        prompt_row.setContentsMargins(6, 0, 6, 0)
        prompt_row.addWidget(self.prompt)
        layout.addLayout(prompt_row)
        layout.addWidget(self.extras.meter)
        layout.addLayout(buttons)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """Tall enough for the rows the buttons and the tray's chips wrap into at this width:
        the splitter above asks only this, and would otherwise squeeze what shows over the
        prompt."""
        hint = super().minimumSizeHint()
        wrapped = self._buttons.heightForWidth(self.width()) - self._buttons.minimumSize().height()
        tray = self.extras.tray
        if tray.isVisible():
            wrapped += tray.heightForWidth(self.width()) - tray.minimumSizeHint().height()
        return QSize(hint.width(), hint.height() + max(0, wrapped))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()  # the buttons may wrap into more or fewer rows

    # -- state --------------------------------------------------------------------------

    @property
    def project(self) -> Project | None:
        return self.session.project

    def config(self) -> ProviderConfig:
        return provider_config(self.settings)

    def update_model_label(self) -> None:
        config = self.config()
        self.model_button.setText(f"{config.effective_model} · {config.name} ▾")

    def _project_changed(self, project: Project | None) -> None:
        if self.busy:
            self.stop()
        self.conversation.clear()
        self.prompt.clear()  # a prompt typed for the other project
        self._failed_prompt = ""
        self._said.clear()
        if project is not None:
            messages = project.messages(limit=SHOWN_MESSAGES)
            self.conversation.show_messages(messages)
        self._refresh_pending()

    def _refresh_pending(self) -> None:
        """Read the conversation for a cut-off answer (after anything that may change it;
        not on every key typed)."""
        project = self.project
        self._pending = pending_partial(project.messages()) if project is not None else None
        self._update_buttons()

    def _preview_errors(self) -> list[dict]:
        preview = self.session.preview
        return list(preview.errors()) if preview is not None else []

    def _update_buttons(self) -> None:
        has_project = self.project is not None
        idle = has_project and not self.busy
        typed = self.prompt.toPlainText().strip()
        has_prompt = bool(typed)
        self.generate_btn.setEnabled(idle and has_prompt)
        retry = has_prompt and typed == self._failed_prompt
        self.generate_btn.setText("Retry" if retry else "Generate")
        self.variations_btn.setEnabled(idle and has_prompt)
        self.stop_btn.setEnabled(self.busy)
        errors = len(self._preview_errors()) if has_project else 0
        self.fix_btn.setEnabled(idle and errors > 0)
        self.fix_btn.setText(f"Fix ({errors})" if errors else "Fix")
        pending = self._pending if has_project and not self.busy else None
        if self.pending_bar.isHidden() != (pending is None):
            self.pending_bar.setVisible(pending is not None)
            # The bar takes room from the conversation: keep its last lines in view.
            QTimer.singleShot(0, self.conversation, self.conversation.scroll_to_end)
        if pending is not None:
            cut = pending.meta.get("status") == "cut_off"
            self.pending_label.setText(
                ("The last answer was cut off" if cut else "The last answer was stopped")
                + f" after {len(pending.content):,} characters: nothing was saved from it."
            )

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        if not busy:
            self.progress.setText("")
        self._update_buttons()
        self.busy_changed.emit(busy)

    # -- starting -----------------------------------------------------------------------

    async def _generator(self) -> Generator:
        """Build the provider off the GUI thread (an HTTP client loads its certificates,
        the key comes from the keyring: tens of ms). Raises StudioError saying why not."""
        project, config = self.project, self.config()
        if project is None:
            raise StudioError("No project is open.")
        try:
            provider = await asyncio.to_thread(make_code_provider, self.session.host, config)
        except StudioError as exc:
            raise StudioError(f"Cannot use {config.name}: {exc}") from None
        self._provider = provider
        generator = Generator.from_config(project, provider, config)
        self.extras.prepare(generator)
        return generator

    async def _with_generator(
        self, operation: Callable[[Generator], Awaitable[Outcome]], kind: str
    ) -> Outcome:
        """Run `operation` with a new generator (see `_generator`)."""
        problem = await asyncio.to_thread(missing_key, self.config())
        if problem is not None:  # nothing is sent: the key is missing, not the network
            self.model_status.say(ModelSetup(False, problem))
            return Outcome(kind, "error", problem, error_kind="missing_key")
        try:
            generator = await self._generator()
        except StudioError as exc:
            return Outcome(kind, "error", str(exc), error_kind="setup")
        return await operation(generator)

    def _save_edits_first(self) -> None:
        if self.code is not None:
            self.code.save_edits()

    def _on_event(self, event: Any) -> None:
        self.batcher.on_event(event)
        self.draft.on_event(event)

    def _start(self, work: Awaitable[Outcome], base: int | None) -> None:
        """Run `work`, a generation on version `base`, showing what it streams."""
        self._task_project = self.project
        gui_collector().hold()
        self.batcher.reset()
        self.draft.begin(self.project, base)
        if self.code is not None:
            self.code.begin_stream()
        self._set_busy(True)
        self.progress.setText("Waiting for the model…")
        self.task = self._tasks.start(work, self._done)

    def generate(self) -> bool:
        """Send the prompt. Returns whether a generation started."""
        text = self.prompt.toPlainText().strip()
        if self.busy or not text or self.project is None:
            return False
        self._save_edits_first()
        self.prompt.clear()
        self._sent_prompt = text
        shown = self.extras.take()
        self.conversation.add_user(self.extras.display(text))
        check = self._check_for_errors if self.auto_fix_box.isChecked() else None
        base = self.session.shown
        self._start(
            self._with_generator(
                lambda g: g.generate(
                    text, base=base, on_event=self._on_event, check=check, attachments=shown
                ),
                "generate",
            ),
            base,
        )
        return True

    def fix(self, errors: Sequence[Mapping[str, Any]] | None = None) -> bool:
        """Send errors (the Preview's, unless given) to the model for a fix."""
        if self.busy or self.project is None:
            return False
        errors = list(errors) if errors is not None else self._preview_errors()
        if not errors:
            self.conversation.add_status("The Preview reports no errors to fix.", "info")
            return False
        self._save_edits_first()
        note = self.prompt.toPlainText().strip()
        self.prompt.clear()
        base = self.session.shown
        preview = self.session.preview
        if preview is not None and preview.version_id is not None:
            base = preview.version_id  # the errors came from the version it plays
        self.conversation.add_user(fix_request_text(errors, note))
        self._start(
            self._with_generator(
                lambda g: g.fix(errors, note=note, base=base, on_event=self._on_event),
                "fix",
            ),
            base,
        )
        return True

    def continue_answer(self) -> bool:
        if self.busy or self.project is None:
            return False
        partial = pending_partial(self.project.messages())
        if partial is None:
            return False
        self.conversation.add_status("Continuing the unfinished answer…", "info")
        check = self._check_for_errors if self.auto_fix_box.isChecked() else None
        self._start(
            self._with_generator(
                lambda g: g.continue_answer(on_event=self._on_event, check=check),
                "continue",
            ),
            self.session.shown,  # the version the answer was asked on (nothing since)
        )
        # The continuation streams on from where the answer stopped: show that file so far.
        open_files = [i for i in parse_answer(partial.content).incomplete if i.kind == "file"]
        if open_files and self.code is not None:
            self.code.stream_file(open_files[-1].path, open_files[-1].partial_text)
            self.batcher.path = open_files[-1].path
        return True

    def discard(self) -> None:
        if self.busy or self.project is None:
            return
        note = discard_partial(self.project)
        if note is not None:
            self.conversation.add_status(note.content, "info")
        self._refresh_pending()

    def stop(self) -> None:
        """Stop now: the stream ends, nothing is saved, what arrived can be continued."""
        if self.variations_dialog is not None and self.variations_dialog.running():
            self.variations_dialog.cancel_all()
        if self.task is not None and not self.task.done():
            self.task.cancel()
            self.stop_btn.setEnabled(False)
            self.progress.setText("Stopping…")

    def start_variations(self, n: int | None = None) -> asyncio.Future[Any] | None:
        """Open the Variations dialog running `n` generations of the prompt. Returns the
        task that builds the provider (off the GUI thread, as for Generate) and opens the
        dialog; its result is the dialog, or None when the provider could not be made."""
        text = self.prompt.toPlainText().strip()
        if self.busy or not text or self.project is None:
            return None
        self._save_edits_first()
        n = n or self.variations_spin.value()
        self.prompt.clear()
        self.conversation.add_user(text)
        self.conversation.add_status(f"Making {n} variations…", "info")
        self._set_busy(True)
        return self._tasks.start(self._open_variations(text, n, self.session.shown))

    async def _open_variations(self, text: str, n: int, base: int | None) -> Any:
        from studio.ui.code.variations import VariationsDialog

        project = self.project
        try:
            generator = await self._generator()
        except StudioError as exc:
            generator = None
            self.conversation.add_status(str(exc), "error")
        if generator is None or project is not self.project:  # (or another project opened)
            self._close_provider()
            if generator is None and not self.prompt.toPlainText().strip():
                self.prompt.setPlainText(text)  # not lost
            self._set_busy(False)
            self.finished.emit(None)
            return None
        dialog = VariationsDialog(self.session, generator, text, n, base=base)
        dialog.setParent(self.window(), dialog.windowFlags())
        self.variations_dialog = dialog
        gui_collector().hold()
        dialog.finished_all.connect(lambda outcomes: self._variations_done(dialog, outcomes))
        dialog.kept.connect(self._variation_kept)
        dialog.start()
        dialog.show()
        return dialog

    # -- finishing ----------------------------------------------------------------------

    def _done(self, task: asyncio.Future[Outcome]) -> None:
        gui_collector().release()
        self.batcher.finish()
        outcome: Outcome | None = None
        if task.cancelled():  # stopped before the operation even began
            outcome = Outcome("generate", "cancelled", "Stopped before the model answered.")
        elif task.exception() is not None:
            exc = task.exception()
            if self._task_project is self.project:
                log.error("generation failed", exc_info=exc)
                self.conversation.add_status(f"The generation failed: {exc}", "error")
        else:
            outcome = task.result()
        if self._task_project is not self.project:
            # The project was closed or another opened meanwhile: nothing here to show.
            self.draft.end(go_back=False)
            self.task = None
            self._close_provider()
            if self.code is not None and self.code.streaming:
                self.code.end_stream(reload=True)
            self._set_busy(False)
            self.finished.emit(outcome)
            return
        # Showing the new version (editor, History, Preview) waits for the next turn of the
        # event loop: together with the last of the stream it would make one long frame.
        QTimer.singleShot(0, lambda: self._conclude(outcome))

    def _conclude(self, outcome: Outcome | None) -> None:
        # A prompt that made nothing (stopped before any answer, refused, failed) goes back
        # in the box, and Generate says Retry; an unfinished answer has Continue instead.
        lost = outcome is None or (not outcome.ok and not outcome.pending)
        if lost and self._sent_prompt and not self.prompt.toPlainText().strip():
            self._failed_prompt = self._sent_prompt
            self.prompt.setPlainText(self._sent_prompt)
            self.prompt.moveCursor(QTextCursor.MoveOperation.End)
            self.extras.give_back()
        self._sent_prompt = ""
        shown = self._show(outcome)
        if self.code is not None and self.code.streaming:
            self.code.end_stream(reload=shown is None)
        # The new version loads in the editor, History and Preview on the next turn again:
        # loading a page costs the GUI thread several ms of its own.
        QTimer.singleShot(0, lambda: self._show_version(outcome, shown))

    def _show_version(self, outcome: Outcome | None, shown: Version | None) -> None:
        self.draft.end(go_back=shown is None)  # nothing new: the Preview's version is back
        if shown is not None:
            self.session.add_version(shown)
        self.task = None
        self._close_provider()
        self.last_outcome = outcome
        self._pending = pending_partial(self.project.messages()) if self.project else None
        self._set_busy(False)
        self.finished.emit(outcome)

    def _show(self, outcome: Outcome | None) -> Version | None:
        """Say what happened; return the version to show (the newest one made)."""
        if outcome is None:
            return None
        newest: Version | None = None
        for o in (outcome, outcome.auto_fix):
            if o is None:
                continue
            if o.version is not None:
                newest = o.version
                if o.version.id in self._said:
                    continue
            made = o.version if o.ok else None  # "view changes" compares with its parent
            version = made.id if made is not None and made.parent is not None else None
            self.conversation.add_status(o.notice_with_hint, o.level, version)
            if o.error_kind != "missing_key":  # the set-up line above the prompt says it
                self.session.status.emit(o.notice)
        if newest is not None and newest.id == self.session.shown:
            return None  # already shown (an auto-fix that made nothing)
        return newest

    def _close_provider(self) -> None:
        provider, self._provider = self._provider, None
        if provider is not None:
            with contextlib.suppress(RuntimeError):  # no loop running (closing the app)
                self._tasks.start(close_provider(provider))

    async def _check_for_errors(self, version: Version) -> list[dict]:
        """Auto-fix: play the new version in the Preview for a moment and read its errors."""
        self.batcher.finish()
        if self.code is not None:
            self.code.end_stream(reload=False)
        self.draft.end(go_back=False)
        self.session.add_version(version)
        self._said.add(version.id)
        self.conversation.add_status(f"Version {version.id} saved; trying it for errors…", "ok")
        preview = self.session.preview
        errors = await preview.play_for_errors(version.id) if preview is not None else []
        if errors:
            self.conversation.add_status(
                f"The game reported {len(errors)} error{'s' if len(errors) > 1 else ''}: "
                "asking the model for a fix (automatic, once)…",
                "warning",
            )
            self.batcher.reset()
            self.draft.begin(self.project, version.id)
            if self.code is not None:
                self.code.begin_stream()
        return errors

    def _variations_done(self, dialog: Any, outcomes: list[Outcome]) -> None:
        gui_collector().release()
        made = [o for o in outcomes if o.ok]
        self.conversation.add_status(
            f"{len(made)} of {len(outcomes)} variations made: play each and keep one "
            "(the others stay in History).",
            "ok" if made else "error",
        )
        self._close_provider()
        self._set_busy(False)
        self.finished.emit(None)

    def _variation_kept(self, version: Version) -> None:
        self.conversation.add_status(
            f"Kept variation {version.meta.get('variation')} as version {version.id}.", "ok"
        )

    def suggest(self, request: str) -> None:
        """Another pane suggests a request ("Use in game"): it fills the prompt box, for the
        person to change or send."""
        self.prompt.setPlainText(request)
        self.prompt.moveCursor(QTextCursor.MoveOperation.End)
        tabs = getattr(self.code, "tabs", None)
        if tabs is not None:
            tabs.setCurrentWidget(self)
        self.prompt.setFocus()

    # -- settings -----------------------------------------------------------------------

    def open_settings(self, *, video: bool = False) -> None:
        """The Settings dialog (on its Video tab when `video`); after Save, the model label
        and whoever listens to `settings_saved` (the Video pane) catch up."""
        from studio.ui.dialogs.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self.session.host, self)
        if video:
            dialog.tabs.setCurrentWidget(dialog.video)
        if dialog.exec():
            self.update_model_label()
            self.settings_saved.emit()
            self.model_status.look()  # what was set up may work now, or not
