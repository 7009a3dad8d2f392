"""The bench's agent checks (`{ agent = "GOAL", ... }` in a suite, `studio.scoring.checks`):
when a goal counts as reached, and the result the report shows. Qt-free.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from studio.operations.agent_report import AgentReport
from studio.sandbox.game_moments import Moment
from studio.scoring.checks import Check
from studio.scoring.evaluate import judge_state
from studio.scoring.observe import MISSING, resolve

__all__ = ["agent_verdict", "goal_check"]

STEPS_SHOWN = 60


def goal_check(check: Check) -> Callable[[Moment], tuple[bool, str]]:
    """Whether the check's state condition holds at a moment: (held, what was seen)."""

    def held(moment: Moment) -> tuple[bool, str]:
        if moment.state is None:
            return False, moment.state_error or "no state"
        value = resolve(moment.state, check.path)
        return judge_state(check, value, MISSING, value)

    return held


def agent_verdict(check: Check, report: AgentReport) -> dict[str, Any]:
    """The check's result and the play behind it (steps, screenshots, how it ended)."""
    if check.conditions:
        passed = report.stop == "goal"
        detail = f"reached in {report.turns} steps: {report.stop_detail}" if passed else ""
    else:  # only the model can say
        passed = report.goal_reached is True
        detail = f"the model says it got there: {report.summary}" if passed else ""
    if not passed:
        detail = f"not reached: {report.stop_words}"
    return {
        "passed": passed,
        "detail": detail[:300],
        "stop": report.stop_words,
        "turns": report.turns,
        "tokens": report.tokens_in + report.tokens_out,
        "steps": [" · ".join(line for line in r.lines() if line) for r in report.steps][
            :STEPS_SHOWN
        ],
        "screenshots": list(report.screenshots),
        "findings": [f.headline() for f in report.findings],
    }
