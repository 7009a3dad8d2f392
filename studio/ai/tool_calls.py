"""Tool calling on the OpenAI chat-completions API: what a model's turn holds, read from a
stream or from a whole answer, and the messages that carry tools' results back.

The request gives `tools` (JSON-schema functions); the answer's assistant message may hold
`tool_calls`, several at once (parallel calls). Streamed, each call arrives in pieces under
`choices[0].delta.tool_calls[]`: the first piece of a call carries its `index`, `id`, `type`
and `function.name` (with empty `arguments`), later pieces carry only the `index` and the
next slice of `function.arguments`; the last chunk says `finish_reason: "tool_calls"`
(OpenAI's function-calling guide, "Streaming"; openai-python's `ChoiceDeltaToolCall` and its
accumulator in `openai/lib/streaming/chat/_completions.py`). Some compatible servers send a
whole call in one piece, or reuse an index for the next call with a fresh id: both read the
same here.

The arguments are JSON text as the model wrote it; the model may get it wrong, so
`ToolCall.arguments()` raises `ToolArgumentsError` with words the model can read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from studio.ai.providers import Usage

__all__ = [
    "ToolArgumentsError",
    "ToolCall",
    "ToolCallAssembler",
    "ToolTurn",
    "function_tool",
    "image_message",
    "tool_result_message",
    "turn_from_completion",
]


class ToolArgumentsError(ValueError):
    """A tool call whose arguments are not a JSON object (said so the model can retry)."""


@dataclass
class ToolCall:
    id: str
    name: str
    arguments_text: str = ""  # as the model sent it

    def arguments(self) -> dict[str, Any]:
        text = self.arguments_text.strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError as exc:
            shown = text if len(text) <= 200 else text[:200] + "…"
            raise ToolArgumentsError(
                f"the arguments of {self.name or 'the call'} are not valid JSON ({exc.msg} at "
                f"character {exc.pos}): {shown}"
            ) from None
        if not isinstance(value, dict):
            raise ToolArgumentsError(
                f"the arguments of {self.name or 'the call'} must be a JSON object, not "
                f"{type(value).__name__}"
            )
        return value

    def to_message(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments_text},
        }


@dataclass
class ToolTurn:
    """One assistant turn: its text and the tools it called."""

    text: str = ""
    calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None
    ttft: float | None = None  # seconds from the request to the first piece of the answer
    total_time: float = 0.0

    def assistant_message(self) -> dict[str, Any]:
        """The turn as it goes back into the conversation, before its tools' results."""
        message: dict[str, Any] = {"role": "assistant", "content": self.text or None}
        if self.calls:
            message["tool_calls"] = [call.to_message() for call in self.calls]
        return message


class ToolCallAssembler:
    """Puts streamed `delta.tool_calls` pieces together into whole calls (see the module doc).

    Pieces may be the SDK's objects or plain dicts (`studio.ai.light_stream`)."""

    def __init__(self) -> None:
        self._calls: list[ToolCall] = []
        self._parts: list[list[str]] = []
        self._slot: dict[int, int] = {}  # the stream's index -> position in _calls

    def feed(self, pieces: Iterable[Any]) -> None:
        for piece in pieces or ():
            index = _get(piece, "index")
            index = index if isinstance(index, int) else len(self._slot)
            call_id = _get(piece, "id") or ""
            function = _get(piece, "function")
            name = _get(function, "name") or ""
            arguments = _get(function, "arguments") or ""
            slot = self._slot.get(index)
            known = self._calls[slot].id if slot is not None else ""
            if slot is None or (call_id and known and call_id != known):
                slot = len(self._calls)
                self._slot[index] = slot
                self._calls.append(ToolCall(call_id, ""))
                self._parts.append([])
            call = self._calls[slot]
            if call_id and not call.id:
                call.id = call_id
            if name:
                # A name comes whole in one piece (OpenAI); a server that splits it is read too.
                call.name = name if not call.name or call.name == name else call.name + name
            if arguments:
                self._parts[slot].append(arguments)

    def calls(self) -> list[ToolCall]:
        for number, (call, parts) in enumerate(zip(self._calls, self._parts, strict=True), 1):
            call.arguments_text = "".join(parts)
            if not call.id:
                call.id = f"call_{number}"  # the answer must name the call it belongs to
        return list(self._calls)


def _get(value: Any, name: str) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)


def turn_from_completion(completion: Any) -> ToolTurn:
    """A whole (not streamed) chat completion as a turn."""
    choices = _get(completion, "choices") or []
    first = choices[0] if choices else None
    message = _get(first, "message")
    calls = []
    for number, raw in enumerate(_get(message, "tool_calls") or [], start=1):
        function = _get(raw, "function")
        calls.append(
            ToolCall(
                _get(raw, "id") or f"call_{number}",
                _get(function, "name") or "",
                _get(function, "arguments") or "",
            )
        )
    usage = _get(completion, "usage")
    return ToolTurn(
        text=_get(message, "content") or "",
        calls=calls,
        finish_reason=_get(first, "finish_reason"),
        usage=Usage(_get(usage, "prompt_tokens") or 0, _get(usage, "completion_tokens") or 0)
        if usage is not None
        else None,
    )


def function_tool(
    name: str,
    description: str,
    properties: Mapping[str, Any] | None = None,
    required: Sequence[str] = (),
) -> dict[str, Any]:
    """A tool in the request's `tools` list: a function with a JSON-schema object."""
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": dict(properties or {}),
                "required": list(required),
            },
        },
    }


def tool_result_message(call_id: str, text: str) -> dict[str, Any]:
    """A tool's result for the call `call_id`. Tool messages carry text only: pictures go
    after them in a user message (`image_message`)."""
    return {"role": "tool", "tool_call_id": call_id, "content": text}


def image_message(text: str, data_url: str, *, detail: str = "low") -> dict[str, Any]:
    """A user message with a picture as an image part (for models that take images)."""
    return {
        "role": "user",
        "content": [
            {"type": "text", "text": text},
            {"type": "image_url", "image_url": {"url": data_url, "detail": detail}},
        ],
    }
