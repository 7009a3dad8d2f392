"""What a video file holds, read from ffmpeg's own report (there is no ffprobe).

``probe`` reads the header and the packets of the last second, which catches files cut short
by an interrupted download or copy while staying fast. ``verify`` decodes everything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import ffmpeg

from studio.media.errors import MediaError
from studio.media.ffmpeg import (
    FFmpegResult,
    ProgressCallback,
    compile_command,
    meaningful_lines,
    run_ffmpeg,
)
from studio.media.files import PathLike, arg_path, check_input

# How much of the end `probe` reads: a truncated file fails there.
TAIL_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """A readable video file. Width and height are as displayed (rotation applied)."""

    path: Path
    duration: float
    width: int
    height: int
    fps: float
    video_codec: str
    audio_codec: str | None
    container: str = ""
    rotation: int = 0

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)


@dataclass
class StreamHeader:
    index: int
    kind: str  # "video", "audio", "subtitle", "data", "attachment"
    codec: str
    width: int = 0
    height: int = 0
    fps: float = 0.0
    rotation: int = 0
    attached_pic: bool = False


@dataclass
class InputHeader:
    container: str
    duration: float | None = None
    streams: list[StreamHeader] = field(default_factory=list)

    @property
    def video(self) -> StreamHeader | None:
        # Cover art in audio files shows up as a video stream; it is not a video.
        return next((s for s in self.streams if s.kind == "video" and not s.attached_pic), None)

    @property
    def audio(self) -> StreamHeader | None:
        return next((s for s in self.streams if s.kind == "audio"), None)


_LEVEL = re.compile(r"^(?:\[[^\]]*\] )*\[(panic|fatal|error|warning|info|verbose|debug|trace)\] ?")
_INPUT = re.compile(r"^Input #0, (.*), from '.*':\s*$")
_DURATION = re.compile(r"^\s*Duration: (?:N/A|(\d+):(\d+):(\d+(?:\.\d+)?))")
_STREAM = re.compile(r"^\s*Stream #0:(\d+)\S*: (\w+): (.*)$")
_SIZE = re.compile(r"(?:^|, )(\d+)x(\d+)(?=[\s,\[]|$)")
_FPS = re.compile(r"(\d+(?:\.\d+)?)(k?) (?:fps|tbr)\b")
_ROTATION = re.compile(r"display ?matrix: rotation of (-?\d+(?:\.\d+)?) degrees", re.IGNORECASE)
_ERROR_LEVELS = {"panic", "fatal", "error"}


def split_level(line: str) -> tuple[str | None, str]:
    """Split a ``-loglevel level+...`` line into (level, text); untagged lines give None."""
    match = _LEVEL.match(line)
    if match is None:
        return None, line
    return match.group(1), line[match.end() :]


def parse_header(lines: Sequence[str]) -> InputHeader | None:
    """Read the ``Input #0`` section of ffmpeg's log, or None if ffmpeg could not open it."""
    header: InputHeader | None = None
    for line in lines:
        _, text = split_level(line)
        if header is None:
            if match := _INPUT.match(text):
                header = InputHeader(container=match.group(1))
            continue
        if text.startswith(("Input #", "Output #", "Stream mapping:")):
            break
        if match := _DURATION.match(text):
            if match.group(1) is not None:
                h, m, s = match.groups()
                header.duration = int(h) * 3600 + int(m) * 60 + float(s)
        elif match := _STREAM.match(text):
            header.streams.append(_parse_stream(int(match.group(1)), match.group(2), match[3]))
        elif (match := _ROTATION.search(text)) and header.streams:
            header.streams[-1].rotation = round(float(match.group(1)))
    return header


def _parse_stream(index: int, kind: str, details: str) -> StreamHeader:
    codec = details.split(maxsplit=1)[0].rstrip(",") if details.strip() else "unknown"
    stream = StreamHeader(index=index, kind=kind.lower(), codec=codec)
    if stream.kind != "video":
        return stream
    stream.attached_pic = "(attached pic)" in details
    if size := _SIZE.search(details):
        stream.width, stream.height = int(size.group(1)), int(size.group(2))
    if fps := _FPS.search(details):  # "fps" comes before "tbr" when both are there
        stream.fps = float(fps.group(1)) * (1000 if fps.group(2) else 1)
    return stream


def _error_lines(result: FFmpegResult) -> list[str]:
    return [line for line in result.stderr_lines if split_level(line)[0] in _ERROR_LEVELS]


