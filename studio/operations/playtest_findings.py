"""What the AI playtester found: findings with the input script that reproduces each, the
checks that tell whether a problem is there, replaying to confirm, and the fix request.

A finding's check is a condition that holds when the game works, read right after the last
action of its script:

    {"state": "score", "min": 1}            the bench's state checks (studio.scoring.checks):
    {"state": "player.x", "changes": true}  exists, equals, not_equals, one_of, min, max, type;
                                            changes / increases / decreases compare the
                                            values just before and after the last action
    {"page_contains": "You win"}            the page shows these words
    {"no_error": "TypeError: …"}            (Studio's own) this error is not logged
    {"keeps_running": true}                 (Studio's own) the game does not hang or crash

A problem is *confirmed* when replaying the script on the same version fails the check
again; a model's claim whose check holds is dismissed. A fix is *confirmed* when the
replay on the new version passes it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from studio.errors import StudioError
from studio.sandbox.game_moments import Moment, Replay
from studio.sandbox.input_script import InputScript
from studio.scoring.checks import parse_check
from studio.scoring.evaluate import judge_state
from studio.scoring.observe import MISSING, resolve

__all__ = [
    "KINDS",
    "Finding",
    "FixCheck",
    "confirm_fixes",
    "findings_as_errors",
    "judge",
    "parse_finding_check",
]

KINDS = {
    "crash": "crash",
    "stuck": "stuck",
    "unwinnable": "unwinnable",
    "control_does_nothing": "control does nothing",
    "visual_glitch": "visual glitch",
    "too_hard": "too hard",
    "too_easy": "too easy",
}
MAX_TEXT = 600


@dataclass
class Finding:
    kind: str
    title: str
    steps: str = ""  # what was done, in the model's words
    expected: str = ""
    actual: str = ""
    by: str = "model"  # "model" or "studio" (Studio saw it: an error, a hang, a crash)
    check: dict[str, Any] | None = None
    script: list[dict[str, Any]] = field(default_factory=list)  # InputScript JSON
    game_time: float = 0.0
    seen: str = ""  # what Studio read when it was reported
    confirmed: bool | None = None  # the replay showed it again (None: not checkable)
    replay: str = ""  # what the replay showed
    screenshot: str | None = None  # a blob hash once stored with the version

    @property
    def kind_words(self) -> str:
        return KINDS.get(self.kind, self.kind.replace("_", " "))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in names})

    def input_script(self) -> InputScript | None:
        return InputScript.from_json(self.script) if self.script else None

    def headline(self) -> str:
        return f"{self.kind_words}: {self.title}"

    def details(self) -> list[tuple[str, str]]:
        """(label, words) of what is known about it, for a person."""
        known = (
            ("expected", self.expected),
            ("happened", self.actual),
            ("steps", self.steps),
            ("Studio saw", self.seen),
            ("replay", self.replay),
        )
        return [(label, value) for label, value in known if value]

    def as_error(self) -> dict[str, Any]:
        """The finding as an error for the code model's fix request."""
        parts = [f"The AI playtester found a problem ({self.kind_words}): {self.title}."]
        if self.steps:
            parts.append(f"What it did: {self.steps}")
        if self.expected:
            parts.append(f"Expected: {self.expected}")
        if self.actual:
            parts.append(f"What happened: {self.actual}")
        if self.seen:
            parts.append(f"Studio saw: {self.seen}")
        return {"message": " ".join(parts)[:2000], "kind": "playtester"}


