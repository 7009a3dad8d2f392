"""`studio --self-test`: start the app for real and check what a person needs, end to end.

Meant for a fresh install and for the frozen desktop build, where there is no Python to
poke around with: the app starts (offscreen unless a display exists), a starter template
opens in a temporary project, the game runs in the sandbox (playtest), ffmpeg makes a short
WebM that QtWebEngine then plays, and the game is exported as one HTML file. One line per
check, `ok   name: detail` or `FAIL name: reason`; the exit code is 0 only when all passed.

Each check has its own timeout, and a watchdog thread ends the process if the Qt loop
itself stops answering, so the self-test always ends. Settings and projects go to a
temporary folder: the person's own settings and last project are never touched.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Before Qt or the app's code is imported: a baseline for time-to-window where /proc is absent.
_IMPORTED_AT = time.monotonic()

TEMPLATE = "runner"  # the starter game played; the first registered one if it is missing
PLAYTEST_SECONDS = 3.0
CLIP_SECONDS = 2.0
TIMEOUTS = {  # seconds per check
    "app": 60.0,
    "plugins": 10.0,
    "template": 30.0,
    "preview": 45.0,
    "video": 60.0,
    "export": 30.0,
}
# The watchdog's limit: every check at its timeout, plus start-up and shutdown.
HARD_LIMIT = sum(TIMEOUTS.values()) + 30.0

VIDEO_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>self-test video</title></head>
<body style="margin:0;background:#000">
<video id="v" src="assets/selftest.webm" muted autoplay loop playsinline></video>
<script>
  const v = document.getElementById('v');
  v.play().catch((e) => console.warn('play() was refused: ' + e));
</script>
</body></html>
"""
VIDEO_STATE_JS = """(() => {
  const v = document.getElementById('v');
  if (!v) return JSON.stringify({missing: true});
  return JSON.stringify({t: v.currentTime, ready: v.readyState, width: v.videoWidth,
    error: v.error ? (v.error.code + ' ' + (v.error.message || '')) : null});
})()"""
MEDIA_ERRORS = {"1": "aborted", "2": "network error", "3": "decode error", "4": "not supported"}


class CheckFailed(Exception):
    """A check's failure, with the reason a person reads."""


@dataclass
class Result:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def process_age() -> float:
    """Seconds since this process started (Linux: from /proc), else since this module loaded."""
    try:
        stat = Path("/proc/self/stat").read_text()
        # Field 22 (starttime, in clock ticks since boot); fields before it may hold spaces
        # only inside the command name, which ends with the last ")".
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _IMPORTED_AT


