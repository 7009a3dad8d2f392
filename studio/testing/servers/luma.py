"""A real HTTP server on 127.0.0.1 that answers as Luma's Dream Machine API does, for tests.

Written from Luma's public API reference (docs.lumalabs.ai: "Video Generation", "Image
Generation", the API reference; the OpenAPI description in github.com/lumalabs/lumaai-api)
and the official SDK's source (`lumaai` 1.21: `_client.py`, `resources/generations/
{generations,video,image}.py`, `resources/{credits,ping}.py`, `types/generation.py`).

- Base URL `.../dream-machine/v1`; auth `Authorization: Bearer <key>`; a wrong key answers
  401 `{"detail": "Invalid API key provided"}` (the reference's Error object is `{detail}`).
- `POST /generations/video` (the SDK's path; `/generations` as in the docs' curl examples)
  with `model` (ray-2, ray-flash-2), `prompt`, `aspect_ratio`, `resolution` (540p, 720p,
  1080p, 4k), `duration` ("5s", "9s"), `loop` and `keyframes`: `frame0` / `frame1`, each
  `{"type": "image", "url": ...}` (a picture on the web: "currently the only way to pass an
  image") or `{"type": "generation", "id": ...}` (a finished generation: extend it, or end
  on it). Answers 201 with the Generation.
- `GET /generations/{id}`: `state` queued, then dreaming, then completed with
  `assets.video` (and `assets.image`, a still) or failed with `failure_reason`
  ("Advanced moderation failed" for a refused prompt).
- `DELETE /generations/{id}` (204), `GET /generations?limit&offset` (the list, newest
  first), `POST /generations/video/modify` (restyle a finished video, `media.url` + `mode`),
  `POST /generations/image` (Photon pictures), `GET /credits` (`credit_balance`, US cents),
  `GET /ping`.
- Other errors are `{"detail": "..."}`: 400 for a request the API will not take (a
  generation the account cannot pay for says so with the word "credits"), 404 for an
  unknown generation, 429 when too many are running, 5xx when Luma fails.

Scripted failures: those of `MediaServer`, plus `credit_balance` (0: no credit).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from studio.testing.servers.media import MediaHandler, MediaServer, Recorded

__all__ = ["LumaGeneration", "LumaServer"]

_ASPECTS = {"1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"}
_RESOLUTIONS = {"540p": 0.5625, "720p": 1.0, "1080p": 2.25, "4k": 9.0}  # pixels against 720p
_VIDEO_CENTS = {"ray-2": 71, "ray-flash-2": 24}  # a 5 s 720p clip
_IMAGE_CENTS = {"photon-1": 2, "photon-flash-1": 1}
_MODES = {f"{kind}_{n}" for kind in ("adhere", "flex", "reimagine") for n in (1, 2, 3)}


@dataclass
class LumaGeneration:
    id: str
    generation_type: str  # "video" or "image"
    model: str
    request: dict[str, Any]
    created_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
    state: str = "queued"
    failure_reason: str | None = None
    assets: dict[str, str | None] = field(default_factory=dict)
    polls: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "generation_type": self.generation_type,
            "state": self.state,
            "failure_reason": self.failure_reason,
            "created_at": self.created_at,
            "assets": self.assets or None,
            "model": self.model,
            "request": self.request,
        }


class LumaServer(MediaServer):
    """`base_url` ends in `/dream-machine/v1`, as the SDK's default does."""

    def __init__(
        self,
        clip: bytes,
        picture: bytes,
        *,
        api_key: str = "luma-test-key",
        steps: int = 2,
        credit_balance: int = 10_000,
    ) -> None:
        super().__init__(_Handler, api_key=api_key)
        self.clip = clip
        self.picture = picture
        self.steps = steps  # polls spent dreaming
        self.credit_balance = credit_balance
        self.generations: dict[str, LumaGeneration] = self.jobs

    @property
    def base_url(self) -> str:
        return f"{self.root}/dream-machine/v1"

    def bodies(self, path: str = "/generations") -> list[dict[str, Any]]:
        """The JSON bodies of the POSTs to `path` (under the base URL)."""
        full = f"/dream-machine/v1{path}"
        return [r.body for r in self.requests if r.method == "POST" and r.path == full]

    def advance(self, generation: LumaGeneration) -> None:
        generation.polls += 1
        if (
            generation.polls == 1
            or generation.state in ("completed", "failed")
            or self.hold.is_set()
        ):
            return
        if generation.state == "queued":
            generation.state = "dreaming"
            return
        if generation.polls <= self.steps:
            return
        prompt = str(generation.request.get("prompt") or "")
        if any(word in prompt for word in self.reject_words):
            generation.state, generation.failure_reason = "failed", "Advanced moderation failed"
        elif any(word in prompt for word in self.fail_words):
            generation.state, generation.failure_reason = (
                "failed",
                "Generation failed, please try again",
            )
        else:
            generation.state = "completed"
            still = self.publish(f"{generation.id}.png", self.picture, "image/png")
            if generation.generation_type == "image":
                generation.assets = {"image": still}
            else:
                video = self.publish(f"{generation.id}.mp4", self.clip, "video/mp4")
                generation.assets = {"video": video, "image": still, "progress_video": None}


