"""ComfyUI: from a finished job on the server to a playable WebM in the library.

A local ComfyUI server (`studio.testing.servers.comfyui`) holds a job at its sampler; when
it is let go, the clock starts. Measured through Studio's real job queue and the plugin's
provider, for a 1920x1080 8 s H.264 clip:

- noticing the end: over the websocket (ComfyUI pushes `execution_success`), and by polling
  `/history` once a second (a server whose proxy does not pass WebSockets), same run;
- the download from `/view` alone (streamed to disk);
- finished to completed in the library: notice + download + probe + WebM proxy + thumbnail.

Run: python benchmarks/bench_comfyui.py [--runs 3] [--seconds 8] [--size 1920x1080]
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

from studio_comfyui.video import ComfyVideoProvider  # noqa: E402

from studio.ai.video_provider import VideoRequest  # noqa: E402
from studio.core.store import Project  # noqa: E402
from studio.operations.video_queue import PollPolicy, VideoQueue  # noqa: E402
from studio.testing.clips import make_test_clip  # noqa: E402
from studio.testing.servers.comfyui import ComfyUIServer  # noqa: E402


async def wait_until(check, timeout: float = 60.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.005)


async def notice(server: ComfyUIServer, websocket: bool) -> float:
    """Seconds from letting a held job go to the provider's poll saying completed."""
    server.websocket = websocket
    server.hold.set()
    provider = ComfyVideoProvider(base_url=server.base_url, poll_interval=1.0, poll_wait=2.0)
    remote_id = await provider.submit(VideoRequest("a fox", seconds=2))
    await wait_until(lambda: server.running is not None)
    await asyncio.sleep(0.3)
    polls = asyncio.ensure_future(follow(provider, remote_id))
    await asyncio.sleep(0.5)  # mid-way through the poll's wait, as it would be
    start = time.perf_counter()
    server.hold.clear()
    await polls
    took = time.perf_counter() - start
    await provider.aclose()
    return took


async def follow(provider: ComfyVideoProvider, remote_id: str) -> None:
    while not (status := await provider.poll(remote_id)).done:
        await asyncio.sleep(status.poll_after or 0.0)


async def download(server: ComfyUIServer, folder: Path) -> float:
    server.websocket = True
    provider = ComfyVideoProvider(base_url=server.base_url)
    remote_id = await provider.submit(VideoRequest("a fox"))
    await follow(provider, remote_id)
    start = time.perf_counter()
    await provider.download(remote_id, "video", folder / "clip.mp4")
    took = time.perf_counter() - start
    await provider.aclose()
    return took


async def to_library(server: ComfyUIServer, folder: Path, index: int) -> float:
    """Seconds from the job finishing on the server to the clip completed in the library."""
    server.websocket = True
    project = Project.create(folder / f"game{index}")
    fast = PollPolicy(first=0.5, longest=2.0)

    def providers(name: str) -> ComfyVideoProvider:
        return ComfyVideoProvider(base_url=server.base_url)

    queue = VideoQueue(project, providers, poll=fast)
    server.hold.set()
    job = queue.generate("comfyui", "a fox", seconds=5)
    queue.start()
    await wait_until(lambda: project.job(job.id).status == "running")
    start = time.perf_counter()
    server.hold.clear()
    await queue.wait(job.id)
    took = time.perf_counter() - start
    assert project.job(job.id).status == "completed", project.job(job.id).error
    await queue.aclose()
    project.close()
    return took


def line(name: str, values: list[float]) -> None:
    shown = ", ".join(f"{v:.3f}" for v in values)
    print(f"{name:<46} median {statistics.median(values):.3f} s  ({shown})")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    with tempfile.TemporaryDirectory(prefix="bench-comfyui-") as tmp:
        folder = Path(tmp)
        clip = make_test_clip(folder / "source.mp4", args.seconds, (width, height), 24)
        data = clip.read_bytes()
        print(f"clip: {width}x{height} {args.seconds:g} s H.264, {len(data) / 1e6:.1f} MB")
        with ComfyUIServer(data) as server:
            ws = [await notice(server, True) for _ in range(args.runs)]
            polled = [await notice(server, False) for _ in range(args.runs)]
            fetched = [await download(server, folder) for _ in range(args.runs)]
            library = [await to_library(server, folder, i) for i in range(args.runs)]
        line("finish noticed, websocket", ws)
        line("finish noticed, polling /history every 1 s", polled)
        line("download from /view", fetched)
        line("finished -> playable WebM in the library", library)


if __name__ == "__main__":
    asyncio.run(main())