def _details(lines: Sequence[str]) -> str:
    return "; ".join(meaningful_lines(lines)[-3:])


def _unreadable(path: Path, result: FFmpegResult) -> MediaError:
    """Explain why ffmpeg could not open ``path`` at all."""
    name = path.name
    log = "\n".join(result.stderr_lines)
    details = _details(_error_lines(result) or result.stderr_lines)
    if "No such file or directory" in log:
        message = f"{name} does not exist"
    elif "Permission denied" in log:
        message = f"{name} cannot be read (permission denied)"
    elif "moov atom not found" in log and "low score" not in log:
        # An MP4 whose index (written last) is missing: the download or copy was cut short.
        message = f"{name} is incomplete or damaged (ffmpeg could not read it)"
    else:
        message = f"{name} is not a video file (ffmpeg could not read it)"
    return MediaError(message, path=path, details=details)


def _is_image(container: str) -> bool:
    return container == "image2" or container.endswith("_pipe")


async def probe(path: PathLike) -> MediaInfo:
    """Read duration, size, codecs and frame rate; raise MediaError if the file is unusable.

    Besides the header, the packets of the last second are read: a truncated file (an
    interrupted download) fails there. Damage elsewhere needs :func:`verify`.
    """
    path = check_input(path)
    name = path.name
    source = ffmpeg.input(arg_path(path), sseof=-TAIL_SECONDS)
    # Reading the packets without decoding them is enough: missing data shows up in the
    # demuxer and parsers, and the cost no longer grows with the distance between keyframes.
    # "V" (capital) skips cover art; "?" keeps a file without such a stream from failing here.
    command = ffmpeg.output(source["V:0?"], source["a:0?"], "-", format="null", c="copy")
    result = await run_ffmpeg(compile_command(command, loglevel="level+info"))

    header = parse_header(result.stderr_lines)
    if header is None:
        raise _unreadable(path, result)
    video = header.video
    if video is None:
        if header.audio is not None:
            raise MediaError(f"{name} has no video track (it is an audio file)", path=path)
        raise MediaError(f"{name} is not a video file (it has no video stream)", path=path)
    if _is_image(header.container):
        raise MediaError(f"{name} is an image, not a video", path=path)
    errors = _error_lines(result)
    if errors or not result.ok:
        raise MediaError(
            f"{name} is damaged or incomplete (its end is missing or unreadable)",
            path=path,
            details="\n".join(meaningful_lines(errors or result.stderr_lines)[-30:]),
        )
    # Without a duration in the header ffmpeg ignores -sseof and reads everything, so the
    # length read is the duration.
    duration = header.duration or result.out_time or 0.0
    if duration <= 0 or video.width <= 0 or video.height <= 0:
        raise MediaError(f"{name} has no playable video", path=path)
    width, height = video.width, video.height
    if video.rotation % 180 == 90:  # -90 % 180 == 90 too
        width, height = height, width
    audio = header.audio
    return MediaInfo(
        path=path,
        duration=duration,
        width=width,
        height=height,
        fps=video.fps,
        video_codec=video.codec,
        audio_codec=audio.codec if audio else None,
        container=header.container,
        rotation=video.rotation,
    )


async def verify(path: PathLike, *, on_progress: ProgressCallback | None = None) -> MediaInfo:
    """Decode the whole file; raise MediaError if any part of it is damaged or missing.

    Slower than :func:`probe` (a full decode), so it is meant for import, where a broken
    file should be refused before it becomes part of a project.
    """
    info = await probe(path)
    name = info.path.name
    source = ffmpeg.input(arg_path(info.path))
    command = ffmpeg.output(source["V:0"], source["a:0?"], "-", format="null")
    result = await run_ffmpeg(
        compile_command(command, loglevel="error"), duration=info.duration, on_progress=on_progress
    )
    problems = meaningful_lines(result.stderr_lines)
    if problems or not result.ok:
        raise MediaError(
            f"{name} is damaged (ffmpeg found errors while decoding it)",
            path=info.path,
            details="\n".join(problems[-30:]) or result.summary(),
        )
    decoded = result.out_time
    if decoded is not None and decoded < info.duration - max(0.5, 0.05 * info.duration):
        raise MediaError(
            f"{name} is incomplete: it should last {info.duration:.1f} s "
            f"but only {decoded:.1f} s could be decoded",
            path=info.path,
        )
    return info
