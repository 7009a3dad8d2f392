"""Prompt to game: the generation operation shared by the Chat panel and `studio generate`.

A `Generator` works on one open project with one chat provider and model. For a prompt it

1. takes the version built on (the shown one, or the head), its text files, the asset
   manifest and a bounded slice of the conversation, and builds the request
   (`studio.ai.context`), saying what was left out to make it fit;
2. streams the answer through `studio.ai.generate.run_generation`, passing its events on;
3. commits a version only when the status is "ok", recording prompt, provider, model,
   token usage, time to first token and total time;
4. records the conversation: the person's prompt, the assistant's answer (kept whole, also
   when cut off, so nothing is lost) and a status line saying what happened.

A cut-off or stopped answer stays "pending": `continue_answer()` asks the model to go on
from it, `discard()` drops it (it stays in the conversation). An automatic fix runs at most
once per person's prompt and never after a fix. `start_variations()` runs N generations of
one prompt at once, each committed as a fork of the base version without moving the head;
`keep_variation()` moves the head to the chosen one.

Also here: the settings of code providers (base URL, model, temperature, output limit;
never the key, see `studio.config.keys`) and building a provider through the plugin host.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from studio.ai.context import BuiltContext, TokenBudget, build_messages
from studio.ai.generate import (
    EventCallback,
    GenerationResult,
    continue_generation,
    run_generation,
)
from studio.ai.prompts import format_errors
from studio.ai.providers import ChatProvider, Usage
from studio.config import keys
from studio.core.assets import asset_manifest, library_manifest
from studio.core.errors import StudioError
from studio.core.store import GenerationInfo, Message, Project, Version

__all__ = [
    "DEFAULT_MODEL",
    "Generator",
    "Outcome",
    "ContextReady",
    "ProviderConfig",
    "VariationRun",
    "conversation_for_model",
    "create_openai_chat_provider",
    "discard_partial",
    "make_code_provider",
    "pending_partial",
    "provider_config",
    "provider_configs",
    "remove_provider_config",
    "save_provider_config",
]

log = logging.getLogger(__name__)

DEFAULT_PROVIDER = "openai"
DEFAULT_MODEL = "gpt-4.1"
DEFAULT_CONTEXT_WINDOW = 128_000
DEFAULT_OUTPUT_TOKENS = 16_000
DEFAULT_TIMEOUT = 120.0
MAX_MESSAGES = 20  # the slice of the conversation sent with a request
MAX_VARIATIONS = 8
ASSET_DIR = "assets/"

ErrorCheck = Callable[[Version], Awaitable[Sequence[Mapping[str, Any]]]]


# -- provider settings ------------------------------------------------------------------


def _number(value: Any, kind: type, default: Any) -> Any:
    if value is None or value == "":
        return default
    try:
        return kind(value)
    except (TypeError, ValueError):
        return default


@dataclass
class ProviderConfig:
    """One configured code provider, as kept in settings.json under `code_providers`.

    `name` is the person's name for the entry (and the key's name in the keyring); `type`
    is the registered provider factory that serves it ("openai" for any OpenAI-compatible
    service). An empty `base_url` means OPENAI_BASE_URL, else the service's own address.
    """

    name: str = DEFAULT_PROVIDER
    type: str = DEFAULT_PROVIDER
    base_url: str = ""
    model: str = ""
    temperature: float | None = None
    max_tokens: int | None = None
    context_window: int = DEFAULT_CONTEXT_WINDOW
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> ProviderConfig:
        temperature = _number(data.get("temperature"), float, None)
        max_tokens = _number(data.get("max_tokens"), int, None)
        return cls(
            name=name,
            type=str(data.get("type") or DEFAULT_PROVIDER),
            base_url=str(data.get("base_url") or "").strip(),
            model=str(data.get("model") or "").strip(),
            temperature=None if temperature is None else min(2.0, max(0.0, temperature)),
            max_tokens=max_tokens if max_tokens and max_tokens > 0 else None,
            context_window=max(2_000, _number(data.get("context_window"), int, 0) or 0)
            if data.get("context_window")
            else DEFAULT_CONTEXT_WINDOW,
            timeout=max(5.0, _number(data.get("timeout"), float, DEFAULT_TIMEOUT)),
        )

    def to_dict(self) -> dict[str, Any]:
        """What settings.json keeps: never a key."""
        return {
            "type": self.type,
            "base_url": self.base_url,
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "context_window": self.context_window,
            "timeout": self.timeout,
        }

    @property
    def effective_model(self) -> str:
        return self.model or DEFAULT_MODEL

    def budget(self) -> TokenBudget:
        reserved = min(self.max_tokens or DEFAULT_OUTPUT_TOKENS, self.context_window // 2)
        return TokenBudget(context_window=self.context_window, reserved_output=reserved)

    def factory_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"name": self.name, "timeout": self.timeout}
        if self.base_url:
            options["base_url"] = self.base_url
        return options


def provider_configs(settings: Any) -> list[ProviderConfig]:
    """The configured providers, by name; the built-in "openai" entry is always there."""
    stored = settings.get("code_providers") or {}
    configs = {
        str(name): ProviderConfig.from_dict(str(name), data)
        for name, data in (stored.items() if isinstance(stored, Mapping) else [])
        if isinstance(data, Mapping) and str(name).strip()
    }
    configs.setdefault(DEFAULT_PROVIDER, ProviderConfig())
    return [configs[n] for n in sorted(configs)]


def provider_config(settings: Any, name: str | None = None, host: Any = None) -> ProviderConfig:
    """The entry `name`, or the one chosen in Settings (a clear error for an unknown name).
    With the plugin `host`, a name with no entry may be a registered code provider (a
    plugin's, used with its own defaults)."""
    wanted = name or settings.get("code_provider") or DEFAULT_PROVIDER
    configs = provider_configs(settings)
    for config in configs:
        if config.name == wanted:
            return config
    if name is None:  # the chosen one was removed by hand: fall back quietly
        return provider_config(settings, DEFAULT_PROVIDER)
    registered = [r.name for r in host.registrations("code_providers")] if host else []
    if wanted in registered:
        return ProviderConfig(name=wanted, type=wanted)
    known = ", ".join(dict.fromkeys([*(c.name for c in configs), *registered]))
    raise StudioError(
        f"no code provider named {wanted!r} in the settings or the plugins (known: {known})"
    )


def save_provider_config(settings: Any, config: ProviderConfig, *, current: bool = True) -> None:
    name = config.name.strip()
    if not name:
        raise StudioError("a code provider needs a name")
    stored = dict(settings.get("code_providers") or {})
    stored[name] = config.to_dict()
    settings.set("code_providers", stored)
    if current:
        settings.set("code_provider", name)


def remove_provider_config(settings: Any, name: str) -> None:
    stored = dict(settings.get("code_providers") or {})
    stored.pop(name, None)
    settings.set("code_providers", stored)
    if settings.get("code_provider") == name:
        settings.set("code_provider", DEFAULT_PROVIDER)
    keys.delete_api_key(name)


def create_openai_chat_provider(options: Mapping[str, Any]) -> ChatProvider:
    """The built-in factory (registered as "openai"): any OpenAI-compatible chat service.

    The provider reads the stream as plain JSON (`studio.ai.light_stream`): the client's own
    decoding costs more of the GUI thread than everything else a generation does."""
    from studio.ai.light_stream import LightOpenAIChatProvider

    allowed = ("base_url", "api_key", "timeout", "name", "max_rate_limit_retries", "backoff")
    return LightOpenAIChatProvider(**{k: v for k, v in options.items() if k in allowed})


def make_code_provider(
    host: Any,
    config: ProviderConfig,
    *,
    api_key: str | None = None,
    env_var: str | None = None,
    **extra: Any,
) -> ChatProvider:
    """Build the provider for `config` through the plugin host, with its key resolved now
    (given, the variable named, the keyring/private file, then OPENAI_API_KEY)."""
    try:
        factory = host.get("code_providers", config.type)
    except KeyError as exc:
        raise StudioError(str(exc.args[0])) from None
    options = {**config.factory_options(), **extra}
    key = api_key or keys.resolve_api_key(config.name, env_var=env_var)
    if key:
        options["api_key"] = key
    provider = factory(options)
    if not getattr(provider, "name", None):
        provider.name = config.name
    return provider


# -- the conversation -------------------------------------------------------------------


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


# -- outcomes ---------------------------------------------------------------------------


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
    def ok(self) -> bool:
        return self.status == "ok"

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
    """Event: the request is built (before it is sent); `left_out` says what did not fit."""

    left_out: tuple[str, ...]
    estimated_tokens: int


@dataclass
class _Request:
    kind: str  # "generate" or "fix"
    prompt: str  # the person's words (for a fix: their note, may be empty)
    base: int | None
    errors: list[dict[str, Any]] | None = None
    auto_fix_of: int | None = None
    group: str | None = None

    @property
    def display(self) -> str:
        if self.kind == "fix":
            return fix_request_text(self.errors or [], self.prompt)
        return self.prompt

    @property
    def title(self) -> str:
        return fix_title(self.errors or [], self.prompt) if self.kind == "fix" else self.prompt

    def user_meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"kind": self.kind, "base": self.base}
        if self.errors is not None:
            meta["errors"] = self.errors
            meta["note"] = self.prompt
        if self.auto_fix_of is not None:
            meta["auto_fix_of"] = self.auto_fix_of
        if self.group:
            meta["group"] = self.group
        return meta

    @classmethod
    def from_message(cls, message: Message) -> _Request:
        meta = message.meta
        kind = str(meta.get("kind") or "generate")
        errors = meta.get("errors")
        prompt = str(meta.get("note", "")) if kind == "fix" else message.content
        return cls(
            kind=kind,
            prompt=prompt,
            base=meta.get("base"),
            errors=list(errors) if isinstance(errors, list) else None,
            auto_fix_of=meta.get("auto_fix_of"),
        )


