"""From a finished fal job to a playable WebM in the library; run by hand:
``python benchmarks/bench_fal.py [--repeat N]`` (needs plugins/studio-fal installed).

A 1920x1080 8 s 30 fps H.264 + AAC clip is served by the local fal server
(`studio.testing.servers.fal`). Each run makes one job through Studio's video queue with the
fal provider on the real fal-client, and times from the moment the queue learns the job is
done (status "downloading") to the clip in the library (download + probe + WebM proxy +
thumbnail). The floor, measured in the same run on the same file: the WebM proxy alone.
Also printed: the fal calls' round trips on 127.0.0.1 (submit; a status poll).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from studio_fal.video import FalVideoProvider

from studio.ai.video_provider import VideoRequest
from studio.core.store import Project
from studio.media import make_proxy, probe
from studio.operations.video_queue import PollPolicy, VideoQueue
from studio.testing.clips import make_test_clip
from studio.testing.servers.fal import FalServer

SECONDS, SIZE, FPS = 8.0, (1920, 1080), 30


async def one_job(server: FalServer, folder: Path, n: int) -> float:
    """Seconds from "downloading" to "completed" for one job."""
    marks: dict[str, float] = {}

    def seen(job) -> None:
        marks.setdefault(job.status, time.perf_counter())

    provider = FalVideoProvider(base_url=server.base_url, api_key=server.api_key)
    with Project.create(folder / f"game{n}") as project:
        queue = VideoQueue(project, lambda _: provider, poll=PollPolicy(first=0.01), on_change=seen)
        job = queue.generate("fal", f"a fox, take {n}", seconds=5)
        await queue.run()
        await queue.aclose()
        assert project.job(job.id).status == "completed", project.job(job.id).error
    return marks["completed"] - marks["downloading"]


async def round_trips(server: FalServer, repeat: int) -> tuple[float, float]:
    provider = FalVideoProvider(base_url=server.base_url, api_key=server.api_key)
    server.hold.set()
    submits, polls = [], []
    remote_id = await provider.submit(VideoRequest("warm up"))
    for _ in range(repeat * 5):
        start = time.perf_counter()
        remote_id = await provider.submit(VideoRequest("a fox"))
        submits.append(time.perf_counter() - start)
        start = time.perf_counter()
        await provider.poll(remote_id)
        polls.append(time.perf_counter() - start)
    server.hold.clear()
    await provider.aclose()
    return statistics.median(submits), statistics.median(polls)


async def main(repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench_fal.") as tmp:
        folder = Path(tmp)
        clip = make_test_clip(folder / "clip.mp4", SECONDS, SIZE, FPS, faststart=True)
        info = await probe(clip)
        shape = f"{info.width}x{info.height}, {info.duration:.1f} s, {info.video_codec}"
        print(f"clip: {shape}, {clip.stat().st_size / 1e6:.1f} MB, served by the local fal server")
        with FalServer(clip.read_bytes(), steps=1, queue_ahead=0) as server:
            submit, poll = await round_trips(server, repeat)
            print(f"fal-client round trip on 127.0.0.1: submit {submit * 1e3:.1f} ms, ", end="")
            print(f"status poll {poll * 1e3:.1f} ms")
            done, floor = [], []
            for n in range(repeat):
                done.append(await one_job(server, folder, n))
                start = time.perf_counter()
                await make_proxy(clip, folder / f"floor{n}.webm")
                floor.append(time.perf_counter() - start)
        done_s, floor_s = statistics.median(done), statistics.median(floor)
        print(f"finished job -> WebM in the library: {done_s:.2f} s median of {repeat}")
        print(f"floor (WebM proxy alone, same file): {floor_s:.2f} s")
        print(f"ratio: {done_s / floor_s:.2f}x the floor")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    asyncio.run(main(parser.parse_args().repeat))
