"""What a playtest found, and the errors it shows a person (and the model, for a fix).

Qt-free, so the bench's scoring reads reports with the same rules as the playtest writes them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class PlaytestReport:
    project: str = ""
    version: int | None = None
    loaded: bool = False
    load_errors: list[dict] = field(default_factory=list)
    console_errors: list[dict] = field(default_factory=list)
    animated: bool = False
    input_changed_picture: bool | None = None
    input_changed_state: bool | None = None
    has_state_hook: bool = False
    state_samples: list[Any] = field(default_factory=list)
    fps: float | None = None
    screenshot: str | None = None
    hung: bool = False
    crashed: bool = False
    crash_reason: str | None = None
    seconds: float = 0.0
    inputs_sent: int = 0
    blocked: list[str] = field(default_factory=list)  # what the sandbox refused

    @property
    def passed(self) -> bool:
        return (
            self.loaded
            and self.animated
            and not self.load_errors
            and not self.console_errors
            and not self.hung
            and not self.crashed
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)

    def errors(self) -> list[dict[str, Any]]:
        """What goes to the model for a fix: the errors a person would see."""
        return report_errors(self.to_dict())

    def problems(self) -> list[str]:
        out: list[str] = []
        if self.hung:
            out.append("the game stopped responding (an endless loop?) and was stopped")
        if self.crashed:
            out.append(f"the game crashed ({self.crash_reason or 'renderer died'})")
        if not self.loaded and not (self.hung or self.crashed):
            out.append("the game did not load")
        if self.loaded and not self.animated and not (self.hung or self.crashed):
            out.append("the picture never changed on its own")
        out += [f"load error: {_error_line(e)}" for e in self.load_errors]
        out += [f"error: {_error_line(e)}" for e in self.console_errors]
        return out

    def summary(self) -> str:
        verdict = "PASSED" if self.passed else "FAILED"
        lines = [f"Playtest of {self.project} v{self.version}: {verdict}"]
        lines.append(
            f"loaded: {_yes(self.loaded)}  animated: {_yes(self.animated)}  "
            f"fps: {self.fps if self.fps is not None else '–'}"
        )
        lines.append(
            f"input changed picture: {_yes(self.input_changed_picture)}  "
            f"state: {_yes(self.input_changed_state) if self.has_state_hook else 'no hook'}"
        )
        lines += [f"- {p}" for p in self.problems()]
        if self.screenshot:
            lines.append(f"screenshot: {self.screenshot}")
        return "\n".join(lines)


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
