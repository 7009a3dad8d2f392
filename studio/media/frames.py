"""Still pictures from a video: a poster frame at a given time, and the exact last frame."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import ffmpeg

from studio.media.errors import MediaError
from studio.media.ffmpeg import FFmpegResult, compile_command, failure, run_ffmpeg
from studio.media.files import PathLike, arg_path, atomic_output, check_input
from studio.media.filters import MaxSize, fit_within
from studio.media.probe import probe

ImageFormat = Literal["png", "jpeg"]

_FORMAT_BY_SUFFIX: dict[str, ImageFormat] = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}
_ENCODER: dict[ImageFormat, dict[str, Any]] = {
    "png": {"c:v": "png"},
    "jpeg": {"c:v": "mjpeg", "q:v": 2},
}
# The last frame is searched for in this much of the end before falling back to all of it.
_LAST_FRAME_WINDOW = 1.0


def _choose_format(dest: Path | None, image_format: ImageFormat | None) -> ImageFormat:
    if image_format is not None:
        if image_format not in _ENCODER:
            raise ValueError(f"image_format must be 'png' or 'jpeg', not {image_format!r}")
        return image_format
    if dest is None:
        return "png"
    try:
        return _FORMAT_BY_SUFFIX[dest.suffix.lower()]
    except KeyError:
        raise ValueError(f"Cannot tell the image format of {dest.name}: use .png or .jpg") from None


async def _explain(path: Path, action: str, result: FFmpegResult) -> MediaError:
    """Prefer probe's plain words about a bad input over ffmpeg's raw error."""
    try:
        await probe(path)
    except MediaError as error:
        return error
    return failure(action, result, path)


def _save(data: bytes, dest: Path | None) -> bytes:
    if dest is not None:
        with atomic_output(dest) as tmp:
            tmp.write_bytes(data)
    return data


async def thumbnail(
    src: PathLike,
    at: float = 0.0,
    *,
    dest: PathLike | None = None,
    image_format: ImageFormat | None = None,
    max_size: MaxSize | None = None,
) -> bytes:
    """The frame shown at ``at`` seconds, as PNG or JPEG bytes (also written to ``dest``).

    The format comes from ``image_format``, else ``dest``'s suffix, else PNG. ``max_size``
    scales the picture down to fit, keeping its shape.
    """
    path = check_input(src)
    if at < 0:
        raise ValueError(f"at must not be negative, not {at}")
    out = Path(dest) if dest is not None else None
    fmt = _choose_format(out, image_format)
    # Seeking before the input is fast and, since ffmpeg 2.1, exact.
    source = ffmpeg.input(arg_path(path), ss=at) if at > 0 else ffmpeg.input(arg_path(path))
    video = fit_within(source["V:0"], max_size, even=False)
    command = ffmpeg.output(
        video, "pipe:1", format="image2pipe", **{"frames:v": 1}, **_ENCODER[fmt]
    )
    result = await run_ffmpeg(compile_command(command, progress=False), capture_stdout=True)
    if not result.ok:
        raise await _explain(path, f"Could not take a picture from {path.name}", result)
    if not result.stdout:
        info = await probe(path)
        raise MediaError(
            f"{path.name} has no frame at {at:.2f} s (it lasts {info.duration:.2f} s)", path=path
        )
    return _save(result.stdout, out)


async def last_frame(
    src: PathLike,
    *,
    dest: PathLike | None = None,
    image_format: ImageFormat | None = None,
    max_size: MaxSize | None = None,
) -> bytes:
    """The exact last frame of the video (e.g. to continue a clip from), as PNG or JPEG bytes.

    Counts the frames of the final second, then takes the last of them by number: seeking
    to "the end" by time would be off by a frame whenever the timestamps do not line up.
    """
    path = check_input(src)
    out = Path(dest) if dest is not None else None
    fmt = _choose_format(out, image_format)
    for window in (_LAST_FRAME_WINDOW, None):
        count = await _count_frames(path, window)
        if count > 0:
            break
    else:
        raise MediaError(f"{path.name} has no video frames", path=path)

    video = _open_video(path, window).filter("select", f"eq(n,{count - 1})")
    video = fit_within(video, max_size, even=False)
    command = ffmpeg.output(
        video,
        "pipe:1",
        format="image2pipe",
        fps_mode="passthrough",
        **{"frames:v": 1},
        **_ENCODER[fmt],
    )
    result = await run_ffmpeg(compile_command(command, progress=False), capture_stdout=True)
    if not result.ok or not result.stdout:
        raise await _explain(path, f"Could not take the last frame of {path.name}", result)
    return _save(result.stdout, out)


def _open_video(path: Path, window: float | None) -> Any:
    # Without a known duration ffmpeg ignores -sseof and reads from the start, which is
    # still correct: both passes then count from the first frame.
    source = ffmpeg.input(arg_path(path), sseof=-window) if window else ffmpeg.input(arg_path(path))
    return source["V:0"]


async def _count_frames(path: Path, window: float | None) -> int:
    """How many frames decode from ``window`` seconds before the end (None: the whole file)."""
    command = ffmpeg.output(_open_video(path, window), "-", format="null", fps_mode="passthrough")
    result = await run_ffmpeg(compile_command(command))
    if not result.ok:
        raise await _explain(path, f"Could not read {path.name}", result)
    try:
        return int(result.progress.get("frame", "0"))
    except ValueError:
        return 0
