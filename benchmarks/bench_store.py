"""Project store timings: opening a long history, and committing one more version.

A project of N versions (default 1,000) is built through the real commit path. Each version
holds three files that together weigh about 60 KB (index.html, game.js, style.css) and
changes one of them, the way a person's edits and generations do: mostly game.js.

    python benchmarks/bench_store.py [--versions 1000] [--repeat 30] [--commits 100] [--dir D]

Figures are medians (and the 90th percentile) of several runs, in milliseconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.core.store import Project
from studio.operations.projects import version_tree  # noqa: E402

FRAME_MS = 16.0


def _game_files(rng: random.Random) -> dict[str, str]:
    words = ["player", "enemy", "score", "speed", "jump", "tile", "level", "sprite", "frame"]

    def code(lines: int) -> str:
        return "".join(
            f"  const {rng.choice(words)}{i} = {rng.randint(0, 999)}; // {rng.choice(words)}\n"
            for i in range(lines)
        )

    return {
        "index.html": "<!doctype html>\n<canvas id=game></canvas>\n" + code(300),
        "game.js": "function loop() {\n" + code(1500) + "}\n",
        "style.css": "".join(f".c{i} {{ margin: {i}px; }}\n" for i in range(230)),
    }


def _edit(files: dict[str, str], n: int, rng: random.Random) -> dict[str, str]:
    """One changed file, as an edit would: mostly the game code, sometimes page or style."""
    changed = dict(files)
    path = rng.choices(["game.js", "index.html", "style.css"], weights=[8, 1, 1])[0]
    lines = changed[path].splitlines(keepends=True)
    at = rng.randrange(len(lines))
    lines[at] = f"  let tweak{n} = {rng.random():.6f};\n"
    changed[path] = "".join(lines)
    return changed


def build(path: Path, versions: int, rng: random.Random) -> dict[str, str]:
    files = _game_files(rng)
    with Project.create(path) as project:
        parent = None
        for n in range(versions):
            kind = "template" if n == 0 else rng.choice(["generate", "edit", "fix", "manual"])
            version = project.commit(files, parent=parent, kind=kind, prompt=f"change {n}")
            parent = version.id
            if n % 97 == 96:  # now and then a fork from an older version
                project.fork(rng.randrange(1, version.id))
                project.set_head(version.id)
            files = _edit(files, n, rng)
    return files


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def report(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    median = statistics.median(ordered)
    over = "  > one frame" if median > FRAME_MS else ""
    print(f"  {label:<44} median {median:8.2f} ms   p90 {p90:8.2f} ms{over}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30, help="runs of each read measurement")
    parser.add_argument("--commits", type=int, default=100, help="commits to time")
    parser.add_argument("--dir", type=Path, help="where to build the project (default: temp)")
    args = parser.parse_args()
    rng = random.Random(1234)

    with tempfile.TemporaryDirectory(prefix="bench-store-", dir=args.dir) as tmp:
        path = Path(tmp) / "bench"
        start = time.perf_counter()
        files = build(path, args.versions, rng)
        built = time.perf_counter() - start
        folder = path.with_name("bench.studio")
        with Project.open(folder) as p:
            count = len(p.versions())
            head_size = sum(len(d) for d in p.files().values())
        blobs = list((folder / "blobs").iterdir())
        db_size = (folder / "project.db").stat().st_size
        print(
            f"project: {count} versions, 3 files ({head_size / 1024:.0f} KB) each; "
            f"{len(blobs)} blobs ({sum(b.stat().st_size for b in blobs) / 2**20:.1f} MiB), "
            f"database {db_size / 2**20:.2f} MiB; built in {built:.1f} s"
        )

        print("opening (includes integrity check):")
        report("Project.open + close", timed(lambda: Project.open(folder).close(), args.repeat))

        def open_and_show() -> None:
            with Project.open(folder) as p:
                version_tree(p)  # lists the versions, as the History pane does
                p.files()

        report("open + version tree + head's files", timed(open_and_show, args.repeat))

        with Project.open(folder) as p:
            print("on an open project:")
            report("versions()", timed(p.versions, args.repeat))
            report("version_tree()", timed(lambda: version_tree(p), args.repeat))
            report("files(head)", timed(p.files, args.repeat))

            print("committing:")
            samples = []
            for n in range(args.commits):
                files = _edit(files, 10_000 + n, rng)
                start = time.perf_counter()
                p.commit(files, parent=p.head, kind="edit")
                samples.append((time.perf_counter() - start) * 1000)
            report("commit one version (one file changed)", samples)
            unchanged = timed(lambda: p.commit(files, parent=p.head, kind="manual"), args.commits)
            report("commit one version (nothing new to store)", unchanged)


if __name__ == "__main__":
    main()
