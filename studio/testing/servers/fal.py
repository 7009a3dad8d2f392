"""A fal.ai server on 127.0.0.1 for tests: the queue, storage uploads and the billing call,
answering what the official `fal-client` sends.

Where each behaviour comes from:

- fal's queue API reference (fal.ai/docs/model-endpoints/queue, .../inference-api/queue/status
  and /cancel): `POST {model_id}` answers `request_id`, `response_url`, `status_url` and
  `cancel_url`; status, result and cancel live under `{owner}/{alias}/requests/{id}` (a
  model's subpath, such as `/image-to-video`, is used to submit only);
  `GET .../status?logs=1` answers IN_QUEUE with `queue_position` (0 is next), IN_PROGRESS
  with `logs` ({message, level, source, timestamp}), then COMPLETED; `PUT .../cancel`
  answers 202 CANCELLATION_REQUESTED, or 400 ALREADY_COMPLETED, or 404 NOT_FOUND.
- fal-client 1.0.3 (`fal_client/client.py`): the `Authorization: Key <key>` header; COMPLETED
  carries `metrics`, and `error` / `error_type` for a request that failed
  (`_BaseRequestHandle._parse_status`); the client knows only these three states, so a
  cancelled request reads as COMPLETED with an error here. Errors are read from `detail`
  and `error_type` or the `X-Fal-Error-Type` header (`_raise_for_status`); 429 is retried
  by the client, 502-504 only when they come from the ingress (no `X-Fal-Request-Id`), so
  this server's 5xx carry one. Uploads (`AsyncClient.upload`): first the CDN,
  `POST rest.fal.ai/storage/auth/token?storage_type=fal-cdn-v3` for a token, then
  `POST v3.fal.media/files/upload` with `Authorization: <token_type> <token>` and
  `X-Fal-File-Name`, answering `access_url`; when that fails, the storage flow:
  `POST rest.fal.ai/storage/upload/initiate?storage_type=gcs` ({file_name, content_type})
  answering `upload_url` and `file_url`, then `PUT upload_url`.
- fal's error references (fal.ai/docs/documentation/model-apis/errors and
  /request-errors): a refused input is 422 with `detail` a list of {loc, msg, type, url,
  input}, `type` "content_policy_violation" for flagged content; infrastructure failures
  are `{"detail": str, "error_type": str}` with the same `X-Fal-Error-Type` header.
- An account out of credit answers 403 `{"detail": "User is locked. Reason: Exhausted
  balance. ..."}` to submits and uploads while status calls still work, as people report
  it (github.com/fal-ai/fal issues #1112, #1147).
- fal's Platform API reference (fal.ai/docs/platform-apis/v1/account/billing):
  `GET api.fal.ai/v1/account/billing?expand=credits` answers `username` and
  `credits: {current_balance, currency}`; a key without billing access gets 403.

fal's hosts are several (queue.fal.run, rest.fal.ai, v3.fal.media, api.fal.ai); this server
answers all of them on one port, told apart by path (`/storage/...`, `/files/...`,
`/v1/account/...`, anything else is a model). Results and uploads are served from
`/files/...` like fal's CDN, without a key.

Failures are scripted on the instance (`studio.testing.servers.media`): `reject_words`
(the request completes with a content_policy_violation), `fail_words` (it completes with a
runner error), `quota_exhausted` (403 locked account), `rate_limited` (the next n calls
with a key answer 429 with Retry-After `retry_after`), `fail_polls` (the next n status
calls answer 503), `expired` (result files answer 404), `cut_downloads` (result files stop
halfway), `fail_cdn_uploads` (the CDN refuses uploads, so the client falls back to
storage), `hold` (requests stop moving), a wrong key (401). Its queue requests are `jobs`;
every HTTP request is recorded in `requests`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from studio.testing.pictures import png
from studio.testing.servers.base import LocalHandler, Recorded
from studio.testing.servers.media import MediaServer

__all__ = ["FalRequest", "FalServer", "Recorded"]

LOCKED = (
    "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing."
)
# Input fields that carry pictures as URLs (fal's model pages).
IMAGE_FIELDS = (
    "image_url",
    "start_image_url",
    "end_image_url",
    "tail_image_url",
    "first_frame_url",
    "last_frame_url",
    "image_urls",
)
# What a model answers, by the start of its id; any other model answers a video.
OUTPUTS = {
    "fal-ai/flux": "images",
    "fal-ai/imagen": "images",
    "google/nano-banana": "images",
    "fal-ai/bria/background": "image",
}


@dataclass
class FalRequest:
    id: str
    endpoint: str  # what was submitted to: the model id with its subpath
    app: str  # owner/alias: where its status, result and cancel live
    arguments: dict[str, Any]
    images: dict[str, list[bytes]] = field(default_factory=dict)  # picture fields, as bytes
    status: str = "IN_QUEUE"
    position: int = 0
    progress: int = 0
    logs: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None
    error_type: str | None = None
    result: dict[str, Any] | None = None
    cancelled: bool = False


class FalServer(MediaServer):
    """Start with `start()` (or `with`); point the provider's `base_url` at `base_url`."""

    def __init__(
        self,
        clip: bytes,
        *,
        api_key: str = "fal-test-key-id:fal-test-SECRET",
        steps: int = 2,
        queue_ahead: int = 1,
        picture: bytes | None = None,
    ) -> None:
        super().__init__(_Handler, api_key=api_key)
        self.clip = clip
        self.picture = picture or png(8, 8, (40, 160, 90))
        self.steps = steps  # polls from IN_PROGRESS to COMPLETED
        self.queue_ahead = queue_ahead  # requests ahead of a new one in the queue
        self.retry_after = 1
        self.quota_exhausted = False
        self.fail_cdn_uploads = False
        self.balance = 25.0
        self.billing_scope = True  # False: the key may run models but not read billing
        self.jobs: dict[str, FalRequest] = {}
        self._pending_uploads: dict[str, tuple[str, str]] = {}  # id -> (file path, type)
        self._cdn_token = uuid.uuid4().hex

    @property
    def base_url(self) -> str:
        return self.root

    # -- inspection ------------------------------------------------------------------------

    def submits(self) -> list[Recorded]:
        """The requests that asked for a model to run (not uploads, not polls)."""
        return [c for c in self.calls("POST") if _is_model_path(c.path)]

    def only(self) -> FalRequest:
        (request,) = self.jobs.values()
        return request

    # -- the queue (called with the lock held) ---------------------------------------------

    def _new(self, endpoint: str, arguments: dict[str, Any], images: dict) -> FalRequest:
        owner, alias = endpoint.split("/")[:2]
        request = FalRequest(
            id=str(uuid.uuid4()),
            endpoint=endpoint,
            app=f"{owner}/{alias}",
            arguments=arguments,
            images=images,
            position=self.queue_ahead,
        )
        self.jobs[request.id] = request
        return request

    def _advance(self, request: FalRequest) -> None:
        if request.status == "COMPLETED" or self.hold.is_set():
            return
        if request.status == "IN_QUEUE":
            if request.position > 0:
                request.position -= 1
            else:
                request.status = "IN_PROGRESS"
                self._log(request, "Starting the model")
            return
        request.progress = min(100, request.progress + max(1, 100 // self.steps))
        self._log(request, f"Generating: {request.progress}%")
        if request.progress >= 100:
            self._finish(request)

    def _log(self, request: FalRequest, message: str) -> None:
        now = dt.datetime.now(dt.UTC).isoformat()
        request.logs.append(
            {"message": message, "level": "INFO", "source": "user", "timestamp": now}
        )

    def _finish(self, request: FalRequest) -> None:
        request.status = "COMPLETED"
        prompt = str(request.arguments.get("prompt") or "")
        if any(word in prompt for word in self.reject_words):
            request.error = "The content was flagged by a content checker."
            request.error_type = "content_policy_violation"
        elif any(word in prompt for word in self.fail_words):
            request.error = "The runner disconnected unexpectedly during processing."
            request.error_type = "runner_disconnected"
        else:
            request.result = self._result(request)

    def _result(self, request: FalRequest) -> dict[str, Any]:
        kind = next((v for k, v in OUTPUTS.items() if request.endpoint.startswith(k)), "video")
        if kind == "video":
            return {"video": self._publish(f"results/{request.id}.mp4", self.clip, "video/mp4")}
        count = int(request.arguments.get("num_images") or 1) if kind == "images" else 1
        pictures = [
            self._publish(f"results/{request.id}-{n}.png", self.picture, "image/png")
            for n in range(count)
        ]
        if kind == "image":
            return {"image": pictures[0]}
        return {"images": pictures, "seed": request.arguments.get("seed", 42), "prompt": ""}

    def _publish(self, path: str, data: bytes, mime: str) -> dict[str, Any]:
        """A file on "fal's CDN" (`/files/<path>`), as fal's File object."""
        return {
            "url": self.put_file(f"/files/{path}", data, mime),
            "content_type": mime,
            "file_name": path.rsplit("/", 1)[-1],
            "file_size": len(data),
        }

    def _status_json(self, request: FalRequest, logs: bool) -> dict[str, Any]:
        base = f"{self.base_url}/{request.app}/requests/{request.id}"
        body: dict[str, Any] = {
            "status": request.status,
            "request_id": request.id,
            "response_url": base,
            "status_url": f"{base}/status",
            "cancel_url": f"{base}/cancel",
        }
        if request.status == "IN_QUEUE":
            body["queue_position"] = request.position
        else:
            body["logs"] = list(request.logs) if logs else None
        if request.status == "COMPLETED":
            body["metrics"] = {"inference_time": 1.5}
            if request.error:
                body["error"], body["error_type"] = request.error, request.error_type
        return body


def _is_model_path(path: str) -> bool:
    first = path.strip("/").split("/")[0]
    return first not in ("storage", "files", "upload", "v1") and path.count("/") >= 2


def _detail(message: Any, error_type: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": message}
    if error_type:
        body["error_type"] = error_type
    return body


class _Handler(LocalHandler):
    owner: FalServer

    def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        extra = {"x-fal-request-id": uuid.uuid4().hex}
        if isinstance(body, dict) and body.get("error_type"):
            extra["X-Fal-Error-Type"] = body["error_type"]
        self._send_json(status, body, {**extra, **(headers or {})})

    def _handle(self, method: str) -> None:
        server = self.owner
        raw = self._read_bytes() if method in ("POST", "PUT") else b""
        body: Any = len(raw)  # JSON, or the number of bytes of any other body
        if self.headers.get("Content-Type", "").startswith("application/json"):
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                self._reply(400, _detail("The request body is not JSON."))
                return
        request = self.record(method, body)
        path, query = request.path, request.query
        with server.lock:
            if method == "GET" and path.startswith("/files/"):
                self._file(path)
            elif method == "PUT" and path.startswith("/upload/"):
                self._put_upload(path.removeprefix("/upload/"), raw)
            elif method == "POST" and path == "/files/upload":
                self._cdn_upload(raw)
            elif self._refused(method, path):
                return
            elif method == "POST" and path == "/storage/auth/token":
                self._cdn_token_answer()
            elif method == "POST" and path == "/storage/upload/initiate":
                self._initiate(body if isinstance(body, dict) else {})
            elif method == "GET" and path == "/v1/account/billing":
                self._billing(query)
            else:
                self._queue(method, path, body, query)

    def _refused(self, method: str, path: str) -> bool:
        """A wrong key (401), a 429 scripted with `rate_limit`, or a locked account."""
        server = self.owner
        if self.headers.get("Authorization") != f"Key {server.api_key}":
            self._reply(401, _detail("No user found for Key ID and Secret"))
            return True
        if server.take("rate_limited"):
            self._reply(429, _detail("Too many requests, slow down."), server.retry_after_header())
            return True
        spends = method == "POST" and (_is_model_path(path) or path.startswith("/storage/"))
        if server.quota_exhausted and spends:
            self._reply(403, _detail(LOCKED))
            return True
        return False

    # -- storage and files -----------------------------------------------------------------

    def _cdn_token_answer(self) -> None:
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        self._reply(
            200,
            {
                "token": self.owner._cdn_token,
                "token_type": "Bearer",
                "base_url": self.owner.base_url,
                "expires_at": expires.isoformat(),
            },
        )

    def _cdn_upload(self, data: bytes) -> None:
        server = self.owner
        if self.headers.get("Authorization") != f"Bearer {server._cdn_token}":
            self._reply(401, _detail("Invalid or expired upload token"))
            return
        if server.fail_cdn_uploads:
            self._reply(500, _detail("Upload failed", "internal_server_error"))
            return
        name = _safe_name(self.headers.get("X-Fal-File-Name") or "upload.bin")
        mime = self.headers.get("Content-Type") or "application/octet-stream"
        published = server._publish(f"{uuid.uuid4().hex[:12]}/{name}", data, mime)
        self._reply(200, {"access_url": published["url"]})

    def _initiate(self, body: dict[str, Any]) -> None:
        name = _safe_name(str(body.get("file_name") or "upload.bin"))
        mime = str(body.get("content_type") or "application/octet-stream")
        upload_id = uuid.uuid4().hex[:12]
        path = f"{upload_id}/{name}"
        self.owner._pending_uploads[upload_id] = (path, mime)
        self._reply(
            200,
            {
                "upload_url": f"{self.owner.base_url}/upload/{upload_id}",
                "file_url": f"{self.owner.base_url}/files/{path}",
            },
        )

    def _put_upload(self, upload_id: str, data: bytes) -> None:
        pending = self.owner._pending_uploads.pop(upload_id, None)
        if pending is None:
            self._reply(404, _detail("Unknown upload"))
            return
        path, mime = pending
        self.owner.put_file(f"/files/{path}", data, mime)
        self.send_empty(200)

    def _file(self, path: str) -> None:
        server = self.owner
        found = server.files.get(path)
        result = path.startswith("/files/results/")  # uploads neither expire nor break
        if found is None or (server.expired and result):
            self._reply(404, _detail("File not found"))
            return
        self.send_bytes(*found, cut=server.cut_downloads and result)

    def _billing(self, query: dict[str, str]) -> None:
        server = self.owner
        if not server.billing_scope:
            self._reply(403, _detail("This key lacks the billing:usage:read permission"))
            return
        body: dict[str, Any] = {"username": "studio-tests"}
        if "credits" in query.get("expand", ""):
            balance = -0.18 if server.quota_exhausted else server.balance
            body["credits"] = {"current_balance": balance, "currency": "USD"}
        self._reply(200, body)

    # -- the queue --------------------------------------------------------------------------

    def _queue(self, method: str, path: str, body: Any, query: dict[str, str]) -> None:
        parts = path.strip("/").split("/")
        if method == "POST" and _is_model_path(path):
            self._submit("/".join(parts), body if isinstance(body, dict) else {})
            return
        if len(parts) >= 4 and parts[2] == "requests":
            request = self.owner.jobs.get(parts[3])
            if request is None or request.app != "/".join(parts[:2]):
                self._reply(404, _detail(f"Request {parts[3]} not found"))
            elif method == "GET" and parts[4:] == ["status"]:
                self._status(request, query.get("logs", "") in ("1", "true"))
            elif method == "GET" and len(parts) == 4:
                self._response(request)
            elif method == "PUT" and parts[4:] == ["cancel"]:
                self._cancel(request)
            else:
                self._reply(405, _detail(f"{method} is not allowed here"))
            return
        self._reply(404, _detail(f"No route for {method} {path}"))

    def _submit(self, endpoint: str, arguments: dict[str, Any]) -> None:
        problems, images = self._pictures(arguments)
        if problems:
            self._reply(422, _detail(problems))
            return
        request = self.owner._new(endpoint, arguments, images)
        body = self.owner._status_json(request, logs=False)
        body.pop("status")
        self._reply(200, body)

    def _pictures(self, arguments: dict[str, Any]) -> tuple[list[dict], dict[str, list[bytes]]]:
        """Every picture URL must be one this server handed out (as fal's runners must be
        able to download it); returns 422 details for those that are not."""
        problems: list[dict[str, Any]] = []
        images: dict[str, list[bytes]] = {}
        for name in IMAGE_FIELDS:
            value = arguments.get(name)
            if value is None:
                continue
            for url in value if isinstance(value, list) else [value]:
                found = self.owner.files.get(str(url).removeprefix(self.owner.root))
                if found is None:
                    problems.append(
                        {
                            "loc": ["body", name],
                            "msg": "Could not download the file from the given URL.",
                            "type": "file_download_error",
                            "input": url,
                        }
                    )
                else:
                    images.setdefault(name, []).append(found[0])
        return problems, images

    def _status(self, request: FalRequest, logs: bool) -> None:
        server = self.owner
        if server.take("fail_polls"):
            self._reply(503, _detail("Service temporarily unavailable", "internal_server_error"))
            return
        server._advance(request)
        self._reply(200, server._status_json(request, logs))

    def _response(self, request: FalRequest) -> None:
        if request.status != "COMPLETED":
            self._reply(400, _detail("Request is still in progress"))
        elif request.error_type == "content_policy_violation":
            problem = {
                "loc": ["body", "prompt"],
                "msg": request.error,
                "type": request.error_type,
                "url": "https://docs.fal.ai/errors#content_policy_violation",
                "input": request.arguments.get("prompt"),
            }
            self._reply(422, _detail([problem]))
        elif request.error:
            status = 400 if request.cancelled else 503
            self._reply(status, _detail(request.error, request.error_type))
        else:
            self._reply(200, request.result)

    def _cancel(self, request: FalRequest) -> None:
        if request.status == "COMPLETED":
            self._reply(400, {"status": "ALREADY_COMPLETED"})
            return
        request.status = "COMPLETED"
        request.cancelled = True
        request.error, request.error_type = "Request was cancelled.", "request_cancelled"
        self._reply(202, {"status": "CANCELLATION_REQUESTED"})


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[:80] or "upload.bin"
