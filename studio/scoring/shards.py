"""Benches bigger than one machine: a run's units in N disjoint, stable slices (`--shard
K/N`), and the merge of the slices' out folders into one, with the same results.json,
results.csv and report.html a single run writes. Any scheduler that can start N commands (a
CI matrix, a Slurm array, Ray or Kubernetes jobs) runs a suite this way. Qt-free.

The units are every task × model × repeat in the run's order (repeat, then task, then
model); shard K of N takes every N-th one from the K-th, so the slices are as even as they
can be, and the same suite, models and repeats always slice the same way.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from studio.errors import StudioError
from studio.scoring.outputs import prices_from_meta, write_outputs
from studio.scoring.results import BenchRun, OutDir, _write_atomic, unit_id
from studio.scoring.suite import Suite, Task, load_suite

__all__ = ["Shard", "merge_shards", "parse_shard", "plan_units", "shard_units"]

T = TypeVar("T")

# What shards of one run must share, and the words a mismatch is told in.
_SAME = {
    "suite_digest": "suite",
    "models": "models",
    "repeat": "--repeat",
    "tasks": "--task choice",
    "agent_model": "--agent-model",
}


@dataclass(frozen=True)
class Shard:
    index: int  # K, from 1
    count: int  # N

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not match:
        raise StudioError(f"--shard takes K/N, such as 2/4 (got {text!r})")
    index, count = int(match[1]), int(match[2])
    if not 1 <= index <= count:
        raise StudioError(f"--shard {text}: K must be from 1 to N")
    return Shard(index, count)


def plan_units(
    tasks: Sequence[Task], models: Sequence[str], repeat: int
) -> list[tuple[Task, str, int]]:
    """Every task × model × repeat, models interleaved so a stopped run stays fair."""
    return [(t, m, r) for r in range(1, repeat + 1) for t in tasks for m in models]


def shard_units(units: Sequence[T], shard: Shard | None) -> list[T]:
    """Shard K of N's slice of `units` (all of them without a shard)."""
    if shard is None:
        return list(units)
    return list(units[shard.index - 1 :: shard.count])


def merge_shards(
    out: OutDir,
    shard_dirs: Sequence[Path],
    *,
    suite_path: Path | None = None,
    on_warning: Callable[[str], object] | None = None,
) -> BenchRun:
    """Join the out folders of shards 1..N of one run into `out` (new, or empty of results)
    and write its reports. Results, projects and pictures are copied; the shards are left
    as they are. Refused with a clear message: folders that are not shards of the same run,
    a shard missing or given twice, a suite that changed, an out folder with results."""
    metas = [_shard_meta(Path(d)) for d in shard_dirs]
    if not metas:
        raise StudioError("give the out folders of the shards to merge")
    first = metas[0][1]
    for folder, meta in metas[1:]:
        for key, words in _SAME.items():
            if meta.get(key) != first.get(key):
                raise StudioError(f"{folder} is a shard of another run (its {words} differ)")
    shards = [parse_shard(str(meta["shard"])) for _, meta in metas]
    count = shards[0].count
    if any(s.count != count for s in shards):
        raise StudioError(
            "the shards were cut in different numbers: " + ", ".join(map(str, shards))
        )
    given = sorted(s.index for s in shards)
    twice = sorted({k for k in given if given.count(k) > 1})
    missing = [k for k in range(1, count + 1) if k not in given]
    if twice or missing:
        what = [f"shard {k}/{count} given twice" for k in twice]
        what += [f"shard {k}/{count} missing" for k in missing]
        raise StudioError("cannot merge: " + "; ".join(what))

    suite = load_suite(suite_path or Path(str(first.get("suite_path", ""))))
    if suite.digest != first.get("suite_digest"):
        raise StudioError(
            f"the suite {suite.path} is not the one the shards ran (it changed, or give the "
            "same file with --suite-file)"
        )
    done = list(out.results.glob("*.json")) if out.results.is_dir() else []
    if done:
        raise StudioError(f"{out.path} already holds {len(done)} result(s): choose another folder")

    copies = _copies(out, [Path(d) for d in shard_dirs])
    _warn_short(suite, first, metas, shards, on_warning)
    for folder in (out.results, out.projects, out.shots):
        folder.mkdir(parents=True, exist_ok=True)
    for source, target in copies:
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    merged = {k: v for k, v in first.items() if k != "shard"}
    merged["started"] = min(str(m.get("started") or "") for _, m in metas) or None
    merged["shard"] = None
    merged["merged_from"] = [str(Path(d).resolve()) for d in shard_dirs]
    _write_atomic(out.path / "bench.json", json.dumps(merged, indent=2))
    prices = prices_from_meta(first.get("prices"))
    return write_outputs(
        out, suite, first.get("models", []), suite.prices if prices is None else prices
    )


def _shard_meta(folder: Path) -> tuple[Path, dict[str, Any]]:
    meta = OutDir(folder).read_meta()
    if meta is None:
        raise StudioError(f"{folder} is not a bench out folder (no bench.json)")
    if not meta.get("shard"):
        raise StudioError(f"{folder} was not run with --shard K/N")
    return folder, meta


def _copies(out: OutDir, folders: list[Path]) -> list[tuple[Path, Path]]:
    """Every file to copy, checked before any is: two shards must not hold the same one."""
    plan: dict[Path, Path] = {}
    for folder in folders:
        source = OutDir(folder)
        for part, target in (
            (source.results, out.results),
            (source.projects, out.projects),
            (source.shots, out.shots),
        ):
            if not part.is_dir():
                continue
            for item in sorted(part.iterdir()):
                if item.name.startswith("."):
                    continue  # a write that never finished
                destination = target / item.name
                if destination in plan or destination.exists():
                    where = plan.get(destination, destination)
                    raise StudioError(f"{item.name} is in more than one shard ({where}, {item})")
                plan[destination] = item
    return [(source, target) for target, source in plan.items()]


def _warn_short(
    suite: Suite,
    meta: dict[str, Any],
    metas: list[tuple[Path, dict[str, Any]]],
    shards: list[Shard],
    on_warning: Callable[[str], object] | None,
) -> None:
    """A shard that stopped before its slice was done makes a report with holes: say so."""
    if on_warning is None:
        return
    tasks = [suite.task(t) for t in meta.get("tasks") or []] or list(suite.tasks)
    units = plan_units(tasks, list(meta.get("models") or []), int(meta.get("repeat") or 1))
    for (folder, _), shard in zip(metas, shards, strict=True):
        wanted = {unit_id(t.id, m, r) for t, m, r in shard_units(units, shard)}
        have = {p.stem for p in OutDir(folder).results.glob("*.json")}
        if not wanted <= have:
            on_warning(
                f"shard {shard} ({folder}) has {len(wanted & have)} of its {len(wanted)} "
                f"results: go on with it (--resume --out {folder}) for a whole report"
            )