class _Handler(MediaHandler):
    owner: LumaServer
    unauthorised_message = "Invalid API key provided"
    too_many_message = "Too many requests: the limit of concurrent generations was reached"
    poll_failure = (500, "Internal Server Error")

    def send_failure(
        self, status: int, message: str, headers: dict[str, str] | None = None
    ) -> None:
        self._send_json(status, {"detail": message}, headers)

    def route(self, method: str, parts: list[str], request: Recorded) -> None:
        if parts[:2] != ["dream-machine", "v1"]:
            self.send_failure(404, "Not Found")
            return
        rest = parts[2:]
        body = request.body if isinstance(request.body, dict) else {}
        if method == "GET" and rest == ["ping"]:
            self._send_json(200, {"message": "pong"})
        elif method == "GET" and rest == ["credits"]:
            self._send_json(200, {"credit_balance": self.owner.credit_balance})
        elif method == "POST" and rest in (["generations"], ["generations", "video"]):
            self._create_video(body)
        elif method == "POST" and rest == ["generations", "video", "modify"]:
            self._modify(body)
        elif method == "POST" and rest == ["generations", "image"]:
            self._create_image(body)
        elif method == "GET" and rest == ["generations"]:
            self._list(request.query)
        elif len(rest) == 2 and rest[0] == "generations" and method in ("GET", "DELETE"):
            self.answer_job(method, rest[1], "Generation not found")
        else:
            self.send_failure(404, f"No route for {method} {request.path}")

    # -- endpoints (called with the server's lock held) -----------------------------------

    def _start(self, kind: str, model: str, body: dict[str, Any], cents: int) -> None:
        server = self.owner
        if cents > server.credit_balance:
            self.send_failure(400, "Insufficient credits: top up your API credits to continue")
            return
        server.credit_balance -= cents
        generation = LumaGeneration(str(uuid.uuid4()), kind, model, body)
        server.generations[generation.id] = generation
        self._send_json(201, generation.as_json())

    def _create_video(self, body: dict[str, Any]) -> None:
        model = str(body.get("model") or "")
        if model not in _VIDEO_CENTS:
            self.send_failure(400, f"Invalid model: {model!r}; use ray-2 or ray-flash-2")
            return
        problem = self._check_video(body)
        if problem:
            self.send_failure(400, problem)
            return
        factor = _RESOLUTIONS[body.get("resolution") or "720p"]
        factor *= 2 if body.get("duration") == "9s" else 1
        self._start("video", model, body, round(_VIDEO_CENTS[model] * factor))

    def _check_video(self, body: dict[str, Any]) -> str | None:
        if body.get("aspect_ratio", "16:9") not in _ASPECTS:
            return f"Invalid aspect_ratio: {body.get('aspect_ratio')!r}"
        if body.get("resolution", "720p") not in _RESOLUTIONS:
            return f"Invalid resolution: {body.get('resolution')!r}"
        if body.get("duration", "5s") not in ("5s", "9s"):
            return f"Invalid duration: {body.get('duration')!r}; use 5s or 9s"
        keyframes = body.get("keyframes") or {}
        if not body.get("prompt") and not keyframes:
            return "A prompt or a keyframe is required"
        for name, frame in keyframes.items():
            if name not in ("frame0", "frame1") or not isinstance(frame, dict):
                return f"Invalid keyframe: {name}"
            if frame.get("type") == "image":
                if not str(frame.get("url") or "").startswith(("https://", "http://")):
                    return f"{name}: the image must be a URL"
            elif frame.get("type") == "generation":
                source = self.owner.generations.get(str(frame.get("id")))
                if (
                    source is None
                    or source.state != "completed"
                    or source.generation_type != "video"
                ):
                    return f"{name}: generation {frame.get('id')} is not a completed video"
            else:
                return f"{name}: type must be image or generation"
        return None

    def _modify(self, body: dict[str, Any]) -> None:
        model = str(body.get("model") or "")
        url = str((body.get("media") or {}).get("url") or "")
        if model not in _VIDEO_CENTS or body.get("mode") not in _MODES:
            self.send_failure(400, "Invalid model or mode for modify_video")
            return
        if not url.startswith(self.owner.root + "/files/"):
            self.send_failure(400, "media: could not fetch the video")
            return
        self._start("video", model, body, _VIDEO_CENTS[model])

    def _create_image(self, body: dict[str, Any]) -> None:
        model = str(body.get("model") or "")
        if model not in _IMAGE_CENTS:
            self.send_failure(400, f"Invalid model: {model!r}; use photon-1 or photon-flash-1")
        elif body.get("aspect_ratio", "16:9") not in _ASPECTS or not body.get("prompt"):
            self.send_failure(400, "A prompt and a valid aspect_ratio are required")
        else:
            self._start("image", model, body, _IMAGE_CENTS[model])

    def _list(self, query: dict[str, str]) -> None:
        limit, offset = int(query.get("limit", 100)), int(query.get("offset", 0))
        newest = sorted(self.owner.generations.values(), key=lambda g: g.created_at, reverse=True)
        page = [g.as_json() for g in newest[offset : offset + limit]]
        more = offset + limit < len(newest)
        listing = {"generations": page, "count": len(page), "has_more": more}
        self._send_json(200, listing | {"limit": limit, "offset": offset})
