"""Benches bigger than one machine: a suite run whole, and run as 3 shards (`--shard K/N`)
merged with `studio bench merge`, give the same results, byte for byte apart from timings;
the scripted chat server answers and the real player plays every game."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from studio.scoring.shards import Shard
from tests.bench.conftest import GAMES, edit_answer, file_answer, write_suite

REPO = Path(__file__).resolve().parents[2]

SUITE = """
name = "Sliced"
seconds = 1
keys = ["ArrowRight"]
taps = [[0.5, 0.5]]
[[task]]
id = "hopper"
prompt = "Make the hopper game"
checks = ["loads", "animates", { state = "score", equals = 0, at = "start" }]
[[task.followup]]
prompt = "Make the hopper faster"
checks = [{ state = "speed", at = "start", compare = "previous", increases = true }]
[[task]]
id = "still"
prompt = "Make the still game"
checks = ["loads", "animates"]
[[task]]
id = "broken"
prompt = "Make the game nobody answers"
checks = ["loads"]
"""
MODELS = ["model-a", "model-b"]

# Values that depend on the clock (or, in a state snapshot, on how many frames ran).
TIMINGS = {
    "started",
    "written",
    "elapsed",
    "ttft",
    "total_time",
    "fps",
    "seconds",
    "ttft_mean",
    "ttft_median",
    "generation_time",
    "time_per_task",
    "start_state",
    "end_state",
}


# Timings inside the checks' words: a game's frame rate, how long it played.
CLOCKED = [
    (re.compile(r"\d+(\.\d+)? fps\b"), "N fps"),
    (re.compile(r"in \d+(\.\d+)? s\b"), "in N s"),
]


def _unclocked(text: str) -> str:
    for pattern, words in CLOCKED:
        text = pattern.sub(words, text)
    return text


def _without_timings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: None if k in TIMINGS else _without_timings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def results_text(out: Path) -> str:
    """results.json as written, timings blanked."""
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return _unclocked(json.dumps(_without_timings(data), indent=1, ensure_ascii=False))


def csv_rows(out: Path) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO((out / "results.csv").read_text(encoding="utf-8"))))
    return [{k: "" if k in ("ttft_s", "generation_s") else v for k, v in r.items()} for r in rows]


def html_text(out: Path) -> str:
    """report.html with the out folder, start time, durations and the embedded thumbnails
    (last frames: when a game is caught depends on the clock) taken out."""
    text = (out / "report.html").read_text(encoding="utf-8").replace(str(out), "OUT")
    text = re.sub(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+", "data:picture", text)
    text = re.sub(r"started [0-9-]+ [0-9:]+", "started T", text)
    text = re.sub(r"\d+(\.\d+)? (s|min)\b", "N s", _unclocked(text))
    # Which model was quicker is a timing too.
    timed_rows = r"<tr><td class=\"label\">(Time to first token|Generation time).*?</tr>"
    return re.sub(timed_rows, lambda m: m[0].replace(" best", ""), text)


def merge(out: Path, *shards: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "studio", "bench", "merge", str(out), *map(str, shards)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=out.parent,
    )


def test_three_shards_merged_make_the_report_of_one_run(server, run_bench, tmp_path):
    runs = 4  # the whole run and three shards each ask every model once
    server.route("Make the hopper game", *[file_answer(GAMES["good"])] * (2 * runs))
    server.route(
        "Make the hopper faster",
        *[edit_answer("const SPEED = 2;", "const SPEED = 4;")] * (2 * runs),
    )
    server.route("Make the still game", *[file_answer(GAMES["still"])] * (2 * runs))
    # "broken" gets no answer: the service fails (500), a result that is not run.
    suite = write_suite(tmp_path, SUITE)
    whole = run_bench(suite, tmp_path / "whole", models=MODELS)
    assert [r.unit for r in whole.results] == [
        "hopper--model-a--r1",
        "hopper--model-b--r1",
        "still--model-a--r1",
        "still--model-b--r1",
        "broken--model-a--r1",
        "broken--model-b--r1",
    ]
    verdicts = [(r.passed, r.counted) for r in whole.results]
    assert verdicts == [(True, True)] * 2 + [(False, True)] * 2 + [(False, False)] * 2

    shards = []
    for k in (1, 2, 3):
        folder = tmp_path / f"shard-{k}"
        events: list = []
        part = run_bench(suite, folder, models=MODELS, shard=Shard(k, 3), events=events)
        assert events[0].text.startswith(f"shard {k}/3: 2 to run")
        assert len(part.results) == 2
        shards.append(folder)
    ran = [sorted(p.stem for p in (s / "results").glob("*.json")) for s in shards]
    assert sorted(u for units in ran for u in units) == sorted(r.unit for r in whole.results)

    # Given in any order: the merge puts the units where a single run has them.
    done = merge(tmp_path / "merged", shards[2], shards[0], shards[1])
    assert done.returncode == 0, done.stderr
    merged = tmp_path / "merged"
    assert results_text(merged) == results_text(tmp_path / "whole")
    assert csv_rows(merged) == csv_rows(tmp_path / "whole")
    assert html_text(merged) == html_text(tmp_path / "whole")
    seconds = re.compile(r"\d+(\.\d+)? s\b")
    assert seconds.sub("N s", done.stdout.strip()) == seconds.sub("N s", _table(whole))
    for r in whole.results:  # every project and picture the report links to is there
        if r.project:
            assert (merged / r.project / "project.db").is_file()
        for step in r.steps:
            if step.play and step.play.screenshot:
                assert (merged / step.play.screenshot).is_file()


def _table(run: Any) -> str:
    from studio.scoring.report import summary_table

    return summary_table(run.summaries)
