"""What the local test servers share: a ThreadingHTTPServer on 127.0.0.1 serving from a
daemon thread, and a quiet HTTP/1.1 request handler that reads bodies, records requests and
answers JSON or files (whole, or cut off halfway).

A server subclasses `LocalServer`, giving it its handler class (a `LocalHandler` that
answers in `_handle(method)`); each request's handler reaches the server object as
`self.owner`. What servers of media services share besides (scripted failures, result
files) is in `studio.testing.servers.media`.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

__all__ = ["LocalHandler", "LocalServer", "Recorded"]


@dataclass
class Recorded:
    """One request as a server saw it: method, path, lower-case headers, body (JSON, form
    fields, or what the server makes of it) and query parameters."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any = None
    query: dict[str, str] = field(default_factory=dict)

    @property
    def fields(self) -> Any:
        """The body by the name the OpenAI servers' tests read a form by (`calls(...).fields`)."""
        return self.body


class LocalHandler(BaseHTTPRequestHandler):
    owner: Any  # the LocalServer this handler answers for
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib name)
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as two writes: without this, Nagle's algorithm holds the
        # body until the client's delayed ACK, some 40 ms on every call.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _handle(self, method: str) -> None:
        """Answer a request (GET, POST, PUT or DELETE); a server's handler routes it here."""
        self.send_error(405)

    def _serve(self, method: str) -> None:
        # The client may give up (a cancelled poll, a cut download): nothing to answer then.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._handle(method)

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._serve("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")

    def record(self, method: str, body: Any = None, path: str | None = None) -> Recorded:
        """Add this request to the server's `requests` (with `path` when the server reads
        the URL's path otherwise, e.g. without a prefix) and return it."""
        url = urlsplit(self.path)
        request = Recorded(
            method,
            url.path if path is None else path,
            {k.lower(): v for k, v in self.headers.items()},
            body,
            {k: v[0] for k, v in parse_qs(url.query).items()},
        )
        self.owner.keep(request)
        return request

    def _read_bytes(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _fields(self, body: bytes) -> Any:
        """A request body: JSON as it is (ValueError when it is not JSON), multipart/form-data
        as a dict (text as str, files as dicts with `filename`, `content_type` and `data`),
        anything else as {}."""
        kind = self.headers.get("Content-Type", "")
        if kind.startswith("application/json"):
            return json.loads(body or b"{}")
        if not kind.startswith("multipart/form-data"):
            return {}
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {kind}\r\n\r\n".encode() + body
        )
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            payload = part.get_payload(decode=True) or b""
            if filename is not None:
                fields[name] = {
                    "filename": filename,
                    "content_type": part.get_content_type(),
                    "data": payload,
                }
            else:
                fields[name] = payload.decode()
        return fields

    def _send_json(
        self,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        """`body` as JSON; a string is sent as it is."""
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def send_bytes(
        self, data: bytes, mime: str, *, cut: bool = False, headers: dict[str, str] | None = None
    ) -> None:
        """`data` with its full Content-Length; with `cut`, only the first half, then the
        connection closes (a download cut off halfway: the client sees the body end early)."""
        self.send_response(200)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if cut:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if cut else data)
        self.wfile.flush()
        if cut:
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    def send_empty(self, status: int = 204) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


class LocalServer:
    """Start with `start()` (or `with`), point a client at `base_url`, `stop()`. Requests a
    handler `record`s are in `requests`."""

    def __init__(self, handler: type[LocalHandler]) -> None:
        self._handler = handler
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.requests: list[Recorded] = []
        self._requests_lock = threading.Lock()

    def keep(self, request: Recorded) -> None:
        with self._requests_lock:
            self.requests.append(request)

    def start(self) -> Self:
        handler = type("Handler", (self._handler,), {"owner": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root}/v1"
