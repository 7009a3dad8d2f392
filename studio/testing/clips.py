"""Real little clips for tests: a moving test pattern (testsrc2) and a 440 Hz tone.

Synchronous on purpose: test fixtures and test servers call it outside any event loop.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Literal

import ffmpeg

from studio.media.errors import MediaError
from studio.media.ffmpeg import FFmpegResult, compile_command, failure
from studio.media.files import PathLike, arg_path, atomic_output

Codec = Literal["h264", "vp9"]

_VIDEO: dict[Codec, dict[str, Any]] = {
    "h264": {"c:v": "libx264", "preset": "ultrafast", "pix_fmt": "yuv420p"},
    "vp9": {"c:v": "libvpx-vp9", "deadline": "realtime", "cpu-used": 8, "pix_fmt": "yuv420p"},
}
_AUDIO: dict[Codec, dict[str, Any]] = {
    "h264": {"c:a": "aac", "b:a": "64k"},
    "vp9": {"c:a": "libopus", "b:a": "48k"},
}
_MUXER_BY_SUFFIX = {
    ".mp4": "mp4",
    ".m4v": "mp4",
    ".mov": "mov",
    ".mkv": "matroska",
    ".webm": "webm",
}


def make_test_clip(
    path: PathLike,
    seconds: float = 1.0,
    size: tuple[int, int] = (160, 90),
    fps: float = 25,
    codec: Codec = "h264",
    audio: bool = True,
    *,
    faststart: bool = False,
    keyframe_interval: int | None = None,
) -> Path:
    """Write a clip of ``seconds`` and return its path; every frame differs from the last.

    H.264 goes with AAC, VP9 with Opus; the container follows the suffix (.mp4, .mov,
    .mkv, .webm; H.264 cannot go in .webm). ``faststart`` puts an MP4's index first;
    ``keyframe_interval`` (in frames) overrides the encoder's, which is long (250 frames).
    """
    path = Path(path)
    width, height = size
    if codec not in _VIDEO:
        raise ValueError(f"codec must be 'h264' or 'vp9', not {codec!r}")
    if seconds <= 0 or fps <= 0 or width <= 0 or height <= 0:
        raise ValueError("seconds, fps and size must be positive")
    if width % 2 or height % 2:
        raise ValueError(f"yuv420p needs an even size, not {width}x{height}")
    muxer = _MUXER_BY_SUFFIX.get(path.suffix.lower())
    if muxer is None or (muxer == "webm" and codec != "vp9"):
        raise ValueError(f"Cannot write {codec} into {path.name}")

    pattern = ffmpeg.input(f"testsrc2=size={width}x{height}:rate={fps}", format="lavfi")
    streams = [pattern["v"]]
    options = dict(_VIDEO[codec])
    if audio:
        streams.append(ffmpeg.input("sine=frequency=440:sample_rate=48000", format="lavfi")["a"])
        options |= _AUDIO[codec]
    if keyframe_interval is not None:
        options["g"] = keyframe_interval
    if faststart and muxer in ("mp4", "mov"):
        options["movflags"] = "+faststart"

    with atomic_output(path) as tmp:
        command = ffmpeg.output(*streams, arg_path(tmp), format=muxer, t=seconds, **options)
        argv = compile_command(command, progress=False)
        try:
            done = subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL, check=False)
        except OSError as exc:
            raise MediaError(f"ffmpeg could not be started ({argv[0]}): {exc}") from exc
        if done.returncode != 0:
            lines = done.stderr.decode("utf-8", errors="replace").splitlines()
            result = FFmpegResult(done.returncode, lines)
            raise failure(f"Could not make the test clip {path.name}", result, path)
    return path
