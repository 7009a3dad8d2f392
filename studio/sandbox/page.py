"""The web page a game runs in: it may not leave its origin, open windows or ask for anything.

`SandboxPage` refuses navigation away from the game's own `studio://<origin>/<version>/`,
returns no window from `createWindow`, denies every permission request (camera,
microphone, location, notifications, clipboard…), refuses file choosers, and answers
`alert`/`confirm`/`prompt` at once (logged to the console, never a modal dialog that would
block Studio). Console lines, uncaught errors and the runtime's reports arrive as signals.
"""

from __future__ import annotations

import logging
import re

from PySide6.QtCore import QObject, QTimer, QUrl, Signal
from PySide6.QtWebEngineCore import (
    QWebEngineLoadingInfo,
    QWebEnginePage,
    QWebEnginePermission,
    QWebEngineProfile,
)

from studio.sandbox.console import ConsoleEntry
from studio.sandbox.runtime import PREFIX, parse_runtime_message
from studio.sandbox.scheme import Shown, relative_source, split_url

log = logging.getLogger(__name__)

_LEVELS = ("log", "warning", "error")  # by JavaScriptConsoleMessageLevel's value
_BATCH_MS = 25
_STACK_LOCATION = re.compile(r"(studio://[^\s()]+?):(\d+):(\d+)")
_SUBFRAME_SCHEMES = frozenset({"data", "blob", "about"})


