"""The web page a game runs in: it may not leave its origin, open windows or ask for anything.

`SandboxPage` refuses navigation away from the game's own `studio://<origin>/<version>/`,
returns no window from `createWindow`, denies every permission request (camera,
microphone, location, notifications, clipboard…), refuses file choosers, and answers
`alert`/`confirm`/`prompt` at once (logged to the console, never a modal dialog that would
block Studio). Console lines, uncaught errors and the runtime's reports arrive as signals;
so do the dialogs, reloads and moves between the game's own pages (`happened`), and the
requests the Content-Security-Policy refused (`request_blocked`): a game made elsewhere
asks for ad scripts, analytics and web fonts, which the sandbox blocks. That is a fact
about the sandbox, shown as a warning, not an error of the game.
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
from studio.sandbox.report import event_line
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
    first_paint = Signal(float)  # ms after navigation start, as the page measured it
    # The game's knobs as the runtime read them (a dict with `list`, `total`; untrusted:
    # studio.ai.knobs.clean_knobs decides what is shown), when Studio asked.
    params_reported = Signal(object)
    param_frame = Signal(str, float)  # (token, ms): the first frame after a timed knob change
    refused = Signal(str)  # what the page tried and was refused, in words
    request_blocked = Signal(str)  # a URL the Content-Security-Policy refused
    # (kind, detail): "alert", "confirm" or "prompt" with its message; "reload" or
    # "navigation" with the game's page it goes to
    happened = Signal(str, str)
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
        self._retried = False
        # No background colour of Studio's own: a page that sets none is white, as in a
        # browser, so a game looks in the Preview as it will when shared.

    # -- loading -------------------------------------------------------------------------

    def load_game(self, url: QUrl) -> None:
        """Show a game URL (`studio://<origin>/<version or draft>/…`): the only way in."""
        split = split_url(url)
        if split is None:
            raise ValueError(f"not a game URL: {url.toString()}")
        self._game = (split[0], split[1])
        self._expected = QUrl(url)
        self._load_reported = False
        self._retried = False
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
                if info.errorCode() == 0 and not info.errorString() and not self._retried:
                    # No error at all: the load was dropped while a killed renderer was being
                    # replaced (seen on a loaded machine after a hang). Once more, not failed.
                    self._retried = True
                    self._expected = QUrl(info.url())  # Studio's own load, not the game's
                    self.setUrl(info.url())
                    return
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
            if is_main_frame:  # the game moving between its own pages, or reloading
                reload = (
                    type == QWebEnginePage.NavigationType.NavigationTypeReload
                    or url == self.url()  # location.reload() comes as another type
                )
                kind = "reload" if reload else "navigation"
                self.happened.emit(kind, split[2])
                # said in the console too: in the Preview, a game starting over by itself
                self._add(ConsoleEntry("log", event_line({"kind": kind, "detail": split[2]})))
            return True
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
        self.happened.emit(kind, message)
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
            entry = console_entry(_LEVELS[level.value], message, source, line)
            if entry.kind == "blocked":
                url = csp_refused_url(message)
                if url is None:
                    return  # Chromium's second line about a refused fetch: said already
                self.request_blocked.emit(url)
            self._add(entry)
            return
        runtime = parse_runtime_message(message)
        if runtime is None:
            return
        data = runtime.data
        if runtime.kind == "paint":
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
    """A plain console line as an entry; Chromium's own error lines get their kind, and its
    lines about a request the Content-Security-Policy refused become a warning."""
    kind = "console"
    if level == "error" and message[:1] in "UFRLC":
        if message.startswith("Uncaught"):
            kind = "uncaught"
        elif message.startswith("Failed to load resource"):
            kind = "resource"
        elif _CSP_REFUSAL.match(message) or _CSP_FETCH.match(message):
            url = csp_refused_url(message)
            text = _blocked_words(message, url) if url else message
            return ConsoleEntry("warning", text, kind="blocked")  # the text names the URL
    return ConsoleEntry(level, message.rstrip(), relative_source(source), int(line or 0), kind=kind)


# Chromium's words for a request its Content-Security-Policy refused ("Refused to load the
# script 'URL' because it violates ...", "Refused to connect to 'URL' ...", "Refused to frame
# 'URL' ...", "Refused to load media from 'URL' ..."; newer Chromium, 156: "Loading the script
# 'URL' violates ...", "Connecting to 'URL' violates ..."), and for a refused fetch() (a
# second line about the same request).
_CSP_REFUSAL = re.compile(
    r"^(?:Refused to ([^']*?)'([^']+)' because it|(Loading|Connecting|Framing|Creating)([^']*?)"
    r"'([^']+)') violates the following Content Security Policy",
)
_CSP_FETCH = re.compile(r"^Fetch API cannot load .* Refused to connect because it violates the")
_VERBS = {"Loading": "load", "Connecting": "connect", "Framing": "frame", "Creating": "create"}


def _csp_refusal(message: str) -> tuple[str, str] | None:
    """(what was refused, as "load the script", "connect to"...; its URL), in either wording."""
    found = _CSP_REFUSAL.match(message)
    if found is None:
        return None
    if found.group(2) is not None:
        return found.group(1).strip(), found.group(2)
    return (_VERBS[found.group(3)] + found.group(4)).strip(), found.group(5)


def csp_refused_url(message: str) -> str | None:
    """The URL a Content-Security-Policy refusal names (None for the second line about a
    refused fetch)."""
    found = _csp_refusal(message)
    return found[1] if found else None


def _blocked_words(message: str, url: str) -> str:
    """`Studio blocked a script from https://…`: what was refused, in a person's words."""
    found = _csp_refusal(message)
    action = found[0] if found else ""
    if action.startswith("load the "):
        noun = action.removeprefix("load the ")
        what = f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun} from"
    elif action == "connect to":
        what = "a request to"
    elif action == "frame":
        what = "a frame from"
    else:  # "load media from", "create a worker from"
        what = action.removeprefix("load ").removeprefix("create ")
    return f"Studio blocked {what} {url} (games play offline, without the network)"


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
