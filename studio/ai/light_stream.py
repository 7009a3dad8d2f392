"""Reading a streamed chat completion without a pydantic model per chunk.

The `openai` client turns every server-sent event of a streamed chat completion into three
pydantic models: about 0.2 ms a chunk on a modest machine, which at a few thousand tokens a
second is most of the GUI thread's time (benchmarks/bench_stream_ui.py). The provider here
is `OpenAIChatProvider` with one difference: it makes the very same request through the
same client, but with `with_streaming_response`, and reads the events as plain JSON. The
request, its headers, the errors it raises (status errors, rate limits and their retries,
timeouts) are the client's, unchanged; only the decoding of the stream is lighter.
"""

from __future__ import annotations

import contextlib
import json
import ssl
import sys
from collections.abc import AsyncIterator
from typing import Any

import openai

from studio.ai.chat_provider import OpenAIChatProvider

__all__ = ["LightOpenAIChatProvider"]


class _Usage:
    __slots__ = ("completion_tokens", "prompt_tokens")

    def __init__(self, data: dict[str, Any]) -> None:
        self.prompt_tokens = data.get("prompt_tokens")
        self.completion_tokens = data.get("completion_tokens")


class _Delta:
    __slots__ = ("content", "tool_calls")

    def __init__(self, content: str | None, tool_calls: Any = None) -> None:
        self.content = content
        self.tool_calls = tool_calls if isinstance(tool_calls, list) else None  # plain dicts


class _Choice:
    __slots__ = ("delta", "finish_reason", "index")

    def __init__(self, data: dict[str, Any]) -> None:
        self.index = data.get("index") or 0
        delta = data.get("delta")
        self.delta = (
            _Delta(delta.get("content"), delta.get("tool_calls"))
            if isinstance(delta, dict)
            else None
        )
        self.finish_reason = data.get("finish_reason")


class _Chunk:
    """The attributes of `ChatCompletionChunk` that `OpenAIChatProvider` reads."""

    __slots__ = ("choices", "usage")

    def __init__(self, data: dict[str, Any]) -> None:
        usage = data.get("usage")
        self.usage = _Usage(usage) if isinstance(usage, dict) else None
        choices = data.get("choices")
        self.choices = [_Choice(c) for c in choices if isinstance(c, dict)] if choices else []


def _transport_errors(response: Any) -> tuple[tuple[type[BaseException], ...], ...]:
    """(timeouts, other failures) of the HTTP library the client uses (httpx or httpx2)."""
    library = sys.modules.get(type(response).__module__.split(".")[0])
    timeouts: tuple[type[BaseException], ...] = ()
    failures: tuple[type[BaseException], ...] = (ssl.SSLError,)
    if library is not None:
        timeouts = (library.TimeoutException,)
        failures += (library.RequestError,)
    anyio = sys.modules.get("anyio")
    if anyio is not None:
        failures += (anyio.EndOfStream,)
    return timeouts, failures


class _LightStream:
    """Chunks of one streamed response; `close()` ends it (the request's context)."""

    def __init__(self, context: Any, response: Any) -> None:
        self._context = context
        self._response = response
        self._iterator: Any = None

    def __aiter__(self) -> AsyncIterator[_Chunk]:
        self._iterator = self._chunks()
        return self._iterator

    async def _chunks(self) -> AsyncIterator[_Chunk]:
        http = self._response.http_response
        timeouts, failures = _transport_errors(http)
        data: list[str] = []
        done = False
        # Closed here, in this task, when the stream ends early: left to the garbage
        # collector, the HTTP library's generators would be closed from another task.
        lines = contextlib.aclosing(self._response.iter_lines())
        try:
            async with lines as each_line:
                async for line in each_line:
                    if done:
                        continue  # read to the end: the connection is reused, nothing dangles
                    if line:
                        if line.startswith("data:"):
                            value = line[5:]
                            data.append(value[1:] if value.startswith(" ") else value)
                        continue  # event:, id:, retry: and comments carry nothing for us
                    if not data:
                        continue
                    payload, data = "\n".join(data), []
                    if payload.startswith("[DONE]"):
                        done = True
                        continue
                    yield self._chunk(payload, http)
                if data and not done and not data[0].startswith("[DONE]"):
                    yield self._chunk("\n".join(data), http)
        except timeouts as err:
            raise openai.APITimeoutError(request=http.request) from err
        except failures as err:
            raise openai.APIConnectionError(request=http.request) from err

    @staticmethod
    def _chunk(payload: str, http: Any) -> _Chunk:
        data = json.loads(payload)
        if isinstance(data, dict) and data.get("error"):
            error = data["error"]
            message = error.get("message") if isinstance(error, dict) else None
            raise openai.APIError(
                message=message if isinstance(message, str) and message else "stream error",
                request=http.request,
                body=error,
            )
        return _Chunk(data if isinstance(data, dict) else {})

    async def close(self) -> None:
        if self._iterator is not None:
            await self._iterator.aclose()
        await self._context.__aexit__(None, None, None)


class _Completions:
    def __init__(self, completions: Any) -> None:
        self._completions = completions

    async def create(self, **params: Any) -> Any:
        if not params.get("stream"):
            return await self._completions.create(**params)
        context = self._completions.with_streaming_response.create(**params)
        response = await context.__aenter__()  # raises the client's status errors
        return _LightStream(context, response)


class _Chat:
    def __init__(self, chat: Any) -> None:
        self.completions = _Completions(chat.completions)


class _Client:
    """The client with a lighter `chat.completions.create(stream=True)`; all else as is."""

    def __init__(self, client: openai.AsyncOpenAI) -> None:
        self._client = client
        self.chat = _Chat(client.chat)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class LightOpenAIChatProvider(OpenAIChatProvider):
    """`OpenAIChatProvider` that decodes the stream as plain JSON (see the module doc)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._client = _Client(self._client)  # type: ignore[assignment]
