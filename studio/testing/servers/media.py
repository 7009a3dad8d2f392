"""What the local servers of media services share (Runway, Luma, ...): every request
recorded, a Bearer key checked, results handed out as URLs on the same server, and failures
scripted on the instance.

Media services answer a finished job with links to files on their storage (Runway: signed
CloudFront URLs that expire within 24-48 hours; Luma: its CDN). Here `publish()` puts bytes
at `/files/<token>/<name>` on the same server; those URLs need no key, as on a CDN.

Scripted failures: `rate_limited` (the next n API requests answer 429 with `Retry-After`),
`fail_polls` (the next n polls answer 5xx), `expired` (result URLs answer 403 as an expired
signed URL does), `cut_downloads` (a result stops halfway: the promised Content-Length is
never reached), `reject_words` and `fail_words` (read by each service's server), and `hold`
(jobs stop progressing).
"""

from __future__ import annotations

import secrets
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

from studio.testing.servers.base import LocalHandler, LocalServer

__all__ = ["MediaHandler", "MediaServer", "Recorded"]


class Recorded:
    """One request as the server saw it: method, path, query, lower-case headers, fields."""

    def __init__(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], fields: Any
    ) -> None:
        self.method, self.path, self.query = method, path, query
        self.headers, self.fields = headers, fields

    def __repr__(self) -> str:
        return f"Recorded({self.method} {self.path})"


class MediaServer(LocalServer):
    """A service's server: `api_key` is the key it accepts; `retry_after` is what its 429s
    ask for."""

    def __init__(self, handler: type[MediaHandler], *, api_key: str) -> None:
        super().__init__(handler)
        self.api_key = api_key
        self.requests: list[Recorded] = []
        self.rate_limited = 0
        self.retry_after = 7
        self.fail_polls = 0
        self.expired = False
        self.cut_downloads = False
        self.reject_words: tuple[str, ...] = ("violent",)
        self.fail_words: tuple[str, ...] = ("[fail]",)
        self.hold = threading.Event()
        self.lock = threading.Lock()
        self.files: dict[str, tuple[bytes, str]] = {}
        self.jobs: dict[str, Any] = {}  # id -> the service's job (with `as_json()`)
        self.deleted: list[str] = []

    def advance(self, job: Any) -> None:
        """Move a job on by one poll (called with the lock held)."""
        raise NotImplementedError

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def calls(self, method: str, prefix: str = "/") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def publish(self, name: str, data: bytes, mime: str) -> str:
        """Serve `data` at a new unguessable URL, as a CDN would; return the URL."""
        path = f"/files/{secrets.token_hex(8)}/{name}"
        self.files[path] = (data, mime)
        return f"{self.root}{path}?Expires=86400&Signature={secrets.token_hex(6)}"


class MediaHandler(LocalHandler):
    owner: MediaServer

    # What the service says when it refuses a key, limits the rate, fails a poll.
    unauthorised_message = "Invalid API key provided"
    too_many_message = "Too many requests"
    poll_failure = (503, "The service is overloaded; retry later.")

    # -- what a service's handler provides ---------------------------------------------

    def send_failure(
        self, status: int, message: str, headers: dict[str, str] | None = None
    ) -> None:
        """An error in the service's own JSON shape."""
        raise NotImplementedError

    def open_route(self, request: Recorded) -> bool:
        """Answer a request that needs no key (e.g. an upload to a presigned URL); False
        when `request` is not one."""
        return False

    def route(self, method: str, parts: list[str], request: Recorded) -> None:
        """Answer an authorised API request (called with the server's lock held)."""
        raise NotImplementedError

    # -- shared ---------------------------------------------------------------------------

    def send_bytes(self, data: bytes, mime: str, *, cut: bool = False) -> None:
        """`data` with its full Content-Length; with `cut`, only the first half, then the
        connection closes (a download cut off halfway)."""
        self.send_response(200)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(len(data)))
        if cut:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if cut else data)
        self.wfile.flush()

    def send_empty(self, status: int = 204) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def answer_job(self, method: str, job_id: str, missing: str) -> None:
        """GET (the job, moved on one poll) or DELETE (gone for good: 204) a job;
        `missing` is the 404's message."""
        server = self.owner
        if method == "GET" and server.fail_polls > 0:
            server.fail_polls -= 1
            self.send_failure(*self.poll_failure)
            return
        job = server.jobs.get(job_id)
        if job is None:
            self.send_failure(404, missing)
        elif method == "DELETE":
            server.jobs.pop(job_id)
            server.deleted.append(job_id)
            self.send_empty(204)
        else:
            server.advance(job)
            self._send_json(200, job.as_json())

    def _file(self, path: str) -> None:
        found = self.owner.files.get(path)
        if found is None or self.owner.expired:
            # As CloudFront / S3 answer a signed URL past its time.
            body = b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
            self.send_response(403)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        data, mime = found
        self.send_bytes(data, mime, cut=self.owner.cut_downloads)

    def _handle(self, method: str) -> None:
        server = self.owner
        url = urlsplit(self.path)
        body = self._read_bytes() if method in ("POST", "PUT") else b""
        try:
            fields = self._fields(body)
        except ValueError:
            fields = {"__invalid__": body.decode(errors="replace")}
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Recorded(method, url.path, query, headers, fields)
        with server.lock:
            server.requests.append(request)
        if url.path.startswith("/files/") and method in ("GET", "HEAD"):
            self._file(url.path)
            return
        if self.open_route(request):
            return
        if self.headers.get("Authorization") != f"Bearer {server.api_key}":
            self.send_failure(401, self.unauthorised_message)
            return
        with server.lock:
            if server.rate_limited > 0:
                server.rate_limited -= 1
                self.send_failure(
                    429, self.too_many_message, {"Retry-After": str(server.retry_after)}
                )
                return
            parts = [p for p in url.path.split("/") if p]
            self.route(method, parts, request)
