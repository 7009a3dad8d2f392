"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1 for tests.

It speaks the real protocol (JSON errors, server-sent events with `data: [DONE]`, chunked
transfer encoding) so the real `openai` client can be driven against it. Each request to
`/v1/chat/completions` takes the next `Scripted` response from a queue.

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

__all__ = ["TEST_API_KEY", "ChatServer", "RecordedRequest", "Scripted"]

TEST_API_KEY = "sk-test-SECRET-4f9c2e7a1b"  # what test providers send; must never leak


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
    drop_after: int | None = None  # close the connection abruptly after this many chunks
    hang: bool = False  # accept the request and never answer

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
    ) -> None:
        super().__init__(_Handler)
        self.models = list(models)
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
        scripted = self.owner._next()
        if scripted.hang:
            self.owner._stop.wait(timeout=60)
            self.close_connection = True
            return
        if scripted.delay:
            time.sleep(scripted.delay)
        try:
            if scripted.status != 200:
                self._send_json(scripted.status, scripted.error or {}, scripted.headers)
            else:
                self._stream(scripted, body if isinstance(body, dict) else {})
        except (BrokenPipeError, ConnectionResetError):
            self.owner.disconnects += 1
            self.close_connection = True

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

        self._event(chunk({"role": "assistant", "content": ""}))
        for number, text in enumerate(scripted.chunks):
            if scripted.drop_after is not None and number >= scripted.drop_after:
                self._drop()
                return
            if scripted.chunk_delay:
                time.sleep(scripted.chunk_delay)
            self._event(chunk({"content": text}))
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
