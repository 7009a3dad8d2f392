"""From a finished remote job to a playable WebM in the library, for a 1080p 8 s H.264 clip.

A local OpenAI-compatible /v1/videos server (`studio.testing.servers.video`) on 127.0.0.1
holds the clip; its job is finished at the first poll. Through the real `VideoQueue` and the
built-in provider, the time runs from the moment the queue learns the job is done (it marks
the job "downloading") to the clip stored in the project (the job "completed": original
MP4, WebM proxy, thumbnail). The steps are also timed one by one on the same clip: the
download through the `openai` client, the same download as a result URL with
`studio.ai.http_download.stream_to_file` (as services that hand out URLs are fetched), the
full-decode check and probe, and the proxy with its poster (`studio.media.prepare_clip`).

Run: python benchmarks/bench_video_fetch.py [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.ai.http_download import stream_to_file  # noqa: E402
from studio.ai.video_openai import OpenAIVideoProvider  # noqa: E402
from studio.ai.video_provider import VideoRequest  # noqa: E402
from studio.core.store import Project  # noqa: E402
from studio.media import prepare_clip, probe  # noqa: E402
from studio.operations.video_queue import PollPolicy, VideoQueue  # noqa: E402
from studio.testing.clips import make_test_clip  # noqa: E402
from studio.testing.servers.video import VideoServer  # noqa: E402

SECONDS = 8.0
SIZE = (1920, 1080)
FPS = 30
KEY = "sk-bench-fetch"


def provider(server: VideoServer) -> OpenAIVideoProvider:
    return OpenAIVideoProvider(base_url=server.base_url, api_key=KEY, max_retries=0)


async def through_the_queue(server: VideoServer, folder: Path) -> dict[str, float]:
    """One job through the real queue: seconds from "the service says done" to the clip."""
    marks: dict[str, float] = {}

    def seen(job) -> None:
        if job.status in ("downloading", "completed") and job.status not in marks:
            marks[job.status] = time.perf_counter()

    with Project.create(folder / f"project-{time.monotonic_ns()}") as project:
        queue = VideoQueue(
            project, lambda name: provider(server), poll=PollPolicy(first=0.01), on_change=seen
        )
        job = queue.generate("openai", "a busy 1080p test pattern", seconds=8, size="1280x720")
        await queue.run()
        await queue.aclose()
        job = project.job(job.id)
        assert job.status == "completed", job.error
        proxy = project.asset(job.result[0])
        info = await probe(project.blobs.path(proxy.blob))
        assert info.video_codec == "vp9" and abs(info.duration - SECONDS) < 0.2
    return {"done to clip in the library": marks["completed"] - marks["downloading"]}


async def steps(server: VideoServer, clip: Path, folder: Path) -> dict[str, float]:
    """Each step on its own, on the same clip."""
    out: dict[str, float] = {}
    made = provider(server)
    remote_id = await made.submit(VideoRequest("a clip", seconds=8, size="1280x720"))
    await made.poll(remote_id)
    start = time.perf_counter()
    await made.download(remote_id, "video", folder / "sdk.mp4")
    out["download (openai client, streamed)"] = time.perf_counter() - start
    await made.aclose()

    url = f"{server.base_url}/videos/{remote_id}/content?variant=video"
    start = time.perf_counter()
    await stream_to_file(url, folder / "url.mp4", headers={"Authorization": f"Bearer {KEY}"})
    out["download (stream_to_file, a result URL)"] = time.perf_counter() - start
    assert (folder / "url.mp4").read_bytes() == clip.read_bytes()

    start = time.perf_counter()
    await prepare_clip(folder / "url.mp4", folder / "proxy.webm", folder / "poster.jpg")
    out["check + proxy + poster (prepare_clip)"] = time.perf_counter() - start
    start = time.perf_counter()
    await probe(folder / "proxy.webm")
    out["probe of the proxy"] = time.perf_counter() - start
    return out


async def main(runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench_video_fetch.") as tmp:
        folder = Path(tmp)
        clip = make_test_clip(folder / "clip.mp4", SECONDS, SIZE, FPS, faststart=True)
        info = await probe(clip)
        size_mb = clip.stat().st_size / 1e6
        print(
            f"cpus: {os.cpu_count()}; clip: {info.width}x{info.height} {info.fps:g} fps "
            f"{info.duration:.1f} s {info.video_codec}/{info.audio_codec}, {size_mb:.1f} MB"
        )
        figures: dict[str, list[float]] = {}
        with VideoServer(clip.read_bytes(), api_key=KEY, steps=1, poll_after_ms=None) as server:
            for _ in range(runs):
                for name, value in (await through_the_queue(server, folder)).items():
                    figures.setdefault(name, []).append(value)
                for name, value in (await steps(server, clip, folder)).items():
                    figures.setdefault(name, []).append(value)
        print(f"median of {runs} runs (min-max):")
        for name, values in figures.items():
            median = statistics.median(values)
            print(
                f"  {name:<42} {median:6.2f} s  ({min(values):.2f}-{max(values):.2f})"
                f"  {SECONDS / median:4.1f}x real time"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    asyncio.run(main(parser.parse_args().runs))
