"""The bench's agent check: the AI playtester tries a goal on each generated game, so a suite
measures playability. The game whose platform can be reached passes (the run ends as soon as
the state says so); the one whose jump is too low fails with the model's play in the report
(steps and screenshots)."""

from __future__ import annotations

import pytest

from studio.errors import StudioError
from studio.scoring.checks import parse_check
from studio.testing.servers.chat import Scripted
from studio.testing.servers.chat import ScriptedCall as Call
from tests.bench.conftest import file_answer, write_suite
from tests.sandbox.playtester_games import climb

SUITE = """name = "Playable"
seconds = 1

[[task]]
id = "reachable"
prompt = "Make the reachable climb game"
checks = ["loads", { agent = "reach the platform", state = "won", equals = true, steps = 5 }]

[[task]]
id = "too_low"
prompt = "Make the too_low climb game"
checks = ["loads", { agent = "reach the platform", state = "won", equals = true, steps = 5 }]
"""


def press(keys, ms):
    return Scripted.calls(Call("press", {"keys": keys, "hold_ms": ms, "reason": "towards it"}))


def test_an_agent_check_passes_when_the_goal_is_reached(run_bench, server, tmp_path) -> None:
    server.route("Make the reachable climb game", file_answer(climb()))
    server.route("Make the too_low climb game", file_answer(climb("unreachable")))
    walk, jump = press(["ArrowRight"], 1000), press(["ArrowRight", "Space"], 700)
    finish = Scripted.calls(Call("finish", {"summary": "I could not get up there."}))
    server.route("Goal: reach the platform", walk, jump, walk, jump, finish)
    out = tmp_path / "out"
    run = run_bench(write_suite(tmp_path, SUITE), out)

    reached, missed = (
        next(r for r in run.results if r.task == t) for t in ("reachable", "too_low")
    )
    check = reached.steps[0].checks[-1]
    assert check["kind"] == "agent" and check["label"] == "agent: reach the platform"
    assert check["passed"] and check["detail"] == "reached in 2 steps: won = true"
    assert check["agent"]["steps"][0].startswith("1 · towards it · held ArrowRight for 1000 ms")
    assert reached.passed

    check = missed.steps[0].checks[-1]
    assert not check["passed"] and check["detail"] == "not reached: the model finished"
    assert len(check["agent"]["steps"]) == 3 and len(check["agent"]["screenshots"]) == 3
    assert all(
        (out / shot).read_bytes()[:2] == b"\xff\xd8" for shot in check["agent"]["screenshots"]
    )
    html = (out / "report.html").read_text()
    assert "agent: reach the platform: 3 steps, the model finished</summary>" in html
    assert check["agent"]["screenshots"][0] in html
    assert server.count("generate") == 2 + 5  # two games, five turns of the playtester


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"agent": ""}, "agent must be the goal in words"),
        ({"agent": "win", "steps": 0}, "steps must be a whole number from 1 to 200"),
        ({"agent": "win", "state": "score", "changes": True}, "a value condition"),
        ({"agent": "win", "min": 3}, "state must name a value"),
    ],
)
def test_agent_checks_are_read_with_clear_errors(spec, words) -> None:
    with pytest.raises(StudioError, match=words):
        parse_check(spec, "task t check 1")
    check = parse_check({"agent": "score 3", "state": "score", "min": 3}, "c")
    assert (check.kind, check.goal, check.agent_steps, check.path) == (
        "agent",
        "score 3",
        20,
        "score",
    )
