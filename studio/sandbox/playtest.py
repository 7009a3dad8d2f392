"""Headless playtest: load a version in a hidden sandboxed view, play it, report.

    report = await playtest(project, version_id, seconds=5.0, inputs=None, viewport=(800, 600))

The game is loaded in the "playtest" sandbox profile (same protections as the Preview,
separate storage), watched by the same watchdog, and sent real key and mouse events
through the view's focus proxy (`studio.sandbox.inputs`, where the inputs format is).

Without inputs, the default program plays (`studio.sandbox.program`): it tries the usual
ways to start the game, then each control on its own, judged against a twin of the game
that gets no input (`studio.sandbox.baseline`). The verdict follows what the game is: it
animates by itself, it responds to input (a turn-based game waits for a key), or it is
still (a failure). With inputs, they are sent as given and the game's picture is sampled
every half second: it animates when the picture changed between two samples with no input
in between, once an input's after-effects are over. When the game has the test hooks of
the game contract (`window.studio.state()`), its state is sampled too. Frames are counted
as the compositor paints them (`studio.sandbox.frames`), whatever drives the game.

Blocked requests (ads, analytics, web fonts: the sandbox has no network), dialogs
(`alert`, `confirm`), reloads and moves between the game's pages are reported as such, not
as errors of the game.

Needs a QApplication (created after `studio.app.prepare_environment()`), and, for the
async API, an asyncio loop running on Qt's (qasync), as in the app and the CLI. Qt code
that has no asyncio loop can use `PlaytestRunner` and its `finished` signal, or
`run_playtest()` which spins a local event loop.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QImage
from PySide6.QtWebEngineCore import QWebEnginePage
from PySide6.QtWebEngineWidgets import QWebEngineView

from studio.core.store import Project
from studio.sandbox.baseline import SETTLE, Track, Twin, parse_state, seed_random
from studio.sandbox.console import ConsoleEntry
from studio.sandbox.frames import PaintedFrames, frame_difference
from studio.sandbox.inputs import Step, parse_inputs, send_step
from studio.sandbox.page import SandboxPage
from studio.sandbox.profile import sandbox_profile
from studio.sandbox.program import Outcome, play_default
from studio.sandbox.report import PlaytestReport
from studio.sandbox.scheme import split_url, version_url
from studio.sandbox.watchdog import Watchdog
from studio.story.validate import as_errors, version_problems

log = logging.getLogger(__name__)

LOAD_TIMEOUT = 20.0
SAMPLE_EVERY = 0.5  # with given inputs
OBSERVE_EVERY = 0.1  # in the default program, both views
# A short burst for a fix: enough to start most games and reach their input code.
QUICK_INPUTS = [
    {"at": 0.8, "key": "Enter"},
    {"key": "Space"},
    {"tap": [0.5, 0.5]},
    {"key": "ArrowRight", "hold": 0.3},
    {"key": "ArrowDown", "hold": 0.2},  # not Left: that would take Right's move back
]

STATE_JS = """(() => { try {
  const s = window.studio;
  return s && typeof s.state === 'function' ? JSON.stringify(s.state()) : null;
} catch (e) { return JSON.stringify({error: String(e)}); } })()"""


# A generator step yields what to wait for: a delay in seconds, or (predicate, timeout).
Wait = float | tuple[Callable[[], bool], float]


class PlaytestRunner(QObject):
    """Runs one playtest on Qt's event loop; emits `finished(PlaytestReport)` once."""

    finished = Signal(object)

    def __init__(
        self,
        project: Project,
        version_id: int | None = None,
        *,
        seconds: float = 5.0,
        inputs: Sequence[dict[str, Any]] | None = None,
        viewport: tuple[int, int] = (800, 600),
        screenshot: Path | str | None = None,
        watchdog_timeout: float = 3.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.project = project
        self.version_id = project.resolve(version_id)
        self.seconds = max(1.0, float(seconds))
        # None: the default program (`studio.sandbox.program`)
        self.steps = parse_inputs(inputs) if inputs is not None else None
        self.viewport = viewport
        self.screenshot_path = Path(screenshot) if screenshot else None
        self.report = PlaytestReport(project=project.name, version=self.version_id)
        self._watchdog_timeout = watchdog_timeout
        self._view: QWebEngineView | None = None
        self._page: SandboxPage | None = None
        self._errors: list[ConsoleEntry] = []
        self._frames: PaintedFrames | None = None
        self._twin: Twin | None = None
        self.track = Track()  # the played view's samples (default program)
        self._load_state: bool | None = None
        self._loaded_at = 0.0
        self._dead = False
        self._done = False
        self._script: Iterator[Wait] | None = None
        self._wait: Wait | None = None
        self._wait_since = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(25)
        self._timer.timeout.connect(self._advance)
        self._profile = None
        self._origin = ""
        self._result: Any = None

    # -- driving -------------------------------------------------------------------------

    def start(self) -> None:
        self._build_view()
        self._script = self._run()
        self._wait = 0.0
        self._wait_since = time.monotonic()
        self._timer.start()

    def cancel(self) -> None:
        if not self._done:
            self._finish()

    def _advance(self) -> None:
        wait, now = self._wait, time.monotonic()
        if isinstance(wait, tuple):
            predicate, timeout = wait
            if not (self._dead or predicate()) and now - self._wait_since < timeout:
                return
        elif wait is not None and now - self._wait_since < wait and not self._dead:
            return
        try:
            self._wait = next(self._script) if self._script else None
            self._wait_since = time.monotonic()
        except StopIteration:
            self._finish()
        except Exception:  # noqa: BLE001 (a report with the failure beats a stuck runner)
            log.exception("playtest failed")
            self.report.crash_reason = self.report.crash_reason or "playtest error"
            self._finish()

    def _build_view(self) -> None:
        profile = sandbox_profile("playtest")
        self._profile = profile
        self._origin = profile.handler.mount(self.project)
        view = QWebEngineView()
        view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        page = SandboxPage(profile, view)
        view.setPage(page)
        view.resize(*self.viewport)
        view.show()
        self._frames = PaintedFrames(view, self)
        page.console_entries.connect(self._console)
        page.game_loaded.connect(self._loaded)
        page.renderProcessTerminated.connect(self._terminated)
        page.refused.connect(lambda what: self.report.blocked.append(what))
        page.request_blocked.connect(self._request_blocked)
        page.happened.connect(self._happened)
        if self.steps is None:  # the default program plays beside a twin left alone
            seed_random(page)
            self._twin = Twin(
                self.project, self.version_id, self.viewport, self._watchdog_timeout, self
            )
            self.report.baseline = True
        profile.guard.blocked.connect(self._guard_blocked)
        profile.handler.not_found.connect(self._not_found)
        self.watchdog = Watchdog(page, timeout=self._watchdog_timeout)
        self._frames.fps.connect(self.watchdog.frames_painted)
        self.watchdog.hung.connect(self._hung)
        self.watchdog.memory_exceeded.connect(self._memory)
        self._view, self._page = view, page

    # -- events from the page ------------------------------------------------------------

    def _console(self, entries: list[ConsoleEntry]) -> None:
        self._errors += [e for e in entries if e.level == "error"]

    def _guard_blocked(self, url: str, first_party: str) -> None:
        if QUrl(first_party).host() == self._origin:
            self._request_blocked(url)

    def _request_blocked(self, url: str) -> None:
        if url not in self.report.blocked_requests:
            self.report.blocked_requests.append(url)

    def _happened(self, kind: str, detail: str) -> None:
        at = round(time.monotonic() - self._loaded_at, 2) if self._loaded_at else 0.0
        self.report.events.append({"at": at, "kind": kind, "detail": detail})

    def _not_found(self, url: str) -> None:
        split = split_url(QUrl(url))
        if split and split[0] == self._origin and split[1] == self.version_id:
            self._errors.append(
                ConsoleEntry("error", f"File not found: {split[2]}", split[2], kind="resource")
            )

    def _loaded(self, ok: bool, _error: str, _code: int) -> None:
        if self._load_state is None:
            self._load_state = ok

    def _terminated(self, status: QWebEnginePage.RenderProcessTerminationStatus, code: int) -> None:
        if self.report.hung:
            return
        self._dead = True
        if status != QWebEnginePage.RenderProcessTerminationStatus.NormalTerminationStatus:
            self.report.crashed = True
            self.report.crash_reason = self.report.crash_reason or f"{status.name} ({code})"

    def _hung(self, _seconds: float) -> None:
        self.report.hung = True
        self._dead = True

    def _memory(self, rss: int) -> None:
        self.report.crashed = True
        self.report.crash_reason = f"used {rss >> 20} MiB of memory"
        self._dead = True

    # -- the script ----------------------------------------------------------------------

    @property
    def page(self) -> SandboxPage | None:
        """The page while the game is loaded (None before and after), for probes."""
        return self._page

    def grab(self) -> QImage:
        """The game's picture now (a null image when no game is loaded)."""
        return self._frames.grab() if self._view is not None else QImage()

    def _eval(self, script: str, page: QWebEnginePage | None = None) -> Iterator[Wait]:
        """Run script in the page (or another); the result lands in self._result (None on
        timeout)."""
        box: list[Any] = []
        (page or self._page).runJavaScript(script, 0, box.append)
        yield (lambda: bool(box), 2.0)
        # JavaScript null and undefined arrive as "" (an empty QVariant)
        self._result = box[0] if box and box[0] != "" else None

    def _run(self) -> Iterator[Wait]:
        report = self.report
        started = time.monotonic()
        self._page.load_game(version_url(self.project, self.version_id))
        if self._twin is not None:
            self._twin.load()
        yield (lambda: self._load_state is not None, LOAD_TIMEOUT)
        report.loaded = bool(self._load_state) and not self._dead
        if not report.loaded:
            report.load_errors = [e.as_error() for e in self._errors]
            if self._load_state is None and not self._dead:
                report.load_errors.append(
                    {
                        "message": "the game did not finish loading",
                        "source": "",
                        "line": 0,
                        "kind": "load",
                    }
                )
            elif self._load_state is False:
                report.load_errors.append(
                    {
                        "message": "the page could not be loaded (is there an index.html?)",
                        "source": "index.html",
                        "line": 0,
                        "kind": "load",
                    }
                )
            report.seconds = time.monotonic() - started
            return
        self._view.setFocus()
        yield 0.3
        report.load_errors = [e.as_error() for e in self._errors]
        seen_errors = len(self._errors)
        self._loaded_at = time.monotonic()
        painted = self._frames.total
        if self.steps is None:
            yield from self._play_default()
        else:
            yield from self._play_steps()
        final = self.grab()
        played = time.monotonic() - self._loaded_at
        if played > 0 and not self._dead:
            report.fps = round((self._frames.total - painted) / played, 1)
        errors = [e.as_error() for e in self._errors[seen_errors:]]
        report.console_errors = _distinct(errors, report.load_errors)
        if not final.isNull() and not self._dead:
            # By default one file per project version, overwritten by the next playtest of it.
            path = self.screenshot_path or (
                Path(tempfile.gettempdir())
                / "studio-playtests"
                / f"{self._origin}-v{self.version_id}.png"
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            if final.save(str(path), "PNG"):
                report.screenshot = str(path)
        report.seconds = round(time.monotonic() - started, 2)

    def _play_steps(self) -> Iterator[Wait]:
        """The given inputs, with the picture (and state) sampled every half second."""
        report, loaded_at = self.report, self._loaded_at
        # (time, frame, inputs sent before it, taken once the last input's effects were over)
        frames: list[tuple[float, QImage, int, bool]] = []
        states: list[tuple[int, Any]] = []
        steps = list(self.steps)
        next_sample = 0.0
        settled = 0.0  # when the last input's after-effects are over
        pre_input: tuple[QImage, Any] | None = None
        hook_checked = False
        while not self._dead:
            elapsed = time.monotonic() - loaded_at
            if elapsed >= self.seconds:
                break
            if steps and steps[0].at <= elapsed:
                if pre_input is None:
                    yield from self._eval(STATE_JS)
                    pre_input = (self.grab(), self._result)
                step = steps.pop(0)
                yield from self._send(step)
                settled = time.monotonic() - loaded_at + SETTLE
                continue
            if elapsed >= next_sample:
                frames.append((elapsed, self.grab(), report.inputs_sent, elapsed >= settled))
                yield from self._eval(STATE_JS)
                if self._result is not None or not hook_checked:
                    hook_checked = True
                    if self._result is not None:
                        report.has_state_hook = True
                        states.append((report.inputs_sent, parse_state(self._result)))
                next_sample = elapsed + SAMPLE_EVERY
                continue
            wake = min(next_sample, steps[0].at if steps else self.seconds, self.seconds)
            yield max(0.0, wake - elapsed)

        final = self.grab()
        if not self._dead:
            frames.append((time.monotonic() - loaded_at, final, report.inputs_sent, True))
        # Animates: the picture changed between two samples with no input in between, the
        # first taken once the last input's effects (a tile sliding) were over.
        report.animated = any(
            a[2] == b[2] and a[3] and frame_difference(a[1], b[1]) > 0
            for a, b in zip(frames, frames[1:], strict=False)
        )
        if pre_input is not None and not self._dead:
            # Across all the inputs, or across one between two samples (Left may take back
            # what Right did by the end).
            report.input_changed_picture = frame_difference(pre_input[0], final) > 0.002 or any(
                a[2] != b[2] and frame_difference(a[1], b[1]) > 0.002
                for a, b in zip(frames, frames[1:], strict=False)
            )
            if report.has_state_hook:
                yield from self._eval(STATE_JS)
                before, after = parse_state(pre_input[1]), parse_state(self._result)
                report.input_changed_state = before != after or any(
                    a[0] != b[0] and a[1] != b[1] for a, b in zip(states, states[1:], strict=False)
                )
        report.state_samples = [s for _, s in states][:40]

    def _play_default(self) -> Iterator[Wait]:
        """The default program beside the twin (see studio.sandbox.program)."""
        report = self.report
        outcome: Outcome = yield from play_default(self)
        if self._dead:
            return
        report.started_with = outcome.started_with
        report.controls = outcome.controls
        twin = self.twin_track
        if twin is None:  # the twin could not play: the game's own quiet stretch
            report.baseline = False
            report.animated = self.track.animates(outcome.quiet_from, outcome.controls_from)
        else:
            report.animated = twin.animates(outcome.quiet_from)
        started = outcome.started_with is not None
        report.input_changed_picture = started or any(c["picture"] for c in outcome.controls)
        states = [s.state for s in self.track.samples if s.state is not None]
        report.has_state_hook = bool(states)
        if states:
            report.input_changed_state = started or any(c["state"] for c in outcome.controls)
            report.state_samples = states[:: max(1, len(states) // 40)][:40]

    # -- what the default program calls (studio.sandbox.program.Player) ------------------

    @property
    def twin_track(self) -> Track | None:
        """The twin's samples, while it plays."""
        twin = self._twin
        return twin.track if twin is not None and twin.ready else None

    @property
    def result(self) -> Any:
        return self._result

    def clock(self) -> float:
        """Seconds since the game loaded."""
        return time.monotonic() - self._loaded_at

    def evaluate(self, script: str) -> Iterator[Wait]:
        yield from self._eval(script)

    def observe(self, seconds: float, samples: int = 1) -> Iterator[Wait]:
        """Sample both views (picture and state) now and every OBSERVE_EVERY for `seconds`,
        and at least `samples` times (a busy machine may answer slowly)."""
        until = self.clock() + seconds
        while not self._dead:
            samples -= 1
            t = self.clock()
            twin = self._twin if self._twin is not None and self._twin.ready else None
            tracks = [(self.track, self._page, self.grab())]
            if twin is not None:
                tracks.append((twin.track, twin.page, twin.grab()))
            states: list[list[Any]] = [[] for _ in tracks]
            for (_track, page, _frame), box in zip(tracks, states, strict=True):
                page.runJavaScript(STATE_JS, 0, box.append)  # both at once
            yield (lambda states=states: all(states), 2.0)
            for (track, _page, frame), box in zip(tracks, states, strict=True):
                track.add(t, frame, box[0] if box and box[0] != "" else None)
            if t >= until and samples <= 0:
                return
            yield max(0.0, OBSERVE_EVERY - (self.clock() - t))

    def send(self, step: dict[str, Any], *, twin: bool = False) -> Iterator[Wait]:
        """Send one input (as an inputs file writes it) to the game, and to the twin too."""
        (parsed,) = parse_inputs([step])
        yield from self._send(parsed, twin=twin)

    def restart(self) -> Iterator[Wait]:
        """Load the game again in both views, and wait until both are ready."""
        twin = self._twin if self._twin is not None and self._twin.alive else None
        self._load_state = None
        self._page.load_game(version_url(self.project, self.version_id))
        if twin is not None:
            twin.load()
        yield (
            lambda: (
                self._load_state is not None
                and (twin is None or twin.loaded is not None or not twin.alive)
            ),
            LOAD_TIMEOUT,
        )
        for track in (self.track, self.twin_track):
            if track is not None:  # the game's intro after a load settles like an input's
                track.last_input = self.clock()
        self._view.setFocus()
        yield 0.3

    def _send(self, step: Step, *, twin: bool = False) -> Iterator[Wait]:
        views = [self._view]
        if twin and self._twin is not None and self._twin.ready:
            views.append(self._twin.view)
            self._twin.track.last_input = self.clock() + step.length
        self.report.inputs_sent += 1
        self.track.last_input = self.clock() + step.length
        yield from send_step(step, views)

    # -- ending --------------------------------------------------------------------------

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        self._timer.stop()
        self._script = None
        if self._dead and not self.report.hung:
            self.report.crashed = True
        if self._twin is not None:
            self._twin.close()
            self._twin = None
        if self._frames is not None:
            self._frames.stop()
        if self._view is not None:
            self.watchdog.disarm()
            self._profile.guard.blocked.disconnect(self._guard_blocked)
            self._profile.handler.not_found.disconnect(self._not_found)
            self._profile.handler.unmount(self.project)
            self._view.close()
            self._view.deleteLater()  # the page is its child: deleted with it
            self._view = self._page = None
        self.finished.emit(self.report)


def _distinct(errors: list[dict], known: list[dict]) -> list[dict]:
    """`errors` without repeats, nor those in `known` (a game loaded again says them twice)."""
    seen = {_key(e) for e in known}
    out = []
    for error in errors:
        if _key(error) not in seen:
            seen.add(_key(error))
            out.append(error)
    return out


def _key(error: dict) -> tuple:
    return (error.get("kind"), error.get("message"), error.get("source"), error.get("line"))


async def playtest(
    project: Project,
    version_id: int | None = None,
    *,
    seconds: float = 5.0,
    inputs: Sequence[dict[str, Any]] | None = None,
    viewport: tuple[int, int] = (800, 600),
    screenshot: Path | str | None = None,
) -> PlaytestReport:
    """Play a version headlessly for `seconds` and report. Needs qasync's loop (see above)."""
    runner = PlaytestRunner(
        project,
        version_id,
        seconds=seconds,
        inputs=inputs,
        viewport=viewport,
        screenshot=screenshot,
    )
    done = start_runner(runner)
    try:
        return await done
    finally:
        runner.cancel()
        runner.deleteLater()


def start_runner(runner: PlaytestRunner) -> asyncio.Future[PlaytestReport]:
    """Start `runner`; a future on the running asyncio loop that gets its report. Cancel
    and delete the runner when done with it."""
    done: asyncio.Future[PlaytestReport] = asyncio.get_running_loop().create_future()
    runner.finished.connect(lambda report: done.done() or done.set_result(report))
    runner.start()
    return done


def run_playtest(project: Project, version_id: int | None = None, **options: Any) -> PlaytestReport:
    """The same, blocking: spins a local Qt event loop until the playtest is over."""
    runner = PlaytestRunner(project, version_id, **options)
    loop = QEventLoop()
    result: list[PlaytestReport] = []
    runner.finished.connect(lambda report: (result.append(report), loop.quit()))
    runner.start()
    if not result:
        loop.exec()
    runner.deleteLater()
    return result[0]


class HeadlessPlayer:
    """Plays versions headlessly for a fix (a `studio.operations.autofix.VersionPlayer`): a
    version's story problems, then what a short playtest of it showed."""

    def __init__(self, project: Project, seconds: float = 4.0) -> None:
        self.project = project
        self.seconds = seconds

    async def play_for_errors(self, version_id: int) -> list[dict[str, Any]]:
        report = await playtest(self.project, version_id, seconds=self.seconds, inputs=QUICK_INPUTS)
        return as_errors(version_problems(self.project, version_id)) + report.errors()
