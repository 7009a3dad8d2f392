"""`studio bench` as a real process against the routed chat server on 127.0.0.1."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.ai.chat_server import TEST_API_KEY
from tests.bench.conftest import GAMES, edit_answer, file_answer, write_suite

REPO = Path(__file__).resolve().parents[2]

SUITE = """
name = "Tiny"
seconds = 1
keys = ["ArrowRight"]
taps = [[0.5, 0.5]]
[[task]]
id = "hopper"
title = "Hopper"
kind = "platformer"
prompt = "Make the hopper game"
checks = ["loads", "animates", { state = "score", equals = 0, at = "start" }]
[[task.followup]]
kind = "speed"
prompt = "Make the hopper faster"
checks = [{ state = "speed", at = "start", compare = "previous", increases = true }]
[[task]]
id = "still"
title = "Still life"
prompt = "Make the still game"
checks = ["loads", "animates"]
"""


def studio(*args: str | Path, tmp_path: Path, timeout: float = 240):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env.update(
        STUDIO_CONFIG_DIR=str(tmp_path / "config"),
        PYTHONPATH=str(REPO),
        QT_QPA_PLATFORM="offscreen",
        STUDIO_TEST_KEY=TEST_API_KEY,
    )
    return subprocess.run(
        [sys.executable, "-m", "studio", "bench", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=tmp_path,
    )


def test_the_command_runs_a_suite_end_to_end(server, tmp_path):
    server.route("Make the hopper game", file_answer(GAMES["good"]))
    server.route("Make the hopper faster", edit_answer("const SPEED = 2;", "const SPEED = 4;"))
    server.route("Make the still game", file_answer(GAMES["still"]))
    suite, out = write_suite(tmp_path, SUITE), tmp_path / "out"
    common = [suite, "--base-url", server.base_url, "--api-key-env", "STUDIO_TEST_KEY"]
    common += ["--model", "test-model", "--out", out]
    result = studio(*common, "--price-in", "2", "--price-out", "8", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and TEST_API_KEY not in result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["model", "tasks", "passed"]
    row = lines[2].split()
    assert row[0] == "test-model" and row[1:3] == ["1/2", "50%"] and row[-1] == "$0.0009"
    assert "[2/2]" in result.stderr and "report:" in result.stderr

    data = json.loads((out / "results.json").read_text())
    summary = data["summary"][0]
    assert summary["tasks_passed"] == 1 and summary["results"] == 2
    assert summary["tokens_in"] == 36 and summary["tokens_out"] == 102  # 3 answers × (12, 34)
    assert summary["cost"] == 36 / 1e6 * 2 + 102 / 1e6 * 8
    assert data["prices_per_million_tokens"] == {"test-model": {"in": 2.0, "out": 8.0}}
    rows = {r["task"]: r for r in csv.DictReader((out / "results.csv").open())}
    assert rows["hopper"]["passed"] == "1" and rows["still"]["passed"] == "0"
    assert rows["hopper"]["checks_passed"] == rows["hopper"]["checks_total"] == "6"
    assert (out / "report.html").read_text().count("<h3 id=") == 2
    assert (out / rows["hopper"]["project"] / "project.db").is_file()

    # Going on with a finished run asks nothing and prints the same table.
    asked = len(server.asked)
    again = studio(*common, "--price-in", "2", "--price-out", "8", "--resume", tmp_path=tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(server.asked) == asked and again.stdout == result.stdout


def test_mistakes_are_one_line(tmp_path):
    missing = studio("no-such-suite", tmp_path=tmp_path, timeout=60)
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines()[-1].startswith("studio: error: no suite file")
    resume = studio("default", "--resume", tmp_path=tmp_path, timeout=60)
    assert resume.returncode == 1 and "--resume needs --out" in resume.stderr
    bad = write_suite(tmp_path, '[[task]]\nid = "x"\nprompt = "p"\nchecks = ["flies"]\n')
    wrong = studio(bad, "--model", "m", tmp_path=tmp_path, timeout=60)
    assert wrong.returncode == 1 and "unknown check 'flies'" in wrong.stderr
    assert "Traceback" not in missing.stderr + resume.stderr + wrong.stderr
