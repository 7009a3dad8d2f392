"""From a finished remote job to a playable WebM in the library, per service plugin.

A 1080p 8-second 30 fps H.264 + AAC clip is served by the local Runway and Luma servers
(`studio.testing.servers`) as a finished job's result. Timed for each: the provider's
download through its SDK (a fresh GET of the job for its result URL, then the file streamed
to disk), and Studio's import of it (a full decode to check it, the WebM proxy and the
thumbnail: `studio.core.assets.import_video`), each the median of a few runs.

Run: python benchmarks/bench_service_clips.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.ai.video_provider import VideoRequest  # noqa: E402
from studio.core import assets  # noqa: E402
from studio.core.store import Project  # noqa: E402
from studio.testing.clips import make_test_clip  # noqa: E402

SECONDS, SIZE, FPS = 8.0, (1920, 1080), 30
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


def services():
    """(name, server class, provider factory) for each plugin that is installed."""
    found = []
    try:
        from studio_runway.video import RunwayVideoProvider

        from studio.testing.servers.runway import RunwayServer

        found.append(("runway", RunwayServer, RunwayVideoProvider))
    except ImportError:
        pass
    try:
        from studio_luma.video import LumaVideoProvider

        from studio.testing.servers.luma import LumaServer

        found.append(("luma", LumaServer, LumaVideoProvider))
    except ImportError:
        pass
    return found


async def measure(name, server_class, provider_class, clip: bytes, folder: Path, repeat: int):
    downloads, imports = [], []
    with server_class(clip, PNG, api_key="bench-key") as server:
        provider = provider_class(base_url=server.base_url, api_key="bench-key", poll_interval=0)
        try:
            remote_id = await provider.submit(VideoRequest("a bench clip", seconds=5))
            while not (await provider.poll(remote_id)).done:
                pass
            for run in range(repeat):
                project = Project.create(folder / f"{name}-{run}")
                try:
                    dest = folder / f"{name}-{run}.mp4"
                    start = time.perf_counter()
                    await provider.download(remote_id, "video", dest)
                    middle = time.perf_counter()
                    await assets.import_video(project, dest, name="bench", source="generated")
                    end = time.perf_counter()
                finally:
                    project.close()
                downloads.append(middle - start)
                imports.append(end - middle)
        finally:
            await provider.aclose()
    return statistics.median(downloads), statistics.median(imports)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-services-") as tmp:
        folder = Path(tmp)
        source = await asyncio.to_thread(
            make_test_clip, folder / "source.mp4", SECONDS, SIZE, FPS, faststart=True
        )
        clip = source.read_bytes()
        print(
            f"clip: {SIZE[0]}x{SIZE[1]} {SECONDS:.0f} s {FPS} fps H.264, {len(clip) / 1e6:.1f} MB"
        )
        for name, server_class, provider_class in services():
            download, imported = await measure(
                name, server_class, provider_class, clip, folder, args.repeat
            )
            total, rate = download + imported, len(clip) / download / 1e6
            print(
                f"{name:7} download {download * 1000:6.0f} ms ({rate:.0f} MB/s)"
                f"  import (check + proxy + thumbnail) {imported:5.2f} s  total {total:5.2f} s"
            )


if __name__ == "__main__":
    asyncio.run(main())
