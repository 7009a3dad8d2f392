"""What the local test servers share: a ThreadingHTTPServer on 127.0.0.1 serving from a
daemon thread, and a quiet HTTP/1.1 request handler that reads bodies and answers JSON.

A server subclasses `LocalServer`, giving it its handler class (a `LocalHandler` that
answers in `_handle(method)`); each request's handler reaches the server object as
`self.owner`.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

__all__ = ["LocalHandler", "LocalServer"]


class LocalHandler(BaseHTTPRequestHandler):
    owner: Any  # the LocalServer this handler answers for
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib name)
        pass

    def _handle(self, method: str) -> None:
        """Answer a request (GET, POST or DELETE); a server's handler routes it here."""
        self.send_error(405)

    def _serve(self, method: str) -> None:
        # The client may give up (a cancelled poll, a cut download): nothing to answer then.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._handle(method)

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")

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


class LocalServer:
    """Start with `start()` (or `with`), point a client at `base_url`, `stop()`."""

    def __init__(self, handler: type[LocalHandler]) -> None:
        self._handler = handler
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self, port: int = 0) -> Self:
        """Serve on `port` of 127.0.0.1 (0: any free one; OSError when it is taken)."""
        handler = type("Handler", (self._handler,), {"owner": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
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
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"
