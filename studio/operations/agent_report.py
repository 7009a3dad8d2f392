"""What an AI playtest did and found, as the CLI prints it, the Preview shows it and the
project keeps it with the version. Qt-free.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from studio.operations.playtest_findings import Finding
from studio.scoring.suite import Price

__all__ = ["STOPS", "AgentEvent", "AgentReport", "Budget", "StepRecord"]

DEFAULT_GOAL = "play as a new player would: learn the controls, try to win, try to break it"

# Why a run ended: its key, and what a person reads.
STOPS = {
    "finished": "the model finished",
    "goal": "the goal was reached",
    "steps": "the step limit was reached",
    "tokens": "the token limit was reached",
    "money": "the money limit was reached",
    "time": "the time limit was reached",
    "stopped": "stopped by you",
    "game": "the game stopped",
    "looping": "the model kept repeating itself",
    "no_tools": "the model did not use the tools",
    "model_error": "the model could not be reached",
}


@dataclass
class Budget:
    """Limits of one run; None means no limit. Money is counted with `price` (the bench's
    prices per model, $ per million tokens)."""

    steps: int = 30  # the model's turns
    tokens: int | None = None  # prompt + completion tokens
    money: float | None = None
    seconds: float | None = 600.0
    price: Price | None = None


@dataclass
class StepRecord:
    """One tool call: what the model asked, why, and what it got back."""

    step: int  # the model's turn it belongs to
    tool: str
    arguments: dict[str, Any]
    reason: str
    result: str
    game_time: float = 0.0
    error: bool = False  # the call was refused (bad arguments, unknown tool)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """The step for a person, in a few short lines: why, what was done, what changed."""
        result = self.result.splitlines()
        did = result[0] if result else ""
        if self.tool not in ("press", "type", "tap", "drag", "wait"):
            did = f"{self.tool}(): {did}" if did else f"{self.tool}()"
        changed = [
            line
            for line in result[1:]
            if line.startswith(("state:", "error:", "the game stopped", "the page did not"))
        ]
        return [f"{self.step} · {self.reason or self.tool}", did, *changed[:2]]


@dataclass
class AgentEvent:
    """Progress for a face to show. `kind`: "thinking" (a request went to the model),
    "step" (a tool ran: `record`), "finding" (`finding`), "checking" (findings are being
    replayed), "warning" or "done" (`report`)."""

    kind: str
    text: str
    step: int = 0
    record: StepRecord | None = None
    finding: Finding | None = None
    report: AgentReport | None = None


@dataclass
class AgentReport:
    project: str = ""
    version: int | None = None
    model: str = ""
    goal: str = DEFAULT_GOAL
    clock: str = "game"  # the game clock, or "real" when the game has no advance()
    vision: bool = False
    stop: str = ""  # a key of STOPS
    stop_detail: str = ""
    summary: str = ""  # the model's own, from finish()
    goal_reached: bool | None = None
    steps: list[StepRecord] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # confirmed or not checkable
    dismissed: list[Finding] = field(default_factory=list)  # a check that held or replayed fine
    turns: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float | None = None
    seconds: float = 0.0
    script: list[dict[str, Any]] = field(default_factory=list)  # every input of the run
    screenshots: list[str] = field(default_factory=list)  # one per turn, where kept

    @property
    def stop_words(self) -> str:
        words = STOPS.get(self.stop, self.stop)
        return f"{words}: {self.stop_detail}" if self.stop_detail else words

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stop_words"] = self.stop_words
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AgentReport:
        names = set(cls.__dataclass_fields__)
        report = cls(**{k: v for k, v in data.items() if k in names})
        report.steps = [StepRecord(**s) for s in data.get("steps") or []]
        report.findings = [Finding.from_dict(f) for f in data.get("findings") or []]
        report.dismissed = [Finding.from_dict(f) for f in data.get("dismissed") or []]
        return report

    def text(self) -> str:
        """The report for a terminal."""
        cost = f", cost {self.cost:.4f}" if self.cost is not None else ""
        lines = [
            f"AI playtest of {self.project} v{self.version} by {self.model}",
            f"goal: {self.goal}",
            f"ended: {self.stop_words}",
            f"{self.turns} turns, {len(self.steps)} tool calls, {self.seconds:.1f} s, "
            f"{self.tokens_in + self.tokens_out:,} tokens{cost}; "
            f"{'game clock' if self.clock == 'game' else 'real time'}"
            f"{', screenshots' if self.vision else ', text only'}",
        ]
        if self.summary:
            lines.append(f"the model says: {self.summary}")
        lines.append("")
        lines.append(f"findings: {len(self.findings) or 'none'}")
        for number, finding in enumerate(self.findings, start=1):
            confirmed = {
                True: "confirmed by replay",
                False: "did not replay",
                None: "not checkable",
            }
            lines.append(
                f"{number}. [{finding.kind_words}] {finding.title} ({confirmed[finding.confirmed]})"
            )
            lines += [f"   {label}: {value}" for label, value in finding.details()]
            lines.append(f"   inputs: {len(finding.script) - 1} over {finding.game_time:.2f} s")
        if self.dismissed:
            lines.append(f"dismissed (a check held): {len(self.dismissed)}")
            for finding in self.dismissed:
                lines.append(
                    f"- [{finding.kind_words}] {finding.title}: {finding.replay or finding.seen}"
                )
        return "\n".join(lines)
