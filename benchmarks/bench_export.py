"""Export speed and size; run by hand: ``python benchmarks/bench_export.py [--shots DIR]``.

- Each starter template as a single HTML file and as a zip (median of a few runs).
- A game with an 8-second 1280x720 30 fps clip (WebM proxy made by studio.media): the single
  file and the zip, first with an empty MP4-fallback cache (the H.264 encode is most of the
  time) and then warm; and the project archive, exported and imported again.
- With ``--shots DIR``: the single-file shell page of a template and of the video game
  photographed in headless Chromium at phone-portrait, phone-landscape and desktop sizes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "export"))

from studio.core.store import Project  # noqa: E402
from studio.export import (  # noqa: E402
    ArchiveExporter,
    SingleHtmlExporter,
    ZipExporter,
    human_size,
    import_archive,
)
from studio.operations.projects import new_project  # noqa: E402
from studio.plugins.host import PluginHost  # noqa: E402

CLIP_SECONDS, CLIP_SIZE, CLIP_FPS = 8.0, (1280, 720), 30

VIDEO_GAME = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Clip runner</title>
<style>html,body{margin:0;height:100%;background:#000;overflow:hidden}
video{position:fixed;inset:0;width:100%;height:100%;object-fit:cover}
p{position:fixed;left:0;right:0;bottom:10%;text-align:center;color:#fff;font:bold 6vmin sans-serif}
</style></head>
<body><video src="assets/clip.webm" autoplay muted loop playsinline></video>
<p id="msg">Press a key or tap</p>
<script>addEventListener('keydown',()=>{msg.textContent='Playing!'});
addEventListener('pointerdown',()=>{msg.textContent='Playing!'});</script>
</body></html>
"""


def timed(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def export_once(exporter, project: Project, out: Path) -> int:
    if out.exists():
        out.unlink()
    return asyncio.run(exporter.export(project, None, out)).size


def row(label: str, seconds: float, size: int) -> None:
    print(f"{label:<44} {seconds * 1000:>9.0f} ms  {human_size(size):>10}")


def make_clip(folder: Path) -> Path:
    from studio.media import make_proxy
    from studio.testing.clips import make_test_clip

    source = make_test_clip(folder / "source.mp4", CLIP_SECONDS, CLIP_SIZE, CLIP_FPS)
    return asyncio.run(make_proxy(source, folder / "clip.webm"))


def screenshots(pages: dict[str, Path], out: Path) -> None:
    from chromium import Browser

    out.mkdir(parents=True, exist_ok=True)
    sizes = {
        "phone-portrait": (390, 844, True),
        "phone-landscape": (844, 390, True),
        "desktop": (1280, 800, False),
    }
    browser = Browser()
    try:
        for name, html in pages.items():
            for label, (w, h, mobile) in sizes.items():
                page = browser.new_page()
                page.set_viewport(w, h, mobile=mobile, scale=2 if mobile else 1)
                page.goto(html.as_uri())
                time.sleep(1.5)
                shot = out / f"{name}-{label}.png"
                shot.write_bytes(page.screenshot())
                print(f"screenshot {shot}  errors: {[e.text for e in page.errors] or 'none'}")
                page.close()
    finally:
        browser.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shots", type=Path, help="save shell screenshots here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_export.") as tmp:
        folder = Path(tmp)
        os.environ["STUDIO_CACHE_DIR"] = str(folder / "cache")
        host = PluginHost()
        host.load_all(entry_points=False)
        html, zipped = SingleHtmlExporter(), ZipExporter()
        print(f"{'export':<44} {'time':>12}  {'size':>10}")
        shots: dict[str, Path] = {}
        for template in host.templates():
            project = new_project(folder / f"{template.name}.studio", template)
            out_html, out_zip = folder / f"{template.name}.html", folder / f"{template.name}.zip"
            size = export_once(html, project, out_html)
            row(
                f"{template.name}: single HTML",
                timed(lambda p=project, o=out_html: export_once(html, p, o), args.repeat),
                size,
            )
            size = export_once(zipped, project, out_zip)
            row(
                f"{template.name}: zip",
                timed(lambda p=project, o=out_zip: export_once(zipped, p, o), args.repeat),
                size,
            )
            shots.setdefault(template.name, out_html)
            project.close()

        started = time.perf_counter()
        clip = make_clip(folder)
        print(
            f"(8 s 1280x720 clip: WebM proxy {human_size(clip.stat().st_size)}, "
            f"made in {time.perf_counter() - started:.1f} s)"
        )
        project = Project.create(folder / "video.studio", name="Clip runner")
        project.commit(
            {"index.html": VIDEO_GAME, "assets/clip.webm": clip.read_bytes()},
            parent=None,
            kind="manual",
        )
        out_html, out_zip = folder / "video.html", folder / "video.zip"
        print(
            f"   estimate shown before export (no MP4 yet): "
            f"html {human_size(html.estimate(project, None))}, "
            f"zip {human_size(zipped.estimate(project, None))}"
        )
        start = time.perf_counter()
        size = export_once(html, project, out_html)
        row("8 s 720p clip: single HTML (cold, encodes MP4)", time.perf_counter() - start, size)
        row(
            "8 s 720p clip: single HTML (warm cache)",
            timed(lambda: export_once(html, project, out_html), args.repeat),
            size,
        )
        shutil.rmtree(folder / "cache")
        start = time.perf_counter()
        size = export_once(zipped, project, out_zip)
        row("8 s 720p clip: zip (cold, encodes MP4)", time.perf_counter() - start, size)
        row(
            "8 s 720p clip: zip (warm cache)",
            timed(lambda: export_once(zipped, project, out_zip), args.repeat),
            size,
        )
        archive = folder / "video.studioproj"
        size = export_once(ArchiveExporter(), project, archive)
        row(
            "8 s 720p clip: project archive",
            timed(lambda: export_once(ArchiveExporter(), project, archive), args.repeat),
            size,
        )

        def reimport() -> None:
            dest = folder / "imported.studio"
            shutil.rmtree(dest, ignore_errors=True)
            import_archive(archive, dest).close()

        row(
            "8 s 720p clip: import archive (all checks)",
            timed(reimport, args.repeat),
            archive.stat().st_size,
        )
        shots["video"] = out_html
        project.close()
        if args.shots:
            screenshots(shots, args.shots)


if __name__ == "__main__":
    main()
