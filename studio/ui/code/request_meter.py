"""The meter under the prompt box: before sending, the tokens the request will carry against
the model's context window and about what it costs (a warning when it would cut the code to
fit, or cannot be sent); after, the last answer's tokens and cost and the project's total.

It measures with the generator's own request builder (`studio.operations.request_meter`),
half a second after the prompt, what goes with it or the version shown changed, off the GUI
thread. The provider it measures with is built once per code model setting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QVBoxLayout, QWidget

from studio.ai.code_providers import make_code_provider, provider_config
from studio.ai.providers import close_provider
from studio.core.store import Project
from studio.errors import StudioError
from studio.operations.request_build import RequestBuilder
from studio.operations.request_meter import Measure, chat_price, measure, spend_line
from studio.ui.widgets.background import Tasks
from studio.ui.widgets.elided_label import ElidedLabel

log = logging.getLogger(__name__)

DELAY_MS = 500


async def _close_quietly(provider: Any) -> None:
    with contextlib.suppress(Exception):  # a plugin's provider failing to close
        await close_provider(provider)


def _loop_runs() -> bool:
    """Whether asyncio runs on Qt's loop (always in the app; not in every test)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class RequestMeter(QWidget):
    """See the module doc. `measured(Measure)` after each measure."""

    measured = Signal(object)

    def __init__(
        self,
        session: Any,
        settings: Any,
        prompt: Callable[[], str],
        attachments: Callable[[], list],
        busy: Callable[[], bool],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("requestMeter")
        self.session = session
        self.settings = settings
        self._prompt, self._attachments, self._busy = prompt, attachments, busy
        self._tasks = Tasks()
        self._provider: Any = None
        self._builder: RequestBuilder | None = None
        self._key: tuple | None = None  # (project, the code model's settings) built for
        self._running: asyncio.Future | None = None
        self._again = False
        self.last: Measure | None = None
        self.timer = QTimer(self, singleShot=True, interval=DELAY_MS)
        self.timer.timeout.connect(self.measure_now)
        self.line = ElidedLabel("")  # narrow panes shorten it: the whole is in the tooltip
        self.line.setObjectName("meterLine")
        self.line.setStyleSheet("color: #9da5b4;")
        self.gauge = QProgressBar()
        self.gauge.setObjectName("meterGauge")
        self.gauge.setTextVisible(False)
        self.gauge.setFixedHeight(4)
        self.gauge.setRange(0, 1000)
        # One line too: wrapped, a long warning was squeezed into the prompt's rows and cut
        # off at the top and bottom. The whole is in the tooltip, and in Chat when sent.
        self.warning = ElidedLabel("")
        self.warning.setObjectName("meterWarning")
        self.warning.setStyleSheet("color: #e5c07b;")
        self.warning.hide()
        self.spend = ElidedLabel("")
        self.spend.setObjectName("meterSpend")
        self.spend.setStyleSheet("color: #7f8896;")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.line, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(1)
        layout.addWidget(self.gauge)
        layout.addLayout(row)
        layout.addWidget(self.warning)
        layout.addWidget(self.spend)
        session.project_changed.connect(lambda _p: self.reset())
        session.version_shown.connect(lambda _v: self.schedule())

    # -- when ------------------------------------------------------------------------------

    def schedule(self) -> None:
        self.timer.start()

    def reset(self) -> None:
        """Another project or code model (or none: the project closed): a measure on its
        way is no news, the provider measured with is closed, the next builder is new."""
        if self._running is not None:
            self._running.cancel()
        self._again = False
        self._builder, self._key = None, None
        provider, self._provider = self._provider, None
        if provider is not None and _loop_runs():
            self._tasks.start(_close_quietly(provider))
        self.last = None
        self.line.setText("")
        self.warning.hide()
        self.gauge.setValue(0)
        self.refresh_spend()
        self.schedule()

    def measure_now(self) -> asyncio.Future | None:
        if self.session.project is None or self._busy() or not _loop_runs():
            return None
        if self._running is not None and not self._running.done():
            self._again = True  # the newest prompt is measured when this one ends
            return self._running
        self._running = self._tasks.start(self._measure(), self._measured)
        return self._running

    # -- measuring -------------------------------------------------------------------------

    async def _ensure_builder(self, project: Project) -> RequestBuilder:
        config = provider_config(self.settings)
        key = (id(project), config.name, repr(config.to_dict()))
        if self._builder is None or self._key != key:
            provider, self._provider = self._provider, None
            if provider is not None:  # closed on its own: a reset cancels this measure
                self._tasks.start(_close_quietly(provider))
            self._provider = await asyncio.to_thread(make_code_provider, self.session.host, config)
            self._builder = RequestBuilder.from_config(project, self._provider, config)
            self._key = key
        return self._builder

    async def _measure(self) -> Measure | None:
        project = self.session.project
        if project is None:
            return None
        builder = await self._ensure_builder(project)
        return await measure(
            builder,
            self._prompt(),
            base=self.session.shown,
            attachments=self._attachments(),
            settings=self.settings,
        )

    def _measured(self, task: asyncio.Future) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if isinstance(error, StudioError):
            self.line.setText(f"Cannot measure the request: {error}")
        elif error is not None:
            log.warning("measuring the request failed", exc_info=error)
            self.line.setText("Cannot measure the request (see the log)")
        elif task.result() is not None:
            self.show_measure(task.result())
        if self._again:
            self._again = False
            self.schedule()

    def show_measure(self, m: Measure) -> None:
        self.last = m
        self.line.setText(m.summary())
        self.line.setToolTip(
            f"{m.breakdown()}\n{m.price_words()}"
            + (f"\nWindow: {m.window.describe()}" if m.window else "")
        )
        share = 1.0 if m.refusal else m.tokens / m.window.tokens if m.window else 0.0
        self.gauge.setValue(min(1000, round(share * 1000)))
        colour = "#e06c75" if share > 0.9 else "#e5c07b" if share > 0.6 else "#61afef"
        self.gauge.setStyleSheet(f"QProgressBar::chunk {{ background: {colour}; }}")
        warning = m.warning()
        if warning is None and m.unsent:
            warning = f"Not sent: the pictures of {', '.join(m.unsent)} (the model reads text)"
        self.warning.setText(warning or "")
        self.warning.setVisible(bool(warning))
        self.measured.emit(m)

    # -- after answers ---------------------------------------------------------------------

    def refresh_spend(self) -> None:
        project = self.session.project
        if project is None or not _loop_runs():
            self.spend.setText("")
            return
        config = provider_config(self.settings)

        def read() -> str:
            return spend_line(
                project.messages(), lambda m: chat_price(self.settings, m, config.base_url)[0]
            )

        def show(task: asyncio.Future) -> None:
            if not task.cancelled() and task.exception() is None:
                self.spend.setText(task.result())
                self.spend.setToolTip(task.result())

        self._tasks.start(asyncio.to_thread(read), show)
