"""How fast the picture tools are, and what pictures cost in a code request; run by hand:
``python benchmarks/bench_pictures.py``.

- Cut-out of a 12-megapixel photo (4000x3000, a person before a textured wall of leaves,
  stone and brick, with camera noise), and "put me in the game" from the same photo as a
  JPEG (decode, cut out, pixelate, palette, outline, store).
- Slicing a 16-frame sprite sheet drawn with uneven gaps: on a clear background, and on a
  flat colour (cut out first).
- The prompt-size cost of the asset list for 200 pictures (characters, sprite sheets,
  backgrounds, tiles, items, UI) in Studio's own token count (studio.ai.tokens, close to
  OpenAI's o200k tokenizer), against the same list as plain images, and the system
  prompt's picture section.

Wall time is the median of `--repeat` runs; CPU time is the process's user + system time
of the same runs (OpenCV may use more than one core).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from studio.ai.context import TokenBudget, format_assets
from studio.ai.prompts import system_prompt
from studio.ai.tokens import count_tokens
from studio.core.assets import library_manifest
from studio.core.pictures import add_picture
from studio.core.store import Project
from studio.media.pictures.cutout import Cutout, make_cutout
from studio.media.pictures.layout import SheetLayout
from studio.media.pictures.sheets import Sheet, slice_sheet
from studio.operations.pictures import make_hero
from studio.testing.pictures import figure_on_texture, sprite_sheet


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """Median wall seconds, mean CPU seconds per run, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        cpu = time.process_time()
        start = time.perf_counter()
        result = run()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.mean(cpus), result


def cut_out_photo(repeat: int) -> None:
    scene = figure_on_texture((4000, 3000), seed=1)
    wall, cpu, result = timed(lambda: make_cutout(scene.image), repeat)
    assert isinstance(result, Cutout)
    alpha = np.asarray(result.mask) >= 128
    iou = (alpha & scene.mask).sum() / (alpha | scene.mask).sum()
    print(
        f"cut-out, 12 MP photo ({result.method}):  {wall:6.2f} s wall, {cpu:5.2f} s CPU, "
        f"IoU {iou:.4f}"
    )
    photo = io.BytesIO()
    scene.image.save(photo, format="JPEG", quality=90)
    data = photo.getvalue()
    with (
        tempfile.TemporaryDirectory(prefix="bench_pictures.") as folder,
        Project.create(Path(folder) / "hero") as project,
    ):
        wall, cpu, _ = timed(lambda: make_hero(project, data), repeat)
    print(f"put me in the game, 12 MP JPEG:  {wall:6.2f} s wall, {cpu:5.2f} s CPU")
    tracemalloc.start()
    make_cutout(scene.image)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    print(f"cut-out's peak working memory (numpy and OpenCV arrays): {peak:.0f} MB")


def slicing(repeat: int) -> None:
    clear = sprite_sheet(16, 4, seed=1)
    wall, cpu, sheet = timed(lambda: slice_sheet(clear.image), repeat * 10)
    assert isinstance(sheet, Sheet)
    layout = sheet.layout
    exact = list(sheet.found) == clear.boxes
    print(
        f"slice a 16-frame sheet {clear.image.width}x{clear.image.height} (clear): "
        f"{wall * 1000:6.1f} ms wall, {cpu * 1000:5.1f} ms CPU; "
        f"{layout.columns}x{layout.rows} of {layout.frame_width}x{layout.frame_height}, "
        f"exact: {exact}"
    )
    flat = sprite_sheet(16, 4, seed=1, background=(255, 0, 255))
    wall, cpu, _ = timed(lambda: slice_sheet(make_cutout(flat.image).image), repeat * 10)
    print(
        f"slice a 16-frame sheet on a flat colour (cut out, then slice): "
        f"{wall * 1000:6.1f} ms wall, {cpu * 1000:5.1f} ms CPU"
    )


KINDS = (
    ("character", 70),
    ("sprite_sheet", 50),
    ("background", 30),
    ("tile", 20),
    ("item", 20),
    ("ui", 10),
)
WORDS = ("knight", "slime", "forest", "castle", "coin", "button", "dragon", "cloud", "stone")


def prompt_cost() -> None:
    rng = np.random.default_rng(0)
    with (
        tempfile.TemporaryDirectory(prefix="bench_pictures.") as folder,
        Project.create(Path(folder) / "many") as project,
    ):
        for kind, count in KINDS:
            for n in range(count):
                name = f"{WORDS[int(rng.integers(len(WORDS)))]}-{kind.replace('_', '-')}-{n}"
                if kind == "sprite_sheet":
                    frames = int(rng.choice([4, 6, 8, 12, 16]))
                    layout = SheetLayout(4, -(-frames // 4), 32, 48, frames, (16, 48))
                    size = (4 * 32, layout.rows * 48)
                else:
                    layout = None
                    size = {"background": (640, 360), "ui": (128, 48)}.get(kind, (32, 32))
                picture = Image.new("RGBA", size, (200, 100, 50, 255))
                anchor = (size[0] // 2, size[1]) if kind in ("character", "item") else None
                add_picture(project, name, picture, kind=kind, layout=layout, anchor=anchor)
        manifest = library_manifest(project)
    listed = format_assets(manifest)
    plain = format_assets(
        [{k: a[k] for k in ("name", "kind", "size", "width", "height")} for a in manifest]
    )
    tokens, plain_tokens = count_tokens(listed), count_tokens(plain)
    window = TokenBudget().available
    print(
        f"asset list, {len(manifest)} pictures: {tokens} tokens ({tokens / len(manifest):.1f} a "
        f"picture, {100 * tokens / window:.1f}% of a {window // 1000}k budget); as plain "
        f"images it was {plain_tokens}"
    )
    print("  e.g. " + "\n  e.g. ".join(listed.splitlines()[69:71]))
    system = system_prompt()
    section = system[system.index("- Pictures listed") : system.index("- Plays with the keyboard")]
    print(
        f"system prompt: {count_tokens(system)} tokens, of which the pictures part "
        f"{count_tokens(section)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    repeat = parser.parse_args().repeat
    print(f"cpus: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}")
    cut_out_photo(repeat)
    slicing(repeat)
    prompt_cost()


if __name__ == "__main__":
    main()