@dataclass
class _Prepared:
    files: dict[str, bytes]  # every file of the base version (assets too)
    texts: dict[str, str]  # what the model sees
    built: BuiltContext
    left_out: list[str]
    user: Message


@dataclass
class VariationRun:
    """N generations of one prompt running at once; cancel any one with `cancel(i)`."""

    group: str
    base: int | None
    tasks: list[asyncio.Task[Outcome]]

    def cancel(self, index: int) -> None:
        self.tasks[index].cancel()

    def cancel_all(self) -> None:
        for task in self.tasks:
            task.cancel()

    async def wait(self) -> list[Outcome]:
        """Every variation's outcome, in order (a task cancelled early reads "cancelled")."""
        await asyncio.gather(*self.tasks, return_exceptions=True)
        outcomes = []
        for i, task in enumerate(self.tasks):
            if task.cancelled():
                outcomes.append(
                    Outcome("generate", "cancelled", "Stopped before it began.", variation=i + 1)
                )
            elif task.exception() is not None:
                raise task.exception()  # a bug, not a failed request: let it show
            else:
                outcomes.append(task.result())
        return outcomes


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


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _describe_ok(result: GenerationResult, version: Version) -> str:
    parts = []
    if result.written:
        parts.append("wrote " + ", ".join(dict.fromkeys(result.written)))
    edited = list(dict.fromkeys(r.block.path for r in result.applied))
    if edited:
        parts.append(f"{_plural(len(result.applied), 'edit')} to {', '.join(edited)}")
    if not result.changed:
        parts.append("no file changed")
    what = "; ".join(parts) or "saved"
    return f"Version {version.id}: {what}."


