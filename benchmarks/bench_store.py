"""Project store timings: opening a long history, and committing one more version.

A project of N versions (default 1,000) is built through the real commit path. Each version
holds three files that together weigh about 60 KB (index.html, game.js, style.css) and
changes one of them, the way a person's edits and generations do: mostly game.js.

A large project follows (default 10,000 versions and 2,000 assets: 400 clips of three files
each and 800 pictures), also built through the real paths, with generation records on its
versions. Timed: opening it with everything History and the clip and picture libraries show
(store open, version tree, head's files, the asset list with its metadata), and the same
with lazy rows: the tree's shape and the first page of each list.

    python benchmarks/bench_store.py [--versions 1000] [--repeat 30] [--commits 100]
        [--large-versions 10000] [--large-assets 2000] [--dir D]

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

from studio.core.assets import clip_count, clip_page, clips  # noqa: E402
from studio.core.pictures import KINDS, PICTURE_ROLE, picture_count, picture_page, pictures  # noqa: E402
from studio.core.records import GenerationInfo  # noqa: E402
from studio.core.store import Project  # noqa: E402
from studio.operations.history import VersionTree  # noqa: E402
from studio.operations.projects import version_tree  # noqa: E402

FRAME_MS = 16.0
PAGE = 60  # rows a list shows at once, and a little more


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


def build_large(path: Path, versions: int, assets: int, rng: random.Random) -> None:
    """A long-lived project: generated versions with their records (model, tokens, times,
    changed files), a fork now and then, and a library of clips (proxy, original and
    thumbnail, as `import_video` stores them) and pictures (as `add_picture` does)."""
    files = {
        "index.html": "<!doctype html>\n<canvas id=game></canvas>\n",
        "game.js": "function loop() {}\n" * 40,
        "style.css": "canvas { width: 100%; }\n",
    }
    with Project.create(path) as project:
        parent = None
        for n in range(versions):
            kind = "template" if n == 0 else rng.choice(["generate", "edit", "fix", "manual"])
            made = kind in ("generate", "edit", "fix")
            info = GenerationInfo(
                "openai", "gpt-4.1", rng.randint(2000, 9000), rng.randint(50, 4000), 0.4, 9.5
            )
            version = project.commit(
                files,
                parent=parent,
                kind=kind,
                prompt=f"make the enemies {rng.choice(['faster', 'red', 'jump'])} ({n})"
                if made
                else None,
                info=info if made else None,
                meta={"changed": ["game.js"]} if made else {"label": f"edit {n}"},
            )
            parent = version.id
            if n % 97 == 96:
                project.fork(rng.randrange(1, version.id))
                project.set_head(version.id)
            files = {**files, "game.js": files["game.js"] + f"// {n}\n"}
        clip_count = assets // 5  # 3 files a clip: 2/5 of the assets pictures
        for n in range(clip_count):
            stem = f"clip-{n}"
            common = {"source": "generated", "prompt": f"a fox running, take {n}", "job": n}
            facts = {"duration": 8.0, "width": 1280, "height": 720, "fps": 30.0}
            links = {"clip": f"{stem}.webm"}
            project.add_asset(
                f"{stem}.mp4",
                f"mp4 {n}".encode(),
                meta={**common, **facts, "role": "original", **links},
            )
            project.add_asset(
                f"{stem}.jpg", f"jpg {n}".encode(), meta={**common, "role": "thumbnail", **links}
            )
            project.add_asset(
                f"{stem}.webm",
                f"webm {n}".encode(),
                meta={
                    **common,
                    **facts,
                    "role": "proxy",
                    "has_audio": True,
                    **links,
                    "original": f"{stem}.mp4",
                    "thumbnail": f"{stem}.jpg",
                },
            )
        for n in range(assets - 3 * clip_count):
            kind = KINDS[n % len(KINDS)]
            meta = {"role": PICTURE_ROLE, "kind": kind, "width": 128, "height": 96}
            meta.update(source="generated", prompt=f"a knight, pose {n}", model="gpt-image-1")
            if kind == "sprite_sheet":
                meta["layout"] = {
                    "columns": 4,
                    "rows": 2,
                    "frame_width": 32,
                    "frame_height": 48,
                    "frames": 8,
                    "anchor": [16, 48],
                }
            meta.update(anchor=[16, 48], photo=None)
            project.add_asset(f"picture-{n}.png", f"png {n}".encode(), meta=meta)


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
    parser.add_argument("--large-versions", type=int, default=10_000)
    parser.add_argument("--large-assets", type=int, default=2_000)
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

        if args.large_versions:
            large(Path(tmp) / "large", args.large_versions, args.large_assets, args.repeat, rng)


def large(path: Path, versions: int, assets: int, repeat: int, rng: random.Random) -> None:
    start = time.perf_counter()
    build_large(path, versions, assets, rng)
    built = time.perf_counter() - start
    folder = path.with_name("large.studio")
    with Project.open(folder) as p:
        count, shown = len(p.versions()), (len(clips(p)), len(pictures(p)))
    db_size = (folder / "project.db").stat().st_size
    print(
        f"large project: {count} versions, {assets} assets ({shown[0]} clips, {shown[1]} "
        f"pictures); database {db_size / 2**20:.1f} MiB; built in {built:.0f} s"
    )

    def open_everything() -> None:
        with Project.open(folder) as p:
            version_tree(p)
            p.files()
            clips(p)
            pictures(p)

    def open_lazily() -> None:
        """What the window needs to show History and both libraries with lazy rows: the
        tree's shape, the counts, and the first page of each."""
        with Project.open(folder) as p:
            VersionTree(p).page(0, PAGE)
            p.files()
            clip_count(p), clip_page(p, 0, PAGE)
            picture_count(p), picture_page(p, 0, PAGE)

    print("opening, every record read:")
    report("open + tree + head's files + clips + pictures", timed(open_everything, repeat))
    print(f"opening with lazy rows (first {PAGE} of each list):")
    report("open + tree's shape + head's files + pages", timed(open_lazily, repeat))
    with Project.open(folder) as p:
        print("parts:")
        report("Project.open + close", timed(lambda: Project.open(folder).close(), repeat))
        report("version_tree() (every record)", timed(lambda: version_tree(p), repeat))
        report("VersionTree() (the shape)", timed(lambda: VersionTree(p), repeat))
        tree = VersionTree(p)
        report(f"VersionTree.page(): {PAGE} rows", timed(lambda: tree.page(0, PAGE), repeat))
        middle = len(tree) // 2
        report(f"  {PAGE} rows in the middle", timed(lambda: tree.page(middle, PAGE), repeat))
        report("assets()", timed(p.assets, repeat))
        report("clips()", timed(lambda: clips(p), repeat))
        report(
            f"clip_count() + clip_page(): {PAGE}",
            timed(lambda: (clip_count(p), clip_page(p, 0, PAGE)), repeat),
        )
        report("pictures()", timed(lambda: pictures(p), repeat))
        report(
            f"picture_count() + picture_page(): {PAGE}",
            timed(lambda: (picture_count(p), picture_page(p, 0, PAGE)), repeat),
        )


if __name__ == "__main__":
    main()
