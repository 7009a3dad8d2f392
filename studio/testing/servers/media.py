"""What the local servers of media services share (fal, Replicate, Runway, Luma, Google,
ComfyUI): failures scripted on the instance, result files served from the same server, and
the jobs a service runs; `MediaHandler` adds the request flow of a plain Bearer-key API
(Runway, Luma).

Media services answer a finished job with links to files on their storage (Runway: signed
CloudFront URLs that expire within 24-48 hours; Luma: its CDN; fal: its CDN; Replicate:
replicate.delivery). Here `put_file()` serves bytes at a path of the same server, and
`publish()` at `/files/<token>/<name>` with a signature in the query as on a CDN; those
URLs need no key.

Scripted failures, the same names on every server (each server says which it honours and
how its service words them): `rate_limited` (the next n API requests answer 429 with
`Retry-After: retry_after`, none when it is None), `fail_polls` (the next n polls answer
5xx), `expired` (results are gone), `cut_downloads` (a result stops halfway: the promised
Content-Length is never reached), `reject_words` and `fail_words` (a prompt with one is
refused by moderation / fails while running), and `hold` (jobs stop progressing). A handler
uses one of the "next n" failures with `take("fail_polls")`.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from studio.testing.servers.base import LocalHandler, LocalServer, Recorded

__all__ = ["MediaHandler", "MediaServer", "Recorded"]


class MediaServer(LocalServer):
    """A media service's server: `api_key` is the key it accepts (None: any); `lock` guards
    its state (handlers take it while they change jobs)."""

    def __init__(self, handler: type[LocalHandler], *, api_key: str | None = None) -> None:
        super().__init__(handler)
        self.api_key = api_key
        self.lock = threading.RLock()
        self.rate_limited = 0
        self.retry_after: float | None = 7
        self.fail_polls = 0
        self.expired = False
        self.cut_downloads = False
        self.reject_words: tuple[str, ...] = ("violent",)
        self.fail_words: tuple[str, ...] = ("[fail]",)
        self.hold = threading.Event()
        self.files: dict[str, tuple[bytes, str]] = {}  # URL path -> (bytes, MIME type)
        self.jobs: dict[str, Any] = {}  # id -> the service's job (with `as_json()`)
        self.deleted: list[str] = []

    def take(self, counter: str) -> bool:
        """Use up one of the failures scripted as "the next n" in the attribute `counter`
        (e.g. "fail_polls"); True when there was one left."""
        with self.lock:
            left = getattr(self, counter)
            if left <= 0:
                return False
            setattr(self, counter, left - 1)
            return True

    def retry_after_header(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}

    def calls(self, method: str, prefix: str = "/") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def put_file(self, path: str, data: bytes, mime: str) -> str:
        """Serve `data` at `path` on this server; its URL."""
        self.files[path] = (data, mime)
        return f"{self.root}{path}"

    def publish(self, name: str, data: bytes, mime: str) -> str:
        """Serve `data` at a new unguessable URL, signed as a CDN's; return the URL."""
        url = self.put_file(f"/files/{secrets.token_hex(8)}/{name}", data, mime)
        return f"{url}?Expires=86400&Signature={secrets.token_hex(6)}"

    def advance(self, job: Any) -> None:
        """Move a job on by one poll (called with the lock held)."""
        raise NotImplementedError


class MediaHandler(LocalHandler):
    """A Bearer-key API: every request recorded, result files served without a key, the key
    checked, scripted 429s, then `route`."""

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

    def answer_job(self, method: str, job_id: str, missing: str) -> None:
        """GET (the job, moved on one poll) or DELETE (gone for good: 204) a job;
        `missing` is the 404's message."""
        server = self.owner
        if method == "GET" and server.take("fail_polls"):
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
            body = "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
            self._send_json(403, body, content_type="application/xml")
            return
        self.send_bytes(*found, cut=self.owner.cut_downloads)

    def _handle(self, method: str) -> None:
        server = self.owner
        body = self._read_bytes() if method in ("POST", "PUT") else b""
        try:
            fields = self._fields(body)
        except ValueError:
            fields = {"__invalid__": body.decode(errors="replace")}
        request = self.record(method, fields)
        if request.path.startswith("/files/") and method == "GET":
            self._file(request.path)
            return
        if self.open_route(request):
            return
        if self.headers.get("Authorization") != f"Bearer {server.api_key}":
            self.send_failure(401, self.unauthorised_message)
            return
        if server.take("rate_limited"):
            self.send_failure(429, self.too_many_message, server.retry_after_header())
            return
        with server.lock:
            parts = [p for p in request.path.split("/") if p]
            self.route(method, parts, request)