def findings_as_errors(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    return [f.as_error() for f in findings]


# -- checks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Check:
    kind: str  # "state", "page_contains", "no_error" or "keeps_running"
    raw: dict[str, Any]
    text: str = ""


def parse_finding_check(raw: Any) -> _Check:
    """A finding's check (see the module doc); StudioError in words a model can act on."""
    if not isinstance(raw, Mapping):
        raise StudioError('a check is an object, e.g. {"state": "score", "min": 1}')
    raw = dict(raw)
    if "state" in raw:
        parse_check(raw, "the check")  # raises with the bench's own words
        return _Check("state", raw)
    for kind in ("page_contains", "no_error"):
        if kind in raw:
            text = raw[kind]
            if not isinstance(text, str) or not text.strip():
                raise StudioError(f"{kind} must be some words")
            return _Check(kind, raw, text.strip()[:MAX_TEXT])
    if raw.get("keeps_running") is True:
        return _Check("keeps_running", raw)
    raise StudioError(
        'a check needs "state" (with a condition such as "min" or "changes") or "page_contains"'
    )


def _holds(
    check: _Check, before: Moment | None, after: Moment, replay: Replay | None
) -> tuple[bool, str]:
    """Whether the check holds on these moments: (holds, what was seen)."""
    if check.kind == "state":
        state_check = parse_check(check.raw, "the check")
        if after.state_error:
            return False, after.state_error
        value = resolve(after.state, state_check.path) if after.state is not None else MISSING
        earlier = MISSING
        if before is not None and before.state is not None:
            earlier = resolve(before.state, state_check.path)
        return judge_state(state_check, value, earlier, value)
    if check.kind == "page_contains":
        shown = "\n".join(after.page.lines)
        found = check.text.casefold() in shown.casefold()
        return found, (
            f"the page shows “{check.text}”" if found else f"the page does not show “{check.text}”"
        )
    errors = replay.errors if replay is not None else []
    if check.kind == "no_error":
        same = [e for e in errors if check.text in str(e.get("message", ""))]
        return not same, (f"logged again: {same[0]['message']}"[:300] if same else "no such error")
    stopped = replay.stopped if replay is not None else None
    return stopped is None, stopped or "the game kept running"


def judge(finding: Finding, replay: Replay) -> tuple[bool | None, str]:
    """Does a replay of the finding's script show the problem? (yes / no / can't tell, and
    what was seen)."""
    if replay.problem and not replay.stopped:
        return None, f"it could not be replayed: {replay.problem}"
    if finding.check is None:
        if replay.stopped:
            return True, replay.stopped
        return None, "no check to replay (watch the replay to see it)"
    check = parse_finding_check(finding.check)
    if check.kind in ("state", "page_contains") and (replay.stopped or replay.after is None):
        if finding.kind in ("crash", "stuck"):
            return True, replay.stopped or "the game stopped"
        return None, f"the replay stopped on the way: {replay.stopped or replay.problem}"
    holds, seen = _holds(check, replay.before, replay.after or Moment(0.0), replay)
    return (not holds), seen


def judge_live(check: dict[str, Any], before: Moment | None, after: Moment) -> tuple[bool, str]:
    """The check on the moments of the running game: (problem there, what was seen)."""
    holds, seen = _holds(parse_finding_check(check), before, after, None)
    return (not holds), seen


# -- fixes ------------------------------------------------------------------------------


@dataclass
class FixCheck:
    finding: Finding
    fixed: bool | None  # None: cannot tell by replaying
    detail: str

    @property
    def verdict(self) -> str:
        return {True: "fixed", False: "still there", None: "cannot tell"}[self.fixed]

    def to_dict(self) -> dict[str, Any]:
        return {"finding": self.finding.headline(), "verdict": self.verdict, "detail": self.detail}


async def confirm_fixes(
    findings: Sequence[Finding], replay: Callable[[InputScript], Awaitable[Replay]]
) -> list[FixCheck]:
    """Replay each finding's script on the fixed version (`replay` plays it there)."""
    out = []
    for finding in findings:
        script = finding.input_script()
        if script is None:
            out.append(FixCheck(finding, None, "it has no input script"))
            continue
        there, seen = judge(finding, await replay(script))
        out.append(FixCheck(finding, None if there is None else not there, seen))
    return out