def _describe_problem(result: GenerationResult) -> tuple[str, str | None]:
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
            f"{_plural(len(result.failed), 'edit')} did not match the code{retried} "
            f"({reasons}), so no version was made. {unchanged}",
            "edit_failed",
        )
    if error is not None:
        return f"{error.message} {unchanged}", error.kind
    return f"The generation failed. {unchanged}", "error"


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


class _Paced:
    """A provider whose stream hands the event loop back at least every `SLICE` seconds.

    A fast service delivers chunks in bursts (a socket read holds hundreds), and the client
    decodes them one after another without awaiting anything, so a burst would hold the GUI
    thread for tens of milliseconds. Yielding between chunks now and then keeps frames and
    input flowing; it costs nothing when chunks come slower than that."""

    SLICE = 0.003

    def __init__(self, inner: ChatProvider) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", "")

    async def list_models(self) -> list[str]:
        return await self.inner.list_models()

    async def stream_chat(self, messages: Any, **options: Any) -> AsyncIterator[Any]:
        chunks = self.inner.stream_chat(messages, **options)
        async with contextlib.aclosing(chunks):  # a cancelled stream is closed, not leaked
            mark = time.perf_counter()
            async for chunk in chunks:
                yield chunk
                if time.perf_counter() - mark >= self.SLICE:
                    await asyncio.sleep(0)
                    mark = time.perf_counter()


def _text_files(files: Mapping[str, bytes]) -> dict[str, str]:
    """The files the model reads and writes: text outside `assets/`."""
    texts = {}
    for path, data in files.items():
        if path.startswith(ASSET_DIR):
            continue
        try:
            texts[path] = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
    return texts


