"""From a finished remote job to a playable WebM in the library, for every installed service
plugin (and the built-in OpenAI Videos provider), side by side with the ffmpeg floor; run
by hand: ``python benchmarks/bench_service_fetch.py [--repeat N]``.

One 1920x1080 8 s 30 fps H.264 + AAC clip (testsrc2 and a tone, busier than most real
footage) is the result of a finished job on each service's local server
(`studio.testing.servers`: fal, Replicate, Runway, Luma, Google's Veo, ComfyUI, OpenAI
Videos), handed out as that service does (a CDN URL, a delivery URL, base64 inside Google's
operation, ComfyUI's `/view`, OpenAI's content endpoint). For each service, timed through
its provider on its official SDK, as Studio's job queue does once a job is done:

- poll: the poll that finds the job finished (for Veo it brings the clip itself);
- download: the provider writes the clip to disk, whole or not at all;
- import: Studio checks it (a full decode), makes the WebM proxy and the thumbnail and
  stores all three (`studio.core.assets.import_video`).

The floor, in the same run on the same file: the WebM proxy alone (`make_proxy`), made
right after each service's fetch, so that a ratio compares two runs under the same load.
Each figure is the median of `--repeat` rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, AsyncExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.ai.video_provider import VideoRequest
from studio.core import assets
from studio.core.store import Project
from studio.media import make_proxy, probe
from studio.testing.clips import make_test_clip
from studio.testing.pictures import png

SECONDS, SIZE, FPS = 8.0, (1920, 1080), 30
KEY = "bench-key"
LONG = VideoRequest("a bench clip", seconds=8, resolution="1080p")
SHORT = VideoRequest("a bench clip", seconds=5)


@dataclass
class Service:
    name: str
    server: Callable[[bytes], AbstractContextManager[Any]]  # the clip -> its local server
    provider: type  # made with the server's base_url and api_key, and `options`
    request: VideoRequest
    options: dict[str, Any] = field(default_factory=dict)


def fal() -> Service:
    from studio_fal.video import FalVideoProvider

    from studio.testing.servers.fal import FalServer

    def server(clip: bytes) -> FalServer:
        return FalServer(clip, api_key=KEY, steps=1, queue_ahead=0)

    return Service("fal", server, FalVideoProvider, VideoRequest("a bench clip"))


def replicate() -> Service:
    from studio_replicate.video import ReplicateVideoProvider

    from studio.testing.servers.replicate import ReplicateServer

    def server(clip: bytes) -> ReplicateServer:
        return ReplicateServer(clip, api_token=KEY)

    return Service("replicate", server, ReplicateVideoProvider, LONG)


def runway() -> Service:
    from studio_runway.video import RunwayVideoProvider

    from studio.testing.servers.runway import RunwayServer

    def server(clip: bytes) -> RunwayServer:
        return RunwayServer(clip, png(64, 36), api_key=KEY)

    return Service("runway", server, RunwayVideoProvider, SHORT, {"poll_interval": 0})


def luma() -> Service:
    from studio_luma.video import LumaVideoProvider

    from studio.testing.servers.luma import LumaServer

    def server(clip: bytes) -> LumaServer:
        return LumaServer(clip, png(64, 36), api_key=KEY)

    return Service("luma", server, LumaVideoProvider, SHORT, {"poll_interval": 0})


def veo() -> Service:
    from studio_veo.video import VeoProvider

    from studio.testing.servers.veo import GoogleServer

    def server(clip: bytes) -> GoogleServer:
        return GoogleServer(clip, api_key=KEY, steps=1)

    return Service("veo", server, VeoProvider, LONG)


def comfyui() -> Service:
    from studio_comfyui.video import ComfyVideoProvider

    from studio.testing.servers.comfyui import ComfyUIServer

    return Service("comfyui", ComfyUIServer, ComfyVideoProvider, SHORT, {"poll_wait": 0.2})


def openai() -> Service:
    from studio.ai.video_openai import OpenAIVideoProvider
    from studio.testing.servers.video import VideoServer

    def server(clip: bytes) -> VideoServer:
        return VideoServer(clip, api_key=KEY)

    request = VideoRequest("a bench clip", seconds=8, size="1280x720")
    return Service("openai", server, OpenAIVideoProvider, request, {"max_retries": 0})


def installed() -> list[Service]:
    """The services whose plugin is installed here, and the built-in one."""
    found = []
    for service in (fal, replicate, runway, luma, veo, comfyui, openai):
        with suppress(ImportError):  # its plugin is not installed
            found.append(service())
    return found


async def finished_job(provider: Any, request: VideoRequest) -> str:
    """A job the service has finished (the provider warm, as in a running queue)."""
    remote_id = await provider.submit(request)
    while not (status := await provider.poll(remote_id)).done:
        await asyncio.sleep(status.poll_after or 0.0)
    assert status.status == "completed", status.error
    return remote_id


async def fetch(provider: Any, remote_id: str, folder: Path, run: str) -> tuple[float, ...]:
    """Seconds for the poll that finds the job finished, the download and the import."""
    start = time.perf_counter()
    status = await provider.poll(remote_id)
    assert status.status == "completed", status.error
    polled = time.perf_counter()
    dest = await provider.download(remote_id, "video", folder / f"{run}.mp4")
    downloaded = time.perf_counter()
    with Project.create(folder / f"{run}.studio") as project:
        clip = await assets.import_video(project, dest, name="bench", source="generated")
        assert clip.name.endswith(".webm")
    imported = time.perf_counter()
    return polled - start, downloaded - polled, imported - downloaded


async def main(repeat: int) -> None:
    services = installed()
    if not services:
        raise SystemExit("no service plugin is installed (pip install -e plugins/studio-…)")
    with tempfile.TemporaryDirectory(prefix="bench_service_fetch.") as tmp:
        folder = Path(tmp)
        source = make_test_clip(folder / "source.mp4", SECONDS, SIZE, FPS, faststart=True)
        info = await probe(source)
        clip = source.read_bytes()
        print(
            f"cpus: {os.cpu_count()}, load {os.getloadavg()[0]:.1f}; clip: {info.width}x"
            f"{info.height} {info.duration:.1f} s {info.video_codec}/{info.audio_codec}, "
            f"{len(clip) / 1e6:.1f} MB"
        )
        async with AsyncExitStack() as stack:  # the servers, then the providers, closed at the end
            jobs = []
            for service in services:
                server = stack.enter_context(service.server(clip))
                provider = service.provider(
                    base_url=server.base_url, api_key=server.api_key, **service.options
                )
                stack.push_async_callback(provider.aclose)
                jobs.append((service.name, provider, await finished_job(provider, service.request)))
            runs: dict[str, list[tuple[float, ...]]] = {name: [] for name, _, _ in jobs}
            for n in range(repeat):
                for name, provider, remote_id in jobs:
                    times = await fetch(provider, remote_id, folder, f"{name}-{n}")
                    start = time.perf_counter()
                    await make_proxy(source, folder / f"floor-{name}-{n}.webm")
                    runs[name].append((*times, time.perf_counter() - start))
        heads = ("poll", "download", "import", "total", "floor", "x floor")
        print(f"{'service':10}" + "".join(f" {head:>9}" for head in heads))
        for name, measured in runs.items():
            columns = list(zip(*measured, strict=True))
            poll, download, imported, floor = (statistics.median(c) for c in columns)
            ratio = statistics.median(sum(m[:3]) / m[3] for m in measured)
            print(
                f"{name:10} {poll * 1e3:6.0f} ms {download * 1e3:6.0f} ms {imported:7.2f} s"
                f" {poll + download + imported:7.2f} s {floor:7.2f} s {ratio:8.2f}x"
            )
        print(f"medians of {repeat}; floor: the WebM proxy alone, same file, right after")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    asyncio.run(main(parser.parse_args().repeat))
