"""Where ffmpeg lives, and running it as an asyncio subprocess with progress and cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.media.errors import FFmpegNotFoundError, MediaError

ENV_VAR = "STUDIO_FFMPEG"

ProgressCallback = Callable[[float], None]

# How often ffmpeg reports progress; 0.25 s keeps a progress bar lively without noise.
STATS_PERIOD = "0.25"

# The settings.json key a person sets in Settings › Video (a path, or a name on PATH).
SETTING = "ffmpeg_path"

# How long `ffmpeg_version` waits for `-version`: a real ffmpeg answers in milliseconds.
VERSION_TIMEOUT = 10.0

_override: str | None = None


def set_ffmpeg_path(path: str | os.PathLike[str] | None) -> None:
    """Use this ffmpeg binary in this process (tests, a command-line flag), whatever the
    environment and settings say; None removes the override."""
    global _override
    _override = os.fspath(path) if path is not None else None


def ffmpeg_path() -> str:
    """The ffmpeg binary to run; raises FFmpegNotFoundError with a clear message if missing.

    Order of precedence: `set_ffmpeg_path`, the ``STUDIO_FFMPEG`` environment variable, the
    ``ffmpeg_path`` setting (settings.json), then the binary in the ``imageio-ffmpeg`` wheel.
    """
    if _override:
        return _resolve(_override, "Studio's ffmpeg override")
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return _resolve(from_env, f"the {ENV_VAR} environment variable")
    from_settings = _setting()
    if from_settings:
        return _resolve(from_settings, "the ffmpeg path in Settings")
    return bundled_ffmpeg()


def _setting() -> str:
    from studio.config.settings import stored_value  # late: most media work never needs it

    value = stored_value(SETTING)
    return value.strip() if isinstance(value, str) else ""


def bundled_ffmpeg() -> str:
    """The binary shipped in the ``imageio-ffmpeg`` wheel."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as exc:
        raise FFmpegNotFoundError(
            "ffmpeg was not found: the imageio-ffmpeg package has no binary for this system. "
            f"Install ffmpeg and set its path in Settings › Video (or {ENV_VAR}).",
            details=str(exc),
        ) from exc


async def ffmpeg_version(candidate: str) -> str:
    """Check that `candidate` (a path, or a name on PATH) is an ffmpeg that runs: its first
    `-version` line, or FFmpegNotFoundError saying what is wrong with it."""
    exe = _resolve(candidate, "the path given")
    try:
        result = await asyncio.wait_for(
            run_ffmpeg([exe, "-version"], capture_stdout=True), VERSION_TIMEOUT
        )
    except TimeoutError:
        raise FFmpegNotFoundError(
            f"{exe} did not answer `-version` within {VERSION_TIMEOUT:.0f} s: "
            "it does not seem to be ffmpeg."
        ) from None
    first = result.stdout.decode("utf-8", errors="replace").strip().splitlines()[:1]
    if result.ok and first and first[0].startswith("ffmpeg version"):
        return first[0]
    said = repr(first[0][:120]) if first else "nothing" if result.ok else repr(result.summary())
    raise FFmpegNotFoundError(f"{exe} does not seem to be ffmpeg: `-version` answered {said}.")


def _resolve(candidate: str, source: str) -> str:
    if os.sep in candidate or (os.altsep and os.altsep in candidate):
        path = Path(candidate).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        problem = "is not executable" if path.is_file() else "does not exist"
        raise FFmpegNotFoundError(
            f"ffmpeg was not found: {path} (from {source}) {problem}. "
            "Install ffmpeg or correct the path."
        )
    found = shutil.which(candidate)
    if found is None:
        raise FFmpegNotFoundError(
            f"ffmpeg was not found: no program named {candidate!r} (from {source}) is on PATH."
        )
    return found


def compile_command(stream: Any, *, progress: bool = True, loglevel: str = "error") -> list[str]:
    """Turn an ffmpeg-python output stream into an argument list for :func:`run_ffmpeg`.

    Every command is quiet except for errors, never reads stdin, overwrites its (temporary)
    output, and, when ``progress`` is set, writes machine-readable progress to stdout.
    """
    head = [ffmpeg_path(), "-hide_banner", "-nostdin", "-loglevel", loglevel, "-y"]
    if progress:
        head += ["-progress", "pipe:1", "-nostats", "-stats_period", STATS_PERIOD]
    return list(stream.compile(cmd=head))


@dataclass
class FFmpegResult:
    """What a finished ffmpeg run left behind."""

    returncode: int
    stderr_lines: list[str]
    stdout: bytes = b""
    # The last values of ffmpeg's progress report (frame, out_time_us, ...).
    progress: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def out_time(self) -> float | None:
        """How far ffmpeg got, in seconds of output, if it reported progress."""
        return progress_seconds(self.progress)

    def summary(self) -> str:
        """The last meaningful stderr lines, joined, or a note about the exit code."""
        lines = meaningful_lines(self.stderr_lines)
        if lines:
            return "; ".join(lines[-3:])
        if self.returncode < 0:
            return f"ffmpeg was stopped by signal {-self.returncode}"
        return f"ffmpeg exited with code {self.returncode}"


# A log line's context prefix like "[in#0/mov,mp4 @ 0x55d0c0a8e040] " or a level tag "[error] ".
_PREFIX = re.compile(r"^(?:\[[^\]]*\]\s*)+")
# Lines that say only that something failed, not what.
_GENERIC = re.compile(
    r"^(Conversion failed!|Error opening (input|output) files?:.*|"
    r"Error opening (input|output) file .*|Exiting normally.*|Last message repeated \d+ times)$"
)


