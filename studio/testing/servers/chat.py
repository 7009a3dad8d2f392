"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1 for tests.

It speaks the real protocol (JSON errors, server-sent events with `data: [DONE]`, chunked
transfer encoding) so the real `openai` client can be driven against it. Each request to
`/v1/chat/completions` takes the next `Scripted` response from a queue.

Tool calls (`Scripted.calls`) are streamed the way OpenAI streams them (its function-calling
guide, "Streaming"; openai-python's `ChoiceDeltaToolCall`): the first piece of each call
carries its index, id, type and name with empty arguments, then the arguments follow in
slices under the same index, several calls one after another (parallel calls), and the last
chunk says `finish_reason: "tool_calls"`. A request with `"stream": false` gets the whole
answer as one `chat.completion` object. A model named in `text_only` refuses image parts
with OpenAI's 400 answer for models without vision ("Invalid content type. image_url is only
supported by certain models.", `param` naming the part, as quoted in vllm-project/vllm#11629
and browser-use/web-ui#274).

Usage (or the `studio_chat_server` fixture of `studio.testing.fixtures`)::

    from studio.testing.servers.chat import ChatServer, Scripted

    with ChatServer() as server:
        server.script(Scripted.text("Hello!"))
        ...  # point a client at server.base_url
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from studio.testing.servers.base import LocalHandler, LocalServer

__all__ = ["TEST_API_KEY", "ChatServer", "RecordedRequest", "Scripted", "ScriptedCall"]

TEST_API_KEY = "sk-test-SECRET-4f9c2e7a1b"  # what test providers send; must never leak


@dataclass
class ScriptedCall:
    """One tool call of a scripted answer; `arguments` as an object, or as raw text (to send
    arguments that are not valid JSON, as models sometimes do)."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    @property
    def arguments_text(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass
class Scripted:
    """One scripted answer to a chat request."""

    chunks: list[str] = field(default_factory=list)  # content deltas, one SSE event each
    finish_reason: str | None = "stop"
    usage: tuple[int, int] | None = (12, 34)  # (prompt, completion) tokens
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    error: dict[str, Any] | str | None = None  # body of an error response
    delay: float = 0.0  # seconds before the response starts
    chunk_delay: float = 0.0  # seconds between events
    # Close the connection abruptly after this many chunks (text or pieces of tool calls).
    drop_after: int | None = None
    hang: bool = False  # accept the request and never answer
    tool_calls: list[ScriptedCall] = field(default_factory=list)
    argument_chunk: int = 9  # characters of a call's arguments per streamed piece

    @classmethod
    def calls(cls, *calls: ScriptedCall, text: str = "", **kwargs: Any) -> Scripted:
        """An answer that calls tools (after `text`, if any), ending with "tool_calls"."""
        chunks = [text[i : i + 7] for i in range(0, len(text), 7)]
        kwargs.setdefault("finish_reason", "tool_calls")
        return cls(chunks=chunks, tool_calls=list(calls), **kwargs)

    @classmethod
    def text(cls, text: str, *, chunk_size: int = 7, **kwargs: Any) -> Scripted:
        """An answer streamed in pieces of `chunk_size` characters."""
        chunks = [text[i : i + chunk_size] for i in range(0, len(text), chunk_size)]
        return cls(chunks=chunks, **kwargs)

    @classmethod
    def fail(
        cls,
        status: int,
        message: str,
        *,
        code: str | None = None,
        type: str = "invalid_request_error",
        headers: dict[str, str] | None = None,
    ) -> Scripted:
        body = {"error": {"message": message, "type": type, "code": code, "param": None}}
        return cls(status=status, error=body, headers=headers or {})


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: Any
    at: float


class ChatServer(LocalServer):
    """Start with `start()` (or `with`), script answers, read `requests`, `stop()`."""

    def __init__(
        self,
        models: tuple[str, ...] = ("test-model", "other-model"),
        context_length: int | None = 128_000,
        text_only: tuple[str, ...] = (),
    ) -> None:
        super().__init__(_Handler)
        self.models = list(models)
        self.text_only = set(text_only)  # models that refuse image parts
        # What /v1/models says of each model's window, as OpenRouter's list does
        # (`context_length`); None leaves it out, as OpenAI's own list does.
        self.context_length = context_length
        self.models_response: Scripted | None = None  # scripted error for /v1/models
        self.requests: list[RecordedRequest] = []
        self.disconnects = 0  # responses the client stopped reading
        self._queue: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()  # hanging answers give up first
        super().stop()

    # -- scripting ------------------------------------------------------------------------

    def script(self, *responses: Scripted) -> None:
        with self._lock:
            self._queue.extend(responses)

    def _next(self) -> Scripted:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        return Scripted.fail(500, "the test server has no scripted response left")

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)


class _Handler(LocalHandler):
    owner: ChatServer

    def setup(self) -> None:
        super().setup()
        # Small SSE writes must not wait for Nagle's algorithm (40 ms each on Linux).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _read_body(self) -> Any:
        raw = self._read_bytes()
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode("utf-8", "replace")

    def _record(self, body: Any) -> None:
        self.owner._record(
            RecordedRequest(
                self.command,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                body,
                time.monotonic(),
            )
        )

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._record(None)
        if not self.path.rstrip("/").endswith("/models"):
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        scripted = self.owner.models_response
        if scripted is not None and scripted.status != 200:
            self._send_json(scripted.status, scripted.error or {}, scripted.headers)
            return
        window = self.owner.context_length
        data = [
            {"id": m, "object": "model", "created": 0, "owned_by": "test"}
            | ({"context_length": window} if window else {})
            for m in self.owner.models
        ]
        self._send_json(200, {"object": "list", "data": data})

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        body = self._read_body()
        self._record(body)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        refusal = self._image_refusal(body)
        if refusal is not None:
            self._send_json(400, refusal)
            return
        scripted = self.owner._next()
        if scripted.hang:
            self.owner._stop.wait(timeout=60)
            self.close_connection = True
            return
        if scripted.delay:
            time.sleep(scripted.delay)
        try:
            request = body if isinstance(body, dict) else {}
            if scripted.status != 200:
                self._send_json(scripted.status, scripted.error or {}, scripted.headers)
            elif request.get("stream"):
                self._stream(scripted, request)
            else:
                self._send_json(200, completion_body(scripted, request), scripted.headers)
        except (BrokenPipeError, ConnectionResetError):
            self.owner.disconnects += 1
            self.close_connection = True

    def _image_refusal(self, body: Any) -> dict[str, Any] | None:
        """OpenAI's answer to image parts sent to a model without vision (module doc)."""
        if not isinstance(body, dict) or body.get("model") not in self.owner.text_only:
            return None
        for m, message in enumerate(body.get("messages") or []):
            content = message.get("content") if isinstance(message, dict) else None
            for p, part in enumerate(content if isinstance(content, list) else []):
                if isinstance(part, dict) and part.get("type") == "image_url":
                    return {
                        "error": {
                            "message": "Invalid content type. image_url is only supported by "
                            "certain models.",
                            "type": "invalid_request_error",
                            "param": f"messages.[{m}].content.[{p}].type",
                            "code": None,
                        }
                    }
        return None

    def _event(self, payload: Any) -> None:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        raw = f"data: {data}\n\n".encode()
        self.wfile.write(f"{len(raw):X}\r\n".encode() + raw + b"\r\n")
        self.wfile.flush()

    def _stream(self, scripted: Scripted, body: dict[str, Any]) -> None:
        model = body.get("model", "test-model")
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in scripted.headers.items():
            self.send_header(name, value)
        self.end_headers()

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            return {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [choice],
            }

        # OpenAI opens an answer that only calls tools with `content: null`.
        opening = "" if scripted.chunks or not scripted.tool_calls else None
        self._event(chunk({"role": "assistant", "content": opening}))
        for number, delta in enumerate(_deltas(scripted)):
            if scripted.drop_after is not None and number >= scripted.drop_after:
                self._drop()
                return
            if scripted.chunk_delay:
                time.sleep(scripted.chunk_delay)
            self._event(chunk(delta))
        if scripted.drop_after is not None:
            self._drop()
            return
        if scripted.finish_reason is not None:
            self._event(chunk({}, scripted.finish_reason))
        wants_usage = (body.get("stream_options") or {}).get("include_usage")
        if scripted.usage is not None and wants_usage:
            prompt, completion = scripted.usage
            usage = {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            }
            self._event(
                {
                    "id": "chatcmpl-test",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": model,
                    "choices": [],
                    "usage": usage,
                }
            )
        self._event("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _drop(self) -> None:
        """Close the socket mid-body, the way a lost connection looks to the client."""
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _deltas(scripted: Scripted) -> list[dict[str, Any]]:
    """The streamed deltas of an answer: its text in pieces, then each tool call, its first
    piece naming it and the rest carrying slices of its arguments (see the module doc)."""
    deltas: list[dict[str, Any]] = [{"content": text} for text in scripted.chunks]
    size = max(1, scripted.argument_chunk)
    for index, call in enumerate(scripted.tool_calls):
        first = {
            "index": index,
            "id": call.id or f"call_{index + 1}",
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        deltas.append({"tool_calls": [first]})
        text = call.arguments_text
        for start in range(0, len(text), size):
            piece = {"index": index, "function": {"arguments": text[start : start + size]}}
            deltas.append({"tool_calls": [piece]})
    return deltas


def completion_body(scripted: Scripted, body: dict[str, Any]) -> dict[str, Any]:
    """The whole answer as one `chat.completion` object (a request without streaming)."""
    text = "".join(scripted.chunks)
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if not scripted.tool_calls:
        message["content"] = text
    if scripted.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id or f"call_{i + 1}",
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_text},
            }
            for i, call in enumerate(scripted.tool_calls)
        ]
    prompt, completion = scripted.usage or (0, 0)
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "test-model"),
        "choices": [
            {"index": 0, "message": message, "finish_reason": scripted.finish_reason or "stop"}
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }
