"""A real HTTP server on 127.0.0.1 that answers as Google's APIs do for Veo and Gemini
image models, for tests of clients built on `google-genai`.

Written from Google's public references and the SDK's source (google-genai 3.6.1):

- Veo on Gemini Enterprise Agent Platform, formerly Vertex AI (its Veo API reference:
  cloud.google.com/vertex-ai/generative-ai/docs/model-reference/veo-video-generation):
  `POST /{version}/[projects/{p}/locations/{l}/]publishers/google/models/{model}
  :predictLongRunning` with `{"instances": [...], "parameters": {...}}` answers
  `{"name": "projects/.../operations/{id}"}`; `POST .../models/{model}
  :fetchPredictOperation` with `{"operationName"}` answers the operation: without `done`
  while it runs, then `done: true` with `error` (google.rpc.Status) or `response`
  `{"@type": ...GenerateVideoResponse, "videos": [{"bytesBase64Encoded", "mimeType"}],
  "raiMediaFilteredCount", "raiMediaFilteredReasons"}`. The paths are the ones the SDK
  builds (models.py `_generate_videos`, operations.py `_fetch_predict_videos_operation`).
- Gemini image models (ai.google.dev/api/generate-content): `POST /{version}/models/{model}
  :generateContent` (Gemini API) or `.../publishers/google/models/{model}:generateContent`
  (Agent Platform); pictures come back as `inlineData` parts; a refused prompt is HTTP 200
  with `promptFeedback.blockReason`, a refused picture a candidate with `finishReason`
  IMAGE_SAFETY and no parts.
- `GET /{version}/[publishers/google/]models/{model}`: the model resource.
- Auth (`_api_client.py`): the key in `x-goog-api-key`. No key: 401 UNAUTHENTICATED; a
  wrong one: 400 INVALID_ARGUMENT "API key not valid" with `google.rpc.ErrorInfo` reason
  API_KEY_INVALID, as Google answers.
- Errors follow AIP-193 (google.aip.dev/193): `{"error": {"code", "message", "status",
  "details"}}`; 429 RESOURCE_EXHAUSTED carries `google.rpc.RetryInfo.retryDelay`, billing
  switched off is 403 PERMISSION_DENIED with ErrorInfo reason BILLING_DISABLED. Refused
  prompts use Agent Platform's Responsible AI wording with a support code.

Failures are scripted on the instance (`studio.testing.servers.media`): `reject_words`
(400 at submit; a blocked prompt for pictures), `filter_words` (the clip is kept back by the
safety filters), `fail_words` (the job fails), `picture_filter_words`, `billing_disabled`,
`rate_limited` (the next n calls get 429 with RetryInfo `retry_delay`; `retry_after`, None
by default, adds a Retry-After header), `fail_polls` (the next n polls get 503), `expire()`
(finished operations are forgotten: 404), `cut_downloads` (finished operations, which carry
the clip, are cut off halfway), `hold` (jobs stop progressing). Every request is recorded.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from studio.testing.pictures import png
from studio.testing.servers.base import LocalHandler, Recorded
from studio.testing.servers.media import MediaServer

__all__ = ["PROJECT", "GoogleServer", "Recorded", "VeoOperation"]

PROJECT = "123456789012"  # the project number Google puts in operation names
_RESPONSE_TYPE = "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse"
_RPC = "type.googleapis.com/google.rpc."


@dataclass(frozen=True)
class _Veo:
    durations: tuple[int, ...] = (4, 6, 8)
    resolutions: tuple[str, ...] = ("720p", "1080p", "4k")
    references: int = 3
    last_frame: bool = True
    extend: bool = True


# The Veo models Agent Platform serves (its model pages), and those it has shut down.
VEO_MODELS = {
    "veo-3.1-generate-001": _Veo(),
    "veo-3.1-fast-generate-001": _Veo(),
    "veo-3.1-lite-generate-001": _Veo(
        resolutions=("720p", "1080p"), references=0, last_frame=False, extend=False
    ),
}
SHUT_DOWN = frozenset(
    {
        "veo-2.0-generate-001",
        "veo-3.0-generate-001",
        "veo-3.0-fast-generate-001",
        "veo-3.1-generate-preview",
        "veo-3.1-fast-generate-preview",
        "imagen-4.0-generate-001",
    }
)
IMAGE_MODELS = frozenset({"gemini-3.1-flash-image", "gemini-3-pro-image"})
# Picture sizes at "1K" by aspect ratio; "2K" and "4K" are 2x and 4x (Gemini image guide).
IMAGE_1K = {
    "1:1": (1024, 1024),
    "16:9": (1376, 768),
    "9:16": (768, 1376),
    "3:2": (1264, 848),
    "2:3": (848, 1264),
    "4:3": (1200, 896),
    "3:4": (896, 1200),
}
IMAGE_TIERS = {"1K": 1, "2K": 2, "4K": 4}
_IMAGE_MIME = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"RIFF": "image/webp"}


@dataclass
class VeoOperation:
    name: str
    model: str
    prompt: str
    parameters: dict[str, Any]
    instance: dict[str, Any]
    clip: bytes
    polls: int = 0
    done: bool = False
    error: dict[str, Any] | None = None
    filtered: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name}
        if not self.done:
            return body  # proto3 leaves `done: false` out
        body["done"] = True
        if self.error is not None:
            body["error"] = self.error
            return body
        response: dict[str, Any] = {"@type": _RESPONSE_TYPE}
        if self.filtered:
            response["raiMediaFilteredCount"] = int(self.parameters.get("sampleCount") or 1)
            response["raiMediaFilteredReasons"] = self.filtered
        else:
            video = {
                "bytesBase64Encoded": base64.b64encode(self.clip).decode(),
                "mimeType": "video/mp4",
            }
            response["videos"] = [video] * int(self.parameters.get("sampleCount") or 1)
        body["response"] = response
        return body


class GoogleServer(MediaServer):
    """Start with `start()` or `with`; point the SDK at `base_url` (its root: the SDK adds
    the API version) with `api_key`."""

    def __init__(
        self,
        clip: bytes,
        *,
        extended_clip: bytes | None = None,
        api_key: str = "AIza-test-google-key",
        steps: int = 2,
    ) -> None:
        super().__init__(_Handler, api_key=api_key)
        self.clip = clip
        self.extended_clip = extended_clip or clip
        self.steps = steps  # polls until a job is done
        self.filter_words: tuple[str, ...] = ("[filtered]",)
        self.picture_filter_words: tuple[str, ...] = ("[unsafe picture]",)
        self.billing_disabled = False
        self.retry_delay = "2s"  # RetryInfo's, in every 429
        self.retry_after = None  # also send this Retry-After header
        self.operations: dict[str, VeoOperation] = self.jobs
        self.forgotten: set[str] = set()

    @property
    def base_url(self) -> str:
        return self.root

    def calls(self, suffix: str) -> list[Recorded]:
        """The recorded requests whose path ends with `suffix` (e.g. ":predictLongRunning"):
        Google's calls are told apart by the verb at the end of the path."""
        return [r for r in self.requests if r.path.endswith(suffix)]

    def expire(self) -> None:
        """Forget every finished operation, as Google does after a while."""
        with self.lock:
            self.forgotten |= {name for name, op in self.operations.items() if op.done}

    def _advance(self, op: VeoOperation) -> None:
        op.polls += 1
        if op.done or self.hold.is_set() or op.polls < self.steps:
            return
        op.done = True
        if any(word in op.prompt for word in self.fail_words):
            op.error = {"code": 13, "message": "Video generation failed due to an internal error."}
        elif any(word in op.prompt for word in self.filter_words):
            # Agent Platform's wording for clips its filters keep back (Responsible AI page).
            op.filtered = [
                "Unable to show generated videos. All videos were filtered out because they "
                "violated Vertex AI's usage guidelines. Support codes: 90789179"
            ]


def _status(code: int, status: str, message: str, *details: dict[str, Any]) -> dict:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = list(details)
    return {"error": error}


def _invalid(message: str) -> tuple[int, dict]:
    return 400, _status(400, "INVALID_ARGUMENT", message)


_PATH = re.compile(
    r"^/(?P<version>v\w+)/(?:projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/)?"
    r"(?:publishers/google/)?models/(?P<model>[^/:]+)(?::(?P<verb>\w+))?$"
)


class _Handler(LocalHandler):
    owner: GoogleServer

    def _handle(self, method: str) -> None:
        raw = self._read_bytes() if method == "POST" else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send_json(*_invalid("Invalid JSON payload received."))
            return
        path = self.record(method, body).path
        body = _proto_names(body)
        refused = self._refuse_key() or self._refuse_account()
        if refused:
            self._send_json(*refused)
            return
        match = _PATH.match(path)
        if match is None:
            self._send_json(404, _status(404, "NOT_FOUND", f"No route for {method} {path}."))
            return
        model, verb = match["model"], match["verb"]
        if model in SHUT_DOWN:
            message = f"Publisher model {model} is no longer available: it was shut down."
            self._send_json(404, _status(404, "NOT_FOUND", message))
            return
        if method == "GET" and verb is None:
            self._model(model)
        elif method == "POST" and verb == "predictLongRunning":
            self._send_json(*self._predict(match, body))
        elif method == "POST" and verb == "fetchPredictOperation":
            self._fetch(body)
        elif method == "POST" and verb == "generateContent":
            self._send_json(*self._generate_content(model, body))
        else:
            self._send_json(404, _status(404, "NOT_FOUND", f"No route for {method} {path}."))

    # -- who may call ---------------------------------------------------------------------

    def _refuse_key(self) -> tuple[int, dict] | None:
        key = self.headers.get("x-goog-api-key")
        if key == self.owner.api_key:
            return None
        if not key:
            return 401, _status(
                401,
                "UNAUTHENTICATED",
                "Request is missing required authentication credential. Expected OAuth 2 "
                "access token, login cookie or other valid authentication credential.",
            )
        info = {
            "@type": _RPC + "ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
        }
        return 400, _status(
            400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", info
        )

    def _refuse_account(self) -> tuple[int, dict] | None:
        server = self.owner
        if server.billing_disabled:
            info = {
                "@type": _RPC + "ErrorInfo",
                "reason": "BILLING_DISABLED",
                "domain": "googleapis.com",
            }
            message = (
                f"This API method requires billing to be enabled. Please enable billing on "
                f"project #{PROJECT} by visiting https://console.developers.google.com/billing/"
                f"enable?project={PROJECT} then retry."
            )
            return 403, _status(403, "PERMISSION_DENIED", message, info)
        if not server.take("rate_limited"):
            return None
        retry = {"@type": _RPC + "RetryInfo", "retryDelay": server.retry_delay}
        message = (
            "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_"
            "model. Please try again later."
        )
        return 429, _status(429, "RESOURCE_EXHAUSTED", message, retry)

    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        extra = dict(headers or {})
        if status == 429:
            extra |= self.owner.retry_after_header()
        super()._send_json(status, body, extra)

    # -- Veo ------------------------------------------------------------------------------

    def _predict(self, match: re.Match[str], body: dict[str, Any]) -> tuple[int, dict]:
        server, model = self.owner, match["model"]
        spec = VEO_MODELS.get(model)
        if spec is None:
            return 404, _status(404, "NOT_FOUND", f"Publisher Model `{model}` was not found.")
        instances = body.get("instances")
        if not isinstance(instances, list) or len(instances) != 1:
            return _invalid("instances must hold exactly one instance.")
        instance, params = instances[0], body.get("parameters") or {}
        problem = _check_instance(spec, instance, params) or self._check_source(instance)
        if problem:
            return _invalid(problem)
        prompt = str(instance.get("prompt") or "")
        if any(word in prompt for word in server.reject_words):
            return _invalid(
                "The prompt could not be submitted. This prompt contains sensitive words that "
                "violate Google's Responsible AI practices. Try rephrasing the prompt. If you "
                "think this was an error, send feedback. Support codes: 17301594"
            )
        project = match["project"] or PROJECT
        location = match["location"] or "us-central1"
        name = (
            f"projects/{project}/locations/{location}/publishers/google/models/{model}"
            f"/operations/{secrets.token_hex(8)}"
        )
        clip = server.extended_clip if "video" in instance else server.clip
        with server.lock:
            server.operations[name] = VeoOperation(name, model, prompt, params, instance, clip)
        return 200, {"name": name}

    def _check_source(self, instance: dict[str, Any]) -> str | None:
        """An extension's video must be a Veo clip this server made, at 720p."""
        video = instance.get("video")
        if video is None:
            return None
        data = _decode(video.get("bytesBase64Encoded"))
        with self.owner.lock:
            sources = [op for op in self.owner.operations.values() if op.done and op.clip == data]
        if not sources:
            return "The video to extend must be a video generated by Veo."
        if sources[0].parameters.get("resolution", "720p") != "720p":
            return "Only 720p videos can be extended."
        return None

    def _fetch(self, body: dict[str, Any]) -> None:
        server = self.owner
        name = str(body.get("operationName") or "")
        if server.take("fail_polls"):
            self._send_json(
                503, _status(503, "UNAVAILABLE", "The service is currently unavailable.")
            )
            return
        with server.lock:
            op = server.operations.get(name)
            if op is None or name in server.forgotten:
                self._send_json(404, _status(404, "NOT_FOUND", f"Operation {name} not found."))
                return
            server._advance(op)
            answer = op.as_json()
        if op.done and "response" in answer and server.cut_downloads:
            # The clip comes inside the finished operation: promise it all, send half.
            self.send_bytes(json.dumps(answer).encode(), "application/json", cut=True)
        else:
            self._send_json(200, answer)

    def _model(self, model: str) -> None:
        if model not in VEO_MODELS and model not in IMAGE_MODELS:
            self._send_json(
                404, _status(404, "NOT_FOUND", f"Publisher Model `{model}` was not found.")
            )
            return
        self._send_json(200, {"name": f"publishers/google/models/{model}", "versionId": "001"})

    # -- Gemini image models --------------------------------------------------------------

    def _generate_content(self, model: str, body: dict[str, Any]) -> tuple[int, dict]:
        server = self.owner
        if model not in IMAGE_MODELS:
            return 404, _status(
                404,
                "NOT_FOUND",
                f"models/{model} is not found for API version v1, or is not supported for "
                "generateContent. Call ListModels to see the list of available models.",
            )
        parts = [p for c in body.get("contents") or () for p in c.get("parts") or ()]
        text = " ".join(str(p.get("text", "")) for p in parts if "text" in p)
        for part in parts:
            blob = part.get("inlineData")
            if blob is not None and _mime(_decode(blob.get("data"))) != blob.get("mimeType"):
                return _invalid(
                    "Unable to process input image. Please retry or report in feedback."
                )
        usage = {"promptTokenCount": len(text.split()), "totalTokenCount": len(text.split())}
        if any(word in text for word in server.reject_words):
            return 200, {
                "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
                "usageMetadata": usage,
            }
        config = body.get("generationConfig") or {}
        if "IMAGE" not in (config.get("responseModalities") or ["TEXT"]):
            content = {"role": "model", "parts": [{"text": "Here is a description instead."}]}
            return 200, {"candidates": [{"content": content, "finishReason": "STOP"}]}
        if any(word in text for word in server.picture_filter_words):
            candidate = {
                "finishReason": "IMAGE_SAFETY",
                "finishMessage": "Unable to show the generated image: it may violate our policy.",
            }
            return 200, {"candidates": [candidate], "usageMetadata": usage}
        image = config.get("imageConfig") or {}
        aspect, tier = image.get("aspectRatio", "1:1"), image.get("imageSize", "1K")
        if aspect not in IMAGE_1K or tier not in IMAGE_TIERS:
            return _invalid(f"Unsupported image config: aspect ratio {aspect}, size {tier}.")
        width, height = (side * IMAGE_TIERS[tier] for side in IMAGE_1K[aspect])
        seed = int(config.get("seed") or 0)
        picture = png(width, height, ((seed * 37) % 256, (seed * 91) % 256, 200))
        part = {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(picture).decode()}}
        content = {"role": "model", "parts": [part]}
        return 200, {
            "candidates": [{"content": content, "finishReason": "STOP", "index": 0}],
            "usageMetadata": usage,
            "modelVersion": model,
        }


def _check_instance(spec: _Veo, instance: dict[str, Any], params: dict[str, Any]) -> str | None:
    """What Agent Platform refuses in a Veo request (the Veo API reference's parameter list)."""
    seconds = params.get("durationSeconds", 8)
    if "video" not in instance and seconds not in spec.durations:
        return f"durationSeconds must be one of {list(spec.durations)}."
    if params.get("aspectRatio", "16:9") not in ("16:9", "9:16"):
        return "aspectRatio must be 16:9 or 9:16."
    resolution = params.get("resolution", "720p")
    if resolution not in spec.resolutions:
        return f"resolution must be one of {list(spec.resolutions)}."
    if resolution in ("1080p", "4k") and seconds != 8:
        return f"{resolution} videos must be 8 seconds long."
    if not 1 <= int(params.get("sampleCount", 1)) <= 4:
        return "sampleCount must be between 1 and 4."
    if not isinstance(params.get("generateAudio", True), bool):
        return "generateAudio must be a boolean."
    if not (instance.get("prompt") or instance.get("image") or instance.get("video")):
        return "A prompt, an image or a video is required."
    for key in ("image", "lastFrame"):
        if key in instance and _bad_image(instance[key]):
            return f"{key} must be a PNG or JPEG image with its mimeType."
    if "lastFrame" in instance and (not spec.last_frame or "image" not in instance):
        return "lastFrame needs an image (the first frame) and a model that takes one."
    references = instance.get("referenceImages") or []
    if len(references) > spec.references:
        return f"At most {spec.references} reference images are allowed."
    if references and seconds != 8:
        return "Reference images need durationSeconds 8."
    for ref in references:
        if str(ref.get("referenceType", "")).lower() != "asset" or _bad_image(ref.get("image")):
            return "referenceImages must be asset images (PNG or JPEG)."
    if "video" in instance and not spec.extend:
        return "This model cannot extend videos."
    return None


def _proto_names(value: Any) -> Any:
    """`value` with every field under its lowerCamelCase name. Proto3 JSON accepts a field's
    proto name too (protobuf.dev/programming-guides/json), and the SDK sends some that way
    (an `inlineData` part's `mime_type`)."""
    if isinstance(value, list):
        return [_proto_names(v) for v in value]
    if not isinstance(value, dict):
        return value
    return {
        re.sub(r"_([a-z])", lambda m: m[1].upper(), k): _proto_names(v) for k, v in value.items()
    }


def _decode(data: Any) -> bytes:
    """Base64 as proto3 JSON reads it: the standard or the URL-safe alphabet (the SDK sends
    the latter for `inlineData`), padded or not."""
    text = str(data or "").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except ValueError:
        return b""


def _mime(data: bytes) -> str | None:
    return next((mime for sig, mime in _IMAGE_MIME.items() if data.startswith(sig)), None)


def _bad_image(image: Any) -> bool:
    if not isinstance(image, dict):
        return True
    mime = _mime(_decode(image.get("bytesBase64Encoded")))
    return mime not in ("image/png", "image/jpeg") or image.get("mimeType") != mime
