"""Prompt to game: the generation operation shared by the Chat panel and `studio generate`.

A `Generator` works on one open project with one chat provider and model. For a prompt it

1. takes the version built on (the shown one, or the head), its text files, the asset
   manifest, a bounded slice of the conversation and what the person showed with the
   prompt (pictures, what they pointed at), and builds the request
   (`studio.operations.request_build`), saying what was left out to make it fit;
2. streams the answer through `studio.ai.answer.run_generation`, passing its events on;
3. commits a version only when the status is "ok", recording prompt, provider, model,
   token usage, time to first token and total time;
4. records the conversation: the person's prompt, the assistant's answer (kept whole, also
   when cut off, so nothing is lost) and a status line saying what happened.

A cut-off or stopped answer stays "pending": `continue_answer()` asks the model to go on
from it, `discard()` drops it (it stays in the conversation). An automatic fix runs at most
once per person's prompt and never after a fix. `start_variations()` runs N generations of
one prompt at once, each committed as a fork of the base version without moving the head;
`keep_variation()` moves the head to the chosen one.

Beside it: `studio.ai.code_providers` (which provider, from the settings),
`studio.operations.conversation` (what the model sees of the conversation) and
`studio.operations.outcomes` (what a generation did, in words).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from studio.ai.answer import (
    EventCallback,
    GenerationResult,
    continue_generation,
    run_generation,
)
from studio.ai.attachments import Attachment
from studio.ai.code_providers import (
    ProviderConfig,
)
from studio.ai.context_window import compare_counts
from studio.ai.paced import PacedProvider
from studio.ai.providers import ChatProvider, Usage
from studio.core.assets import attach_used_assets
from studio.core.records import GenerationInfo, Message, Version
from studio.core.store import Project
from studio.errors import StudioError
from studio.operations.conversation import (
    Request,
    clean_error,
    discard_partial,
    pending_partial,
    prompt_speed,
)
from studio.operations.outcomes import (
    ContextReady,
    Outcome,
    describe_ok,
    describe_problem,
)
from studio.operations.request_build import Assembled, RequestBuilder
from studio.operations.review import Review, hold_for_review
from studio.operations.variations import Variations

__all__ = ["ErrorCheck", "Generator"]


log = logging.getLogger(__name__)

ErrorCheck = Callable[[Version], Awaitable[Sequence[Mapping[str, Any]]]]


@dataclass
class _Prepared:
    request: Assembled  # the messages and what they are built from
    user: Message  # the prompt as the conversation records it

    def refused(self, kind: str, variation: int | None = None) -> Outcome | None:
        if self.request.refusal is None:
            return None
        return Outcome(
            kind,
            "error",
            self.request.refusal,
            left_out=self.request.left_out,
            error_kind=self.request.refusal_kind,
            variation=variation,
        )


def _uncancel() -> None:
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()


async def _io(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Store work off the GUI thread: blob and WAL writes fsync."""
    return await asyncio.to_thread(fn, *args, **kwargs)


async def _to_the_end(work: Awaitable[Outcome]) -> Outcome:
    """Finish `work` even when the caller is cancelled meanwhile: an answer that arrived
    whole is saved and recorded, and the outcome says what it made (Stop came too late)."""
    job = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(job)
    except asyncio.CancelledError:
        _uncancel()
        return await job


def _info(provider: ChatProvider, model: str, result: GenerationResult, prior: Usage) -> Any:
    usage = result.usage + prior
    sent = usage.prompt_tokens or usage.completion_tokens
    return GenerationInfo(
        provider=getattr(provider, "name", None) or None,
        model=model,
        tokens_in=usage.prompt_tokens if sent else None,
        tokens_out=usage.completion_tokens if sent else None,
        ttft=result.ttft,
        total_time=result.total_time,
    )