class SandboxPage(QWebEnginePage):
    # Console lines arrive in batches (every 25 ms at most), never one signal per line: a
    # page may log tens of thousands of lines a second.
    console_entries = Signal(list)  # [ConsoleEntry]
    fps_reported = Signal(float)  # the game's frames in the last second
    first_paint = Signal(float)  # ms after navigation start, as the page measured it
    # The game's knobs as the runtime read them (a dict with `list`, `total`; untrusted:
    # studio.ai.knobs.clean_knobs decides what is shown), when Studio asked.
    params_reported = Signal(object)
    param_frame = Signal(str, float)  # (token, ms): the first frame after a timed knob change
    refused = Signal(str)  # what the page tried and was refused, in words
    # Once per `load_game`: (ok, error text, Chromium's error code). A refused navigation
    # the game tried while loading ends Chromium's load as "stopped" under the refused URL;
    # the game's own page is there all the same, so that counts as loaded.
    game_loaded = Signal(bool, str, int)

    def __init__(self, profile: QWebEngineProfile, parent: QObject | None = None) -> None:
        super().__init__(profile, parent)
        self._game: tuple[str, Shown] | None = None  # (origin, version or draft) it may show
        self._expected: QUrl | None = None
        self.refusals: list[str] = []  # kept short: the newest 100
        self._pending: list[ConsoleEntry] = []
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(_BATCH_MS)
        self._flush_timer.timeout.connect(self.flush_console)
        self.permissionRequested.connect(self._deny_permission)
        self.fileSystemAccessRequested.connect(self._deny_file_system)
        self.fullScreenRequested.connect(lambda request: request.reject())
        self.loadingChanged.connect(self._loading_changed)
        self._load_reported = True
        self.setBackgroundColor("#101318")

    # -- loading -------------------------------------------------------------------------

    def load_game(self, url: QUrl) -> None:
        """Show a game URL (`studio://<origin>/<version or draft>/…`): the only way in."""
        split = split_url(url)
        if split is None:
            raise ValueError(f"not a game URL: {url.toString()}")
        self._game = (split[0], split[1])
        self._expected = QUrl(url)
        self._load_reported = False
        self.setUrl(url)

    def clear(self, html: str = "") -> None:
        self._game = None
        self._expected = None
        self._load_reported = True
        self.setHtml(html, QUrl("about:blank"))

    def _loading_changed(self, info: QWebEngineLoadingInfo) -> None:
        if self._load_reported or self._game is None:
            return
        status, kinds = info.status(), QWebEngineLoadingInfo.LoadStatus
        if status == kinds.LoadStartedStatus:
            return
        ours = split_url(info.url())
        if ours is not None and ours[:2] == self._game:
            if status == kinds.LoadSucceededStatus:
                self._report_load(True, "", 0)
            elif status == kinds.LoadFailedStatus:
                self._report_load(False, info.errorString(), info.errorCode())
            return  # stopped: a newer load replaced this one
        here = split_url(self.url())
        if here is not None and here[:2] == self._game:
            self._report_load(True, "", 0)

    def _report_load(self, ok: bool, error: str, code: int) -> None:
        self._load_reported = True
        self.game_loaded.emit(ok, error, code)

    # -- policy --------------------------------------------------------------------------

    def acceptNavigationRequest(  # noqa: N802 (Qt API)
        self, url: QUrl, type: QWebEnginePage.NavigationType, is_main_frame: bool
    ) -> bool:
        if self._expected is not None and url == self._expected:
            self._expected = None
            return True
        if url.scheme() == "data" and is_main_frame and self._game is None:
            return True  # Studio's own empty page (setHtml)
        split = split_url(url)
        if split is not None and self._game is not None and split[:2] == self._game:
            return True  # the game moving between its own pages, or reloading
        if not is_main_frame and url.scheme() in _SUBFRAME_SCHEMES:
            return True
        if not is_main_frame and split is not None and self._game and split[0] == self._game[0]:
            return True
        self._refuse(f"navigation to {_short(url)}")
        return False

    def createWindow(self, type: QWebEnginePage.WebWindowType) -> QWebEnginePage | None:  # noqa: N802
        self._refuse("opening a window")
        return None

    def chooseFiles(self, mode, old_files, mime_types) -> list[str]:  # noqa: N802
        self._refuse("choosing a file")
        return []

    def _deny_permission(self, permission: QWebEnginePermission) -> None:
        name = permission.permissionType().name.removeprefix("PermissionType.")
        permission.deny()
        self._refuse(f"permission {name}")

    def _deny_file_system(self, request) -> None:
        request.reject()
        self._refuse("file system access")

    def javaScriptAlert(self, origin: QUrl, message: str) -> None:  # noqa: N802
        self._dialog("alert", message)

    def javaScriptConfirm(self, origin: QUrl, message: str) -> bool:  # noqa: N802
        self._dialog("confirm", message)
        return False

    def javaScriptPrompt(  # noqa: N802
        self, origin: QUrl, message: str, default: str
    ) -> tuple[bool, str]:
        self._dialog("prompt", message)
        return False, ""

    def _dialog(self, kind: str, message: str) -> None:
        self._add(ConsoleEntry("warning", f"{kind}({message!r}) was answered without a dialog"))

    def _refuse(self, what: str) -> None:
        log.info("refused %s", what)
        self.refusals = [*self.refusals[-99:], what]
        self.refused.emit(what)
        self._add(ConsoleEntry("warning", f"Studio blocked {what}"))

    # -- console -------------------------------------------------------------------------

    def _add(self, entry: ConsoleEntry) -> None:
        self._pending.append(entry)
        if len(self._pending) == 1:
            self._flush_timer.start()

    def flush_console(self) -> None:
        """Hand the lines gathered so far to `console_entries` now."""
        self._flush_timer.stop()
        if self._pending:
            batch, self._pending = self._pending, []
            self.console_entries.emit(batch)

    def discard_console(self) -> None:
        """Drop the lines not handed out yet (the page they came from is being replaced)."""
        self._flush_timer.stop()
        self._pending = []

    def javaScriptConsoleMessage(self, level, message: str, line: int, source: str) -> None:  # noqa: N802
        if not message.startswith(PREFIX):
            self._add(console_entry(_LEVELS[level.value], message, source, line))
            return
        runtime = parse_runtime_message(message)
        if runtime is None:
            return
        data = runtime.data
        if runtime.kind == "fps":
            self.fps_reported.emit(float(data.get("v") or 0))
        elif runtime.kind == "paint":
            self.first_paint.emit(float(data.get("ms") or 0))
        elif runtime.kind == "params":
            self.params_reported.emit(data)
        elif runtime.kind == "paramFrame":
            self.param_frame.emit(str(data.get("token") or ""), _float(data.get("ms")))
        elif runtime.kind in ("error", "rejection"):
            source, line_no, column = (
                str(data.get("source") or ""),
                data.get("line"),
                data.get("col"),
            )
            # The stack's first frame in the game is the better place: V8 puts a JSON.parse
            # error at line 1 of the JSON text, and rejections carry no place of their own.
            if found := _STACK_LOCATION.search(str(data.get("stack") or "")):
                source, line_no, column = found[1], found[2], found[3]
            self._add(
                ConsoleEntry(
                    "error",
                    str(data.get("message") or "error"),
                    relative_source(source),
                    _int(line_no),
                    _int(column),
                    kind="uncaught" if runtime.kind == "error" else "rejection",
                )
            )


def console_entry(level: str, message: str, source: str, line: int) -> ConsoleEntry:
    """A plain console line as an entry; Chromium's own error lines get their kind."""
    kind = "console"
    if level == "error" and message[:1] in "UF":
        if message.startswith("Uncaught"):
            kind = "uncaught"
        elif message.startswith("Failed to load resource"):
            kind = "resource"
    return ConsoleEntry(level, message.rstrip(), relative_source(source), int(line or 0), kind=kind)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _short(url: QUrl) -> str:
    text = url.toString()
    if url.scheme() == "data":
        return text[:40] + "…"
    return text if len(text) < 120 else text[:117] + "…"
