"""What a generation did, in words for the person: the `Outcome` the UI and the CLI show,
and the notice for each way an answer can end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.ai.answer import (
    GenerationResult,
)
from studio.ai.context_window import ContextWindow
from studio.core.records import Version
from studio.words import plural

# Where in the app a person fixes what made a request fail.
HINTS = {
    "auth": " Enter the key in Settings › Code model.",
    "unknown_model": " Choose a model in Settings › Code model.",
    "connection": " Check the base URL in Settings › Code model.",
}


@dataclass
class Outcome:
    """What one generation did, for the UI and the CLI to show."""

    kind: str  # "generate", "fix" or "continue"
    status: str  # a GenerationResult status, or "skipped" (an automatic fix not allowed)
    notice: str  # one or two sentences for the person
    version: Version | None = None
    result: GenerationResult | None = None
    left_out: list[str] = field(default_factory=list)
    error_kind: str | None = None  # GenerationError.kind when a request failed
    auto_fix: Outcome | None = None  # the automatic fix that followed, if one ran
    message: str = ""  # the assistant's prose
    variation: int | None = None  # 1-based, for variations

    @property
    def notice_with_hint(self) -> str:
        """The notice, and for a request that failed for a reason the person can fix in the
        app, where to fix it."""
        return self.notice + ("" if self.ok else HINTS.get(self.error_kind or "", ""))

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def level(self) -> str:
        """How the notice is shown: "ok", "warning" (stopped, cut off: nothing lost) or
        "error"."""
        if self.ok:
            return "ok"
        return "warning" if self.status in ("cut_off", "cancelled", "skipped") else "error"

    @property
    def pending(self) -> bool:
        """Cut off or stopped with text: Continue or Discard is offered."""
        return (
            self.status in ("cut_off", "cancelled")
            and self.variation is None
            and bool(self.result and (self.result.partial or self.result.text))
        )


@dataclass(frozen=True)
class ContextReady:
    """Event: the request is built (before it is sent); `left_out` says what did not fit.
    `window` is the model's context window as Studio knows it; `prompt_speed` the tokens per
    second this model read prompts at before (None: not measured yet); `parts` the tokens of
    each part of the request (`studio.ai.context.PARTS`)."""

    left_out: tuple[str, ...]
    estimated_tokens: int
    window: ContextWindow | None = None
    prompt_speed: float | None = None
    parts: tuple[tuple[str, int], ...] = ()

    def waiting(self) -> str:
        """What the person reads while the model reads the request."""
        text = f"Prompt of about {self.estimated_tokens:,} tokens"
        if self.window is not None:
            text += f" of a {self.window.tokens:,}-token window"
        if self.prompt_speed:
            seconds = self.estimated_tokens / self.prompt_speed
            text += f": ~{seconds:,.0f} s at {self.prompt_speed:,.0f} tokens/s here"
        return text + "…"


def too_large(needed: int, window: ContextWindow) -> str:
    """Why a request was not sent, and what the person can change."""
    return (
        f"This request needs about {needed:,} tokens with room for the answer, but the "
        f"model's context window is {window.describe()}, even with everything that could be "
        "left out left out. Nothing was sent. Give the model a larger context on its server "
        "(llama.cpp: -c 16384; Ollama: num_ctx; LM Studio: the context length when loading) "
        "or in Settings › Code model if the server allows more, pick a model with a larger "
        "window, or make the game smaller."
    )


def describe_ok(result: GenerationResult, version: Version) -> str:
    parts = []
    if result.written:
        parts.append("wrote " + ", ".join(dict.fromkeys(result.written)))
    edited = list(dict.fromkeys(r.block.path for r in result.applied))
    if edited:
        parts.append(f"{plural(len(result.applied), 'edit')} to {', '.join(edited)}")
    if not result.changed:
        parts.append("no file changed")
    what = "; ".join(parts) or "saved"
    return f"Version {version.id}: {what}."


def describe_problem(result: GenerationResult) -> tuple[str, str | None]:
    """(notice, error kind) for every status but "ok"."""
    unchanged = "The current version is unchanged."
    error = result.error
    if result.status == "cut_off":
        why = error.message if error else "The answer was cut off."
        notice = f"{why} Nothing was saved yet: Continue asks the model to go on, or Discard."
        return notice, "cut_off"
    if result.status == "cancelled":
        if result.partial or result.text:
            return "Stopped. Nothing was saved: Continue or Discard what arrived.", "cancelled"
        return f"Stopped before the model answered. {unchanged}", "cancelled"
    if result.status == "no_code":
        return f"The answer has no code, so there is no new version. {unchanged}", "no_code"
    if result.status == "placeholder_refused":
        parts = [f"{path} (“{lines[0][:60]}”)" for path, lines in result.refused.items() if lines]
        return (
            "The model sent a whole file with parts left out as placeholders: "
            f"{', '.join(parts)}. Refused, no new version. {unchanged}",
            "placeholder",
        )
    if result.status == "edit_failed":
        reasons = "; ".join(f"{r.block.path}: {r.reason or 'no match'}" for r in result.failed[:3])
        retried = " even after asking the model again" if result.retried else ""
        return (
            f"{plural(len(result.failed), 'edit')} did not match the code{retried} "
            f"({reasons}), so no version was made. {unchanged}",
            "edit_failed",
        )
    if error is not None:
        return f"{error.message} {unchanged}", error.kind
    return f"The generation failed. {unchanged}", "error"
