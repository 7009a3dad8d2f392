"""From a finished Replicate prediction to a playable WebM in the library; run by hand:
``python benchmarks/bench_replicate.py``.

A 1920x1080 8 s H.264 + AAC clip is the prediction's output on the local Replicate server
(`studio.testing.servers.replicate`). Timed, each a median of ``--repeat`` runs: the poll
that finds it succeeded (through the official SDK), the download of its output URL
(`stream_to_file`), and the import (full-decode check, WebM proxy, thumbnail) that makes it
a clip in a project's library, which is what the video queue does after a job finishes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from studio_replicate.video import ReplicateVideoProvider

from studio.ai.video_provider import VideoRequest
from studio.core import assets
from studio.core.store import Project
from studio.testing.clips import make_test_clip
from studio.testing.servers.replicate import TEST_TOKEN, ReplicateServer


async def one_run(server: ReplicateServer, folder: Path, run: int) -> tuple[float, float, float]:
    provider = ReplicateVideoProvider(base_url=server.base_url, api_key=TEST_TOKEN)
    remote_id = await provider.submit(VideoRequest("bench", seconds=8, resolution="1080p"))
    for _ in range(server.steps):  # the job runs on the "service"
        await provider.poll(remote_id)
    start = time.perf_counter()
    status = await provider.poll(remote_id)
    assert status.status == "completed", status
    polled = time.perf_counter()
    path = await provider.download(remote_id, "video", folder / f"clip-{run}.mp4")
    downloaded = time.perf_counter()
    with Project.create(folder / f"game-{run}") as project:
        clip = await assets.import_video(project, path, name="bench", source="generated")
        assert clip.name.endswith(".webm")
    imported = time.perf_counter()
    await provider.aclose()
    return polled - start, downloaded - polled, imported - downloaded


async def main(repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench_replicate.") as tmp:
        folder = Path(tmp)
        source = make_test_clip(folder / "source.mp4", 8.0, (1920, 1080), 30, faststart=True)
        clip = source.read_bytes()
        print(f"cpus: {os.cpu_count()}; clip: 1920x1080, 8 s, {len(clip) / 1e6:.1f} MB")
        with ReplicateServer(clip) as server:
            runs = [await one_run(server, folder, i) for i in range(repeat)]
        poll, download, prepare = (statistics.median(column) for column in zip(*runs, strict=True))
        print(f"poll that finds it done       {poll * 1000:8.1f} ms")
        print(f"download of the output URL    {download * 1000:8.1f} ms")
        print(f"check + WebM proxy + thumbnail {prepare:7.2f} s")
        print(
            f"finished job to playable WebM {poll + download + prepare:7.2f} s (median of {repeat})"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    asyncio.run(main(parser.parse_args().repeat))
