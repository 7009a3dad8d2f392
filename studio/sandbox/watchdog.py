"""Keeps an eye on a game's renderer: one that stops answering, or grows too big, is killed.

Every `interval` the watchdog runs a trivial script in the page's isolated world. The page's
JavaScript shares one thread with it, so a game stuck in an endless loop never answers. The
renderer is killed (SIGKILL) and `hung` emitted once the page has given no sign of life for
`timeout` seconds (measured every `TICK`, so within `timeout`). Signs of life: an answered
ping, the page's reports of its frames and first paint (a SandboxPage's), and its loading
moving on; not console lines, which a loop can print. The renderer's resident memory is
read from `/proc` on the same tick; above `memory_limit` it is killed too. A killed
renderer takes only the page with it: the next load starts a fresh one.

On a busy machine silence is not always the page's fault, and two kinds are not held
against it:

- the watchdog's own: when its tick comes late (the GUI thread was starved or busy), the
  time it could not listen is not counted;
- a page still starting, one that has not answered since its load finished nor shown a
  frame (its first frame follows the load at once), whose renderer works but gets less than
  most of a core from the machine: a long first frame under load. That counts as life until
  the renderer has spent `start_budget` seconds of CPU, so an endless loop in a first frame
  is still caught (on a quiet machine, where it gets its core, as soon as any other). Once
  started it does not count: an endless loop starved by the machine is still one.
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

DEFAULT_INTERVAL = 0.5  # between pings
DEFAULT_TIMEOUT = 3.0
DEFAULT_MEMORY_LIMIT = 1536 * 1024 * 1024
DEFAULT_START_BUDGET = 10.0  # renderer CPU seconds a starving page may spend starting
TICK = 0.1  # how often silence is measured: a hang is caught within `timeout`
LATE = 0.3  # a tick later than this is the watchdog's own stall
WORKING, STARVED = 0.05, 0.7  # of a core: a renderer that works, one the machine starves
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_rss(pid: int) -> int | None:
    """Resident memory of a process in bytes (Linux), None when unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def process_cpu(pid: int) -> float | None:
    """CPU seconds a process has used (Linux), None when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    except (OSError, ValueError, IndexError):
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
    hung = Signal(float)  # seconds the page went without a sign of life
    memory_exceeded = Signal(int)  # the renderer's resident bytes when it was killed

    def __init__(
        self,
        page: QWebEnginePage,
        *,
        interval: float = DEFAULT_INTERVAL,
        timeout: float = DEFAULT_TIMEOUT,
        memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
        start_budget: float = DEFAULT_START_BUDGET,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent or page)
        self.page = page
        self.interval = interval
        self.timeout = timeout
        self.memory_limit = memory_limit
        self.start_budget = start_budget
        self.last_rss: int | None = None
        self.peak_rss = 0
        self.last_life = 0.0  # monotonic time of the last sign of life (stalls left out)
        self._token = 0
        self._pinged = 0.0  # when the last ping went out
        self._tick_at = 0.0
        self._started = False  # it has shown frames: its start is over
        self._loaded = False  # its load finished
        self._cpu: tuple[float, float] | None = None  # (wall, renderer CPU) at the last look
        self._start_cpu: float | None = None  # renderer CPU when the load started
        self._timer = QTimer(self)
        self._timer.setInterval(int(TICK * 1000))
        self._timer.timeout.connect(self._tick)
        page.loadStarted.connect(self.arm)
        page.loadProgress.connect(lambda _p: self.alive())
        page.loadFinished.connect(lambda _ok: self._load_finished())
        page.renderProcessPidChanged.connect(lambda _pid: self._new_renderer())
        page.renderProcessTerminated.connect(lambda *_: self.disarm())
        # Frames are signs of life too (console lines are not: a loop can print them): the
        # view's painted frames come through `frames_painted`, the first paint from the page.
        first_paint = getattr(page, "first_paint", None)
        if first_paint is not None:
            first_paint.connect(lambda *_: self._shown_a_frame())

    def arm(self) -> None:
        self._reset()
        self._started = False
        self._loaded = False
        self._start_cpu = self._cpu = None
        self._tick_at = time.monotonic()
        self._timer.start()

    def disarm(self) -> None:
        self._timer.stop()
        self._reset()

    def alive(self) -> None:
        """A sign of life: the silence starts again."""
        self.last_life = time.monotonic()

    def _load_finished(self) -> None:
        self._loaded = True
        self.alive()

    def frames_painted(self, fps: float) -> None:
        """The view's painted frames per second (`studio.sandbox.frames.PaintedFrames`): a
        frame that reached the screen is a sign of life; none is no news. Not the end of
        the start: the blank page paints before the game's first frame (the first paint's
        report says that)."""
        if fps > 0:
            self.alive()

    def _shown_a_frame(self) -> None:
        self._started = True
        self.alive()

    def _new_renderer(self) -> None:
        self._reset()
        self._start_cpu = self._cpu = None

    def _reset(self) -> None:
        self._token += 1  # an answer to an older ping no longer counts
        self._pinged = 0.0
        self.last_life = time.monotonic()

    def _tick(self) -> None:
        now = time.monotonic()
        late = now - self._tick_at - TICK
        self._tick_at = now
        if late > LATE:  # the watchdog itself could not listen meanwhile
            self.last_life += late
        pid = self.page.renderProcessPid()
        if pid > 0 and self._over_memory(pid):
            return
        if pid > 0 and not self._started:
            self._starting(pid, now)
        silence = now - self.last_life
        if silence + TICK > self.timeout:
            self.disarm()
            kill_renderer(self.page)
            self.hung.emit(silence)
            return
        if now - self._pinged >= self.interval:
            self._ping(now)

    def _over_memory(self, pid: int) -> bool:
        if not self.memory_limit:
            return False
        rss = process_rss(pid)
        self.last_rss = rss
        if rss is None:
            return False
        self.peak_rss = max(self.peak_rss, rss)
        if rss <= self.memory_limit:
            return False
        self.disarm()
        kill_renderer(self.page)
        self.memory_exceeded.emit(rss)
        return True

    def _starting(self, pid: int, now: float) -> None:
        """Before it started, a renderer that works while the machine starves it is a page
        starting slowly (within its CPU budget), not a hung one."""
        cpu = process_cpu(pid)
        if cpu is None:
            return
        if self._start_cpu is None:
            self._start_cpu = cpu
        if self._cpu is None:
            self._cpu = (now, cpu)
            return
        wall, before = self._cpu
        if now - wall < self.interval:
            return
        self._cpu = (now, cpu)
        share = (cpu - before) / (now - wall)
        if WORKING <= share < STARVED and cpu - self._start_cpu < self.start_budget:
            self.alive()

    def _ping(self, now: float) -> None:
        self._pinged = now
        token = self._token
        self.page.runJavaScript(
            "0", QWebEngineScript.ScriptWorldId.ApplicationWorld, lambda _r: self._answered(token)
        )

    def _answered(self, token: int) -> None:
        if token == self._token:
            if self._loaded:  # answering once loaded: past its first frame, which follows it
                self._started = True
            self.alive()
