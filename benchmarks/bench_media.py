"""How fast the media layer is on this machine; run by hand: ``python benchmarks/bench_media.py``.

Source: an 8-second 1280x720 30 fps H.264 + AAC clip with a keyframe every 2 s (testsrc2 +
a tone, busier than most real footage, so the figures are on the pessimistic side). Stills
are also timed on a copy with a single keyframe, the worst case for seeking.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from studio.media import (
    export_gif,
    export_mp4,
    ffmpeg_path,
    last_frame,
    make_proxy,
    probe,
    thumbnail,
    verify,
)
from studio.testing.clips import make_test_clip

SECONDS = 8.0
SIZE = (1280, 720)
FPS = 30


async def _timed(run: Callable[[], Awaitable[object]], repeat: int) -> float:
    """Median wall time of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        await run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def main(repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench_media.") as tmp:
        folder = Path(tmp)
        src = make_test_clip(folder / "source.mp4", SECONDS, SIZE, FPS, keyframe_interval=2 * FPS)
        one_gop = make_test_clip(folder / "one_gop.mp4", SECONDS, SIZE, FPS, keyframe_interval=999)
        info = await probe(src)
        print(f"ffmpeg: {ffmpeg_path()}")
        print(
            f"cpus: {os.cpu_count()}; source: {info.width}x{info.height}, {info.fps:g} fps, "
            f"{info.duration:.1f} s, {info.video_codec}/{info.audio_codec}"
        )
        print()

        def speed(name: str, seconds: float) -> None:
            print(f"{name:<34} {seconds:7.3f} s   {info.duration / seconds:5.1f}x real time")

        def latency(name: str, seconds: float) -> None:
            print(f"{name:<34} {seconds * 1000:7.0f} ms")

        speed(
            "proxy (VP9+Opus, 720p)",
            await _timed(lambda: make_proxy(src, folder / "proxy.webm"), repeat),
        )
        speed(
            "proxy (VP9+Opus, max 640)",
            await _timed(lambda: make_proxy(src, folder / "small.webm", max_size=640), repeat),
        )
        speed(
            "MP4 export (H.264+AAC, veryfast)",
            await _timed(lambda: export_mp4(src, folder / "out.mp4"), repeat),
        )
        speed(
            "GIF export (12 fps, 480 wide)",
            await _timed(lambda: export_gif(src, folder / "out.gif"), repeat),
        )
        speed("verify (full decode)", await _timed(lambda: verify(src), repeat))
        latency("probe (header + last second)", await _timed(lambda: probe(src), repeat * 3))
        latency(
            "thumbnail PNG at 4 s, full size",
            await _timed(lambda: thumbnail(src, 4.0), repeat * 3),
        )
        small_jpeg = lambda: thumbnail(src, 4.0, image_format="jpeg", max_size=320)  # noqa: E731
        latency("thumbnail JPEG at 4 s, max 320", await _timed(small_jpeg, repeat * 3))
        latency("last frame PNG, full size", await _timed(lambda: last_frame(src), repeat * 3))
        print("single keyframe (worst case):")
        latency("  probe", await _timed(lambda: probe(one_gop), repeat * 3))
        latency("  thumbnail PNG at 4 s", await _timed(lambda: thumbnail(one_gop, 4.0), repeat * 3))
        latency("  last frame PNG", await _timed(lambda: last_frame(one_gop), repeat * 3))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    asyncio.run(main(parser.parse_args().repeat))
