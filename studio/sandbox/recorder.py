"""Gameplay recording: grab the running game's frames and encode them with ffmpeg.

Why grabbing and not `MediaRecorder` in the page: it works for every game (canvas, WebGL
or DOM), needs nothing from the game, works offscreen, and keeps the sandbox closed (no
data channel out of the page). A grab of the view costs well under a millisecond with
software rendering (see benchmarks/bench_video.py for the effect on the game's frame rate).

Timing: frames are written on a wall-clock schedule at `fps`. When a grab comes late, the
last picture is repeated so that the video lasts exactly as long as the recording did.
Raw BGRA frames go to ffmpeg's stdin; it encodes H.264 `ultrafast` while recording (cheap,
so the game keeps its frame rate) and the clip's WebM proxy is made afterwards by
`studio.core.assets.import_video`, like any other clip.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage

from studio.core import assets
from studio.core.assets import Clip
from studio.core.store import Project
from studio.errors import StudioError

log = logging.getLogger(__name__)

DEFAULT_FPS = 30
MAX_SIDE = 1280
# ffmpeg far behind (more than this many bytes waiting in the pipe) means the machine
# cannot keep up; rather than eat memory, the recording stops with what it has.
MAX_BACKLOG = 256 << 20

Grab = Callable[[], QImage]


@dataclass(frozen=True)
class Recording:
    path: Path
    seconds: float  # length of the video
    frames: int  # frames in the video
    grabs: int  # pictures actually taken (the rest are repeats of late ones)
    stopped_early: bool


class _FrameEncoder:
    """ffmpeg reading raw frames from stdin, writing an H.264 MP4."""

    def __init__(self, dest: Path, size: QSize, fps: int) -> None:
        self.dest = dest
        self.size = size
        self.fps = fps
        self.proc: asyncio.subprocess.Process | None = None
        self._stderr = b""
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        import ffmpeg

        from studio.media.ffmpeg import compile_command
        from studio.media.filters import fit_within

        pix_fmt = "bgra" if sys.byteorder == "little" else "argb"  # QImage.Format_ARGB32
        source = ffmpeg.input(
            "pipe:0",
            format="rawvideo",
            pix_fmt=pix_fmt,
            s=f"{self.size.width()}x{self.size.height()}",
            framerate=self.fps,
        )
        video = fit_within(source, MAX_SIDE, even=True)
        out = ffmpeg.output(
            video,
            str(self.dest.absolute()),
            format="mp4",
            vcodec="libx264",
            preset="ultrafast",
            crf=18,
            pix_fmt="yuv420p",
            r=self.fps,
        )
        argv = compile_command(out, progress=False)
        try:
            self.proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise StudioError(f"ffmpeg could not be started ({argv[0]}): {exc}") from exc
        self._reader = asyncio.ensure_future(self._read_stderr())

    async def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        self._stderr = await self.proc.stderr.read()

    @property
    def backlog(self) -> int:
        assert self.proc is not None and self.proc.stdin is not None
        transport = self.proc.stdin.transport
        return transport.get_write_buffer_size() if transport else 0

    async def write(self, frame: bytes, count: int) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        for _ in range(count):
            self.proc.stdin.write(frame)
        try:
            await self.proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            await self._failed()

    async def finish(self) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.proc.stdin.close()
            await self.proc.stdin.wait_closed()
        code = await self.proc.wait()
        if self._reader is not None:
            await self._reader
        if code != 0:
            await self._failed()

    async def _failed(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            await self.proc.wait()
        if self._reader is not None:
            await self._reader
        lines = [ln for ln in self._stderr.decode(errors="replace").splitlines() if ln.strip()]
        reason = "; ".join(lines[-2:]) or f"ffmpeg exited with code {self.proc.returncode}"
        raise StudioError(f"Could not encode the recording: {reason}")

    async def abort(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await asyncio.shield(self.proc.wait())
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()


# 32-bit formats whose bytes are B, G, R, A on little-endian machines (A, R, G, B on big):
# for the opaque pictures a view shows, premultiplied or not makes no difference.
_BGRA_FORMATS = {
    QImage.Format.Format_RGB32,
    QImage.Format.Format_ARGB32,
    QImage.Format.Format_ARGB32_Premultiplied,
}


def _frame_bytes(image: QImage, size: QSize) -> bytes:
    if image.size() != size:  # the view was resized while recording: keep the first size
        image = image.scaled(
            size,
            Qt.AspectRatioMode.IgnoreAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    if image.format() not in _BGRA_FORMATS:
        image = image.convertToFormat(QImage.Format.Format_RGB32)
    row, line = size.width() * 4, image.bytesPerLine()
    bits = memoryview(image.constBits())
    if line == row:
        return bits[: row * size.height()].tobytes()
    return b"".join(bits[y * line : y * line + row] for y in range(size.height()))


def _import_encoder_modules() -> None:
    import ffmpeg  # noqa: F401

    import studio.media.ffmpeg  # noqa: F401
    import studio.media.filters  # noqa: F401


class GameRecorder(QObject):
    """Records `seconds` of whatever `grab()` returns; `stop()` ends it early.

    Signals: `progress(recorded, wanted)` in seconds, `state_changed(str)`: recording,
    encoding, done, failed, stopped.
    """

    progress = Signal(float, float)
    state_changed = Signal(str)

    def __init__(self, grab: Grab, *, fps: int = DEFAULT_FPS, parent: QObject | None = None):
        super().__init__(parent)
        self.grab = grab
        self.fps = fps
        self._stop = asyncio.Event()
        self.active = False

    def stop(self) -> None:
        self._stop.set()

    async def record(self, seconds: float, dest: Path | str) -> Recording:
        """Record to `dest` (an H.264 MP4) and return what was recorded."""
        if self.active:
            raise StudioError("A recording is already running.")
        if seconds <= 0:
            raise StudioError("The recording length must be more than 0 seconds.")
        dest = Path(dest)
        # ffmpeg-python and the media layer take ~0.1 s to import: not on the GUI thread.
        await asyncio.to_thread(_import_encoder_modules)
        first = self.grab()
        if first.isNull() or first.width() < 2 or first.height() < 2:
            raise StudioError("There is no game picture to record (is the Preview showing?).")
        size = first.size()
        encoder = _FrameEncoder(dest, size, self.fps)
        self.active = True
        self._stop = asyncio.Event()
        self.state_changed.emit("recording")
        total = max(1, round(seconds * self.fps))
        written = grabs = 0
        frame = _frame_bytes(first, size)
        try:
            await encoder.start()
            started = time.perf_counter()
            while written < total and not self._stop.is_set():
                due = min(total, int((time.perf_counter() - started) * self.fps) + 1)
                if due > written:
                    if grabs:
                        frame = _frame_bytes(self.grab(), size)
                    grabs += 1
                    await encoder.write(frame, due - written)
                    written = due
                    self.progress.emit(written / self.fps, total / self.fps)
                    if encoder.backlog > MAX_BACKLOG:
                        log.warning("recording stopped: ffmpeg cannot keep up")
                        break
                next_at = started + written / self.fps
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._stop.wait(), max(0.0, next_at - time.perf_counter())
                    )
            self.state_changed.emit("encoding")
            await encoder.finish()
        except BaseException:
            await encoder.abort()
            with contextlib.suppress(OSError):
                dest.unlink(missing_ok=True)
            self.state_changed.emit("failed")
            raise
        finally:
            self.active = False
        early = written < total
        self.state_changed.emit("stopped" if early else "done")
        return Recording(dest, written / self.fps, written, grabs, early)


async def record_clip(
    project: Project,
    grab: Grab,
    seconds: float,
    *,
    recorder: GameRecorder | None = None,
    version_id: int | None = None,
    on_progress: Any = None,
) -> Clip:
    """Record the game and keep it as a clip (MP4 original, WebM proxy, thumbnail)."""
    recorder = recorder or GameRecorder(grab)
    with tempfile.TemporaryDirectory(prefix="studio-record-") as folder:
        name = f"gameplay-v{version_id}" if version_id else "gameplay"
        recording = await recorder.record(seconds, Path(folder) / f"{name}.mp4")
        meta = {"version": version_id, "recorded_seconds": recording.seconds}
        return await assets.import_video(
            project,
            recording.path,
            name=name,
            source="recorded",
            meta=meta,
            on_progress=on_progress,
        )


async def export_recording(src: Path, dest: Path | str, *, on_progress: Any = None) -> Path:
    """Write a recording as `dest`: .mp4 (H.264, index first), .webm (VP9) or .gif."""
    from studio.media import export_gif, export_mp4, make_proxy

    dest = Path(dest)
    suffix = dest.suffix.lower()
    if suffix in (".mp4", ".m4v", ".mov"):
        return await export_mp4(src, dest, on_progress=on_progress)
    if suffix == ".webm":
        return await make_proxy(src, dest, on_progress=on_progress)
    if suffix == ".gif":
        return await export_gif(src, dest, on_progress=on_progress)
    raise StudioError(f"Cannot write a recording as {dest.name}: use .mp4, .webm or .gif")


# -- headless: the `studio record` command ----------------------------------------------


class HeadlessGame:
    """A version of a game running in a hidden sandboxed view (the playtest profile)."""

    def __init__(self, project: Project, version_id: int | None, size: tuple[int, int]) -> None:
        from PySide6.QtWebEngineWidgets import QWebEngineView

        from studio.sandbox.frames import PaintedFrames
        from studio.sandbox.page import SandboxPage
        from studio.sandbox.profile import sandbox_profile
        from studio.sandbox.scheme import version_url

        self.version_id = project.resolve(version_id)
        profile = sandbox_profile("playtest")
        profile.handler.mount(project)
        self.view = QWebEngineView()
        self.view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        self.page = SandboxPage(profile, self.view)
        self.view.setPage(self.page)
        self.view.resize(*size)
        self.view.show()
        self.frames = PaintedFrames(self.view, self.view)
        self._loaded: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.page.loadFinished.connect(
            lambda ok: self._loaded.done() or self._loaded.set_result(bool(ok))
        )
        self.page.load_game(version_url(project, self.version_id))

    async def ready(self, timeout: float = 20.0) -> None:
        try:
            ok = await asyncio.wait_for(self._loaded, timeout)
        except TimeoutError:
            raise StudioError(f"The game did not load within {timeout:.0f} s.") from None
        if not ok:
            raise StudioError("The game could not be loaded.")
        # The first frames: the page paints after load, and a recording should not start black.
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and not self.frames.total:
            await asyncio.sleep(0.05)

    def grab(self) -> QImage:
        return self.view.grab().toImage()

    def close(self) -> None:
        self.frames.stop()
        self.view.close()
        self.page.deleteLater()
        self.view.deleteLater()


async def record_game(
    project: Project,
    seconds: float,
    out: Path | str,
    *,
    version_id: int | None = None,
    size: tuple[int, int] = (800, 600),
    on_progress: Callable[[float, float], None] | None = None,
) -> Recording:
    """Load a version offscreen, record `seconds` of it and write `out` (.mp4/.webm/.gif)."""
    game = HeadlessGame(project, version_id, size)
    try:
        await game.ready()
        recorder = GameRecorder(game.grab)
        if on_progress is not None:
            recorder.progress.connect(on_progress)
        with tempfile.TemporaryDirectory(prefix="studio-record-") as folder:
            recording = await recorder.record(seconds, Path(folder) / "recording.mp4")
            path = await export_recording(recording.path, out)
        return Recording(
            path, recording.seconds, recording.frames, recording.grabs, recording.stopped_early
        )
    finally:
        game.close()
