"""The interface a code-generation provider offers (built-in or from a plugin)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Literal, NotRequired, Protocol, TypedDict, runtime_checkable

__all__ = [
    "ChatChunk",
    "ChatDone",
    "ChatMessage",
    "ChatProvider",
    "ContentPart",
    "TextDelta",
    "Usage",
    "WaitCallback",
    "close_provider",
    "message_text",
]


class TextPart(TypedDict):
    type: Literal["text"]
    text: str


class ImageURL(TypedDict):
    url: str  # a `data:image/png;base64,...` URL: Studio never sends a picture's address
    detail: NotRequired[Literal["low", "high", "auto"]]


class ImagePart(TypedDict):
    type: Literal["image_url"]
    image_url: ImageURL


# The chat completions API's content array: a user message may carry pictures beside text.
ContentPart = TextPart | ImagePart


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str | list[ContentPart]


def message_text(message: ChatMessage) -> str:
    """The words of a message, whether its content is text or an array of parts."""
    content = message["content"]
    if isinstance(content, str):
        return content
    return "\n".join(p["text"] for p in content if p.get("type") == "text")  # type: ignore[typeddict-item]


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ChatDone:
    """The stream's end. `finish_reason` is e.g. "stop" or "length" (None if not sent)."""

    finish_reason: str | None
    usage: Usage | None
    ttft: float | None  # seconds from the request to the first text
    total_time: float  # seconds from the request to the end


ChatChunk = TextDelta | ChatDone
WaitCallback = Callable[[float], object]


@runtime_checkable
class ChatProvider(Protocol):
    """A streaming chat model service.

    `stream_chat` yields `TextDelta`s then exactly one `ChatDone`, or raises
    `studio.ai.errors.GenerationError`. Rate-limit waits before the first token are the
    provider's business; it reports them through `on_wait(seconds)`.
    """

    name: str

    def stream_chat(
        self,
        messages: list[ChatMessage],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        on_wait: WaitCallback | None = None,
    ) -> AsyncIterator[ChatChunk]: ...

    async def list_models(self) -> list[str]: ...


async def close_provider(provider: object) -> None:
    """Close a code model provider (its connections), where it has an `aclose`: the
    protocol does not ask plugins' providers for one."""
    aclose = getattr(provider, "aclose", None)
    if aclose is not None:
        await aclose()
