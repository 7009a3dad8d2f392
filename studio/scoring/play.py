"""Playing bench games: the headless playtest, with samples taken while it runs. Needs Qt.

`QtPlayer.play()` runs `studio.sandbox.playtest`'s runner with the step's input plan and,
beside it, a probe a few times a second: the number of inputs sent, the game's state, the
page's layout and a tiny grey picture. Samples taken while an input was being sent are
dropped, so each one belongs to a clear moment of the plan. A second, short playtest at
phone size measures the layout when a check asks for it. A hung or crashed game ends its
playtest (the sandbox's watchdog) and is simply reported so.

This is the only module of `studio.scoring` that uses Qt; it needs a QApplication and an
asyncio loop running on Qt's (qasync), as in the app and the CLI.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage

from studio.core.store import Project
from studio.errors import StudioError
from studio.sandbox.game_moments import Replay
from studio.sandbox.game_session import GameSession, GameStopped, replay_script
from studio.sandbox.input_script import InputScript
from studio.sandbox.playtest import LOAD_TIMEOUT, PlaytestReport, PlaytestRunner, start_runner
from studio.scoring.observe import PICTURE_SIZE, PROBE_JS, Observation, PhoneLayout, Sample
from studio.scoring.plan import Plan

__all__ = ["QtPlayer"]

log = logging.getLogger(__name__)

PROBE_EVERY_MS = 120
THUMB_WIDTH = 320
PHONE_SECONDS = 1.2
SLACK = 30.0  # seconds a playtest may take beyond its plan before it is given up


class _ProbedRunner(PlaytestRunner):
    """The sandbox's playtest runner plus a probe beside it (see the module doc)."""

    def __init__(self, *args: Any, pictures: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.samples: list[Sample] = []
        self._pictures = pictures
        self._probing = False
        self._started = 0.0
        self._last_sent = 0
        self._last_input = 0.0
        self._probe_timer = QTimer(self)
        self._probe_timer.setInterval(PROBE_EVERY_MS)
        self._probe_timer.timeout.connect(self._probe)
        self.finished.connect(lambda _report: self._probe_timer.stop())

    def start(self) -> None:
        self._started = self._last_input = time.monotonic()
        super().start()
        self._probe_timer.start()

    def _picture(self) -> bytes | None:
        if not self._pictures:
            return None
        image = self.grab()
        if image.isNull():
            return None
        small = image.scaled(
            *PICTURE_SIZE,
            Qt.AspectRatioMode.IgnoreAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        ).convertToFormat(QImage.Format.Format_Grayscale8)
        width, height = PICTURE_SIZE
        line = small.bytesPerLine()
        data = bytes(small.constBits())
        return b"".join(data[y * line : y * line + width] for y in range(height))

    def _probe(self) -> None:
        page = self.page
        if page is None or self._probing:
            return
        now = time.monotonic()
        sent = self.report.inputs_sent
        if sent != self._last_sent:
            self._last_sent, self._last_input = sent, now
        quiet = now - self._last_input
        picture = self._picture()
        self._probing = True

        def probed(result: Any) -> None:
            self._probing = False
            if self.report.inputs_sent != sent:
                return  # an input went out meanwhile: this sample belongs to no clear moment
            self.samples.append(
                Sample.from_probe(
                    result, t=now - self._started, sent=sent, quiet=quiet, picture=picture
                )
            )

        page.runJavaScript(PROBE_JS, 0, probed)


class QtPlayer:
    """Plays versions of projects for the bench; at most `jobs` playtests at once."""

    def __init__(
        self, *, jobs: int = 1, watchdog_timeout: float = 3.0, thumbnails: bool = True
    ) -> None:
        self.jobs = max(1, jobs)
        self.watchdog_timeout = watchdog_timeout
        self.thumbnails = thumbnails
        self._limit: asyncio.Semaphore | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        if self._limit is None:
            self._limit = asyncio.Semaphore(self.jobs)
        return self._limit

    async def play(
        self, project: Project, version_id: int, plan: Plan, shots: Path, name: str
    ) -> Observation:
        """Play one version following `plan`; screenshots go to `shots/<name>.png`."""
        shots.mkdir(parents=True, exist_ok=True)
        async with self._semaphore():
            screenshot = shots / f"{name}.png"
            report, samples = await self._run(
                project,
                version_id,
                seconds=plan.seconds,
                inputs=plan.inputs,
                viewport=plan.viewport,
                screenshot=screenshot,
            )
            obs = Observation(report.to_dict(), samples, screenshot=report.screenshot)
            if report.screenshot and self.thumbnails:
                obs.thumbnail = _thumbnail(Path(report.screenshot), shots / f"{name}.thumb.jpg")
            if plan.phone is not None:
                obs.phone = await self._phone(project, version_id, plan.phone, shots, name)
        return obs

    async def open_game(
        self, project: Project, version_id: int, viewport: tuple[int, int]
    ) -> GameSession:
        """A game held open for the AI playtester (the bench's agent checks)."""
        session = GameSession(
            project, version_id, viewport=viewport, watchdog_timeout=self.watchdog_timeout
        )
        try:
            await session.open()
        except GameStopped as exc:
            session.close()
            raise StudioError(str(exc)) from None
        return session

    async def replay(self, project: Project, version_id: int, script: InputScript) -> Replay:
        return await replay_script(
            project, version_id, script, watchdog_timeout=self.watchdog_timeout
        )

    async def _phone(
        self, project: Project, version_id: int, size: tuple[int, int], shots: Path, name: str
    ) -> PhoneLayout:
        phone = PhoneLayout(size)
        report, samples = await self._run(
            project,
            version_id,
            seconds=PHONE_SECONDS,
            inputs=[],
            viewport=size,
            screenshot=shots / f"{name}-phone.png",
            pictures=False,
        )
        phone.loaded = report.loaded and not (report.hung or report.crashed)
        phone.screenshot = report.screenshot
        layouts = [s.layout for s in samples if s.layout]
        phone.layout = layouts[-1] if layouts else None
        if not phone.loaded:
            phone.problem = "the game did not load at phone size"
        return phone

    async def _run(
        self,
        project: Project,
        version_id: int,
        *,
        seconds: float,
        inputs: list[dict[str, Any]],
        viewport: tuple[int, int],
        screenshot: Path,
        pictures: bool = True,
    ) -> tuple[PlaytestReport, list[Sample]]:
        runner = _ProbedRunner(
            project,
            version_id,
            seconds=seconds,
            inputs=inputs,
            viewport=viewport,
            screenshot=screenshot,
            watchdog_timeout=self.watchdog_timeout,
            pictures=pictures,
        )
        done = start_runner(runner)
        try:
            report = await asyncio.wait_for(
                asyncio.shield(done), timeout=seconds + LOAD_TIMEOUT + SLACK
            )
        except TimeoutError:
            log.error("a bench playtest of %s v%s did not finish", project.name, version_id)
            runner.cancel()
            report = runner.report
            report.crashed = True
            report.crash_reason = report.crash_reason or "the playtest did not finish"
        finally:
            with contextlib.suppress(RuntimeError):  # already gone with the app
                runner.cancel()
                runner.deleteLater()
        return report, list(runner.samples)


def _thumbnail(source: Path, target: Path) -> str | None:
    image = QImage(str(source))
    if image.isNull():
        return None
    small = image.scaledToWidth(
        min(THUMB_WIDTH, image.width()), Qt.TransformationMode.SmoothTransformation
    )
    return str(target) if small.save(str(target), "JPEG", 82) else None
