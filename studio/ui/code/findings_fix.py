"""Chat's side of "Fix what the playtester found" (`ProjectSession.fix_findings`).

The Preview's AI playtest asks through the session; Chat runs the operation the CLI's
`studio playtest --agent --fix` runs (`studio.operations.agent_runs.fix_findings`): a fix
on top of the version the model played, with the playtester's note, then each finding's
inputs replayed on the new version. Chat streams it as any fix and shows the new version;
the person's prompt box is left as it was. When Chat is busy the request is refused (False)
and nothing starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from studio.operations.agent_playtest import Replayer
from studio.operations.agent_runs import FIX_NOTE, fix_findings
from studio.operations.conversation import fix_request_text
from studio.operations.generator import Generator
from studio.operations.outcomes import Outcome
from studio.operations.playtest_findings import Finding, FixCheck, findings_as_errors
from studio.sandbox.game_session import replay_script
from studio.ui.session import FixDone

if TYPE_CHECKING:
    from studio.ui.code.chat_panel import ChatPanel


class FindingsFix:
    """Registered with the session as its `findings_fixer` by the Chat panel."""

    def __init__(self, chat: ChatPanel) -> None:
        self.chat = chat
        chat.session.findings_fixer = self

    def fix_findings(self, version_id: int, findings: Sequence[Finding], done: FixDone) -> bool:
        chat, project = self.chat, self.chat.project
        if chat.busy or project is None:
            return False
        findings = list(findings)
        checks: list[FixCheck] = []

        def replay_on(version: int) -> Replayer:
            return lambda script: replay_script(project, version, script)

        async def fix(generator: Generator) -> Outcome:
            outcome, replayed = await fix_findings(
                generator, version_id, findings, replay_on, on_event=chat._on_event
            )
            checks.extend(replayed)
            return outcome

        async def work() -> Outcome:
            outcome: Outcome | None = None
            try:
                outcome = await chat._with_generator(fix, "fix")
                return outcome
            finally:  # also when stopped or failed: the asker stops waiting
                done(outcome, checks)

        chat._save_edits_first()
        chat.conversation.add_user(fix_request_text(findings_as_errors(findings), FIX_NOTE))
        chat._start(work(), version_id)
        return True
