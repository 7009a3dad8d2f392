"""Slicing a run's units and merging shard out folders, on recorded results (no Qt): the
slices are disjoint, cover every unit and do not move; a merge refuses what is not one run's
whole set of shards, and its outputs equal those of the same results in one folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from studio.errors import StudioError
from studio.scoring.outputs import prices_to_meta, write_outputs
from studio.scoring.results import OutDir, StepResult, UnitResult, unit_id
from studio.scoring.shards import Shard, merge_shards, parse_shard, plan_units, shard_units
from studio.scoring.suite import Price, load_suite
from tests.bench.conftest import write_suite

REPO = Path(__file__).resolve().parents[2]
SUITE = """
name = "Recorded"
[prices."m1"]
in = 1.0
out = 2.0
""" + "".join(
    f'[[task]]\nid = "t{n}"\nprompt = "Make game {n}"\nchecks = ["loads"]\n' for n in range(5)
)
MODELS = ["m1", "m2"]


def test_parse_shard() -> None:
    assert parse_shard("2/4") == Shard(2, 4) and str(parse_shard(" 1 / 1 ")) == "1/1"
    for bad in ("0/3", "4/3", "3", "a/b", "1/0", ""):
        with pytest.raises(StudioError, match="--shard"):
            parse_shard(bad)


def test_slices_are_disjoint_even_stable_and_cover_every_unit(tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path, SUITE))
    units = plan_units(suite.tasks, MODELS, 3)
    assert len(units) == 30 and units[:3] == [
        (suite.tasks[0], "m1", 1),
        (suite.tasks[0], "m2", 1),
        (suite.tasks[1], "m1", 1),
    ]
    for count in (1, 2, 4, 7, 30, 31):
        slices = [shard_units(units, Shard(k, count)) for k in range(1, count + 1)]
        ids = [unit_id(t.id, m, r) for part in slices for t, m, r in part]
        assert sorted(ids) == sorted(unit_id(t.id, m, r) for t, m, r in units)  # each once
        sizes = [len(part) for part in slices]
        assert max(sizes) - min(sizes) <= 1
        again = [
            shard_units(plan_units(suite.tasks, MODELS, 3), Shard(k, count))
            for k in range(1, count + 1)
        ]
        assert again == slices
    assert shard_units(units, None) == units


def _result(task: str, model: str, repeat: int, passed: bool) -> UnitResult:
    uid = unit_id(task, model, repeat)
    step = StepResult(0, "Make it", checks=[{"kind": "loads", "label": "loads", "passed": passed}])
    return UnitResult(
        uid, task, model, repeat, status="done", steps=[step], started=1.0, elapsed=2.0
    )


def _record(folder: Path, suite_path: Path, shard: Shard | None, units: list, **extra) -> OutDir:
    """An out folder as a (shard of a) run leaves it."""
    suite = load_suite(suite_path)
    out = OutDir(folder)
    meta = {
        "suite": suite.name,
        "suite_path": str(suite.path),
        "suite_digest": suite.digest,
        "models": MODELS,
        "repeat": 1,
        "provider": "",
        "base_url": "",
        "started": "2026-01-01T10:00:00",
        "tasks": None,
        "shard": str(shard) if shard else None,
        "prices": prices_to_meta({**suite.prices, "m2": Price(3.0, 4.0)}),
        **extra,
    }
    out.prepare(meta, resume=False)
    for task, model, repeat in units:
        out.save(_result(task.id, model, repeat, passed=task.id in ("t1", "t4") or model == "m2"))
        (out.projects / f"{unit_id(task.id, model, repeat)}.studio").mkdir()
        (out.shots / f"{unit_id(task.id, model, repeat)}-v1.png").write_bytes(b"png")
    return out


def test_a_merge_of_recorded_shards_writes_what_one_folder_of_them_does(tmp_path: Path) -> None:
    path = write_suite(tmp_path, SUITE)
    suite = load_suite(path)
    units = plan_units(suite.tasks, MODELS, 1)
    whole = _record(tmp_path / "whole", path, None, units)
    expected = write_outputs(whole, suite, MODELS, {**suite.prices, "m2": Price(3.0, 4.0)})
    shards = [
        _record(tmp_path / f"s{k}", path, Shard(k, 3), shard_units(units, Shard(k, 3)))
        for k in (3, 1, 2)
    ]
    run = merge_shards(OutDir(tmp_path / "merged"), [s.path for s in shards])
    assert [r.unit for r in run.results] == [r.unit for r in expected.results]
    for name in ("results.json", "results.csv"):
        mine = (tmp_path / "merged" / name).read_text()
        theirs = (tmp_path / "whole" / name).read_text()
        if name == "results.json":  # the time it was written
            mine, theirs = (json.loads(t) | {"written": None} for t in (mine, theirs))
        assert mine == theirs
    assert (
        json.loads((tmp_path / "merged" / "results.json").read_text())["summary"][1]["cost"]
        is not None
    )
    assert sorted(p.name for p in (tmp_path / "merged" / "projects").iterdir()) == sorted(
        p.name for p in (tmp_path / "whole" / "projects").iterdir()
    )
    assert len(list((tmp_path / "merged" / "shots").iterdir())) == 10
    assert all((s.path / "results").is_dir() for s in shards)  # the shards are left as they were


def test_a_merge_refuses_what_is_not_one_runs_shards(tmp_path: Path) -> None:
    path = write_suite(tmp_path, SUITE)
    units = plan_units(load_suite(path).tasks, MODELS, 1)
    s1, s2 = (
        _record(tmp_path / f"s{k}", path, Shard(k, 2), shard_units(units, Shard(k, 2)))
        for k in (1, 2)
    )
    whole = _record(tmp_path / "whole", path, None, units)
    other = _record(tmp_path / "other", path, Shard(2, 2), [], repeat=2)
    cases = [
        ([s1.path], "shard 2/2 missing"),
        ([s1.path, s1.path], "shard 1/2 given twice"),
        ([s1.path, whole.path], "was not run with --shard"),
        ([s1.path, other.path], "its --repeat differ"),
        ([s1.path, tmp_path / "nothing"], "not a bench out folder"),
        ([], "give the out folders"),
    ]
    for folders, message in cases:
        with pytest.raises(StudioError, match=message):
            merge_shards(OutDir(tmp_path / "merged"), folders)
    with pytest.raises(StudioError, match="already holds 10 result"):
        merge_shards(whole, [s1.path, s2.path])
    path.write_text(SUITE + "# changed\n")
    with pytest.raises(StudioError, match="is not the one the shards ran"):
        merge_shards(OutDir(tmp_path / "merged"), [s1.path, s2.path])
    assert not (tmp_path / "merged" / "results").exists()  # nothing was copied


def test_a_shard_that_stopped_early_is_told(tmp_path: Path) -> None:
    path = write_suite(tmp_path, SUITE)
    units = plan_units(load_suite(path).tasks, MODELS, 1)
    s1 = _record(tmp_path / "s1", path, Shard(1, 2), shard_units(units, Shard(1, 2))[:3])
    s2 = _record(tmp_path / "s2", path, Shard(2, 2), shard_units(units, Shard(2, 2)))
    warnings: list[str] = []
    run = merge_shards(OutDir(tmp_path / "merged"), [s1.path, s2.path], on_warning=warnings.append)
    assert len(run.results) == 8
    assert warnings == [
        f"shard 1/2 ({s1.path}) has 3 of its 5 results: go on with it "
        f"(--resume --out {s1.path}) for a whole report"
    ]


def test_the_merge_command_says_what_is_wrong_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "STUDIO_CONFIG_DIR": str(tmp_path / "config")}
    for args, message in (
        (["merge", "out"], "usage: studio bench merge OUT_DIR SHARD_DIR"),
        (["merge", "out", str(tmp_path)], "not a bench out folder"),
        (["default", "--shard", "4/3"], "K must be from 1 to N"),
        (["default", "extra"], "unexpected arguments after the suite: extra"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "studio", "bench", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd=tmp_path,
        )
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert done.stderr.strip().splitlines()[-1].startswith("studio: error:")
        assert message in done.stderr
