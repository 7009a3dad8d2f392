"""The built-in suite's given code really has the bug its follow-up describes, and the
checks of that follow-up tell the buggy game from a fixed one (played for real)."""

from __future__ import annotations

from studio.config.resources import resource_path
from studio.core.store import Project
from studio.operations.projects import read_source
from studio.scoring.evaluate import evaluate_all
from studio.scoring.plan import build_plan
from studio.scoring.play import QtPlayer
from tests.bench.conftest import FAST
from tests.bench.test_suite import DEFAULT
from tests.qt_asyncio import wait_for

BUG = "basketX = Math.max(0, Math.min(W / 2 - BASKET_W, basketX));"
FIXED = "basketX = Math.max(0, Math.min(W - BASKET_W, basketX));"


def test_the_described_bug_is_caught_and_its_fix_passes(qloop, tmp_path):
    task = DEFAULT.task("catcher-bug")
    fix_step = task.followups[0]
    assert fix_step.kind == "fix a described bug"
    files = read_source(resource_path("bench", "starters", "catcher"))
    source = files["index.html"].decode()
    assert BUG in source
    quick = {"keys": ("Space",), "taps": ((0.5, 0.5),), "timing": FAST}
    plan = build_plan(fix_step.checks, seconds=1, viewport=(800, 600), **quick)
    with Project.create(tmp_path / "catcher") as project:
        buggy = project.commit(files, parent=None, kind="import")
        repaired = {"index.html": source.replace(BUG, FIXED)}
        fixed = project.commit(repaired, parent=buggy.id, kind="manual")
        player = QtPlayer(watchdog_timeout=3.0)

        async def play(version: int):
            return await player.play(project, version, plan, tmp_path / "shots", f"v{version}")

        before = wait_for(play(buggy.id))
        after = wait_for(play(fixed.id))
    assert before.loaded and not before.console_errors
    results = evaluate_all(plan, before)
    assert [r.passed for r in results] == [False, True], results
    assert results[0].detail == "basketX is 290"
    assert [r.passed for r in evaluate_all(plan, after)] == [True, True]
