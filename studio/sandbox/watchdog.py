"""Keeps an eye on a game's renderer: one that stops answering, or grows too big, is killed.

Every `interval` the watchdog runs a trivial script in the page's isolated world. The page's
JavaScript shares one thread with it, so a game stuck in an endless loop never answers;
after `timeout` seconds without an answer the renderer process is killed (SIGKILL) and
`hung` is emitted. The renderer's resident memory is read from `/proc` on the same tick;
above `memory_limit` it is killed too. A killed renderer takes only the page with it: the
next load starts a fresh one.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineScript

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 0.5
DEFAULT_TIMEOUT = 3.0
DEFAULT_MEMORY_LIMIT = 1536 * 1024 * 1024


def process_rss(pid: int) -> int | None:
    """Resident memory of a process in bytes (Linux), None when unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def kill_renderer(page: QWebEnginePage) -> bool:
    """Kill the page's render process; Qt then reports it terminated and the page is blank."""
    pid = page.renderProcessPid()
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
    except OSError as exc:
        log.warning("could not kill renderer %s: %s", pid, exc)
        return False
    log.warning("killed the game's renderer (pid %s)", pid)
    return True


class Watchdog(QObject):
    hung = Signal(float)  # seconds the page went without answering
    memory_exceeded = Signal(int)  # the renderer's resident bytes when it was killed

    def __init__(
        self,
        page: QWebEnginePage,
        *,
        interval: float = DEFAULT_INTERVAL,
        timeout: float = DEFAULT_TIMEOUT,
        memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent or page)
        self.page = page
        self.timeout = timeout
        self.memory_limit = memory_limit
        self.last_rss: int | None = None
        self.peak_rss = 0
        self._token = 0
        self._sent: float | None = None  # when the unanswered ping went out
        self._timer = QTimer(self)
        self._timer.setInterval(int(interval * 1000))
        self._timer.timeout.connect(self._tick)
        page.loadStarted.connect(self.arm)
        page.renderProcessPidChanged.connect(lambda _pid: self._reset())
        page.renderProcessTerminated.connect(lambda *_: self.disarm())

    def arm(self) -> None:
        self._reset()
        self._timer.start()

    def disarm(self) -> None:
        self._timer.stop()
        self._reset()

    def _reset(self) -> None:
        self._token += 1  # an answer to an older ping no longer counts
        self._sent = None

    def _tick(self) -> None:
        pid = self.page.renderProcessPid()
        if pid > 0 and self.memory_limit:
            rss = process_rss(pid)
            self.last_rss = rss
            if rss is not None:
                self.peak_rss = max(self.peak_rss, rss)
                if rss > self.memory_limit:
                    self.disarm()
                    kill_renderer(self.page)
                    self.memory_exceeded.emit(rss)
                    return
        now = time.monotonic()
        if self._sent is not None:
            waited = now - self._sent
            if waited > self.timeout:
                self.disarm()
                kill_renderer(self.page)
                self.hung.emit(waited)
            return
        self._sent = now
        token = self._token
        self.page.runJavaScript(
            "0", QWebEngineScript.ScriptWorldId.ApplicationWorld, lambda _r: self._answered(token)
        )

    def _answered(self, token: int) -> None:
        if token == self._token:
            self._sent = None
