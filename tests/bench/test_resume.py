"""Runs that stop and go on: results on disk as they finish, --resume skips them, results
that could not be run are run again, and several tasks and models at once."""

from __future__ import annotations

import dataclasses
import json

import pytest

from studio.errors import StudioError
from tests.bench.conftest import GAMES, RoutedChatServer, file_answer, write_suite

SUITE = """
name = "Two"
seconds = 1
keys = ["ArrowRight"]
taps = [[0.5, 0.5]]
[[task]]
id = "one"
prompt = "Make the first game"
checks = ["loads", { state = "score", equals = 0, at = "start" }]
[[task]]
id = "two"
prompt = "Make the second game"
checks = ["loads", "animates"]
"""


def script(server: RoutedChatServer, times: int = 1) -> None:
    for _ in range(times):
        server.route("Make the first game", file_answer(GAMES["good"]))
        server.route("Make the second game", file_answer(GAMES["good"]))


def test_resume_skips_finished_results_and_runs_the_rest(server, run_bench, tmp_path):
    path, out = write_suite(tmp_path, SUITE), tmp_path / "out"
    server.route("Make the first game", file_answer(GAMES["good"]))
    # The second task's service fails (500): not the model's fault, so not counted.
    first = run_bench(path, out)
    one, two = (next(r for r in first.results if r.task == t) for t in ("one", "two"))
    assert one.passed and two.status == "error" and not two.counted
    assert "500" in two.error or "server" in two.error
    assert first.summaries[0].results == 1 and first.summaries[0].not_run == 1
    assert sorted(p.name for p in (out / "results").iterdir()) == [
        "one--test-model--r1.json",
        "two--test-model--r1.json",
    ]
    stored = json.loads((out / "results" / "one--test-model--r1.json").read_text())

    asked = len(server.asked)
    server.route("Make the second game", file_answer(GAMES["good"]))
    events: list = []
    second = run_bench(path, out, resume=True, events=events)
    assert second.ran == 1 and second.skipped == 1
    assert [k for k, t in server.asked[asked:]] == ["generate"]  # only task two again
    assert "second game" in server.asked[-1][1]
    assert all(r.passed for r in second.results) and second.summaries[0].tasks_passed == 2
    assert json.loads((out / "results" / "one--test-model--r1.json").read_text()) == stored
    assert events[0].kind == "start" and "1 already done" in events[0].text

    asked = len(server.asked)
    third = run_bench(path, out, resume=True)
    assert third.ran == 0 and third.skipped == 2 and len(server.asked) == asked
    assert (out / "report.html").is_file()


def test_an_out_folder_with_results_is_not_overwritten_without_resume(server, run_bench, tmp_path):
    path, out = write_suite(tmp_path, SUITE), tmp_path / "out"
    script(server)
    run_bench(path, out, tasks=["one"])
    with pytest.raises(StudioError, match="add --resume"):
        run_bench(path, out)


def test_an_unfinished_project_is_started_over_on_resume(server, run_bench, tmp_path):
    path, out = write_suite(tmp_path, SUITE), tmp_path / "out"
    leftover = out / "projects" / "one--test-model--r1.studio"
    leftover.mkdir(parents=True)
    (leftover / "junk").write_text("from a run that stopped")
    script(server)
    run = run_bench(path, out, resume=True, tasks=["one"])
    assert run.results[0].passed and not (leftover / "junk").exists()


def test_several_models_and_repeats_run_at_once_within_the_limit(server, run_bench, tmp_path):
    path, out = write_suite(tmp_path, SUITE), tmp_path / "out"
    # 1 task × 2 models × 2 repeats, answered by prompt. Each answer waits long enough for
    # all units allowed to start to be asking at once, and more if the limit were ignored.
    answer = dataclasses.replace(file_answer(GAMES["good"]), delay=1.0)
    server.route("Make the first game", *[answer] * 4)
    run = run_bench(path, out, models=["alpha", "beta/v2"], repeat=2, jobs=3, tasks=["one"])
    assert 1 < server.max_in_flight <= 3, server.max_in_flight
    assert len(run.results) == 4 and all(r.passed for r in run.results)
    assert [s.model for s in run.summaries] == ["alpha", "beta/v2"]
    assert all(s.results == 2 and s.tasks_passed == 2 for s in run.summaries)
    bodies = [r.body for r in server.chat_requests]
    assert sorted(b["model"] for b in bodies) == ["alpha", "alpha", "beta/v2", "beta/v2"]
    units = sorted(p.stem for p in (out / "results").iterdir())
    assert units[:2] == ["one--alpha--r1", "one--alpha--r2"]
    assert units[2].startswith("one--beta_v2-") and units[2].endswith("--r1")  # a safe name
    assert len({r.project for r in run.results}) == 4  # a project each
