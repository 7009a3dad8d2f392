"""Building one request to the code model, before it is sent: what `Generator` sends and
what the meter in the prompt box measures, so the two never differ.

`RequestBuilder.assemble` reads the base version (its text files, its asset manifest), the
conversation before the prompt, the system prompt (a story's own, else the game's), the
model's context window and how the server counts tokens, and builds the messages
(`studio.ai.context.build_messages`) with what the person showed (`studio.ai.attachments`).
It says what was left out, how long the answer may be, and why the request may not be sent:
it cannot fit the window, or it carries pictures to a model that takes text only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from studio.ai.code_providers import ProviderConfig
from studio.ai.context import (
    DEFAULT_ANSWER,
    MIN_ANSWER,
    BuiltContext,
    TokenBudget,
    answer_room,
    build_messages,
    plan_budget,
)
from studio.ai.context_window import ContextWindow, resolve_scale, resolve_window
from studio.ai.providers import ChatProvider
from studio.ai.vision import takes_images
from studio.ai.vision_probe import server_reads_images
from studio.core.assets import ASSET_DIR, asset_manifest, library_manifest
from studio.core.records import Message
from studio.core.store import Project
from studio.operations.conversation import Request, conversation_for_model
from studio.operations.outcomes import too_large
from studio.words import plural

__all__ = ["MAX_MESSAGES", "Assembled", "RequestBuilder", "text_files"]

MAX_MESSAGES = 20  # the slice of the conversation sent with a request


def text_files(files: Mapping[str, bytes]) -> dict[str, str]:
    """The files the model reads and writes: text outside `assets/`."""
    texts = {}
    for path, data in files.items():
        if path.startswith(f"{ASSET_DIR}/"):
            continue
        try:
            texts[path] = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
    return texts


async def _io(fn: Callable[..., Any], *args: Any) -> Any:
    """Store work off the GUI thread: blob and WAL writes fsync."""
    return await asyncio.to_thread(fn, *args)


@dataclass
class Assembled:
    files: dict[str, bytes]  # every file of the base version (assets too)
    texts: dict[str, str]  # what the model sees
    built: BuiltContext
    left_out: list[str]
    history: list[Message]  # the conversation before the prompt
    window: ContextWindow | None = None  # None: the budget was given, not planned
    max_tokens: int | None = None  # what the answer may take
    refusal: str | None = None  # why the request may not be sent
    refusal_kind: str | None = None  # "context_too_long" or "text_only"
    pictures: bool = True  # the pictures go (the model takes them)
    unsent: list[str] = field(default_factory=list)  # pictures left out: the model reads none


class RequestBuilder:
    """Requests on one project for one provider and model (see the module doc)."""

    def __init__(
        self,
        project: Project,
        provider: ChatProvider,
        model: str,
        *,
        max_tokens: int | None = None,
        budget: TokenBudget | None = None,
        context_window: int | None = None,
        max_messages: int = MAX_MESSAGES,
        system_prompt: str | None = None,
        vision: str = "auto",
    ) -> None:
        self.project = project
        self.provider = provider
        self.model = model
        self.max_tokens = max_tokens
        # A budget given is used as it is; otherwise it is planned from the model's context
        # window: `context_window` (set in Settings), else what the server or the table says.
        self.budget = budget
        self.context_window = context_window
        self.max_messages = max_messages
        # None: the story prompt for a story (studio.story.prompts), else the game prompt.
        self.system_prompt = system_prompt
        self.vision = vision  # Settings › Code model › Reads images: auto, yes or no
        self._window: ContextWindow | None = None
        self._reads_images: tuple[bool, str] | None = None

    @classmethod
    def from_config(
        cls,
        project: Project,
        provider: ChatProvider,
        config: ProviderConfig,
        *,
        system_prompt: str | None = None,
    ) -> RequestBuilder:
        return cls(
            project,
            provider,
            config.effective_model,
            max_tokens=config.max_tokens,
            context_window=config.context_window,
            system_prompt=system_prompt,
            vision=config.vision,
        )

    async def window(self) -> ContextWindow:
        if self._window is None:
            self._window = await resolve_window(self.provider, self.model, self.context_window)
        return self._window

    async def reads_images(self) -> tuple[bool, str]:
        """Whether the model takes pictures, and why Studio thinks so: the person's setting,
        else the model's name, else what its server says (asked once)."""
        if self._reads_images is None:
            if self.vision in ("yes", "no"):
                found = (self.vision == "yes", "set in Settings › Code model › Reads images")
            elif takes_images(self.model):
                found = (True, "known by its name")
            else:
                base_url = str(getattr(self.provider, "base_url", "") or "")
                said = await server_reads_images(base_url, self.model) if base_url else None
                found = (
                    (said, "as its server says")
                    if said is not None
                    else (False, "neither its name nor its server says it reads images")
                )
            self._reads_images = found
        return self._reads_images

    async def assemble(
        self,
        request: Request,
        *,
        before: int | None = None,
    ) -> Assembled:
        """The request for `request` (with the conversation before message `before`, when
        it is one asked already)."""
        attachments = request.attachments
        files: dict[str, bytes] = (
            await _io(self.project.files, request.base) if request.base is not None else {}
        )
        texts = text_files(files)
        assets = await _io(self._manifest, request.base)
        history = await _io(self.project.messages)
        if before is not None:
            history = [m for m in history if m.id < before]
        pairs = conversation_for_model(history)
        left_out = []
        if len(pairs) > self.max_messages:
            older = len(pairs) - self.max_messages
            left_out.append(
                f"{plural(older, 'older chat message')} (only the last "
                f"{self.max_messages} are sent)"
            )
        system = self.system_prompt
        if system is None:
            from studio.story.prompts import system_prompt_for

            system = system_prompt_for(files, await _io(self.project.get_meta, "template"))
        window = budget = None
        if self.budget is None:
            window = await self.window()
            largest = max(texts.values(), key=len, default="")
            scale = await resolve_scale(self.provider, self.model, (system or "") + largest)
            budget = plan_budget(window.tokens, self.max_tokens, has_code=bool(texts), scale=scale)
        pictures, why = await self.reads_images()
        built: BuiltContext = await asyncio.to_thread(
            build_messages,
            request.prompt,
            texts,
            system=system,
            assets=assets,
            conversation=pairs,
            errors=request.errors,
            budget=budget or self.budget,
            max_messages=self.max_messages,
            attachments=attachments,
            pictures=pictures,
        )
        left_out += built.left_out
        done = Assembled(files, texts, built, left_out, history, window, self.max_tokens)
        done.pictures = pictures
        with_picture = [a for a in attachments if a.picture is not None]
        if not pictures and with_picture:
            needed = [a.label for a in with_picture if a.picture_is_the_point]
            if needed:
                done.refusal, done.refusal_kind = self._text_only(needed, why), "text_only"
                return done
            done.unsent = [a.label for a in with_picture]
        room = None
        if window is not None and window.known:
            # Never ask for more answer than the window leaves after the prompt; where the
            # window is large and nothing was set, leave the answer's length to the service.
            room = answer_room(window.tokens, built.estimated_tokens)
            if self.max_tokens or room < DEFAULT_ANSWER:
                done.max_tokens = min(self.max_tokens or room, room)
        # Refused only against a window someone stated: a guessed one may be too small.
        cannot_fit = not built.fits or (room is not None and room < MIN_ANSWER)
        if window is not None and window.known and cannot_fit:
            done.refusal, done.refusal_kind = (
                too_large(built.needed_tokens, window),
                "context_too_long",
            )
        return done

    def _text_only(self, labels: list[str], why: str) -> str:
        return (
            f"{self.model} takes text only ({why}), so the request with "
            f"{', '.join(labels)} was not sent. Remove the picture, choose a model that reads "
            "images, or set Settings › Code model › Reads images to Yes if this one does."
        )

    def _manifest(self, base: int | None) -> list[dict[str, Any]]:
        """The version's assets, then library assets a new version may start using."""
        manifest = asset_manifest(self.project, base) if base is not None else []
        have = {a["name"] for a in manifest}
        manifest += [
            {**a, "library": True} for a in library_manifest(self.project) if a["name"] not in have
        ]
        return manifest
