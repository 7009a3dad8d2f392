"""A real HTTP server on 127.0.0.1 that speaks Replicate's HTTP API, for tests.

Written from Replicate's HTTP API reference (replicate.com/docs/reference/http: predictions,
files, account; replicate.com/docs/topics/predictions: the prediction object and its
lifecycle; .../predictions/rate-limits: the 429 body) and from the official Python SDK,
`replicate` 1.0.7, whose requests it must answer (`replicate/client.py`,
`prediction.py`, `model.py`, `file.py`, `account.py`, `exceptions.py`):

- Auth: `Authorization: Bearer <token>` (the SDK's header; the older docs' `Token <token>`
  is accepted too). A wrong or missing token: 401 problem+json
  `{"title": "Unauthenticated", "detail": "You did not pass a valid authentication token",
  "status": 401}` (the SDK's recorded cassette `run__invalid-token.yaml`).
- `POST /v1/models/{owner}/{name}/predictions` (official models, body `{"input": {...}}`)
  and `POST /v1/predictions` (body `{"version": "owner/name" | "owner/name:<id>" | "<id>",
  "input": {...}}`): 201 with the prediction, `status: "starting"`.
- `GET /v1/predictions/{id}`: `starting` → `processing` (logs with a tqdm progress line,
  which the SDK's `Prediction.progress` parses) → `succeeded` with `output` (a URL, or a list
  of URLs for image models asked for `num_outputs`) and `metrics.predict_time`, or `failed`
  with `error`. `POST /v1/predictions/{id}/cancel`: `canceled`.
- `POST /v1/files` (multipart, the file in the `content` field, as `Files.async_create`
  sends it): 201 with the file object, `urls.get` pointing back here. Inputs may name those
  URLs or be data URLs (`data:<mime>;base64,...`); the server resolves both, as Replicate
  does before a model runs (`resolved` on the prediction record).
- Results are served from `/delivery/...` without auth, as `replicate.delivery` serves
  them; they "expire" on request (404, and the prediction says `data_removed: true`, as
  after Replicate's one hour).
- `GET /v1/account`: the account the token belongs to (the cheap call for "Test
  connection").
- Errors are RFC 7807 problem+json (`title`, `detail`, `status`), which the SDK turns into
  `ReplicateError`. 402 "Insufficient credit" (its detail quoted from a real answer), 404
  for an unknown model, 422 "Input validation failed", 429 with `Retry-After` and the rate
  limit page's body `{"detail": "Request was throttled. Your rate limit resets in ~Ns."}`.

Scripted failures (attributes, see `studio.testing.servers.media`): `reject_words` (the
prediction fails with Replicate's sensitive-content error, E005), `fail_words` (fails with
a model error), `no_credit` (402), `throttle_creates` / `throttle_polls` (the next n answer
429 with Retry-After `retry_after`, body `throttle_detail`: the SDK retries a throttled GET
itself, never a POST, so the two are scripted apart), `fail_polls` (the next n polls answer
`fail_status`, 500 by default), `malformed_polls` (the next n answer 200 with an HTML
page), `expired` (results gone), `cut_downloads` (a result is sent half, then the
connection closes), `hold` (jobs stop progressing), `known_models` (others are 404).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from studio.testing.pictures import png
from studio.testing.servers.base import LocalHandler, Recorded
from studio.testing.servers.media import MediaServer

__all__ = ["TEST_TOKEN", "FakePrediction", "Recorded", "ReplicateServer"]

TEST_TOKEN = "r8_test_replicate_token"
SENSITIVE = (
    "The input or output was flagged as sensitive. Please try again with different inputs. (E005)"
)
NO_CREDIT = (
    "You have insufficient credit to run this model. Go to "
    "https://replicate.com/account/billing#billing to purchase credit."
)
# Outputs that are pictures: these owners' models, or a request for `num_outputs`.
IMAGE_OWNERS = ("black-forest-labs/", "google/imagen", "google/nano-banana", "ideogram-ai/")


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class FakePrediction:
    id: str
    model: str
    version: str
    input: dict[str, Any]
    resolved: dict[str, bytes] = field(default_factory=dict)  # file inputs, by input name
    status: str = "starting"
    polls: int = 0
    logs: str = ""
    output: Any = None
    error: str | None = None
    data_removed: bool = False
    created_at: str = field(default_factory=_now)
    started_at: str | None = None
    completed_at: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    def as_json(self, root: str) -> dict[str, Any]:
        api = f"{root}/v1/predictions/{self.id}"
        return {
            "id": self.id,
            "model": self.model,
            "version": self.version,
            "input": self.input,
            "logs": self.logs,
            "output": None if self.data_removed else self.output,
            "data_removed": self.data_removed,
            "error": self.error,
            "status": self.status,
            "source": "api",
            "created_at": self.created_at,
            "started_at": self.started_at,
            "completed_at": self.completed_at,
            "metrics": self.metrics,
            "urls": {
                "get": api,
                "cancel": f"{api}/cancel",
                "web": f"https://replicate.com/p/{self.id}",
            },
        }


class ReplicateServer(MediaServer):
    """Start with `start()` (or `with`); `base_url` is the API root the SDK takes (no
    `/v1`: the SDK adds it to every path)."""

    def __init__(
        self,
        clip: bytes,
        picture: bytes | None = None,
        *,
        api_token: str = TEST_TOKEN,
        steps: int = 2,
        predict_time: float = 42.5,
    ) -> None:
        super().__init__(_Handler, api_key=api_token)
        self.clip = clip
        self.picture = picture or png(64, 36, (0x30, 0x80, 0xD0))
        self.steps = steps  # polls in "processing" before the result
        self.predict_time = predict_time
        self.known_models: set[str] | None = None  # None: any owner/name exists
        self.no_credit = False
        self.throttle_creates = 0
        self.throttle_polls = 0
        self.retry_after = 1
        self.throttle_detail: str | None = None  # None: "... resets in ~<retry_after>s."
        self.fail_status = 500
        self.malformed_polls = 0  # the next n polls answer 200 with a page that is not JSON
        self.predictions: dict[str, FakePrediction] = self.jobs
        self.uploads: dict[str, tuple[bytes, str, str]] = {}  # id → (data, name, mime)
        self._next = 1

    @property
    def base_url(self) -> str:
        return self.root

    def created(self) -> list[FakePrediction]:
        return list(self.predictions.values())

    # -- the life of a prediction (called with the lock held) -----------------------------

    def _new_id(self, prefix: str) -> str:
        value = f"{prefix}{self._next:06d}"
        self._next += 1
        return value

    def _advance(self, p: FakePrediction) -> None:
        p.polls += 1
        if p.status in ("succeeded", "failed", "canceled") or self.hold.is_set():
            return
        if p.status == "starting":
            p.status, p.started_at = "processing", _now()
        done = min(p.polls, self.steps)
        # A tqdm line, as Cog models log it; the SDK's Prediction.progress reads the last one.
        percent = round(100 * done / (self.steps + 1))
        p.logs += f"{percent:3d}%|{'#' * (percent // 10):<10}| {done}/{self.steps + 1}\n"
        if p.polls <= self.steps:
            return
        p.completed_at = _now()
        p.metrics = {"predict_time": self.predict_time, "total_time": self.predict_time + 1.5}
        prompt = str(p.input.get("prompt") or "")
        if any(word in prompt for word in self.reject_words):
            p.status, p.error = "failed", SENSITIVE
        elif any(word in prompt for word in self.fail_words):
            p.status, p.error = "failed", "CUDA out of memory while decoding the video"
        else:
            p.status = "succeeded"
            p.logs += "100%|##########| 3/3\n"
            p.output = self._outputs(p)

    def _outputs(self, p: FakePrediction) -> Any:
        """The prediction's output: URLs on "replicate.delivery" (`/delivery/<id>/...`)."""
        if not p.model.startswith(IMAGE_OWNERS) and "num_outputs" not in p.input:
            return self.put_file(f"/delivery/{p.id}/output.mp4", self.clip, "video/mp4")
        count = int(p.input.get("num_outputs") or 1)
        urls = [
            self.put_file(f"/delivery/{p.id}/out-{i}.png", self.picture, "image/png")
            for i in range(count)
        ]
        return urls if "num_outputs" in p.input else urls[0]