def meaningful_lines(lines: Sequence[str]) -> list[str]:
    """Strip log prefixes and drop blank and purely generic lines, without duplicates."""
    kept: list[str] = []
    for raw in lines:
        line = _PREFIX.sub("", raw.strip()).strip()
        if not line or _GENERIC.match(line) or line in kept:
            continue
        kept.append(line)
    return kept


def progress_seconds(report: dict[str, str]) -> float | None:
    """Seconds of output in an ffmpeg ``-progress`` report (None if not known yet)."""
    # out_time_ms is in microseconds too (a long-standing ffmpeg quirk), so both read the same.
    for key in ("out_time_us", "out_time_ms"):
        value = report.get(key, "")
        try:
            return max(0.0, int(value) / 1_000_000)
        except ValueError:
            continue
    match = re.fullmatch(r"(-?)(\d+):(\d+):(\d+(?:\.\d+)?)", report.get("out_time", ""))
    if match:
        sign, h, m, s = match.groups()
        return 0.0 if sign else int(h) * 3600 + int(m) * 60 + float(s)
    return None


class _StderrBuffer:
    """Keeps the head (stream information) and the tail (errors) of a possibly long log."""

    HEAD = 400
    TAIL = 400

    def __init__(self) -> None:
        self.head: list[str] = []
        self.tail: deque[str] = deque(maxlen=self.TAIL)
        self._partial = ""

    def feed(self, chunk: str) -> None:
        text = self._partial + chunk
        *lines, self._partial = re.split(r"\r\n|\r|\n", text)
        for line in lines:
            self._add(line)

    def close(self) -> None:
        if self._partial:
            self._add(self._partial)
            self._partial = ""

    def _add(self, line: str) -> None:
        if len(self.head) < self.HEAD:
            self.head.append(line)
        else:
            self.tail.append(line)

    def lines(self) -> list[str]:
        return [*self.head, *self.tail]


async def _read_stderr(stream: asyncio.StreamReader, buffer: _StderrBuffer) -> None:
    while chunk := await stream.read(65536):
        buffer.feed(chunk.decode("utf-8", errors="replace"))
    buffer.close()


async def _read_progress(
    stream: asyncio.StreamReader,
    report: dict[str, str],
    duration: float | None,
    on_progress: ProgressCallback | None,
) -> float:
    """Parse ``key=value`` blocks; each ends with ``progress=continue|end``.

    Reports fractions strictly increasing and below 1.0; 1.0 is kept for success.
    Returns the last fraction reported (-1.0 if none).
    """
    last = -1.0
    while line := await stream.readline():
        key, sep, value = line.decode("utf-8", errors="replace").strip().partition("=")
        if not sep:
            continue
        report[key] = value.strip()
        if key != "progress" or on_progress is None or not duration or duration <= 0:
            continue
        seconds = progress_seconds(report)
        if seconds is None:
            continue
        fraction = min(seconds / duration, 0.99)
        if fraction > last:
            last = fraction
            on_progress(fraction)
    return last


def _platform_kwargs() -> dict[str, Any]:
    if sys.platform == "win32":
        # A desktop app must not flash a console window for every ffmpeg run.
        return {"creationflags": subprocess.CREATE_NO_WINDOW}
    return {}


async def run_ffmpeg(
    argv: Sequence[str],
    *,
    duration: float | None = None,
    on_progress: ProgressCallback | None = None,
    capture_stdout: bool = False,
) -> FFmpegResult:
    """Run ffmpeg and wait for it; never raises for a non-zero exit (see ``FFmpegResult.ok``).

    With ``capture_stdout`` stdout is collected as bytes (e.g. an image written to pipe:1);
    otherwise stdout is read as a ``-progress`` report and, given the expected output
    ``duration`` in seconds, ``on_progress`` receives increasing fractions and 1.0 on success.

    If the awaiting task is cancelled (or ``on_progress`` raises), ffmpeg is killed and
    reaped before the exception propagates.
    """
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            **_platform_kwargs(),
        )
    except OSError as exc:
        raise FFmpegNotFoundError(
            f"ffmpeg could not be started ({argv[0]}): {exc.strerror or exc}"
        ) from exc
    assert proc.stdout is not None and proc.stderr is not None

    buffer = _StderrBuffer()
    report: dict[str, str] = {}
    stdout = b""
    last = -1.0
    stderr_task = asyncio.ensure_future(_read_stderr(proc.stderr, buffer))
    try:
        if capture_stdout:
            stdout = await proc.stdout.read()
        else:
            last = await _read_progress(proc.stdout, report, duration, on_progress)
        await stderr_task
        returncode = await proc.wait()
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            # Shielded so that a second cancellation cannot leave the process unreaped.
            await asyncio.shield(proc.wait())
        if not stderr_task.done():
            stderr_task.cancel()
            await asyncio.wait([stderr_task])

    if returncode == 0 and on_progress is not None and duration and last < 1.0:
        on_progress(1.0)
    return FFmpegResult(returncode, buffer.lines(), stdout, report)


def failure(action: str, result: FFmpegResult, path: Path | None = None) -> MediaError:
    """A MediaError for a failed run: ``"{action}: {what ffmpeg said}"``."""
    details = "\n".join(result.stderr_lines[-30:])
    return MediaError(f"{action}: {result.summary()}", path=path, details=details)
