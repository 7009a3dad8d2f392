"""From a finished Veo job to a playable WebM in the library; run by hand:
``python benchmarks/bench_veo.py [--repeat N]``.

The clip is a 1920x1080 8 s H.264 + AAC MP4 (testsrc2 and a tone, busier than most real
footage) served by the local Google server (`studio.testing.servers.veo`) inside a finished
operation, as Agent Platform sends it: base64 in JSON. Timed, for a job Google has finished:

- download: the provider (plugin studio-veo, through the real google-genai SDK) fetches the
  finished operation and writes the clip whole (`VeoProvider.poll` then `download`);
- import: Studio checks the clip (a full decode), makes the WebM proxy and the thumbnail and
  stores all three (`studio.core.assets.import_video`), as the job queue does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from studio_veo.video import VeoProvider

from studio.ai.video_provider import VideoRequest
from studio.core import assets
from studio.core.store import Project
from studio.media import probe
from studio.testing.clips import make_test_clip
from studio.testing.servers.veo import GoogleServer

SECONDS, SIZE, FPS = 8.0, (1920, 1080), 24


async def _download(server: GoogleServer, dest: Path) -> float:
    """Seconds from "Google has finished" to the clip whole on disk."""
    provider = VeoProvider(base_url=server.base_url, api_key=server.api_key)
    try:
        remote_id = await provider.submit(VideoRequest("bench", seconds=8, resolution="1080p"))
        await provider.check()  # the client is made and warm, as in a running queue
        start = time.perf_counter()
        status = await provider.poll(remote_id)  # the finished operation, clip and all
        assert status.status == "completed", status
        await provider.download(remote_id, "video", dest)
        return time.perf_counter() - start
    finally:
        await provider.aclose()


async def main(repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench_veo.") as tmp:
        folder = Path(tmp)
        src = make_test_clip(folder / "veo.mp4", SECONDS, SIZE, FPS, faststart=True)
        info = await probe(src)
        size_mb = src.stat().st_size / 1e6
        print(f"cpus: {os.cpu_count()}; clip: {info.width}x{info.height} {info.duration:.1f} s")
        print(f"{info.video_codec}/{info.audio_codec}, {size_mb:.1f} MB (base64 in JSON: 4/3 more)")
        downloads, imports = [], []
        with GoogleServer(src.read_bytes(), steps=1) as server:
            for i in range(repeat):
                dest = folder / f"download-{i}.mp4"
                downloads.append(await _download(server, dest))
                assert dest.read_bytes() == server.clip
                project = Project.create(folder / f"game-{i}")
                try:
                    start = time.perf_counter()
                    clip = await assets.import_video(project, dest, source="generated")
                    imports.append(time.perf_counter() - start)
                    assert clip.name.endswith(".webm")
                finally:
                    project.close()
        down, prep = statistics.median(downloads), statistics.median(imports)
        print(f"download (poll + write) {down:7.3f} s   {size_mb / down:6.1f} MB/s")
        print(f"import (probe + proxy)  {prep:7.3f} s   {SECONDS / prep:6.2f}x real time")
        print(f"finished job -> WebM    {down + prep:7.3f} s   (median of {repeat})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    asyncio.run(main(parser.parse_args().repeat))
