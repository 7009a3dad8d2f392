"""Making new videos: WebM proxies, trims, joins, MP4 and GIF exports.

Every operation probes its inputs first (clear errors, known duration for progress),
writes to a temporary file beside the destination and renames it only on success.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import ffmpeg

from studio.media.ffmpeg import ProgressCallback, compile_command, failure, run_ffmpeg
from studio.media.files import PathLike, arg_path, atomic_output
from studio.media.filters import MaxSize, fit_exactly, fit_within, square_pixels
from studio.media.probe import MediaInfo, probe

Container = Literal["mp4", "webm"]

_CONTAINER_BY_SUFFIX: dict[str, Container] = {
    ".mp4": "mp4",
    ".m4v": "mp4",
    ".mov": "mp4",
    ".webm": "webm",
}
# What QtWebEngine and browsers play (WebM) and what everything else plays (MP4).
_MUXER: dict[Container, str] = {"mp4": "mp4", "webm": "webm"}
_AUDIO: dict[Container, dict[str, Any]] = {
    "mp4": {"c:a": "aac", "b:a": "128k"},
    "webm": {"c:a": "libopus", "b:a": "96k"},
}
DEFAULT_PROXY_SIZE = 1280
# Sample rate and layout every part of a join is brought to, so the concat filter accepts them.
_JOIN_AUDIO = {"sample_fmts": "fltp", "sample_rates": 48000, "channel_layouts": "stereo"}


def _video_args(
    container: Container, fps: float, *, crf: int | None, preset: str
) -> dict[str, Any]:
    # A keyframe every two seconds keeps scrubbing in the preview quick.
    gop = max(1, round((fps or 30) * 2))
    if container == "webm":
        # Realtime speed settings: a proxy should take a fraction of the clip's length on
        # two cores; row-mt spreads one frame over all of them.
        return {
            "c:v": "libvpx-vp9",
            "deadline": "realtime",
            "cpu-used": 8,
            "row-mt": 1,
            "crf": 33 if crf is None else crf,
            "b:v": 0,
            "g": gop,
            "pix_fmt": "yuv420p",
        }
    return {
        "c:v": "libx264",
        "preset": preset,
        "crf": 23 if crf is None else crf,
        "g": gop,
        "pix_fmt": "yuv420p",
        # The index goes first so the file plays while it downloads.
        "movflags": "+faststart",
    }


def _container_of(dest: Path) -> Container:
    try:
        return _CONTAINER_BY_SUFFIX[dest.suffix.lower()]
    except KeyError:
        hint = " (use export_gif for GIFs)" if dest.suffix.lower() == ".gif" else ""
        raise ValueError(f"Cannot write {dest.name}: use .mp4 or .webm{hint}") from None


async def _encode(
    dest: PathLike,
    build: Callable[[str], Any],
    *,
    duration: float,
    on_progress: ProgressCallback | None,
    action: str,
) -> Path:
    """Run the command ``build(output_name)`` into a temporary file, then move it to dest."""
    dest = Path(dest)
    with atomic_output(dest) as tmp:
        argv = compile_command(build(arg_path(tmp)))
        result = await run_ffmpeg(argv, duration=duration, on_progress=on_progress)
        if not result.ok:
            raise failure(action, result, dest)
    return dest


async def make_proxy(
    src: PathLike,
    dest: PathLike,
    *,
    max_size: MaxSize | None = DEFAULT_PROXY_SIZE,
    fps: float | None = None,
    crf: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> Path:
    """A WebM (VP9 + Opus) copy that QtWebEngine and games can play, no larger than max_size."""
    info = await probe(src)
    return await _transcode(
        info,
        dest,
        "webm",
        max_size=max_size,
        fps=fps,
        crf=crf,
        on_progress=on_progress,
        action=f"Could not make a preview copy of {info.path.name}",
    )


async def export_mp4(
    src: PathLike,
    dest: PathLike,
    *,
    max_size: MaxSize | None = None,
    fps: float | None = None,
    crf: int = 23,
    preset: str = "veryfast",
    on_progress: ProgressCallback | None = None,
) -> Path:
    """An H.264 + AAC MP4 (yuv420p, index first) that plays everywhere."""
    info = await probe(src)
    return await _transcode(
        info,
        dest,
        "mp4",
        max_size=max_size,
        fps=fps,
        crf=crf,
        preset=preset,
        on_progress=on_progress,
        action=f"Could not export {info.path.name} as MP4",
    )


async def _transcode(
    info: MediaInfo,
    dest: PathLike,
    container: Container,
    *,
    max_size: MaxSize | None,
    on_progress: ProgressCallback | None,
    action: str,
    fps: float | None = None,
    crf: int | None = None,
    preset: str = "veryfast",
    start: float = 0.0,
    length: float | None = None,
) -> Path:
    def build(output: str) -> Any:
        options: dict[str, Any] = {}
        if start > 0:
            options["ss"] = start
        if length is not None:
            options["t"] = length
        source = ffmpeg.input(arg_path(info.path), **options)
        video = source["V:0"]
        if fps:
            video = video.filter("fps", fps)
        streams = [fit_within(video, max_size, even=True)]
        args = _video_args(container, fps or info.fps, crf=crf, preset=preset)
        if info.has_audio:
            streams.append(source["a:0"])
            args |= _AUDIO[container]
        return ffmpeg.output(*streams, output, format=_MUXER[container], **args)

    duration = length if length is not None else info.duration
    return await _encode(dest, build, duration=duration, on_progress=on_progress, action=action)


async def trim(
    src: PathLike,
    dest: PathLike,
    start: float,
    end: float | None = None,
    *,
    max_size: MaxSize | None = None,
    on_progress: ProgressCallback | None = None,
) -> Path:
    """The part from ``start`` to ``end`` seconds (None: to the end), cut frame-exactly.

    Re-encodes (cutting without doing so would snap to keyframes); the format follows
    dest's suffix: .webm gives VP9 + Opus, .mp4/.m4v/.mov give H.264 + AAC.
    """
    dest = Path(dest)
    container = _container_of(dest)
    if start < 0 or (end is not None and end <= start):
        raise ValueError(f"Cannot trim from {start} s to {end} s")
    info = await probe(src)
    if start >= info.duration:
        raise ValueError(
            f"{info.path.name} lasts {info.duration:.2f} s; a trim cannot start at {start:.2f} s"
        )
    stop = info.duration if end is None else min(end, info.duration)
    return await _transcode(
        info,
        dest,
        container,
        max_size=max_size,
        on_progress=on_progress,
        action=f"Could not trim {info.path.name}",
        start=start,
        length=stop - start,
    )


async def concat(
    srcs: Sequence[PathLike],
    dest: PathLike,
    *,
    size: tuple[int, int] | None = None,
    fps: float | None = None,
    on_progress: ProgressCallback | None = None,
) -> Path:
    """Join clips end to end into one video (format by dest's suffix, as for :func:`trim`).

    Clips may differ in size, frame rate and audio: each is fitted into ``size`` (default:
    the first clip's) with black bars, brought to ``fps`` (default: the first clip's), and
    given silence if it has no sound while another one has.
    """
    dest = Path(dest)
    container = _container_of(dest)
    if not srcs:
        raise ValueError("concat needs at least one clip")
    infos = list(await asyncio.gather(*(probe(src) for src in srcs)))
    width, height = size or infos[0].size
    if width <= 0 or height <= 0:
        raise ValueError(f"size must be positive, not {size!r}")
    # yuv420p needs even sides.
    width, height = width - width % 2 or 2, height - height % 2 or 2
    rate = fps or infos[0].fps or 30.0
    with_audio = any(info.has_audio for info in infos)

    def build(output: str) -> Any:
        parts: list[Any] = []
        for number, info in enumerate(infos):
            source = ffmpeg.input(_distinct_name(info.path, number))
            video = fit_exactly(source["V:0"], width, height).filter("fps", rate)
            parts.append(video.filter("format", "yuv420p"))
            if with_audio:
                if info.has_audio:
                    audio = source["a:0"]
                else:
                    # nb_samples differs per use only so that ffmpeg-python keeps them apart.
                    silence = f"anullsrc=r=48000:cl=stereo:nb_samples={1024 + number}"
                    audio = ffmpeg.input(silence, format="lavfi", t=info.duration)["a"]
                parts.append(audio.filter("aformat", **_JOIN_AUDIO))
        joined = ffmpeg.concat(*parts, v=1, a=1 if with_audio else 0).node
        streams = [joined[0], joined[1]] if with_audio else [joined[0]]
        args = _video_args(container, rate, crf=None, preset="veryfast")
        if with_audio:
            args |= _AUDIO[container]
        return ffmpeg.output(*streams, output, format=_MUXER[container], **args)

    total = sum(info.duration for info in infos)
    names = ", ".join(info.path.name for info in infos)
    return await _encode(
        dest, build, duration=total, on_progress=on_progress, action=f"Could not join {names}"
    )


def _distinct_name(path: Path, number: int) -> str:
    """The same file under a name unique to this use ("dir/./././clip.mp4").

    ffmpeg-python merges equal inputs into one node, which would make a clip joined twice
    one stream feeding two places; opening it once per use is what the join needs.
    """
    absolute = Path(arg_path(path))
    return os.path.join(absolute.parent, *(["."] * number), absolute.name)


async def export_gif(
    src: PathLike,
    dest: PathLike,
    *,
    fps: float = 12,
    width: int | None = 480,
    start: float = 0.0,
    end: float | None = None,
    loop: bool = True,
    on_progress: ProgressCallback | None = None,
) -> Path:
    """An animated GIF with its own optimal palette (palettegen + paletteuse in one pass).

    ``width`` bounds the width (never scaled up; None keeps it). Progress moves little until
    the end: the palette needs every frame before the first one can be written.
    """
    if fps <= 0:
        raise ValueError(f"fps must be positive, not {fps}")
    if start < 0 or (end is not None and end <= start):
        raise ValueError(f"Cannot make a GIF from {start} s to {end} s")
    info = await probe(src)
    stop = info.duration if end is None else min(end, info.duration)
    if start >= stop:
        raise ValueError(f"{info.path.name} lasts {info.duration:.2f} s; nothing after {start} s")

    def build(output: str) -> Any:
        options: dict[str, Any] = {"t": stop - start}
        if start > 0:
            options["ss"] = start
        video = square_pixels(ffmpeg.input(arg_path(info.path), **options)["V:0"])
        video = video.filter("fps", fps)
        if width is not None:
            video = video.filter("scale", f"min(iw,{width})", -1, flags="lanczos")
        frames = video.split()
        palette = frames[0].filter("palettegen", stats_mode="diff")
        gif = ffmpeg.filter([frames[1], palette], "paletteuse", dither="bayer", bayer_scale=5)
        # -loop 0 repeats forever, -1 plays once.
        return ffmpeg.output(gif, output, format="gif", loop=0 if loop else -1)

    return await _encode(
        dest,
        build,
        duration=stop - start,
        on_progress=on_progress,
        action=f"Could not make a GIF of {info.path.name}",
    )
