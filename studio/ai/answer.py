"""The generation operation: stream an answer, read it, apply it to a copy of the files.

Independent of storage: the caller passes the current files and gets new files back, and
commits a version only when the status is "ok" (DESIGN.md: a cut-off, refused or failed
answer never becomes a version silently).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from studio.ai.blocks import (
    EditBlock,
    Event,
    ParsedAnswer,
    collect,
    tidy_message,
)
from studio.ai.edits import BlockResult, EditResult, apply_edits
from studio.ai.errors import GenerationError
from studio.ai.prompts import continue_prompt, retry_edit_prompt
from studio.ai.providers import ChatDone, ChatMessage, ChatProvider, Usage
from studio.ai.stream_parser import (
    StreamParser,
    last_open_tag,
    opening_tag_at_start,
    strip_leading_fence,
)

__all__ = [
    "GenerationEvent",
    "GenerationResult",
    "RetryStarted",
    "Status",
    "Waiting",
    "continue_generation",
    "format_failed_blocks",
    "join_continuation",
    "run_generation",
]

Status = Literal[
    "ok", "no_code", "edit_failed", "placeholder_refused", "cut_off", "cancelled", "error"
]

WHOLE_FILE_LINES = 300  # a failed block's file shown whole to the retry when this short
MIN_OVERLAP = 8  # repeated text at the start of a continuation shorter than this is kept
CONTINUATION_PEEK = 400  # characters of a continuation read before deciding how it joins


@dataclass(frozen=True, slots=True)
class RetryStarted:
    """Failed edit blocks are going back to the model (once)."""

    blocks: int


@dataclass(frozen=True, slots=True)
class Waiting:
    """The service rate-limited the request; trying again after `seconds`."""

    seconds: float


GenerationEvent = Event | RetryStarted | Waiting
EventCallback = Callable[[GenerationEvent], object]


@dataclass(slots=True)
class GenerationResult:
    status: Status
    files: dict[str, str] | None  # the new files; only for "ok"
    message: str  # the assistant's prose for the person
    text: str  # the raw answer (joined with the partial for a continuation)
    written: list[str] = field(default_factory=list)  # paths sent as whole files
    applied: list[BlockResult] = field(default_factory=list)
    failed: list[BlockResult] = field(default_factory=list)
    refused: dict[str, list[str]] = field(default_factory=dict)  # path -> placeholder lines
    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    ttft: float | None = None
    total_time: float = 0.0
    partial: str | None = None  # what arrived, when cut off or cancelled
    error: GenerationError | None = None
    retried: bool = False
    changed: list[str] = field(default_factory=list)  # paths whose text differs


@dataclass(slots=True)
class _Streamed:
    text: str = ""
    events: list[Event] = field(default_factory=list)
    done: ChatDone | None = None
    error: GenerationError | None = None
    cancelled: bool = False


def _uncancel() -> None:
    """We turn a cancellation into a result; keep the task's cancel count balanced."""
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()


class _Run:
    """One operation's plumbing: options, callbacks, totals."""

    def __init__(
        self,
        provider: ChatProvider,
        model: str,
        *,
        on_event: EventCallback | None,
        temperature: float | None,
        max_tokens: int | None,
    ) -> None:
        self.provider = provider
        self.model = model
        self.on_event = on_event
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.started = time.monotonic()
        self.usage = Usage()
        self.ttft: float | None = None

    def emit(self, events: list[Event] | list[GenerationEvent]) -> None:
        if self.on_event is not None:
            for event in events:
                self.on_event(event)

    def _waited(self, seconds: float) -> None:
        self.emit([Waiting(seconds)])

    async def stream(self, messages: list[ChatMessage], *, prefix: str = "") -> _Streamed:
        """Stream one request through a parser. `prefix` is an earlier partial answer that
        the new text continues; it is parsed first, without events."""
        out = _Streamed()
        parser = StreamParser()
        out.events += parser.feed(prefix)
        head: list[str] | None = [] if prefix else None
        parts: list[str] = []

        def take(text: str) -> None:
            parts.append(text)
            events = parser.feed(text)
            out.events.extend(events)
            self.emit(events)

        try:
            chunks = self.provider.stream_chat(
                messages,
                model=self.model,
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                on_wait=self._waited,
            )
            async for chunk in chunks:
                if isinstance(chunk, ChatDone):
                    out.done = chunk
                elif head is None:
                    take(chunk.text)
                else:
                    # A continuation: read its start before deciding how it joins.
                    head.append(chunk.text)
                    if sum(map(len, head)) >= CONTINUATION_PEEK:
                        parser, rest = self._join(prefix, "".join(head), parser, out)
                        head = None
                        take(rest)
        except GenerationError as err:
            out.error = err
        except asyncio.CancelledError:
            out.cancelled = True
            _uncancel()
        if head is not None:
            parser, rest = self._join(prefix, "".join(head), parser, out)
            take(rest)
        final = parser.finish()
        out.events.extend(final)
        self.emit(final)
        out.text += "".join(parts)
        if out.done is not None:
            if out.done.usage is not None:
                self.usage = self.usage + out.done.usage
            if self.ttft is None:
                self.ttft = out.done.ttft
        return out

    def _join(
        self, prefix: str, head: str, parser: StreamParser, out: _Streamed
    ) -> tuple[StreamParser, str]:
        """Decide how a continuation's first characters join the partial answer.

        Returns the parser to go on with and the text to feed it; `out.text` becomes the
        part of the partial answer that is kept.
        """
        kept, rest = join_continuation(prefix, head, inside_block=parser.state != "text")
        if kept != prefix:
            # The model started the open block over: read the kept part afresh.
            parser = StreamParser()
            out.events = parser.feed(kept)
        out.text = kept
        return parser, rest


def join_continuation(partial: str, head: str, *, inside_block: bool) -> tuple[str, str]:
    """How a continuation joins a partial answer: (kept part of partial, text to append).

    Handles a continuation that opens with a fence, that repeats the end of the partial,
    or that starts the open block over from its opening tag.
    """
    if inside_block:
        head = strip_leading_fence(head)
        restart = opening_tag_at_start(head)
        last = last_open_tag(partial)
        if restart and last and restart[1] == last[2]:
            return partial[: last[0]], head.lstrip(" \t\r\n")
    for k in range(min(len(partial), len(head)), MIN_OVERLAP - 1, -1):
        if partial.endswith(head[:k]) and head[:k].strip():
            return partial, head[k:]
    return partial, head


def _blocks_text(block: EditBlock) -> str:
    return f"<<<<<<< SEARCH\n{block.search}=======\n{block.replace}>>>>>>> REPLACE"


def format_failed_blocks(failed: list[BlockResult], files: Mapping[str, str]) -> str:
    """The failed blocks with the current text around them, for retry_edit.md."""
    sections = []
    for number, result in enumerate(failed, 1):
        block = result.block
        current = files.get(block.path)
        section = [
            f"### Block {number} for {block.path}: {result.reason or 'did not apply'}",
            "",
            f'Your block:\n<edit path="{block.path}">\n{_blocks_text(block)}\n</edit>',
            "",
        ]
        if current is None:
            section.append(f"{block.path} does not exist: send it as a whole <file> block.")
        elif current.count("\n") <= WHOLE_FILE_LINES or not result.closest:
            lines = current.split("\n")[:WHOLE_FILE_LINES]
            text = "\n".join(lines)
            section.append(
                f"Current text of {block.path}:\n"
                f'<current_file path="{block.path}">\n{text.rstrip()}\n</current_file>'
            )
        else:
            first, last = result.closest_lines or (1, 1)
            section.append(
                f"Current text of {block.path} where your SEARCH came closest "
                f"(lines {first}–{last}):\n"
                f'<current_file path="{block.path}" lines="{first}-{last}">\n'
                f"{result.closest.rstrip()}\n</current_file>"
            )
        sections.append("\n".join(section))
    return "\n\n".join(sections)


def _apply(answer: ParsedAnswer, files: Mapping[str, str]) -> EditResult:
    out = apply_edits(files, answer.blocks)
    for bad in answer.malformed_edits:
        block = EditBlock(bad.path, bad.malformed + "\n", "")
        reason = "not a complete SEARCH/=======/REPLACE block"
        out.results.append(BlockResult(block, "failed", 0.0, reason))
    return out


def _answer(streamed: _Streamed) -> ParsedAnswer:
    answer = collect(streamed.events)
    answer.message = tidy_message(answer.message)
    return answer


async def _conclude(
    run: _Run,
    messages: list[ChatMessage],
    files: Mapping[str, str],
    streamed: _Streamed,
    *,
    retry_edits: bool,
) -> GenerationResult:
    answer = _answer(streamed)
    done = streamed.done
    result = GenerationResult(
        status="ok",
        files=None,
        message=answer.message,
        text=streamed.text,
        finish_reason=done.finish_reason if done else None,
    )

    def finish(status: Status, error: GenerationError | None = None) -> GenerationResult:
        result.status, result.error = status, error
        if status in ("cut_off", "cancelled"):
            result.partial = streamed.text
        result.usage, result.ttft = run.usage, run.ttft
        result.total_time = time.monotonic() - run.started
        return result

    if streamed.cancelled:
        return finish("cancelled")
    try:
        return await _decide(run, messages, files, streamed, answer, result, finish, retry_edits)
    except asyncio.CancelledError:
        _uncancel()
        return finish("cancelled")


