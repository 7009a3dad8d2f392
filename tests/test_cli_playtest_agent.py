"""`studio playtest --agent` as a real process against the scripted chat server: the JSON
report holds the findings in the model's words with their input scripts; the findings are
kept with the version (`--findings`); a finding replays with `--inputs`; `--fix` makes a
version and replays the findings there; budgets need prices."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from studio.core.store import Project
from studio.testing.servers.chat import TEST_API_KEY, ChatServer, Scripted
from studio.testing.servers.chat import ScriptedCall as Call
from tests.sandbox.playtester_games import climb

REPO = Path(__file__).resolve().parents[1]
PLAY = [
    Scripted.calls(
        Call("press", {"keys": ["ArrowRight"], "hold_ms": 1000, "reason": "to the coin"})
    ),
    Scripted.calls(Call("press", {"keys": ["ArrowRight", "Space"], "hold_ms": 700})),
    Scripted.calls(
        Call(
            "report",
            {
                "kind": "unwinnable",
                "title": "the platform is out of reach",
                "steps": "walk right for a second, then jump while walking",
                "expected": "to land on the platform",
                "actual": "the jump falls short",
                "check": {"state": "won", "equals": True},
            },
        )
    ),
    Scripted.calls(Call("finish", {"summary": "The jump is too low.", "goal_reached": False})),
]
FIX = (
    'Higher jump.\n<edit path="index.html">\n<<<<<<< SEARCH\n'
    "const JUMP = BUG === 'unreachable' ? 380 : 520;\n=======\nconst JUMP = 520;\n"
    ">>>>>>> REPLACE\n</edit>\n"
)


@pytest.fixture
def server():
    with ChatServer() as chat:
        yield chat


@pytest.fixture
def game(tmp_path: Path) -> Path:
    with Project.create(tmp_path / "climb") as project:
        project.commit({"index.html": climb("unreachable")}, parent=None, kind="manual")
        return project.path


@pytest.fixture
def studio(tmp_path: Path, server: ChatServer):
    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        env.update(
            STUDIO_CONFIG_DIR=str(tmp_path / "config"),
            PYTHONPATH=str(REPO),
            QT_QPA_PLATFORM="offscreen",
            STUDIO_TEST_KEY=TEST_API_KEY,
        )
        command = [sys.executable, "-m", "studio", "playtest", *map(str, args)]
        if "--agent" in args:
            command += ["--base-url", server.base_url, "--model", "test-model"]
            command += ["--api-key-env", "STUDIO_TEST_KEY"]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)

    return run


def test_agent_json_report_then_findings_then_replay_then_fix(
    studio, server, game, tmp_path
) -> None:
    server.script(*PLAY)
    run = studio(game, "--agent", "--json", "--goal", "reach the platform", "--steps", "8")
    assert run.returncode == 1, run.stderr  # it found something
    report = json.loads(run.stdout)
    assert report["goal"] == "reach the platform" and report["stop"] == "finished"
    (finding,) = report["findings"]
    assert finding["title"] == "the platform is out of reach"
    assert finding["steps"] == "walk right for a second, then jump while walking"
    assert finding["actual"] == "the jump falls short" and finding["confirmed"] is True
    assert finding["script"][1:] == [
        {"at": 0.0, "key": "ArrowRight", "hold": 1.0},
        {"at": 1.0, "keys": ["ArrowRight", "Space"], "hold": 0.7},
    ]
    assert "step 1 · press (to the coin): held ArrowRight for 1000 ms" in run.stderr
    assert "finding: unwinnable: the platform is out of reach" in run.stderr

    listed = studio(game, "--findings")
    assert (
        listed.returncode == 0
        and "1. [unwinnable] the platform is out of reach (2 inputs)" in listed.stdout
    )

    saved = tmp_path / "finding.json"
    saved.write_text(json.dumps(finding))
    again = studio(game, "--inputs", saved)
    assert again.returncode == 1, again.stderr
    assert "unwinnable: the platform is out of reach: still there (won is false)" in again.stdout
    script = tmp_path / "inputs.json"
    script.write_text(json.dumps(finding["script"]))
    plain = studio(game, "--inputs", script, "--json")
    assert plain.returncode == 0 and json.loads(plain.stdout)["state"]["x"] == 414

    server.script(*PLAY, Scripted.text(FIX))
    fixed = studio(game, "--agent", "--fix")
    assert "fix: Version 2: 1 edit to index.html." in fixed.stdout, fixed.stderr
    assert "- unwinnable: the platform is out of reach: fixed (won = true)" in fixed.stdout
    gone = studio(game, "--inputs", saved, "--version", "2")
    assert gone.returncode == 0 and "gone (won = true)" in gone.stdout


def test_a_money_budget_needs_a_price(studio, game) -> None:
    run = studio(game, "--agent", "--budget", "0.5")
    assert run.returncode == 1
    assert "studio: error: --budget needs the price of test-model" in run.stderr
    assert "Traceback" not in run.stderr
