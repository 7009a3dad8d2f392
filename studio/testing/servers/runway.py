"""A real HTTP server on 127.0.0.1 that answers as Runway's API does, for tests.

Written from Runway's public API reference (docs.dev.runwayml.com: "API Reference", "API
Errors", "Handle Task Failures", "Inputs", "API Usage Tiers & Limits") and the official SDK's
source (`runwayml` 5.24: `_client.py`, `resources/{image_to_video,text_to_video,
video_to_video,text_to_image,tasks,uploads,organization}.py`, `types/task_retrieve_response.py`).

- Auth: `Authorization: Bearer <key>`; a wrong key answers 401 (SDK `_client.auth_headers`).
- Every API request carries `X-Runway-Version: 2024-11-06` (the SDK's `runway_version`);
  without it, or with a version the API does not know, the API answers 400.
- `POST /v1/image_to_video`, `/v1/text_to_video`, `/v1/video_to_video`, `/v1/text_to_image`
  (JSON, camelCase: `promptText`, `promptImage`, `ratio`, `duration`, `seed`, `audio`,
  `negativePrompt`, `videoUri`, `referenceImages`) answer `{"id", "estimatedCost"}`.
  `promptImage` is a URI or a list of `{uri, position: "first"|"last"}` ("last" only for
  the Veo models); a URI is a data URI (`data:image/png;base64,...`, under 5 MB), an HTTPS
  URL, or a `runway://` URI from an upload.
- `GET /v1/tasks/{id}`: PENDING, THROTTLED (over the tier's concurrency), RUNNING with
  `progress` 0..1, then SUCCEEDED with `output` (result URLs) or FAILED with `failure` and
  `failureCode` (`SAFETY.INPUT.TEXT` for a refused prompt, `INTERNAL.BAD_OUTPUT.CODE01`).
  The reference asks clients not to expect updates more often than every five seconds.
- `DELETE /v1/tasks/{id}`: cancels a running, pending or throttled task, deletes any other;
  either way it cannot be fetched again (404). Answers 204.
- `POST /v1/uploads` `{filename, type: "ephemeral"}` answers `{uploadUrl, fields,
  runwayUri}`; the file then goes to `uploadUrl` as a multipart POST with `fields` (a
  presigned storage form, no key) and the `runway://` URI is used as an input.
- `GET /v1/organization`: `creditBalance`, `tier`, `usage`.
- Errors are JSON `{"error": "<human-readable explanation>"}`; a task the account cannot
  pay for answers 400 "You do not have enough credits to run this task." (the words the
  API sends, see runwayml/sdk-node#28); 429 when over the tier's limits; 502/503 when
  Runway sheds load.

Scripted failures: those of `MediaServer`, plus `credit_balance` (set it to 0 for "no
credit") and `concurrency` (tasks over it are THROTTLED).
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from studio.testing.servers.media import MediaHandler, MediaServer, Recorded

__all__ = ["RUNWAY_VERSION", "RunwayServer", "RunwayTask"]

RUNWAY_VERSION = "2024-11-06"
_GEN4_RATIOS = {"1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"}
_VEO_RATIOS = {"1280:720", "720:1280", "1080:1920", "1920:1080"}
_IMAGE_RATIOS = {"1920:1080", "1080:1920", "1024:1024", "1360:768", "1080:1080", "1280:720"}
_IMAGE_RATIOS |= {"720:1280", "720:720", "1168:880", "1440:1080", "1080:1440", "1808:768"}


@dataclass(frozen=True)
class _Model:
    ratios: frozenset[str]
    durations: frozenset[int]
    credits_per_second: float  # what the tier charges; with audio: `audio_credits`
    last_frame: bool = False
    audio_credits: float | None = None


_VIDEO_MODELS = {
    "gen4.5": _Model(frozenset(_GEN4_RATIOS), frozenset(range(2, 11)), 12),
    "gen4_turbo": _Model(frozenset(_GEN4_RATIOS), frozenset(range(2, 11)), 5),
    "veo3.1": _Model(frozenset(_VEO_RATIOS), frozenset({4, 6, 8}), 20, True, 40),
    "veo3.1_fast": _Model(frozenset(_VEO_RATIOS), frozenset({4, 6, 8}), 10, True, 15),
}
_TEXT_TO_VIDEO = {
    "gen4.5": frozenset({"1280:720", "720:1280"}),
    "veo3.1": None,
    "veo3.1_fast": None,
}
_IMAGE_CREDITS = {"gen4_image": 5, "gen4_image_turbo": 2}  # per picture (720p)
_EMBEDDED_LIMIT = 5 * 1024 * 1024  # a data URI's length ("Inputs")


@dataclass
class RunwayTask:
    id: str
    endpoint: str  # "image_to_video", "text_to_video", "video_to_video", "text_to_image"
    body: dict[str, Any]
    credits: int
    created_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
    status: str = "PENDING"
    progress: float = 0.0
    output: list[str] = field(default_factory=list)
    failure: str | None = None
    failure_code: str | None = None
    polls: int = 0

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "status": self.status, "createdAt": self.created_at}
        if self.status in ("PENDING", "THROTTLED", "RUNNING"):
            data["estimatedCost"] = {"credits": self.credits}
        else:
            data["cost"] = {"credits": self.credits if self.status == "SUCCEEDED" else 0}
        if self.status == "RUNNING":
            data["progress"] = self.progress
        if self.status == "SUCCEEDED":
            data["output"] = self.output
        if self.status == "FAILED":
            data["failure"] = self.failure
            data["failureCode"] = self.failure_code
        return data


class RunwayServer(MediaServer):
    """`base_url` is the server's root (the SDK's paths start with `/v1`)."""

    def __init__(
        self,
        clip: bytes,
        picture: bytes,
        *,
        api_key: str = "key_test_runway",
        steps: int = 2,
        credit_balance: int = 10_000,
        concurrency: int = 2,
    ) -> None:
        super().__init__(_Handler, api_key=api_key)
        self.clip = clip
        self.picture = picture
        self.steps = steps  # polls from RUNNING to done
        self.credit_balance = credit_balance
        self.concurrency = concurrency
        self.tasks: dict[str, RunwayTask] = self.jobs
        self.uploads: dict[str, bytes] = {}  # runway:// URI -> bytes
        self._pending_uploads: dict[str, str] = {}  # storage key -> runway:// URI

    @property
    def base_url(self) -> str:
        return self.root

    def bodies(self, endpoint: str) -> list[dict[str, Any]]:
        """The JSON bodies sent to `POST /v1/<endpoint>`."""
        return [r.body for r in self.calls("POST", f"/v1/{endpoint}")]

    def advance(self, task: RunwayTask) -> None:
        task.polls += 1
        active = task.status in ("PENDING", "THROTTLED", "RUNNING")
        if task.polls == 1 or not active or self.hold.is_set():
            return  # the first look finds it PENDING
        if task.status != "RUNNING":
            running = sum(t.status == "RUNNING" for t in self.tasks.values())
            task.status = "THROTTLED" if running >= self.concurrency else "RUNNING"
            return
        task.progress = round(min(1.0, task.progress + 1 / self.steps), 3)
        if task.progress < 1.0:
            return
        prompt = str(task.body.get("promptText") or "")
        if any(word in prompt for word in self.reject_words):
            task.status, task.failure_code = "FAILED", "SAFETY.INPUT.TEXT"
            task.failure = "The prompt text did not pass content moderation."
        elif any(word in prompt for word in self.fail_words):
            task.status, task.failure_code = "FAILED", "INTERNAL.BAD_OUTPUT.CODE01"
            task.failure = "An unexpected error occurred."
        else:
            task.status = "SUCCEEDED"
            if task.endpoint == "text_to_image":
                task.output = [self.publish(f"{task.id}.png", self.picture, "image/png")]
            else:
                task.output = [self.publish(f"{task.id}.mp4", self.clip, "video/mp4")]


class _Handler(MediaHandler):
    owner: RunwayServer
    unauthorised_message = "Unauthorized: the API key is not valid."
    too_many_message = "You have exceeded the rate limit for your tier. Try again later."
    poll_failure = (503, "Runway is shedding load; retry later.")

    def send_failure(
        self, status: int, message: str, headers: dict[str, str] | None = None
    ) -> None:
        self._send_json(status, {"error": message}, headers)

    def open_route(self, request: Recorded) -> bool:
        # The presigned storage form of an upload: no key, answers 204 as storage does.
        if request.method != "POST" or request.path != "/upload-bucket":
            return False
        fields = request.body if isinstance(request.body, dict) else {}
        uri = self.owner._pending_uploads.pop(str(fields.get("key")), None)
        upload = fields.get("file")
        if uri is None or not isinstance(upload, dict):
            self.send_failure(403, "Invalid upload policy.")
        else:
            self.owner.uploads[uri] = upload["data"]
            self.send_empty(204)
        return True

    def route(self, method: str, parts: list[str], request: Recorded) -> None:
        if parts[:1] != ["v1"]:
            self.send_failure(404, "Not found.")
            return
        if request.headers.get("x-runway-version") != RUNWAY_VERSION:
            message = f"X-Runway-Version header must be set to a valid version ({RUNWAY_VERSION})."
            self.send_failure(400, message)
            return
        body = request.body if isinstance(request.body, dict) else {}
        rest = parts[1:]
        if method == "POST" and rest in (
            ["image_to_video"],
            ["text_to_video"],
            ["video_to_video"],
            ["text_to_image"],
        ):
            self._create(rest[0], body)
        elif method == "POST" and rest == ["uploads"]:
            self._start_upload(body)
        elif method == "GET" and rest == ["organization"]:
            self._organization()
        elif len(rest) == 2 and rest[0] == "tasks" and method in ("GET", "DELETE"):
            self.answer_job(method, rest[1], "Task not found.")
        else:
            self.send_failure(405 if rest else 404, f"No route for {method} {request.path}")

    # -- endpoints (called with the server's lock held) -----------------------------------

    def _create(self, endpoint: str, body: dict[str, Any]) -> None:
        problem, credits = self._check(endpoint, body)
        if problem:
            self.send_failure(400, problem)
            return
        server = self.owner
        if credits > server.credit_balance:
            self.send_failure(400, "You do not have enough credits to run this task.")
            return
        server.credit_balance -= credits
        task = RunwayTask(str(uuid.uuid4()), endpoint, body, credits)
        server.tasks[task.id] = task
        self._send_json(200, {"id": task.id, "estimatedCost": {"credits": credits}})

    def _check(self, endpoint: str, body: dict[str, Any]) -> tuple[str | None, int]:
        """What is wrong with a create request (None: nothing), and its credits."""
        model = str(body.get("model") or "")
        prompt = body.get("promptText")
        if prompt is not None and (not isinstance(prompt, str) or not prompt.strip()):
            return "promptText: must be a non-empty string.", 0
        if endpoint == "text_to_image":
            return self._check_picture(model, body)
        if endpoint == "video_to_video":
            if model != "aleph2":
                return f"model: {model!r} is not available for video_to_video.", 0
            if not self._known_uri(str(body.get("videoUri") or "")):
                return "videoUri: Invalid URL.", 0
            return None, 15 * 5
        spec = _VIDEO_MODELS.get(model)
        if spec is None or (endpoint == "text_to_video" and model not in _TEXT_TO_VIDEO):
            return f"model: {model!r} is not available for {endpoint}.", 0
        ratios = _TEXT_TO_VIDEO.get(model) if endpoint == "text_to_video" else None
        if body.get("ratio") not in (ratios or spec.ratios):
            return f"ratio: {body.get('ratio')!r} is not a valid ratio for {model}.", 0
        duration = body.get("duration", 4 if model.startswith("veo") else 5)
        if duration not in spec.durations:
            return f"duration: {duration!r} is not a valid duration for {model}.", 0
        if endpoint == "text_to_video" and not prompt:
            return "promptText: Required.", 0
        if endpoint == "image_to_video":
            problem = self._check_images(body.get("promptImage"), spec)
            if problem:
                return problem, 0
        rate = spec.credits_per_second
        if spec.audio_credits is not None and body.get("audio", True):
            rate = spec.audio_credits
        return None, int(rate * int(duration))

    def _check_images(self, value: Any, spec: _Model) -> str | None:
        images = [{"uri": value, "position": "first"}] if isinstance(value, str) else value
        if not isinstance(images, list) or not images:
            return "promptImage: Required."
        for image in images:
            if not isinstance(image, dict) or image.get("position") not in ("first", "last"):
                return "promptImage: each image needs a uri and a position (first or last)."
            if image["position"] == "last" and not spec.last_frame:
                return "promptImage: this model does not take a last frame."
            if not self._known_uri(str(image.get("uri") or "")):
                return "promptImage: Invalid data URI."
        return None

    def _check_picture(self, model: str, body: dict[str, Any]) -> tuple[str | None, int]:
        if model not in _IMAGE_CREDITS:
            return f"model: {model!r} is not available for text_to_image.", 0
        if not body.get("promptText"):
            return "promptText: Required.", 0
        if body.get("ratio") not in _IMAGE_RATIOS:
            return f"ratio: {body.get('ratio')!r} is not a valid ratio for {model}.", 0
        references = body.get("referenceImages") or []
        if model == "gen4_image_turbo" and not references:
            return "referenceImages: gen4_image_turbo needs one to three images.", 0
        if len(references) > 3 or not all(self._known_uri(str(r.get("uri"))) for r in references):
            return "referenceImages: up to three images, each a valid URI.", 0
        credits = _IMAGE_CREDITS[model] + (3 if str(body["ratio"]).startswith("1920") else 0)
        return None, credits

    def _known_uri(self, uri: str) -> bool:
        """An input Runway can read: a valid image data URI, an upload, an HTTPS URL (here:
        also the server's own result URLs, which stand in for Runway's)."""
        if uri.startswith("data:"):
            head, _, data = uri.partition(",")
            if not head.startswith("data:image/") or not head.endswith(";base64"):
                return False
            if len(uri) > _EMBEDDED_LIMIT:
                return False
            try:
                return bool(base64.b64decode(data, validate=True))
            except (binascii.Error, ValueError):
                return False
        if uri.startswith("runway://"):
            return uri in self.owner.uploads
        return uri.startswith("https://") or uri.startswith(self.owner.root + "/files/")

    def _start_upload(self, body: dict[str, Any]) -> None:
        filename = str(body.get("filename") or "")
        if not filename or body.get("type", "ephemeral") != "ephemeral":
            self.send_failure(400, "filename: Required; type must be ephemeral.")
            return
        key = f"uploads/{uuid.uuid4()}/{filename}"
        uri = f"runway://{key}"
        self.owner._pending_uploads[key] = uri
        fields = {"key": key, "policy": "eyJ0ZXN0Ijp0cnVlfQ==", "x-amz-signature": "00ff"}
        upload_url = f"{self.owner.root}/upload-bucket"
        self._send_json(200, {"uploadUrl": upload_url, "fields": fields, "runwayUri": uri})

    def _organization(self) -> None:
        limits = {"maxConcurrentGenerations": self.owner.concurrency, "maxDailyGenerations": 50}
        self._send_json(
            200,
            {
                "creditBalance": self.owner.credit_balance,
                "tier": {"maxMonthlyCreditSpend": 10_000, "models": {"gen4.5": limits}},
                "usage": {"models": {"gen4.5": {"dailyGenerations": len(self.owner.tasks)}}},
            },
        )