async def _decide(
    run: _Run,
    messages: list[ChatMessage],
    files: Mapping[str, str],
    streamed: _Streamed,
    answer: ParsedAnswer,
    result: GenerationResult,
    finish: Callable[..., GenerationResult],
    retry_edits: bool,
) -> GenerationResult:
    if streamed.error is not None:
        if streamed.text or streamed.error.kind == "cut_off":
            return finish("cut_off", streamed.error)
        return finish("error", streamed.error)
    if result.finish_reason == "length":
        why = "The answer reached the model's length limit before it was complete."
        return finish("cut_off", GenerationError("cut_off", why))
    if answer.incomplete:
        open_paths = ", ".join(i.path for i in answer.incomplete)
        why = f"The answer ended inside an unfinished block ({open_paths})."
        return finish("cut_off", GenerationError("cut_off", why))
    if not streamed.text.strip():
        why = "The model's answer was empty: it sent no text at all."
        return finish("error", GenerationError("empty", why))
    if not answer.blocks and not answer.malformed_edits:
        why = "The answer has no code: nothing to apply."
        return finish("no_code", GenerationError("no_code", why))

    applied = await asyncio.to_thread(_apply, answer, files)
    result.written, result.applied = applied.written, applied.applied
    result.refused, result.failed = applied.refused, applied.failed
    if applied.refused:
        return finish("placeholder_refused")

    if applied.failed and retry_edits:
        applied = await _retry(run, messages, applied, result)
        if result.status == "cancelled":
            return finish("cancelled")
    if result.failed:
        return finish("edit_failed", result.error)

    result.files = applied.files
    result.changed = [p for p, text in applied.files.items() if files.get(p) != text]
    return finish("ok")


async def _retry(
    run: _Run, messages: list[ChatMessage], applied: EditResult, result: GenerationResult
) -> EditResult:
    """Send the failed blocks back once, alone, with the current text around them."""
    result.retried = True
    run.emit([RetryStarted(len(applied.failed))])
    request = retry_edit_prompt(format_failed_blocks(applied.failed, applied.files))
    retry_messages: list[ChatMessage] = [m for m in messages[:1] if m["role"] == "system"]
    retry_messages.append({"role": "user", "content": request})
    streamed = await run.stream(retry_messages)
    if streamed.cancelled:
        result.status = "cancelled"
        return applied
    if streamed.error is not None or (streamed.done and streamed.done.finish_reason == "length"):
        result.error = streamed.error or GenerationError(
            "cut_off", "The retry of the failed edits was cut off."
        )
        return applied
    answer = _answer(streamed)
    if answer.incomplete or not (answer.blocks or answer.malformed_edits):
        result.error = GenerationError("no_code", "The retry of the failed edits brought no edits.")
        return applied
    again = await asyncio.to_thread(_apply, answer, applied.files)
    result.written += again.written
    result.applied += again.applied
    result.refused.update(again.refused)
    result.failed = again.failed + [
        BlockResult(EditBlock(p, "", ""), "failed", 0.0, "whole file with placeholders refused")
        for p in again.refused
    ]
    return again


async def run_generation(
    provider: ChatProvider,
    model: str,
    messages: list[ChatMessage],
    files: Mapping[str, str],
    *,
    on_event: EventCallback | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    retry_edits: bool = True,
) -> GenerationResult:
    """Stream an answer to `messages` and apply it to a copy of `files`.

    Events (parser events, `Waiting`, `RetryStarted`) go to `on_event` as they happen.
    Cancelling the task ends the stream and returns a "cancelled" result holding the
    partial answer instead of raising. Errors come back as status "error" or "cut_off"
    with `error` set; nothing is raised for a failed request.
    """
    run = _Run(provider, model, on_event=on_event, temperature=temperature, max_tokens=max_tokens)
    streamed = await run.stream(messages)
    return await _conclude(run, messages, files, streamed, retry_edits=retry_edits)


async def continue_generation(
    provider: ChatProvider,
    model: str,
    messages: list[ChatMessage],
    files: Mapping[str, str],
    partial: str,
    *,
    on_event: EventCallback | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    retry_edits: bool = True,
) -> GenerationResult:
    """Ask the model to go on from a cut-off answer and read the joined text.

    `messages` are the ones the partial answer was made for. Events continue where the
    partial answer's stopped (the partial text itself is not replayed).
    """
    run = _Run(provider, model, on_event=on_event, temperature=temperature, max_tokens=max_tokens)
    more: list[ChatMessage] = [
        *messages,
        {"role": "assistant", "content": partial},
        {"role": "user", "content": continue_prompt()},
    ]
    streamed = await run.stream(more, prefix=partial)
    return await _conclude(run, messages, files, streamed, retry_edits=retry_edits)
