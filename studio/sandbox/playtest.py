"""Headless playtest: load a version in a hidden sandboxed view, play it, report.

    report = await playtest(project, version_id, seconds=5.0, inputs=None, viewport=(800, 600))

The game is loaded in the "playtest" sandbox profile (same protections as the Preview,
separate storage), watched by the same watchdog, and sent real key and mouse events
through the view's focus proxy: either the given steps or a default burst of Enter, Space,
arrow keys, WASD and taps. Frames are grabbed every half second; `animated` means the
picture changed between two samples with no input in between. When the game has the test
hooks of the game contract (`window.studio.state()`), its state is sampled too.

Needs a QApplication (created after `studio.app.prepare_environment()`), and, for the
async API, an asyncio loop running on Qt's (qasync), as in the app and the CLI. Qt code
that has no asyncio loop can use `PlaytestRunner` and its `finished` signal, or
`run_playtest()` which spins a local event loop.

Inputs are a JSON list of steps, run in order:

    [{"at": 1.0, "key": "ArrowUp"},            # press (and hold 0.15 s) at 1 s after load
     {"key": "Space", "hold": 0.5},            # right after the previous step
     {"wait": 0.5},                            # let half a second pass
     {"at": 2.0, "tap": [0.5, 0.5]}]           # click/tap at a point, as fractions of the view
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWebEngineCore import QWebEnginePage
from PySide6.QtWebEngineWidgets import QWebEngineView

from studio.core.store import Project
from studio.errors import StudioError
from studio.sandbox.console import ConsoleEntry
from studio.sandbox.frames import frame_difference
from studio.sandbox.page import SandboxPage
from studio.sandbox.profile import sandbox_profile
from studio.sandbox.report import PlaytestReport
from studio.sandbox.scheme import split_url, version_url
from studio.sandbox.watchdog import Watchdog
from studio.story.validate import as_errors, version_problems

log = logging.getLogger(__name__)

LOAD_TIMEOUT = 20.0
SAMPLE_EVERY = 0.5
DEFAULT_HOLD = 0.15

STATE_JS = """(() => { try {
  const s = window.studio;
  return s && typeof s.state === 'function' ? JSON.stringify(s.state()) : null;
} catch (e) { return JSON.stringify({error: String(e)}); } })()"""

KEYS: dict[str, Qt.Key] = {
    "ArrowUp": Qt.Key.Key_Up,
    "ArrowDown": Qt.Key.Key_Down,
    "ArrowLeft": Qt.Key.Key_Left,
    "ArrowRight": Qt.Key.Key_Right,
    "Space": Qt.Key.Key_Space,
    " ": Qt.Key.Key_Space,
    "Enter": Qt.Key.Key_Return,
    "Escape": Qt.Key.Key_Escape,
    "Tab": Qt.Key.Key_Tab,
    "Shift": Qt.Key.Key_Shift,
    "Control": Qt.Key.Key_Control,
    "Backspace": Qt.Key.Key_Backspace,
}


def qt_key(name: str) -> Qt.Key:
    """A DOM key name (`ArrowUp`, `Space`, `KeyW`, `w`, `Digit1`, `1`) as a Qt key."""
    if name in KEYS:
        return KEYS[name]
    letter = name.removeprefix("Key").removeprefix("Digit")
    if len(letter) == 1 and letter.isalnum():
        return getattr(Qt.Key, f"Key_{letter.upper()}")
    raise StudioError(f"unknown key {name!r} in playtest inputs")


@dataclass(frozen=True)
class Step:
    at: float  # seconds after the game loaded
    key: str | None = None
    hold: float = DEFAULT_HOLD
    tap: tuple[float, float] | None = None


def parse_inputs(steps: Sequence[dict[str, Any]]) -> list[Step]:
    """Steps as given in an inputs file, with their times resolved."""
    if not isinstance(steps, list | tuple):
        raise StudioError("playtest inputs must be a JSON list of steps")
    cursor, out = 0.0, []
    for i, raw in enumerate(steps):
        if not isinstance(raw, dict):
            raise StudioError(f"playtest input step {i + 1} is not an object")
        try:
            if "wait" in raw:
                cursor += float(raw["wait"])
                continue
            at = float(raw.get("at", cursor))
            if "key" in raw:
                qt_key(str(raw["key"]))  # refuse unknown keys now, not mid-game
                hold = float(raw.get("hold", DEFAULT_HOLD))
                out.append(Step(at, key=str(raw["key"]), hold=hold))
                cursor = at + hold + 0.05
            elif "tap" in raw or "click" in raw:
                x, y = raw.get("tap", raw.get("click"))
                out.append(Step(at, tap=(float(x), float(y))))
                cursor = at + 0.1
            else:
                raise StudioError(f"playtest input step {i + 1} has no key, tap or wait")
        except (TypeError, ValueError):
            raise StudioError(f"playtest input step {i + 1} is malformed: {raw!r}") from None
    return sorted(out, key=lambda s: s.at)


def default_inputs(seconds: float) -> list[Step]:
    """A burst that starts most games and moves in every direction, in the middle third."""
    start = max(0.8, seconds * 0.3)
    plan: list[dict[str, Any]] = [
        {"tap": [0.5, 0.5]},
        {"key": "Enter"},
        {"key": "Space"},
        {"key": "ArrowRight", "hold": 0.3},
        {"key": "ArrowLeft", "hold": 0.3},
        {"key": "ArrowUp", "hold": 0.2},
        {"key": "ArrowDown", "hold": 0.2},
        {"key": "KeyD", "hold": 0.2},
        {"key": "KeyW", "hold": 0.2},
        {"key": "Space"},
        {"tap": [0.3, 0.7]},
        {"tap": [0.7, 0.7]},
    ]
    return [Step(s.at + start, s.key, s.hold, s.tap) for s in parse_inputs(plan)]


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
        self.steps = parse_inputs(inputs) if inputs is not None else default_inputs(self.seconds)
        self.viewport = viewport
        self.screenshot_path = Path(screenshot) if screenshot else None
        self.report = PlaytestReport(project=project.name, version=self.version_id)
        self._watchdog_timeout = watchdog_timeout
        self._view: QWebEngineView | None = None
        self._page: SandboxPage | None = None
        self._errors: list[ConsoleEntry] = []
        self._fps: list[float] = []
        self._load_state: bool | None = None
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
        page.console_entries.connect(self._console)
        page.fps_reported.connect(self._fps.append)
        page.game_loaded.connect(self._loaded)
        page.renderProcessTerminated.connect(self._terminated)
        page.refused.connect(lambda what: self.report.blocked.append(what))
        profile.guard.blocked.connect(self._guard_blocked)
        profile.handler.not_found.connect(self._not_found)
        self.watchdog = Watchdog(page, timeout=self._watchdog_timeout)
        self.watchdog.hung.connect(self._hung)
        self.watchdog.memory_exceeded.connect(self._memory)
        self._view, self._page = view, page

    # -- events from the page ------------------------------------------------------------

    def _console(self, entries: list[ConsoleEntry]) -> None:
        self._errors += [e for e in entries if e.level == "error"]

    def _guard_blocked(self, url: str, first_party: str) -> None:
        if QUrl(first_party).host() == self._origin:
            self.report.blocked.append(f"request to {url}")

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
        return self._view.grab().toImage() if self._view is not None else QImage()

    def _eval(self, script: str) -> Iterator[Wait]:
        """Run script in the page; the result lands in self._result (None on timeout)."""
        box: list[Any] = []
        self._page.runJavaScript(script, 0, box.append)
        yield (lambda: bool(box), 2.0)
        # JavaScript null and undefined arrive as "" (an empty QVariant)
        self._result = box[0] if box and box[0] != "" else None

    def _run(self) -> Iterator[Wait]:
        report = self.report
        started = time.monotonic()
        self._page.load_game(version_url(self.project, self.version_id))
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

        loaded_at = time.monotonic()
        frames: list[tuple[float, QImage, int]] = []  # (time, frame, inputs sent before it)
        states: list[tuple[int, Any]] = []
        steps = list(self.steps)
        next_sample = 0.0
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
                continue
            if elapsed >= next_sample:
                frames.append((elapsed, self.grab(), report.inputs_sent))
                yield from self._eval(STATE_JS)
                if self._result is not None or not hook_checked:
                    hook_checked = True
                    if self._result is not None:
                        report.has_state_hook = True
                        states.append((report.inputs_sent, _loads(self._result)))
                next_sample = elapsed + SAMPLE_EVERY
                continue
            wake = min(next_sample, steps[0].at if steps else self.seconds, self.seconds)
            yield max(0.0, wake - elapsed)

        final = self.grab()
        if not self._dead:
            frames.append((time.monotonic() - loaded_at, final, report.inputs_sent))
        report.animated = any(
            a[2] == b[2] and frame_difference(a[1], b[1]) > 0
            for a, b in zip(frames, frames[1:], strict=False)
        )
        if pre_input is not None and not self._dead:
            report.input_changed_picture = frame_difference(pre_input[0], final) > 0.002
            if report.has_state_hook:
                yield from self._eval(STATE_JS)
                report.input_changed_state = _loads(pre_input[1]) != _loads(self._result)
        report.state_samples = [s for _, s in states][:40]
        report.console_errors = [e.as_error() for e in self._errors[seen_errors:]]
        if self._fps:
            report.fps = round(sum(self._fps[1:] or self._fps) / len(self._fps[1:] or self._fps), 1)
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

    def _send(self, step: Step) -> Iterator[Wait]:
        target = self._view.focusProxy() or self._view
        self.report.inputs_sent += 1
        if step.key is not None:
            key = qt_key(step.key)
            QTest.keyPress(target, key)
            yield step.hold
            QTest.keyRelease(target, key)
        elif step.tap is not None:
            w, h = self._view.width(), self._view.height()
            point = QPoint(int(step.tap[0] * w), int(step.tap[1] * h))
            QTest.mouseMove(target, point)
            QTest.mousePress(
                target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point
            )
            yield 0.05
            QTest.mouseRelease(
                target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point
            )

    # -- ending --------------------------------------------------------------------------

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        self._timer.stop()
        self._script = None
        if self._dead and not self.report.hung:
            self.report.crashed = True
        if self._view is not None:
            self.watchdog.disarm()
            self._profile.guard.blocked.disconnect(self._guard_blocked)
            self._profile.handler.not_found.disconnect(self._not_found)
            self._profile.handler.unmount(self.project)
            self._view.close()
            self._view.deleteLater()  # the page is its child: deleted with it
            self._view = self._page = None
        self.finished.emit(self.report)


def _loads(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


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
        report = await playtest(self.project, version_id, seconds=self.seconds)
        return as_errors(version_problems(self.project, version_id)) + report.errors()
