"""Which code model a prompt goes to, looked up once the window is up and again on request:
`ModelStatus` asks `studio.operations.model_setup` (on a worker thread: it looks for local
servers and reads the key store), and `SetupLine` shows its one line (above the prompt box,
and on the start screen) with "Look again" and "Settings…".

A model set up just now ("Using qwen2.5-coder on Ollama, found on this computer") is said
once; a model that cannot be used says what to do before the person types.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QPushButton

from studio.ai.code_providers import provider_config
from studio.ai.model_discovery import find_local_servers
from studio.operations.model_setup import ModelSetup, assess, missing_key
from studio.ui.widgets.background import ThreadJob
from studio.ui.widgets.notice_bar import NEWS, PROBLEM, NoticeBar

LOOKING = "Looking for a code model on this computer…"


class ModelStatus(QObject):
    """The code model's state for the window: `setup` (None while looking), `changed`."""

    changed = Signal(object)  # ModelSetup | None (looking)

    def __init__(self, settings: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setup: ModelSetup | None = None
        self._job: ThreadJob | None = None
        self._config: Any = None  # the entry chosen when the look began

    @property
    def ready(self) -> bool | None:
        """None until the first look is over."""
        return None if self.setup is None else self.setup.ready

    def look(self) -> ThreadJob:
        """Look for local servers and check the chosen model's key (a worker thread); the
        settings are changed (an entry chosen) back on the GUI thread."""
        if self._job is not None:
            return self._job
        config = provider_config(self.settings)

        async def work(_report: Any) -> tuple[Any, bool]:
            servers = await find_local_servers()
            return servers, missing_key(config) is None

        job = ThreadJob(work, is_async=True, name="studio-model-look")
        # Bound methods, not lambdas: a window closed meanwhile takes the connection along.
        job.succeeded.connect(self._looked)
        job.failed.connect(self._look_failed)
        self._job, self._config = job, config
        self.setup = None
        self.changed.emit(None)
        job.start()
        return job

    def _looked(self, result: tuple[list, bool]) -> None:
        servers, usable = result
        # Settings saved meanwhile: the key of what is chosen now is looked up here.
        same = provider_config(self.settings) == self._config
        self._show(assess(self.settings, servers, usable=usable if same else None))

    def _look_failed(self, text: str) -> None:
        self._show(ModelSetup(False, f"Looking for a code model failed: {text}"))

    def _show(self, setup: ModelSetup) -> None:
        self._job = None
        self.setup = setup
        self.changed.emit(setup)

    def say(self, setup: ModelSetup) -> None:
        """A request found the model set up wrong (a missing key): show it at once."""
        self._show(setup)


class SetupLine(NoticeBar):
    """The model's line: a warning with what to do, or (once) what Studio set up."""

    settings_requested = Signal()

    def __init__(self, status: ModelStatus, *, always: bool = False) -> None:
        self.look_btn = QPushButton("Look again")
        self.look_btn.setToolTip("Look for model servers on this computer and keys again")
        self.settings_btn = QPushButton("Settings…")
        self.settings_btn.setToolTip("Settings › Code model: a key, a base URL, the model")
        super().__init__("setupLine", NEWS, self.look_btn, self.settings_btn)
        self.status = status
        self.always = always  # the start screen says it even when all is well
        self.look_btn.clicked.connect(status.look)
        self.settings_btn.clicked.connect(self.settings_requested)
        status.changed.connect(self.show_setup)
        self.show_setup(status.setup)

    def show_setup(self, setup: ModelSetup | None) -> None:
        problem = setup is not None and not setup.ready
        news = setup is not None and setup.adopted is not None
        self.label.setText(LOOKING if setup is None else setup.line)
        self.set_colours(PROBLEM if problem else NEWS)
        self.look_btn.setVisible(problem)
        self.look_btn.setEnabled(setup is not None)
        self.setVisible(self.always or problem or news)