class Generator:
    """Generations on one project with one provider and model (see the module doc)."""

    def __init__(
        self,
        project: Project,
        provider: ChatProvider,
        model: str,
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        budget: TokenBudget | None = None,
        max_messages: int = MAX_MESSAGES,
        system_prompt: str | None = None,
    ) -> None:
        self.project = project
        self.provider = provider
        self._stream = _Paced(provider)  # what the generations read from
        self.model = model
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.budget = budget or TokenBudget()
        self.max_messages = max_messages
        # None: the story prompt for a story (studio.story.prompts), else the game prompt.
        self.system_prompt = system_prompt

    @classmethod
    def from_config(
        cls,
        project: Project,
        provider: ChatProvider,
        config: ProviderConfig,
        *,
        system_prompt: str | None = None,
    ) -> Generator:
        return cls(
            project,
            provider,
            config.effective_model,
            temperature=config.temperature,
            max_tokens=config.max_tokens,
            budget=config.budget(),
            system_prompt=system_prompt,
        )

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
    ) -> Outcome:
        """A person's prompt. With `check` (how to find a new version's errors), a version
        with errors is fixed automatically, once."""
        prompt = prompt.strip()
        if not prompt:
            raise StudioError("the prompt is empty: say what to make or change")
        request = _Request("generate", prompt, self._base(base))
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
        errors = [_clean_error(e) for e in errors]
        if not errors:
            raise StudioError("there are no errors to fix")
        base = self._base(base)
        if auto and (base is None or not self.auto_fix_allowed(base)):
            return Outcome(
                "fix",
                "skipped",
                "No automatic fix: one already ran for this prompt, or it was a fix.",
            )
        request = _Request("fix", note, base, errors, auto_fix_of=base if auto else None)
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
        request = _Request.from_message(asked)
        try:
            prepared = await self._prepare(request, user=asked, on_event=on_event)
        except asyncio.CancelledError:
            _uncancel()
            return Outcome("continue", "cancelled", "Stopped before the model answered.")
        prior = Usage(
            int(partial.meta.get("tokens_in") or 0), int(partial.meta.get("tokens_out") or 0)
        )
        result = await continue_generation(
            self._stream,  # type: ignore[arg-type]
            self.model,
            prepared.built.messages,
            prepared.texts,
            partial.content,
            on_event=on_event,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
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

    def start_variations(
        self,
        prompt: str,
        n: int = 3,
        *,
        base: int | None = None,
        on_event_for: Callable[[int], EventCallback | None] | None = None,
    ) -> VariationRun:
        """Start `n` generations of one prompt at once (tasks on the running loop).

        Each that succeeds becomes a version whose parent is the base, without moving the
        head; `keep_variation` picks one. Cancelling one task leaves the others running."""
        prompt = prompt.strip()
        if not prompt:
            raise StudioError("the prompt is empty: say what to make or change")
        if not 1 <= n <= MAX_VARIATIONS:
            raise StudioError(f"variations must be between 1 and {MAX_VARIATIONS}, not {n}")
        group = uuid.uuid4().hex[:10]
        request = _Request("generate", prompt, self._base(base), group=group)
        # One request, prepared once, shared: cancelling a variation must not cancel it.
        prepared = asyncio.ensure_future(self._prepare(request, variations=n))
        tasks = [
            asyncio.ensure_future(
                self._variation(request, prepared, i, on_event_for(i) if on_event_for else None)
            )
            for i in range(n)
        ]
        return VariationRun(group, request.base, tasks)

    def keep_variation(self, version_id: int) -> Version:
        """Make a variation the head (the others stay in History) and say so."""
        version = self.project.version(version_id)
        self.project.set_head(version_id)
        self.project.add_message(
            "status",
            f"Kept variation {version.meta.get('variation', '?')} as version {version_id}.",
            version=version_id,
            meta={"kept": version_id, "group": version.meta.get("group"), "level": "ok"},
        )
        return version

    # -- the steps ----------------------------------------------------------------------

    def _base(self, base: int | None) -> int | None:
        return self.project.resolve(base) if base is not None else self.project.head

    async def _variation(
        self,
        request: _Request,
        prepared: asyncio.Future[_Prepared],
        index: int,
        on_event: EventCallback | None,
    ) -> Outcome:
        ready = await asyncio.shield(prepared)
        result = await run_generation(
            self._stream,  # type: ignore[arg-type]
            self.model,
            ready.built.messages,
            ready.texts,
            on_event=on_event,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
        )
        return await _to_the_end(self._conclude(request, ready, result, variation=index + 1))

    async def _run(self, request: _Request, on_event: EventCallback | None) -> Outcome:
        try:
            prepared = await self._prepare(request, on_event=on_event)
        except asyncio.CancelledError:
            _uncancel()
            return Outcome(request.kind, "cancelled", "Stopped before the model answered.")
        result = await run_generation(
            self._stream,  # type: ignore[arg-type]
            self.model,
            prepared.built.messages,
            prepared.texts,
            on_event=on_event,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
        )
        return await _to_the_end(self._conclude(request, prepared, result))

    async def _prepare(
        self,
        request: _Request,
        *,
        user: Message | None = None,
        variations: int | None = None,
        on_event: EventCallback | None = None,
    ) -> _Prepared:
        """Read the base version, build the request, record the prompt (unless given)."""
        files: dict[str, bytes] = (
            await _io(self.project.files, request.base) if request.base is not None else {}
        )
        texts = _text_files(files)
        assets = await _io(self._manifest, request.base)
        history = await _io(self.project.messages)
        if user is not None:
            history = [m for m in history if m.id < user.id]
        pairs = conversation_for_model(history)
        left_out = []
        if len(pairs) > self.max_messages:
            older = len(pairs) - self.max_messages
            left_out.append(
                f"{_plural(older, 'older chat message')} (only the last "
                f"{self.max_messages} are sent)"
            )
        system = self.system_prompt
        if system is None:
            from studio.story.prompts import system_prompt_for

            system = system_prompt_for(files, await _io(self.project.get_meta, "template"))
        built: BuiltContext = await asyncio.to_thread(
            build_messages,
            request.prompt,
            texts,
            system=system,
            assets=assets,
            conversation=pairs,
            errors=request.errors,
            budget=self.budget,
            max_messages=self.max_messages,
        )
        left_out += built.left_out
        if user is None:
            meta = request.user_meta()
            if variations:
                meta["variations"] = variations
            user = await _io(self.project.add_message, "user", request.display, meta=meta)
        if left_out:
            await _io(
                self.project.add_message,
                "status",
                "Left out to fit the model's context: " + "; ".join(left_out) + ".",
                meta={"left_out": left_out, "level": "warning", "about": user.id},
            )
        if on_event is not None:
            on_event(ContextReady(tuple(left_out), built.estimated_tokens))  # type: ignore[arg-type]
        return _Prepared(files, texts, built, left_out, user)

    def _manifest(self, base: int | None) -> list[dict[str, Any]]:
        """The version's assets, then library assets a new version may start using."""
        manifest = asset_manifest(self.project, base) if base is not None else []
        have = {a["name"] for a in manifest}
        manifest += [a for a in library_manifest(self.project) if a["name"] not in have]
        return manifest

    async def _conclude(
        self,
        request: _Request,
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
            left_out=prepared.left_out,
            message=result.message,
            variation=variation,
        )
        if variation is not None:
            answer_meta["variation"] = variation

        if result.status == "ok":
            version = await self._commit(request, prepared, result, info, continues, variation)
            outcome.version = version
            outcome.notice = _describe_ok(result, version)
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

        notice, error_kind = _describe_problem(result)
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
        request: _Request,
        prepared: _Prepared,
        result: GenerationResult,
        info: Any,
        continues: int | None,
        variation: int | None,
    ) -> Version:
        files: dict[str, bytes | str] = dict(prepared.files)
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
        if prepared.left_out:
            meta["left_out"] = prepared.left_out

        def commit() -> Version:
            self._attach_used_assets(files, result)
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

    def _attach_used_assets(self, files: dict[str, bytes | str], result: GenerationResult) -> None:
        """A library asset the new code names by `assets/<name>` goes into the version, so
        the game keeps working when exported (the Preview alone would find it anyway)."""
        changed = [files[p] for p in result.changed if isinstance(files.get(p), str)]
        if not changed:
            return
        for asset in self.project.assets():
            path = ASSET_DIR + asset.name
            if path in files or asset.meta.get("role") in ("original", "thumbnail"):
                continue
            pattern = re.compile(re.escape(path) + r"(?![\w.-])")
            if any(pattern.search(text) for text in changed):  # type: ignore[arg-type]
                files[path] = self.project.blobs.read(asset.blob)

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


def _clean_error(error: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of an error report the model and the store need, as plain JSON values."""
    out: dict[str, Any] = {"message": str(error.get("message", "")).strip()[:2000]}
    for key in ("source", "line", "kind"):
        value = error.get(key)
        if value not in (None, ""):
            out[key] = value if isinstance(value, int | float) else str(value)[:300]
    return out