def _problem(status: int, title: str, detail: str, **more: Any) -> dict[str, Any]:
    return {"type": None, "title": title, "detail": detail, "status": status, **more}


class _Handler(LocalHandler):
    owner: ReplicateServer

    def _send_problem(self, problem: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        """An RFC 7807 error, as Replicate answers every failed call."""
        self._send_json(problem["status"], problem, headers, "application/problem+json")

    def _authorised(self) -> bool:
        sent = self.headers.get("Authorization") or ""
        scheme, _, token = sent.partition(" ")
        if scheme.lower() in ("bearer", "token") and token == self.owner.api_key:
            return True
        self._send_problem(
            _problem(401, "Unauthenticated", "You did not pass a valid authentication token")
        )
        return False

    def _handle(self, method: str) -> None:
        server = self.owner
        path = urlsplit(self.path).path.rstrip("/")
        raw = self._read_bytes() if method == "POST" else b""
        body = self.record(method, self._body(raw), path).body
        parts = [unquote(p) for p in path.split("/")[1:]]
        if parts[:1] == ["delivery"] and method == "GET":
            self._deliver(path)
            return
        if parts[:1] != ["v1"]:
            self._send_problem(_problem(404, "Not found", f"No route for {path}"))
            return
        if not self._authorised():
            return
        rest = parts[1:]
        with server.lock:
            match (method, rest):
                case ("GET", ["account"]):
                    self._send_json(200, _ACCOUNT)
                case ("POST", ["files"]):
                    self._upload(body)
                case ("GET", ["files", file_id]):
                    self._file(file_id)
                case ("POST", ["models", owner, name, "predictions"]):
                    self._create(f"{owner}/{name}", None, body)
                case ("POST", ["predictions"]):
                    self._create_by_version(body)
                case ("GET", ["predictions", prediction_id]):
                    self._get(prediction_id)
                case ("POST", ["predictions", prediction_id, "cancel"]):
                    self._cancel(prediction_id)
                case _:
                    self._send_problem(_problem(404, "Not found", f"No route for {method} {path}"))

    def _body(self, raw: bytes) -> Any:
        try:
            return self._fields(raw) or None
        except ValueError:
            return None

    # -- endpoints (called with the server's lock held) -----------------------------------

    def _upload(self, fields: Any) -> None:
        content = fields.get("content") if isinstance(fields, dict) else None
        if not isinstance(content, dict):
            self._send_problem(_problem(400, "Bad request", "Missing file in field 'content'."))
            return
        data, name, mime = content["data"], content["filename"], content["content_type"]
        file_id = self.owner._new_id("file")
        self.owner.uploads[file_id] = (data, name, mime)
        self._send_json(201, self._file_json(file_id))

    def _file_json(self, file_id: str) -> dict[str, Any]:
        data, name, mime = self.owner.uploads[file_id]
        return {
            "id": file_id,
            "name": name,
            "content_type": mime,
            "size": len(data),
            "etag": hashlib.md5(data).hexdigest(),  # noqa: S324 (an etag, as Replicate's)
            "checksums": {"sha256": hashlib.sha256(data).hexdigest()},
            "metadata": {},
            "created_at": _now(),
            "expires_at": None,
            "urls": {"get": f"{self.owner.base_url}/v1/files/{file_id}"},
        }

    def _file(self, file_id: str) -> None:
        if file_id not in self.owner.uploads:
            self._send_problem(_problem(404, "Not found", "The requested file was not found."))
            return
        self._send_json(200, self._file_json(file_id))

    def _create_by_version(self, body: Any) -> None:
        version = str((body or {}).get("version") or "")
        model, _, version_id = version.partition(":")
        if "/" not in model:  # a bare version id
            model, version_id = "community/unnamed", version
        self._create(model, version_id or None, body)

    def _create(self, model: str, version_id: str | None, body: Any) -> None:
        server = self.owner
        known = server.known_models
        if known is not None and model not in known:
            self._send_problem(_problem(404, "Not found", f"Model not found: {model}"))
            return
        if server.take("throttle_creates"):
            self._throttled()
            return
        if server.no_credit:
            self._send_problem(_problem(402, "Insufficient credit", NO_CREDIT))
            return
        inputs = (body or {}).get("input") if isinstance(body, dict) else None
        if not isinstance(inputs, dict) or not isinstance(inputs.get("prompt"), str):
            self._send_problem(
                _problem(
                    422,
                    "Input validation failed",
                    "- input: prompt is required",
                    invalid_fields=[{"type": "required", "field": "input", "description": ""}],
                )
            )
            return
        resolved: dict[str, bytes] = {}
        for key, value in inputs.items():
            values = value if isinstance(value, list) else [value]
            found = [self._resolve(v) for v in values if isinstance(v, str)]
            if any(f is False for f in found):
                self._send_problem(
                    _problem(422, "Input validation failed", f"- {key}: the file cannot be read")
                )
                return
            for i, data in enumerate(f for f in found if f):
                resolved[key if not isinstance(value, list) else f"{key}[{i}]"] = data
        digest = hashlib.sha256(model.encode()).hexdigest()
        prediction = FakePrediction(
            id=server._new_id("pred"),
            model=model,
            version=version_id or digest,
            input=inputs,
            resolved=resolved,
        )
        server.predictions[prediction.id] = prediction
        self._send_json(201, prediction.as_json(server.base_url))

    def _resolve(self, value: str) -> bytes | None | bool:
        """A file input's bytes: a data URL or an uploaded file's URL (False: unreadable)."""
        if value.startswith("data:"):
            try:
                return base64.b64decode(value.split(",", 1)[1], validate=True)
            except (IndexError, ValueError):
                return False
        prefix = f"{self.owner.base_url}/v1/files/"
        if value.startswith(prefix):
            upload = self.owner.uploads.get(value[len(prefix) :])
            return upload[0] if upload else False
        return None

    def _throttled(self) -> None:
        server = self.owner
        detail = server.throttle_detail
        detail = (
            detail or f"Request was throttled. Your rate limit resets in ~{server.retry_after:g}s."
        )
        self._send_problem({"detail": detail, "status": 429}, server.retry_after_header())

    def _get(self, prediction_id: str) -> None:
        server = self.owner
        if server.take("throttle_polls"):
            self._throttled()
            return
        if server.take("fail_polls"):
            status = server.fail_status
            self._send_problem(_problem(status, "Internal server error", "Something went wrong."))
            return
        if server.take("malformed_polls"):
            page = "<html><body>502 Bad Gateway</body></html>"
            self._send_json(200, page, content_type="text/html")
            return
        prediction = server.predictions.get(prediction_id)
        if prediction is None:
            self._send_problem(_problem(404, "Not found", "Prediction not found."))
            return
        server._advance(prediction)
        prediction.data_removed = server.expired and prediction.status == "succeeded"
        self._send_json(200, prediction.as_json(server.base_url))

    def _cancel(self, prediction_id: str) -> None:
        prediction = self.owner.predictions.get(prediction_id)
        if prediction is None:
            self._send_problem(_problem(404, "Not found", "Prediction not found."))
            return
        if prediction.status in ("starting", "processing"):
            prediction.status, prediction.completed_at = "canceled", _now()
        self._send_json(200, prediction.as_json(self.owner.base_url))

    def _deliver(self, path: str) -> None:
        server = self.owner
        found = server.files.get(path)
        if found is None or server.expired:
            self._send_problem(_problem(404, "Not found", "This file has expired."))
            return
        self.send_bytes(*found, cut=server.cut_downloads)


_ACCOUNT = {
    "type": "user",
    "username": "studio-test",
    "name": "Studio Test",
    "github_url": None,
}