async def wait_until(predicate: Callable[[], Any], timeout: float, every: float = 0.05) -> Any:
    """The predicate's first truthy value, polled on the event loop; TimeoutError after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError
        await asyncio.sleep(every)


async def run_js(page: Any, script: str, timeout: float = 5.0) -> Any:
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[Any] = loop.create_future()
    page.runJavaScript(script, 0, lambda v: answer.done() or answer.set_result(v))
    return await asyncio.wait_for(answer, timeout)


def human_size(n: int) -> str:
    return f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


class SelfTest:
    def __init__(self, workdir: Path, out: Callable[[str], None]) -> None:
        self.workdir = workdir
        self.out = out
        self.results: list[Result] = []
        self.app: Any = None
        self.window: Any = None
        self.project: Any = None
        self.template: Any = None

    @property
    def host(self) -> Any:
        return self.window.session.host

    async def run(self) -> bool:
        checks: list[tuple[str, Callable[[], Awaitable[str]], tuple[str, ...]]] = [
            ("app", self.check_app, ()),
            ("plugins", self.check_plugins, ("app",)),
            ("template", self.check_template, ("app",)),
            ("preview", self.check_preview, ("template",)),
            ("video", self.check_video, ("app",)),
            ("export", self.check_export, ("template",)),
        ]
        passed: set[str] = set()
        for name, check, needs in checks:
            missing = [n for n in needs if n not in passed]
            if missing:
                result = Result(name, False, f"skipped: the {missing[0]} check failed")
            else:
                result = await self._one(name, check)
            if result.ok:
                passed.add(name)
            self.results.append(result)
            self.out(result.line())
        return len(passed) == len(checks)

    async def _one(self, name: str, check: Callable[[], Awaitable[str]]) -> Result:
        timeout = TIMEOUTS[name]
        try:
            detail = await asyncio.wait_for(check(), timeout)
        except TimeoutError:
            return Result(name, False, f"timed out after {timeout:.0f} s")
        except CheckFailed as exc:
            return Result(name, False, str(exc))
        except Exception as exc:  # noqa: BLE001 (any failure is a failed check, with its reason)
            return Result(name, False, f"{type(exc).__name__}: {exc}".strip())
        return Result(name, True, detail)

    # -- the checks ----------------------------------------------------------------------

    async def check_app(self) -> str:
        """The main window as the app makes it (plugins loaded, theme), shown and exposed."""
        from PySide6.QtCore import qVersion
        from PySide6.QtGui import QGuiApplication

        from studio.app import create_window

        self.window = create_window(self.app, None)
        self.window.show()
        try:
            await wait_until(
                lambda: (
                    self.window.windowHandle() is not None
                    and self.window.windowHandle().isExposed()
                ),
                TIMEOUTS["app"],
                every=0.01,
            )
        except TimeoutError:
            raise CheckFailed("the main window was never shown on screen") from None
        shown, cpu = process_age(), time.process_time()
        platform = QGuiApplication.platformName()
        frozen = ", frozen" if getattr(sys, "frozen", False) else ""
        return (
            f"window shown {shown:.2f} s after start, {cpu:.2f} s CPU "
            f"(Qt {qVersion()}, {platform}{frozen})"
        )

    async def check_plugins(self) -> str:
        from studio.plugins.host import PluginState

        plugins = self.host.plugins.values()
        failed = [p for p in plugins if p.state == PluginState.FAILED]
        if failed:
            reasons = "; ".join(f"{p.name}: {p.error}" for p in failed)
            raise CheckFailed(f"{len(failed)} plugin(s) failed: {reasons}")
        enabled = sorted(p.name for p in plugins if p.state == PluginState.ENABLED)
        templates = sorted(t.name for t in self.host.templates())
        if not templates:
            raise CheckFailed("no starter templates were registered (resources missing?)")
        return f"{', '.join(enabled)} enabled; {len(templates)} templates ({', '.join(templates)})"

    async def check_template(self) -> str:
        """A starter template becomes a project, opened in the window; the Preview paints."""
        from studio.operations.projects import new_project

        templates = {t.name: t for t in self.host.templates()}
        if not templates:
            raise CheckFailed("no starter templates are registered")
        self.template = templates.get(TEMPLATE) or next(iter(templates.values()))
        project = new_project(self.workdir / "game", self.template)
        preview = self.window.preview
        painted: list[float] = []
        preview.first_frame.connect(painted.append)
        self.window.open_project(project)
        self.project = project
        try:
            await wait_until(lambda: painted, TIMEOUTS["template"] - 1)
        except TimeoutError:
            raise CheckFailed(
                f"{self.template.name} opened but the Preview never painted (state "
                f"{preview.state!r}; errors: {errors_text(preview.errors())})"
            ) from None
        finally:
            preview.first_frame.disconnect(painted.append)
        return (
            f"{self.template.name} opened in a temporary project; "
            f"the Preview painted in {painted[0]:.2f} s"
        )

    async def check_preview(self) -> str:
        """The game played in the sandbox with real input: loads, animates, no errors."""
        from studio.sandbox.playtest import QUICK_INPUTS, playtest

        preview = self.window.preview
        preview.set_paused(True)  # the hidden playtest gets the CPU (2 cores are common)
        try:
            # Its screenshot goes to the temporary folder, removed at the end.
            report = await playtest(
                self.project,
                seconds=PLAYTEST_SECONDS,
                inputs=QUICK_INPUTS,  # a quick burst: this checks the sandbox plays, no more
                screenshot=self.workdir / "playtest.png",
            )
        finally:
            preview.set_paused(False)
        if not report.passed:
            raise CheckFailed("; ".join(report.problems()) or "the playtest did not pass")
        fps = f"{report.fps:.0f} fps" if report.fps is not None else "fps unknown"
        return f"{self.template.name} animates ({fps}), no console errors"

    async def check_video(self) -> str:
        """ffmpeg makes a clip and its WebM proxy; QtWebEngine plays the WebM."""
        from studio.core.store import Project
        from studio.media import ffmpeg_path, make_proxy, probe
        from studio.testing.clips import make_test_clip

        try:
            ffmpeg = ffmpeg_path()
        except Exception as exc:  # noqa: BLE001 (FFmpegNotFoundError and friends)
            raise CheckFailed(str(exc)) from None
        folder = self.workdir / "video"
        folder.mkdir()
        loop = asyncio.get_running_loop()
        source = await loop.run_in_executor(
            None,
            lambda: make_test_clip(
                folder / "source.mp4", seconds=CLIP_SECONDS, size=(320, 180), codec="h264"
            ),
        )
        webm = await make_proxy(source, folder / "selftest.webm")
        info = await probe(webm)
        if "vp9" not in info.video_codec.lower():
            raise CheckFailed(f"the proxy is {info.video_codec or 'no'} video, not VP9")

        project = Project.create(self.workdir / "video-page")
        try:
            project.add_asset("selftest.webm", webm)
            version = project.commit({"index.html": VIDEO_PAGE}, parent=None, kind="import")
            played = await self._play(project, version.id)
        finally:
            project.close()
        return (
            f"{info.video_codec} {info.width}x{info.height} WebM made with {Path(ffmpeg).name}; "
            f"QtWebEngine played it (currentTime {played:.2f} s)"
        )

    async def _play(self, project: Any, version_id: int) -> float:
        from PySide6.QtCore import Qt
        from PySide6.QtWebEngineWidgets import QWebEngineView

        from studio.sandbox.page import SandboxPage
        from studio.sandbox.profile import sandbox_profile
        from studio.sandbox.scheme import version_url

        profile = sandbox_profile("playtest")
        profile.handler.mount(project)
        view = QWebEngineView()
        view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        page = SandboxPage(profile, view)
        view.setPage(page)
        view.resize(400, 240)
        view.show()
        errors: list[str] = []
        page.console_entries.connect(
            lambda entries: errors.extend(e.message for e in entries if e.level == "error")
        )
        loaded: list[bool] = []
        page.loadFinished.connect(loaded.append)
        try:
            page.load_game(version_url(project, version_id))
            await wait_until(lambda: loaded, 20)
            if not loaded[0]:
                raise CheckFailed("the video page did not load in QtWebEngine")
            first: float | None = None
            state: dict[str, Any] = {}
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                state = json.loads(await run_js(page, VIDEO_STATE_JS) or "{}")
                if state.get("error"):
                    code = str(state["error"]).split(" ", 1)[0]
                    raise CheckFailed(
                        f"QtWebEngine could not play the WebM: {MEDIA_ERRORS.get(code, '')} "
                        f"({state['error']})"
                    )
                t = float(state.get("t") or 0.0)
                if first is None and t > 0:
                    first = t
                elif first is not None and t > first + 0.2:
                    return t
                await asyncio.sleep(0.1)
            raise CheckFailed(
                f"video.currentTime did not advance (state {state}; "
                f"console errors: {'; '.join(errors) or 'none'})"
            )
        finally:
            profile.handler.unmount(project)
            view.close()
            view.deleteLater()

    async def check_export(self) -> str:
        from studio.export import get_exporter

        exporter = get_exporter(self.host, "html")
        out = self.workdir / "export" / f"{self.template.name}.html"
        out.parent.mkdir()
        result = await exporter.export(self.project, None, out)
        if not out.is_file() or out.stat().st_size == 0:
            raise CheckFailed(f"the exporter reported {result.path} but wrote nothing")
        head = out.read_bytes()[:4096].decode("utf-8", errors="replace").lower()
        if "<html" not in head:
            raise CheckFailed(f"{out.name} does not look like an HTML page")
        files = [p for p in out.parent.iterdir()]
        if files != [out]:
            raise CheckFailed(f"the export wrote more than one file: {[p.name for p in files]}")
        return f"single HTML file {out.name} ({human_size(result.size)})"

    # -- ending --------------------------------------------------------------------------

    async def close(self) -> None:
        from PySide6.QtCore import QCoreApplication, QEvent

        if self.window is not None:
            self.window.close()  # saves layout and settings (in the temporary folder)
            self.window.deleteLater()
            self.window = None
        # The project's job queues close in tasks of their own: they finish on the loop
        # first, since a task cannot take a step inside this one's processEvents below.
        this = asyncio.current_task()
        closing = [t for t in asyncio.all_tasks() if t is not this and not t.done()]
        if closing:
            await asyncio.wait(closing, timeout=5)
        # Pages and views go before the profiles they use (Qt warns otherwise).
        for _ in range(3):
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            QCoreApplication.processEvents()


def errors_text(errors: list[dict]) -> str:
    return "; ".join(str(e.get("message", e)) for e in errors[:3]) or "none"


def _watchdog(limit: float, out: Callable[[str], None]) -> threading.Timer:
    def expire() -> None:
        out(f"FAIL self-test: no answer after {limit:.0f} s; stopped")
        os._exit(3)

    timer = threading.Timer(limit, expire)
    timer.daemon = True
    timer.start()
    return timer


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "self-test",
        help="start the app offscreen and check preview, video and export (same as --self-test)",
    )
    p.set_defaults(handler=lambda _args: run_self_test())


def run_self_test() -> int:
    """Run every check, print one line each, return the exit code (0 when all passed)."""

    def out(line: str) -> None:
        print(line, flush=True)

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="studio-self-test-"))
    # The person's settings, last project and disabled plugins stay out of it.
    os.environ["STUDIO_CONFIG_DIR"] = str(workdir / "config")
    os.environ["STUDIO_PROJECTS_DIR"] = str(workdir / "projects")
    watchdog = _watchdog(HARD_LIMIT, out)
    try:
        from studio import __version__

        out(
            f"Studio {__version__} self-test (Python {sys.version.split()[0]}"
            f"{', frozen' if getattr(sys, 'frozen', False) else ''})"
        )
        results = _run_in_qt(workdir, out)
        took = time.monotonic() - started
        failed = [r.name for r in results if not r.ok]
        if failed:
            out(f"self-test FAILED: {', '.join(failed)} ({len(failed)} of {len(results)} checks)")
            return 1
        out(f"self-test passed: {len(results)} checks in {took:.1f} s")
        return 0
    finally:
        watchdog.cancel()
        shutil.rmtree(workdir, ignore_errors=True)


def _run_in_qt(workdir: Path, out: Callable[[str], None]) -> list[Result]:
    from studio.qt.startup import run_headless

    test = SelfTest(workdir, out)

    async def run() -> None:
        from PySide6.QtWidgets import QApplication

        test.app = QApplication.instance()
        test.app.setApplicationName("Studio")
        test.app.setOrganizationName("Studio")
        try:
            await test.run()
        finally:
            await test.close()

    run_headless(run)
    return test.results
