"""Picture jobs and the Images tab: what a picture costs Studio besides the service's time.

1. A 1024x1024 picture through the OpenAI Images provider and the real `openai` client from
   the local Images API server, as `b64_json` and as a URL fetched at once (the server
   draws and encodes the picture too, so this is an upper bound of Studio's share).
2. Keeping a generated 1536x1024 sheet of 8 frames in a pixel-art project (cut-out check,
   slicing, pixelating the frames, storing): worker-thread time.
3. The Images tab with 200 kept pictures: the GUI thread's time to fill the library, and
   the worker's time to make the 200 thumbnails.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_images.py [--repeat 10]

Figures are medians in milliseconds.
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
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("STUDIO_CONFIG_DIR", tempfile.mkdtemp(prefix="bench-images-"))

from studio.ai.image_openai import OpenAIImageProvider  # noqa: E402
from studio.ai.image_provider import ImageRequest  # noqa: E402
from studio.core.pictures import add_picture  # noqa: E402
from studio.core.store import Project  # noqa: E402
from studio.operations.image_jobs import ImageJobs, PictureRequest  # noqa: E402
from studio.testing.servers.image_paint import figure, png_bytes  # noqa: E402
from studio.testing.servers.images import ImageServer  # noqa: E402


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.1f} ms"


async def requests(server: ImageServer, repeat: int) -> None:
    for model, label in (("gpt-image-1.5", "b64_json"), ("dall-e-3", "url")):
        provider = OpenAIImageProvider(
            base_url=server.base_url, api_key=server.api_key, model=model, max_retries=0
        )
        await provider.generate(ImageRequest("warm up", size="1024x1024"))  # client, imports
        times = []
        for i in range(repeat):
            started = time.perf_counter()
            await provider.generate(ImageRequest(f"a knight {i}", size="1024x1024"))
            times.append(time.perf_counter() - started)
        await provider.aclose()
        print(f"1024x1024 picture as {label}, request to bytes: {median_ms(times)}")


async def keeping(server: ImageServer, folder: Path, repeat: int) -> None:
    with Project.create(folder / "keep") as project:
        jobs = ImageJobs(
            project,
            lambda _n: OpenAIImageProvider(base_url=server.base_url, api_key=server.api_key),
        )
        wanted = PictureRequest("a fox running", kind="sprite_sheet", frames=8, count=repeat)
        job = jobs.request("openai", wanted)
        job = await jobs.wait(job.id)
        times = []
        for sha in job.result:
            started = time.perf_counter()
            jobs.keep(job.id, sha)
            times.append(time.perf_counter() - started)
        print(f"keep a 1536x1024 sheet of 8 frames (pixel art): {median_ms(times)}")


def images_tab(folder: Path, count: int) -> None:
    from studio.qt.startup import prepare_environment

    prepare_environment()
    import qasync

    from studio.plugins.host import PluginHost
    from studio.qt.collector import application
    from studio.ui.images.images_pane import ImagesPane
    from studio.ui.session import ProjectSession

    with Project.create(folder / "library") as project:
        for i in range(count):
            picture = figure(f"a knight {i}", 256, 256, True)
            add_picture(project, f"knight-{i}", png_bytes(picture), kind="character")
        path = project.path
    app = application()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    host = PluginHost()
    host.load_all(entry_points=False)
    session = ProjectSession(host)
    pane = ImagesPane(session)

    async def measure() -> None:
        session.open(Project.open(path))
        await pane.idle()
        gui, total = [], []
        for _ in range(5):
            pane.library.forget()
            started = time.perf_counter()
            pane.refresh_library()
            gui.append(time.perf_counter() - started)
            await pane.library.idle()
            total.append(time.perf_counter() - started)
            assert all(pane.library.has_icon(e.key) for e in pane.library.entries())
        print(
            f"Images tab, {count} pictures: GUI thread {median_ms(gui)} to list them; "
            f"thumbnails ready after {median_ms(total)} (worker thread)"
        )
        session.close()
        await pane.idle()

    with loop:
        loop.run_until_complete(measure())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--pictures", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-images-") as tmp, ImageServer() as server:
        asyncio.run(requests(server, args.repeat))
        asyncio.run(keeping(server, Path(tmp), args.repeat))
        images_tab(Path(tmp), args.pictures)


if __name__ == "__main__":
    main()
