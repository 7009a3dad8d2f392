"""A game held open for an AI playtester (or a replay): real input events, the game's clock,
its state, its page as text, its picture. Needs Qt and asyncio on Qt's loop (qasync).

    session = GameSession(project, version_id)
    await session.open()
    change = await session.perform(Action(0, "key", keys=("ArrowRight",), hold=0.3))
    text = (await session.moment()).page.render(); jpeg = session.look()
    session.script   # every action so far with its time: an InputScript to replay
    session.close()

It is the sandbox's playtest runner (`PlaytestRunner`: the "playtest" profile with its CSP
and request guard, the watchdog, the same error reports) driven one action at a time
instead of by a fixed plan. Keys and pointer events go to the view's focus proxy as a
person's would, and each action waits until the page has received them before time moves
on. A game with `window.studio.advance` plays on a game clock: it stands still between
actions and moves in ticks of 1/60 s, and `Math.random` is seeded, so the recorded script
replays the same way (`replay`). With `pace`, the clock runs no faster than real time, so a
person watching sees the game move (the Preview); a headless run does not wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QEvent, QIODevice, QObject, QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWebEngineCore import QWebEngineScript
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QApplication

from studio.core.store import Project
from studio.sandbox.agent_page import (
    AGENT_JS,
    HOOKS_JS,
    advance_script,
    clock_script,
    seed_script,
)
from studio.sandbox.game_moments import Change, Moment, PageText, Replay
from studio.sandbox.input_script import TAP_HOLD, TICK, Action, InputScript, ticks
from studio.sandbox.playtest import LOAD_TIMEOUT, STATE_JS, PlaytestRunner, frame_difference, qt_key
from studio.sandbox.scheme import version_url

__all__ = ["GameSession", "GameStopped", "replay_script"]

log = logging.getLogger(__name__)

MAIN = QWebEngineScript.ScriptWorldId.MainWorld
ISOLATED = QWebEngineScript.ScriptWorldId.ApplicationWorld
CLOCK_CHUNK = 15  # ticks per advance call: a game that freezes is caught within 0.25 s
PACED_CHUNK = 2  # ticks per call when a person watches
DELIVERY_TIMEOUT = 1.0  # seconds an input's events may take to reach the page
FRAME_TIMEOUT = 0.5  # seconds to wait for the picture of an action's result
JS_TIMEOUT = 10.0
MAX_STATE = 4000  # characters of state JSON kept
SHOT_QUALITY = 80


class GameStopped(Exception):
    """The game is gone (hung, crashed, did not load) or did not answer: why, in words."""


class GameSession(PlaytestRunner):
    def __init__(
        self,
        project: Project,
        version_id: int | None = None,
        *,
        viewport: tuple[int, int] = (800, 600),
        clock: str = "auto",
        seed: int = 1,
        pace: bool = False,
        watchdog_timeout: float = 3.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(
            project,
            version_id,
            inputs=[],
            viewport=viewport,
            watchdog_timeout=watchdog_timeout,
            parent=parent,
        )
        self.clock_mode = clock  # "auto" (game clock when the game can), "game" or "real"
        self.seed = seed
        self.pace = pace
        self.game_clock = False
        self.has_state = False
        self.script = InputScript(seed=seed, viewport=viewport)
        self.last: Moment | None = None  # the moment after the last action
        self._ticks = 0
        self.clock_seconds = 0.0  # wall time the game spent in advance(): its own updates
        self.frame_seconds = 0.0  # wall time waiting for the picture of an action's result
        self._loaded_at = 0.0
        self._frame = QImage()
        self._stepping_errors: list[dict[str, Any]] = []  # what advance() threw

    @classmethod
    def for_script(
        cls, project: Project, version_id: int, script: InputScript, **options: Any
    ) -> GameSession:
        """A session to replay `script`: its viewport, clock and seed."""
        return cls(
            project,
            version_id,
            viewport=script.viewport,
            clock=script.clock,
            seed=script.seed,
            **options,
        )

    # -- opening and closing --------------------------------------------------------------

    @property
    def view(self) -> QWebEngineView | None:
        return self._view

    async def open(self, place: Callable[[QWebEngineView], object] | None = None) -> None:
        """Load the game; GameStopped when it does not load. `place(view)` may put the view
        on screen first (the Preview shows it while the model plays)."""
        self._build_view()
        if place is not None:
            self._view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, False)
            place(self._view)
        for name, source, world, point in (
            ("studio-seed", seed_script(self.seed), MAIN, "DocumentCreation"),
            ("studio-agent", AGENT_JS, ISOLATED, "DocumentCreation"),
            ("studio-clock", clock_script(self.clock_mode), MAIN, "DocumentReady"),
        ):
            script = QWebEngineScript()
            script.setName(name)
            script.setSourceCode(source)
            script.setWorldId(world)
            script.setInjectionPoint(getattr(QWebEngineScript.InjectionPoint, point))
            script.setRunsOnSubFrames(False)
            self._page.scripts().insert(script)
        self._page.load_game(version_url(self.project, self.version_id))
        await self._until(lambda: self._load_state is not None or self._dead, LOAD_TIMEOUT)
        if not self._load_state or self._dead:
            reason = self.stopped() or "the page could not be loaded (is there an index.html?)"
            if self._load_state is None and not self._dead:
                reason = f"the game did not finish loading in {LOAD_TIMEOUT:g} s"
            raise GameStopped(reason)
        self.report.loaded = True
        self._view.setFocus()
        if not await self._agent("counts()"):
            raise GameStopped("Studio's page helper did not start (a bug of Studio's)")
        hooks = json.loads(await self._js(HOOKS_JS) or "{}")
        self.game_clock = bool(hooks.get("paused"))
        self.has_state = bool(hooks.get("state"))
        if self.clock_mode == "game" and not self.game_clock:
            raise GameStopped("the game has no window.studio.advance(ms): it has no game clock")
        self.script.clock = "game" if self.game_clock else "real"
        self._loaded_at = time.monotonic()
        await self._painted()
        self.last = await self.moment()
        self._frame = self.grab()

    def close(self) -> None:
        self.cancel()
        self.deleteLater()

    def stopped(self) -> str | None:
        """Why the game is gone, or None while it runs."""
        report = self.report
        if report.hung:
            return f"the game stopped responding at {self.now():.2f} s (an endless loop?)"
        if report.crashed or self._dead:
            return (
                f"the game crashed at {self.now():.2f} s ({report.crash_reason or 'renderer died'})"
            )
        return None

    # -- time -----------------------------------------------------------------------------

    def now(self) -> float:
        """Seconds of play: game time on the game clock, else since the game loaded."""
        if self.game_clock:
            return round(self._ticks * TICK, 4)
        return round(time.monotonic() - self._loaded_at, 4) if self._loaded_at else 0.0

    async def run_clock(self, seconds: float) -> None:
        """Let `seconds` of play pass."""
        if not self.game_clock:
            await asyncio.sleep(max(0.0, seconds))
            return
        left = ticks(seconds)
        started, done = time.monotonic(), 0
        while left > 0:
            step = min(left, PACED_CHUNK if self.pace else CLOCK_CHUNK)
            # Counted first: a game that freezes in this chunk froze by its end, and a
            # replay must run that far to freeze again.
            self._ticks += step
            stepping = time.perf_counter()
            error = await self._js(advance_script(step))
            self.clock_seconds += time.perf_counter() - stepping
            left -= step
            done += step
            if error:
                self._stepping_errors.append(
                    {
                        "message": f"window.studio.advance() threw: {str(error)[:300]}",
                        "kind": "uncaught",
                    }
                )
                return
            if self.pace:
                await asyncio.sleep(max(0.0, started + done * TICK - time.monotonic()))

    async def run_until(self, at: float) -> None:
        await self.run_clock(max(0.0, at - self.now()))

    # -- reading the game -----------------------------------------------------------------

    async def moment(self) -> Moment:
        state, error = None, None
        if self.has_state:
            raw = await self._js(STATE_JS)
            try:
                state = json.loads(raw) if isinstance(raw, str) else None
            except ValueError:
                error = "window.studio.state() returned something that is not JSON"
            if isinstance(state, dict) and set(state) == {"error"}:
                state, error = None, f"window.studio.state() threw: {state['error']}"[:300]
        page = PageText.from_json(await self._agent("page()"))
        return Moment(self.now(), state, error, page)

    def look(self) -> bytes:
        """The picture now, as JPEG at the game's own size (CSS pixels)."""
        image = self.grab()
        width, height = self.viewport
        if not image.isNull() and (image.width(), image.height()) != (width, height):
            image = image.scaled(
                width,
                height,
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "JPEG", SHOT_QUALITY)
        return bytes(data)

    def errors_since(self, count: int) -> list[dict[str, Any]]:
        return [e.as_error() for e in self._errors[count:]]

    # -- acting ---------------------------------------------------------------------------

    async def perform(self, action: Action | None, wait: float = 0.0) -> Change:
        """Do `action` now (None: let `wait` seconds pass), record it, and say what changed."""
        game_clock = self.game_clock
        before = self.last if game_clock and self.last is not None else await self.moment()
        frame = self._frame if game_clock else self.grab()
        errors, stepping = len(self._errors), len(self._stepping_errors)
        delivered, stopped = True, None
        try:
            if action is None:
                await self.run_clock(wait)
                await self._painted()
            else:
                action = replace(action, at=self.now())
                action, delivered = await self._do(action)
                self.script.add(action)
            self.script.length = max(self.script.length, self.now())
            after = await self.moment()
        except GameStopped as exc:
            stopped, after = self.stopped() or str(exc), before
        if self.page is not None:
            self.page.flush_console()
        self._frame = self.grab() if stopped is None else QImage()
        self.last = after
        return Change(
            action,
            before,
            after,
            picture=frame_difference(frame, self._frame) if stopped is None else 0.0,
            errors=self.errors_since(errors) + self._stepping_errors[stepping:],
            stopped=stopped,
            delivered=delivered,
        )

    async def _do(self, action: Action) -> tuple[Action, bool]:
        """Send the action's events and let its time pass, until the picture shows the
        result; the action as done (a tap on a page item gets the point it hit) and whether
        the page received its events."""
        if action.kind == "type" and action.element is not None:  # click the item to focus it
            tapped, _ = await self._do(replace(action, kind="tap"))
            action = replace(tapped, kind="type")
        if action.kind == "tap" and action.element is not None:
            action = await self._locate(action)
        target = self._view.focusProxy() or self._view
        counts, delivered = await self._counts(), True
        if action.kind == "key":
            keys = [qt_key(k) for k in action.keys]
            for key in keys:
                QTest.keyPress(target, key)
            delivered = await self._received("keydown", len(keys), before=counts)
            await self.run_clock(action.hold)
            for key in reversed(keys):
                QTest.keyRelease(target, key)
            last = ("keyup", len(keys))
        elif action.kind == "type":
            QTest.keyClicks(target, action.text)
            last = ("keyup", len(action.text))
        elif action.kind in ("tap", "drag"):
            path = action.path or (action.point or (0.5, 0.5),)
            (x, y), rest = path[0], path[1:]
            self._mouse(QEvent.Type.MouseMove, x, y, Qt.MouseButton.NoButton)
            self._mouse(QEvent.Type.MouseButtonPress, x, y, Qt.MouseButton.LeftButton)
            delivered = await self._received("pointerdown", 1, before=counts)
            if not rest:
                await self.run_clock(TAP_HOLD)
            for x, y in rest:
                await self.run_clock(action.hold / len(rest))
                moves = await self._counts()
                self._mouse(QEvent.Type.MouseMove, x, y, Qt.MouseButton.LeftButton)
                # Moves are merged per frame: each point of the path arrives before the next.
                await self._received("pointermove", 1, before=moves)
            self._mouse(QEvent.Type.MouseButtonRelease, x, y, Qt.MouseButton.LeftButton)
            last = ("pointerup", 1)
        else:
            raise ValueError(f"unknown action {action.kind!r}")
        # The picture is awaited first: events sent while the game draws arrive after it.
        await self._painted()
        return action, delivered and await self._received(*last, before=counts)

    async def _locate(self, action: Action) -> Action:
        """Where page item `action.element` is now; in a replay, the item with the recorded
        words when the numbering moved (else the recorded point)."""
        found = json.loads(await self._agent(f"item({action.element})") or "null")
        if action.label and (not found or found.get("label") != action.label):
            index = await self._agent(f"find({json.dumps(action.label)})")
            if index:
                found = json.loads(await self._agent(f"item({int(index)})") or "null")
        if not found:
            if action.point is None:
                raise GameStopped(f"there is no item {action.element} on the page")
            return action
        width, height = self.viewport
        point = (min(1.0, max(0.0, found["x"] / width)), min(1.0, max(0.0, found["y"] / height)))
        return replace(action, point=point, label=str(found.get("label") or "")[:200])

    def _mouse(self, kind: QEvent.Type, x: float, y: float, button: Qt.MouseButton) -> None:
        """A mouse event at fractions (x, y) of the view; moves carry the held button, as a
        real drag does (QTest.mouseMove sends no buttons)."""
        target = self._view.focusProxy() or self._view
        local = QPointF(x * self._view.width(), y * self._view.height())
        held = button if kind != QEvent.Type.MouseButtonRelease else Qt.MouseButton.NoButton
        event = QMouseEvent(
            kind,
            local,
            QPointF(target.mapToGlobal(QPoint(round(local.x()), round(local.y())))),
            button,
            held,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(target, event)

    async def _painted(self) -> None:
        """Wait until the picture shows what the game did (a game that draws little or
        nothing may give no frame: then a short wait is enough)."""
        started = time.perf_counter()
        number = await self._agent("frame()")
        deadline = time.monotonic() + FRAME_TIMEOUT
        while not await self._agent(f"painted({int(number or 0)})"):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.003)
        self.frame_seconds += time.perf_counter() - started

    async def _counts(self) -> dict[str, int]:
        return json.loads(await self._agent("counts()") or "{}")

    async def _received(self, kind: str, more: int, *, before: dict[str, int]) -> bool:
        """Wait until the page has received `more` events of `kind` since `before`."""
        deadline = time.monotonic() + DELIVERY_TIMEOUT
        while True:
            counts = await self._counts()
            if counts.get(kind, 0) >= before.get(kind, 0) + more:
                return True
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.002)

    # -- replaying ------------------------------------------------------------------------

    async def replay(self, script: InputScript) -> Replay:
        """Play a recorded script from the start (on a freshly opened session)."""
        result = Replay(None, None)
        errors = len(self._errors)
        try:
            for number, action in enumerate(script.actions, start=1):
                await self.run_until(action.at)
                if number == len(script.actions):
                    result.before, frame = await self.moment(), self.grab()
                action, _ = await self._do(action)
            if not script.actions:
                result.before, frame = await self.moment(), self.grab()
            await self.run_until(script.length)
            result.after = await self.moment()
            result.picture = frame_difference(frame, self.grab())
        except GameStopped as exc:
            result.stopped = self.stopped() or str(exc)
        if self.page is not None:
            self.page.flush_console()
        result.errors = self.errors_since(errors) + self._stepping_errors
        return result

    # -- plumbing -------------------------------------------------------------------------

    async def _until(self, done: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not done() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    async def _agent(self, call: str) -> Any:
        """Call Studio's page helper (`AGENT_JS`, in its own world); None when the page has
        none (it is being replaced), never an error in the game's console."""
        return await self._js(f"window.__agent ? window.__agent.{call} : null", ISOLATED)

    async def _js(self, script: str, world: int = MAIN, timeout: float = JS_TIMEOUT) -> Any:
        """Run `script` in the page; its result (None for null). GameStopped when the game
        is gone or does not answer."""
        page = self._page
        if page is None or self._dead:
            raise GameStopped(self.stopped() or "the game is closed")
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Any] = loop.create_future()
        page.runJavaScript(script, int(world), lambda r: answer.done() or answer.set_result(r))
        deadline = loop.time() + timeout
        while not answer.done():
            if self._dead or self._page is None:
                raise GameStopped(self.stopped() or "the game is closed")
            if loop.time() > deadline:
                raise GameStopped(f"the game did not answer in {timeout:g} s")
            await asyncio.wait([answer], timeout=0.05)
        result = answer.result()
        return None if result == "" else result


async def replay_script(
    project: Project, version_id: int, script: InputScript, *, watchdog_timeout: float = 3.0
) -> Replay:
    """Play `script` on a version in a fresh hidden session, with its clock and seed."""
    session = GameSession.for_script(project, version_id, script, watchdog_timeout=watchdog_timeout)
    try:
        await session.open()
    except GameStopped as exc:
        session.close()
        return Replay(None, None, stopped=str(exc), problem=str(exc))
    try:
        return await session.replay(script)
    finally:
        with contextlib.suppress(RuntimeError):
            session.close()