class Generator(Variations):
    """Generations on one project with one provider and model (see the module doc)."""

    def __init__(
        self,
        project: Project,
        provider: ChatProvider,
        model: str,
        *,
        temperature: float | None = None,
        requests: RequestBuilder | None = None,
        **request_options: Any,
    ) -> None:
        """`request_options` (max_tokens, budget, context_window, max_messages,
        system_prompt, vision) say how requests are built (`RequestBuilder`), unless the
        builder itself is given."""
        self.project = project
        self.provider = provider
        self._stream = PacedProvider(provider)  # what the generations read from
        self.model = model
        self.temperature = temperature
        self.review: Review | None = None  # set: answers wait for the person's review
        self.requests = requests or RequestBuilder(project, provider, model, **request_options)

    @classmethod
    def from_config(
        cls,
        project: Project,
        provider: ChatProvider,
        config: ProviderConfig,
        *,
        system_prompt: str | None = None,
    ) -> Generator:
        requests = RequestBuilder.from_config(
            project, provider, config, system_prompt=system_prompt
        )
        return cls(
            project, provider, config.effective_model, temperature=config.temperature,
            requests=requests,
        )  # fmt: skip

    # -- questions ----------------------------------------------------------------------

    def pending(self) -> Message | None:
        return pending_partial(self.project.messages())

    def auto_fix_allowed(self, version_id: int) -> bool:
        """An automatic fix follows a person's prompt at most once, and never a fix."""
        version = self.project.version(version_id)
        if version.kind != "generate" or version.meta.get("group"):
            return False
        return not any(
            m.role == "user" and m.meta.get("auto_fix_of") == version_id
            for m in self.project.messages()
        )

    # -- the operations -----------------------------------------------------------------

    async def generate(
        self,
        prompt: str,
        *,
        base: int | None = None,
        on_event: EventCallback | None = None,
        check: ErrorCheck | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> Outcome:
        """A person's prompt, with what they showed (`attachments`). With `check` (how to
        find a new version's errors), a version with errors is fixed automatically, once."""
        prompt = prompt.strip()
        if not prompt:
            raise StudioError("the prompt is empty: say what to make or change")
        request = Request("generate", prompt, self._base(base), attachments=list(attachments))
        outcome = await self._run(request, on_event)
        return await self._maybe_auto_fix(outcome, on_event, check)

    async def fix(
        self,
        errors: Sequence[Mapping[str, Any]],
        *,
        note: str = "",
        base: int | None = None,
        on_event: EventCallback | None = None,
        auto: bool = False,
    ) -> Outcome:
        """Send errors (from the Preview or a playtest) to the model for a fix."""
        errors = [clean_error(e) for e in errors]
        if not errors:
            raise StudioError("there are no errors to fix")
        base = self._base(base)
        if auto and (base is None or not self.auto_fix_allowed(base)):
            return Outcome(
                "fix",
                "skipped",
                "No automatic fix: one already ran for this prompt, or it was a fix.",
            )
        request = Request("fix", note, base, errors, auto_fix_of=base if auto else None)
        return await self._run(request, on_event)

    async def continue_answer(
        self, *, on_event: EventCallback | None = None, check: ErrorCheck | None = None
    ) -> Outcome:
        """Ask the model to go on from the pending cut-off answer."""
        messages = self.project.messages()
        partial = pending_partial(messages)
        if partial is None:
            raise StudioError("there is no cut-off answer to continue")
        asked = next((m for m in messages if m.id == partial.meta.get("request")), None)
        if asked is None:
            raise StudioError("the prompt of the cut-off answer is not in the conversation")
        request = Request.from_message(asked, self.project.blobs.read)
        try:
            prepared = await self._prepare(request, user=asked, on_event=on_event)
        except asyncio.CancelledError:
            _uncancel()
            return Outcome("continue", "cancelled", "Stopped before the model answered.")
        if (refused := prepared.refused("continue")) is not None:
            return refused
        prior = Usage(
            int(partial.meta.get("tokens_in") or 0), int(partial.meta.get("tokens_out") or 0)
        )
        result = await continue_generation(
            self._stream,  # type: ignore[arg-type]
            self.model,
            prepared.request.built.messages,
            prepared.request.texts,
            partial.content,
            on_event=on_event,
            temperature=self.temperature,
            max_tokens=prepared.request.max_tokens,
        )
        outcome = await _to_the_end(
            self._conclude(
                request, prepared, result, continues=partial.id, prior=prior, kind="continue"
            )
        )
        if request.kind == "generate":
            return await self._maybe_auto_fix(outcome, on_event, check)
        return outcome

    def discard(self) -> Message | None:
        """Drop the pending cut-off answer; it stays in the conversation to read."""
        return discard_partial(self.project)

    # -- the steps ----------------------------------------------------------------------

    def _base(self, base: int | None) -> int | None:
        return self.project.resolve(base) if base is not None else self.project.head

    async def _run(self, request: Request, on_event: EventCallback | None) -> Outcome:
        try:
            prepared = await self._prepare(request, on_event=on_event)
        except asyncio.CancelledError:
            _uncancel()
            return Outcome(request.kind, "cancelled", "Stopped before the model answered.")
        return await self._answer(request, prepared, on_event)

    async def _answer(
        self,
        request: Request,
        prepared: _Prepared,
        on_event: EventCallback | None,
        variation: int | None = None,
    ) -> Outcome:
        """Send a prepared request (unless it cannot fit) and conclude with its answer."""
        if (refused := prepared.refused(request.kind, variation)) is not None:
            return refused
        result = await run_generation(
            self._stream,  # type: ignore[arg-type]
            self.model,
            prepared.request.built.messages,
            prepared.request.texts,
            on_event=on_event,
            temperature=self.temperature,
            max_tokens=prepared.request.max_tokens,
        )
        return await _to_the_end(self._conclude(request, prepared, result, variation=variation))

    async def _prepare(
        self,
        request: Request,
        *,
        user: Message | None = None,
        variations: int | None = None,
        on_event: EventCallback | None = None,
    ) -> _Prepared:
        """Build the request (`studio.operations.request_build`), record the prompt (unless
        given) and say what was left out, or why nothing is sent."""
        before = user.id if user is not None else None
        assembled = await self.requests.assemble(request, before=before)
        if user is None:
            meta = await _io(request.user_meta, self.project.blobs.put)
            if variations:
                meta["variations"] = variations
            user = await _io(self.project.add_message, "user", request.display, meta=meta)
        prepared = _Prepared(assembled, user)
        notes = []
        if assembled.refusal is not None:
            await _io(
                self.project.add_message,
                "status",
                assembled.refusal,
                meta={"level": "error", "error": assembled.refusal_kind, "about": user.id},
            )
            return prepared
        if assembled.left_out:
            notes.append("Left out to fit the model's context: " + "; ".join(assembled.left_out))
        if assembled.unsent:
            notes.append(
                f"Not sent: the pictures of {', '.join(assembled.unsent)} "
                f"({self.model} takes text only; their words went)"
            )
        if notes:
            await _io(
                self.project.add_message,
                "status",
                ". ".join(notes) + ".",
                meta={"left_out": assembled.left_out, "level": "warning", "about": user.id},
            )
        if on_event is not None:
            speed = prompt_speed(assembled.history, self.model)
            built = assembled.built
            ready = ContextReady(
                tuple(assembled.left_out), built.estimated_tokens, assembled.window, speed,
                parts=tuple(built.parts.items()),
            )  # fmt: skip
            on_event(ready)  # type: ignore[arg-type]
        return prepared

    @property
    def _base_url(self) -> str:
        return str(getattr(self.provider, "base_url", "") or "")

    async def _conclude(
        self,
        request: Request,
        prepared: _Prepared,
        result: GenerationResult,
        *,
        continues: int | None = None,
        prior: Usage | None = None,
        kind: str | None = None,
        variation: int | None = None,
    ) -> Outcome:
        prior = prior or Usage()
        info = _info(self.provider, self.model, result, prior)
        cut_by_server = None
        if not result.retried:  # a retry's tokens are in the usage too: nothing to compare
            cut_by_server = compare_counts(
                self._base_url, self.model, prepared.request.built, result.usage.prompt_tokens
            )
        if cut_by_server:
            await _io(
                self.project.add_message,
                "status",
                cut_by_server,
                meta={"level": "warning", "about": prepared.user.id},
            )
        answer_meta: dict[str, Any] = {
            "status": result.status,
            "message": result.message,
            "request": prepared.user.id,
            "provider": info.provider,
            "model": info.model,
            "tokens_in": info.tokens_in,
            "tokens_out": info.tokens_out,
            "ttft": info.ttft,
            "total_time": info.total_time,
        }
        if continues is not None:
            answer_meta["continues"] = continues
        if request.group:
            answer_meta.update(group=request.group, variation=variation)
        outcome = Outcome(
            kind or request.kind,
            result.status,
            "",
            result=result,
            left_out=prepared.request.left_out,
            message=result.message,
            variation=variation,
        )
        if variation is not None:
            answer_meta["variation"] = variation

        dropped: list[str] = []
        if result.status == "ok" and self.review is not None and variation is None:
            dropped = await hold_for_review(self.review, prepared.request.texts, result)
            if dropped and not result.changed:
                outcome.status = outcome.error_kind = answer_meta["status"] = "dropped"
                outcome.notice = "You dropped every change of the answer: nothing was saved."
                for role, text, meta in (
                    ("assistant", result.text, answer_meta),
                    ("status", outcome.notice, {"level": "warning", "about": prepared.user.id}),
                ):
                    await _io(self.project.add_message, role, text, meta=meta)
                return outcome
        if result.status == "ok":
            version = await self._commit(request, prepared, result, info, continues, variation)
            outcome.version = version
            outcome.notice = describe_ok(result, version)
            if dropped:
                outcome.notice += f" Dropped after review: {', '.join(dropped)}."
            if variation is not None:
                outcome.notice = f"Variation {variation}: {outcome.notice}"
            await _io(
                self.project.add_message,
                "assistant",
                result.text,
                version=version.id,
                meta=answer_meta,
            )
            await _io(
                self.project.add_message,
                "status",
                outcome.notice,
                version=version.id,
                meta={"level": "ok", "about": prepared.user.id},
            )
            return outcome

        notice, error_kind = describe_problem(result)
        if variation is not None:
            notice = f"Variation {variation}: {notice}"
        outcome.notice, outcome.error_kind = notice, error_kind
        text = result.partial if result.status in ("cut_off", "cancelled") else result.text
        if text:
            # The answer is kept whole, also when it made no version: nothing is lost.
            if result.status in ("cut_off", "cancelled"):
                answer_meta["partial"] = True
            await _io(self.project.add_message, "assistant", text, meta=answer_meta)
        await _io(
            self.project.add_message,
            "status",
            notice,
            meta={
                "level": "warning" if error_kind in ("cut_off", "cancelled") else "error",
                "error": error_kind,
                "about": continues or prepared.user.id,
            },
        )
        return outcome

    async def _commit(
        self,
        request: Request,
        prepared: _Prepared,
        result: GenerationResult,
        info: Any,
        continues: int | None,
        variation: int | None,
    ) -> Version:
        files: dict[str, bytes | str] = dict(prepared.request.files)
        assert result.files is not None
        files.update(result.files)
        meta: dict[str, Any] = {"changed": result.changed}
        if request.kind == "fix":
            meta["errors"] = (request.errors or [])[:20]
        if request.auto_fix_of is not None:
            meta["auto_fix_of"] = request.auto_fix_of
        if continues is not None:
            meta["continued"] = True
        if request.group:
            meta.update(group=request.group, variation=variation)
        if prepared.request.left_out:
            meta["left_out"] = prepared.request.left_out

        def commit() -> Version:
            attach_used_assets(self.project, files, result.changed)
            return self.project.commit(
                files,
                parent=request.base,
                kind=request.kind,
                prompt=request.title,
                info=info,
                meta=meta,
                move_head=request.group is None,
            )

        return await _io(commit)

    async def _maybe_auto_fix(
        self, outcome: Outcome, on_event: EventCallback | None, check: ErrorCheck | None
    ) -> Outcome:
        version = outcome.version
        if check is None or version is None or not outcome.ok:
            return outcome
        if not self.auto_fix_allowed(version.id):
            return outcome
        try:
            errors = list(await check(version))
        except asyncio.CancelledError:
            _uncancel()
            return outcome
        except Exception:  # the check (a playtest, the Preview) failing is no reason to fail
            log.exception("checking version %s for errors failed", version.id)
            return outcome
        if errors:
            outcome.auto_fix = await self.fix(errors, base=version.id, on_event=on_event, auto=True)
        return outcome
