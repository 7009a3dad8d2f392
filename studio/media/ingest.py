"""What importing a video needs from the media layer, in one call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studio.media.ffmpeg import ProgressCallback
from studio.media.files import PathLike
from studio.media.filters import MaxSize
from studio.media.frames import thumbnail
from studio.media.probe import MediaInfo, verify
from studio.media.transcode import DEFAULT_PROXY_SIZE, make_proxy

# Shares of the progress bar: a full decode is quicker than an encode.
_VERIFY_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class PreparedClip:
    info: MediaInfo
    proxy: Path
    poster: Path


class _Stages:
    """Maps each stage's 0..1 onto its share of one bar, reporting only forward moves."""

    def __init__(self, on_progress: ProgressCallback | None) -> None:
        self._on_progress = on_progress
        self._last = -1.0

    def part(self, low: float, high: float) -> ProgressCallback:
        return lambda fraction: self.report(low + (high - low) * fraction)

    def report(self, overall: float) -> None:
        overall = min(overall, 0.99)  # 1.0 only when everything is done
        if self._on_progress is not None and overall > self._last:
            self._last = overall
            self._on_progress(overall)

    def done(self) -> None:
        if self._on_progress is not None:
            self._on_progress(1.0)


async def prepare_clip(
    src: PathLike,
    proxy_dest: PathLike,
    poster_dest: PathLike,
    *,
    max_size: MaxSize | None = DEFAULT_PROXY_SIZE,
    on_progress: ProgressCallback | None = None,
) -> PreparedClip:
    """Refuse a damaged file (full decode), then make its WebM proxy and a poster picture.

    The poster is taken a moment in, where a first frame faded from black already shows.
    """
    stages = _Stages(on_progress)
    info = await verify(src, on_progress=stages.part(0.0, _VERIFY_SHARE))
    proxy = await make_proxy(
        info.path, proxy_dest, max_size=max_size, on_progress=stages.part(_VERIFY_SHARE, 1.0)
    )
    poster = Path(poster_dest)
    await thumbnail(info.path, min(1.0, info.duration / 2), dest=poster, max_size=max_size)
    stages.done()
    return PreparedClip(info=info, proxy=proxy, poster=poster)
