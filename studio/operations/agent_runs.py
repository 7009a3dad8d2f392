"""AI playtests around a project: keep a run with its version, read the findings kept, and
"Fix what the playtester found" (a fix request through the generator, then each finding's
inputs replayed on the new version to confirm it). Qt-free; both faces call these.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from studio.core.playtests import playtest_runs, save_playtest_run
from studio.core.store import Project
from studio.operations.agent_playtest import AgentPlaytest, Replayer
from studio.operations.agent_report import AgentReport
from studio.operations.generator import Generator
from studio.operations.outcomes import Outcome
from studio.operations.playtest_findings import Finding, FixCheck, confirm_fixes, findings_as_errors

__all__ = ["FIX_NOTE", "confirm_fix", "fix_findings", "kept_findings", "run_and_keep"]

FIX_NOTE = (
    "These problems were found by an AI playtester playing the game; each one replayed the "
    "same way. Make the smallest change that makes the game work as expected."
)


async def run_and_keep(project: Project, version_id: int, agent: AgentPlaytest) -> AgentReport:
    """Run the playtest and keep its report (and findings' screenshots) with the version."""
    report = await agent.run()
    stored = await asyncio.to_thread(
        save_playtest_run, project, version_id, report.to_dict(), agent.shots
    )
    for finding, kept in zip(report.findings, stored.get("findings") or [], strict=False):
        finding.screenshot = kept.get("screenshot")  # the blob it was stored as
    return report


def kept_findings(project: Project, version_id: int) -> list[Finding]:
    """The findings of the version's latest AI playtest (none when it had none)."""
    runs = playtest_runs(project, version_id)
    if not runs:
        return []
    return [Finding.from_dict(f) for f in runs[-1].get("findings") or []]


async def fix_findings(
    generator: Generator,
    version_id: int,
    findings: Sequence[Finding],
    replay_on: Callable[[int], Replayer],
    *,
    on_event: Callable[[Any], object] | None = None,
) -> tuple[Outcome, list[FixCheck]]:
    """Ask the code model to fix `findings` on top of `version_id`; when it makes a version,
    confirm it (`confirm_fix`; `replay_on(version)` plays scripts on a version)."""
    outcome = await generator.fix(
        findings_as_errors(findings), note=FIX_NOTE, base=version_id, on_event=on_event
    )
    if not outcome.ok or outcome.version is None:
        return outcome, []
    new = outcome.version.id
    return outcome, await confirm_fix(generator.project, new, findings, replay_on(new))


async def confirm_fix(
    project: Project, version_id: int, findings: Sequence[Finding], replay: Replayer
) -> list[FixCheck]:
    """Replay each finding's inputs on the fixed version `version_id` and say in the
    conversation which problems are gone."""
    checks = await confirm_fixes(findings, replay)
    fixed = sum(1 for c in checks if c.fixed)
    left = sum(1 for c in checks if c.fixed is False)
    unknown = len(checks) - fixed - left
    words = (
        f"Replayed the playtester's {len(checks)} finding(s) on version {version_id}: "
        f"{fixed} fixed"
        + (f", {left} still there" if left else "")
        + (f", {unknown} not checkable by replay" if unknown else "")
    )
    await asyncio.to_thread(
        project.add_message,
        "status",
        words + ".",
        version=version_id,
        meta={"level": "warning" if left else "ok", "fix_checks": [c.to_dict() for c in checks]},
    )
    return checks
