"""What a playtest found, and the errors it shows a person (and the model, for a fix).

Qt-free, so the bench's scoring reads reports with the same rules as the playtest writes them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

# What a game is, as a playtest judges it: what passing means depends on it.
KIND_WORDS = {
    "animates": "animates by itself",
    "responds": "responds to input",
    "still": "still",
}


@dataclass
class PlaytestReport:
    project: str = ""
    version: int | None = None
    loaded: bool = False
    load_errors: list[dict] = field(default_factory=list)
    console_errors: list[dict] = field(default_factory=list)
    animated: bool = False  # the picture keeps changing with no input (a start aside)
    input_changed_picture: bool | None = None  # beyond what changes on its own
    input_changed_state: bool | None = None
    has_state_hook: bool = False
    state_samples: list[Any] = field(default_factory=list)
    fps: float | None = None  # frames painted per second (whatever drives them)
    screenshot: str | None = None
    hung: bool = False
    crashed: bool = False
    crash_reason: str | None = None
    seconds: float = 0.0
    inputs_sent: int = 0
    blocked: list[str] = field(default_factory=list)  # what else the sandbox refused
    blocked_requests: list[str] = field(default_factory=list)  # URLs the sandbox refused
    # {"at": seconds after load, "kind": alert | confirm | prompt | reload | navigation,
    #  "detail": the message or the page}
    events: list[dict] = field(default_factory=list)
    started_with: str | None = None  # the input that started the game, when one did
    # Each control of the default program tried on its own:
    # {"control": "ArrowRight", "picture": bool, "state": bool | None}
    controls: list[dict] = field(default_factory=list)
    baseline: bool = False  # input was judged against a twin of the game left alone

    @property
    def kind(self) -> str:
        """animates (by itself), responds (to input) or still."""
        if self.animated:
            return "animates"
        return "responds" if self.input_changed_picture or self.input_changed_state else "still"

    @property
    def passed(self) -> bool:
        """Loaded without an error, stayed alive, and is a game: it animates by itself or
        responds to input (a turn-based game waits for a key, and that is fine)."""
        return (
            self.loaded
            and self.kind != "still"
            and not self.load_errors
            and not self.console_errors
            and not self.hung
            and not self.crashed
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "kind": self.kind, "passed": self.passed}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)

    def errors(self) -> list[dict[str, Any]]:
        """What goes to the model for a fix: the errors a person would see."""
        return report_errors(self.to_dict())

    def warnings(self) -> list[str]:
        """What a person should know that is not the game's fault."""
        out = []
        if self.blocked_requests:
            hosts = list(dict.fromkeys(_host(u) for u in self.blocked_requests))
            requests = _count(len(self.blocked_requests), "request")
            out.append(
                f"blocked {requests} to {_count(len(hosts), 'host')} (games play offline): "
                + ", ".join(hosts)
            )
        out += [f"blocked {what}" for what in dict.fromkeys(self.blocked)]
        return out

    def problems(self) -> list[str]:
        out: list[str] = []
        if self.hung:
            out.append("the game stopped responding (an endless loop?) and was stopped")
        if self.crashed:
            out.append(f"the game crashed ({self.crash_reason or 'renderer died'})")
        if not self.loaded and not (self.hung or self.crashed):
            out.append("the game did not load")
        if self.loaded and self.kind == "still" and not (self.hung or self.crashed):
            out.append("the picture never changed on its own, and no input changed it")
        out += [f"load error: {_error_line(e)}" for e in self.load_errors]
        out += [f"error: {_error_line(e)}" for e in self.console_errors]
        return out

    def summary(self) -> str:
        verdict = "PASSED" if self.passed else "FAILED"
        what = f" ({KIND_WORDS[self.kind]})" if self.loaded else ""
        lines = [f"Playtest of {self.project} v{self.version}: {verdict}{what}"]
        lines.append(
            f"loaded: {_yes(self.loaded)}  animates by itself: {_yes(self.animated)}  "
            f"fps: {self.fps if self.fps is not None else '–'}"
        )
        lines.append(
            f"input changed picture: {_yes(self.input_changed_picture)}  "
            f"state: {_yes(self.input_changed_state) if self.has_state_hook else 'no hook'}"
        )
        if self.started_with:
            lines.append(f"started with: {self.started_with}")
        if self.controls:
            lines.append(_controls_line(self.controls))
        lines += [f"- {p}" for p in self.problems()]
        lines += [f"warning: {w}" for w in self.warnings()]
        lines += [f"at {e['at']:.1f} s: {event_line(e)}" for e in self.events]
        if self.screenshot:
            lines.append(f"screenshot: {self.screenshot}")
        return "\n".join(lines)


def _controls_line(controls: list[dict]) -> str:
    def changed(c: dict) -> str:
        what = [w for w in ("picture", "state") if c.get(w)]
        return f"{c['control']} ({', '.join(what)})"

    moved = [changed(c) for c in controls if c.get("picture") or c.get("state")]
    idle = [c["control"] for c in controls if not (c.get("picture") or c.get("state"))]
    return (
        "controls that changed something: "
        + (", ".join(moved) or "none")
        + (f"; nothing: {', '.join(idle)}" if idle else "")
    )


def event_line(event: dict) -> str:
    """An event of the run in words (the report's lines, the Preview's console)."""
    kind, detail = event["kind"], event.get("detail", "")
    if kind in ("alert", "confirm", "prompt"):
        return f"{kind}({detail!r}), answered at once"
    if kind == "reload":
        return f"the game reloaded itself ({detail})"
    return f"the game went to its page {detail}"


def _host(url: str) -> str:
    return urlsplit(url).hostname or url[:60]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _yes(value: bool | None) -> str:
    return "–" if value is None else ("yes" if value else "no")


def _error_line(error: dict) -> str:
    where = f" ({error['source']}:{error['line']})" if error.get("source") else ""
    return f"{error['message']}{where}"


def report_errors(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A playtest report's errors (as `PlaytestReport.to_dict()` holds them), with one line
    for a game that hung, crashed or did not load."""
    errors = [*report.get("load_errors", []), *report.get("console_errors", [])]
    if report.get("hung"):
        errors.append({"message": "The game stopped responding (an endless loop?)"})
    elif report.get("crashed"):
        reason = report.get("crash_reason") or "the renderer died"
        errors.append({"message": f"The game crashed ({reason})"})
    elif not report.get("loaded") and not errors:
        errors.append({"message": "The game did not load"})
    return errors
