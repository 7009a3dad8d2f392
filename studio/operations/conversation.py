"""The project's conversation as the generator and both faces read it: the cut-off answer
waiting for Continue or Discard, what the model may see of the conversation, and how a fix
request reads.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from studio.ai.attachments import Attachment
from studio.ai.prompts import format_errors
from studio.core.records import Message
from studio.core.store import Project


def pending_partial(messages: Sequence[Message]) -> Message | None:
    """The cut-off or stopped answer waiting for Continue or Discard, if any.

    A later prompt, a continuation of it or a discard settles it (it stays recorded)."""
    pending: Message | None = None
    for m in messages:
        meta = m.meta
        if m.role == "assistant" and meta.get("partial") and not meta.get("group"):
            pending = m
        elif pending is not None and (
            m.role == "user"
            or meta.get("continues") == pending.id
            or meta.get("discards") == pending.id
        ):
            pending = None
    return pending


def discard_partial(project: Project) -> Message | None:
    """Drop the pending cut-off answer (it stays in the conversation to read)."""
    partial = pending_partial(project.messages())
    if partial is None:
        return None
    return project.add_message(
        "status",
        "Discarded the unfinished answer (it stays above to read). "
        "The current version is unchanged.",
        meta={"discards": partial.id, "level": "info"},
    )


def conversation_for_model(messages: Sequence[Message]) -> list[tuple[str, str]]:
    """(role, text) pairs the model may see: prompts and finished answers.

    Partial answers are left out (a continuation is recorded whole), and of a prompt's
    variations only the kept one."""
    kept = {m.meta.get("kept") for m in messages if m.role == "status" and m.meta.get("kept")}
    pairs: list[tuple[str, str]] = []
    for m in messages:
        if m.role == "user":
            pairs.append(("user", m.content))
        elif m.role == "assistant":
            if m.meta.get("partial"):
                continue
            if m.meta.get("group") and m.version not in kept:
                continue
            pairs.append(("assistant", m.content))
    return pairs


def prompt_speed(messages: Sequence[Message], model: str) -> float | None:
    """Tokens per second `model` read prompts at in this conversation: the median of its last
    answers whose prompt was long enough to measure (time to the first token is mostly
    reading the prompt on a local machine). None when there is none yet."""
    speeds = [
        float(m.meta["tokens_in"]) / float(m.meta["ttft"])
        for m in messages
        if m.role == "assistant"
        and m.meta.get("model") == model
        and (m.meta.get("tokens_in") or 0) >= 1_000
        and (m.meta.get("ttft") or 0) > 0
    ]
    return statistics.median(speeds[-5:]) if speeds else None


def fix_request_text(errors: Sequence[Mapping[str, Any]], note: str = "") -> str:
    """How a fix request reads in the conversation (the model gets `fix.md` filled in)."""
    text = "Fix the errors the game reported:\n" + format_errors(errors)
    return text + (f"\n{note.strip()}" if note.strip() else "")


def fix_title(errors: Sequence[Mapping[str, Any]], note: str = "") -> str:
    first = str(errors[0].get("message", "")).strip() if errors else ""
    title = f"Fix: {first}" if first else "Fix"
    if len(errors) > 1:
        title += f" (+{len(errors) - 1} more)"
    return title + (f" — {note.strip()}" if note.strip() else "")


@dataclass
class Request:
    """What a person asked of the model, as the conversation records it."""

    kind: str  # "generate" or "fix"
    prompt: str  # the person's words (for a fix: their note, may be empty)
    base: int | None
    errors: list[dict[str, Any]] | None = None
    auto_fix_of: int | None = None
    group: str | None = None
    attachments: list[Attachment] = field(default_factory=list)  # what the person showed

    @property
    def display(self) -> str:
        if self.kind == "fix":
            return fix_request_text(self.errors or [], self.prompt)
        if self.attachments:
            return f"{self.prompt}\n[with {', '.join(a.label for a in self.attachments)}]"
        return self.prompt

    @property
    def title(self) -> str:
        return fix_title(self.errors or [], self.prompt) if self.kind == "fix" else self.prompt

    def user_meta(self, put_blob: Callable[[bytes], str] | None = None) -> dict[str, Any]:
        """What the conversation keeps of the request; `put_blob` stores the pictures that
        went with it (a continuation sends them again)."""
        meta: dict[str, Any] = {"kind": self.kind, "base": self.base}
        if self.attachments:
            meta["prompt"] = self.prompt
            meta["attachments"] = [
                a.to_meta(put_blob(a.picture.data) if a.picture and put_blob else None)
                for a in self.attachments
            ]
        if self.errors is not None:
            meta["errors"] = self.errors
            meta["note"] = self.prompt
        if self.auto_fix_of is not None:
            meta["auto_fix_of"] = self.auto_fix_of
        if self.group:
            meta["group"] = self.group
        return meta

    @classmethod
    def from_message(
        cls, message: Message, read_blob: Callable[[str], bytes] | None = None
    ) -> Request:
        meta = message.meta
        kind = str(meta.get("kind") or "generate")
        errors = meta.get("errors")
        prompt = str(meta.get("note", "")) if kind == "fix" else message.content
        stored = meta.get("attachments")
        attachments = []
        if isinstance(stored, list) and read_blob is not None:
            prompt = str(meta.get("prompt", prompt))
            attachments = [
                Attachment.from_meta(a, read_blob) for a in stored if isinstance(a, dict)
            ]
        return cls(
            kind=kind,
            prompt=prompt,
            base=meta.get("base"),
            errors=list(errors) if isinstance(errors, list) else None,
            auto_fix_of=meta.get("auto_fix_of"),
            attachments=attachments,
        )


def clean_error(error: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of an error report the model and the store need, as plain JSON values."""
    out: dict[str, Any] = {"message": str(error.get("message", "")).strip()[:2000]}
    for key in ("source", "line", "kind"):
        value = error.get(key)
        if value not in (None, ""):
            out[key] = value if isinstance(value, int | float) else str(value)[:300]
    return out
