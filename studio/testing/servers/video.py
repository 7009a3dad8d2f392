"""A real HTTP server on 127.0.0.1 that speaks the OpenAI Videos API, for tests.

Endpoints: `POST /v1/videos` (multipart, optional `input_reference` file), `GET /v1/videos`,
`GET /v1/videos/{id}` (progress moves on with every poll), `POST /v1/videos/{id}/remix`
(JSON), `POST /v1/videos/extensions` (multipart, `video[id]`),
`GET /v1/videos/{id}/content?variant=video|thumbnail|spritesheet`, `DELETE /v1/videos/{id}`.

Failures are scripted on the instance: `reject_words` (400 moderation_blocked),
`quota_exhausted` (429 insufficient_quota), `fail_words` (the job runs and fails with an
error payload), `expired` (404 on content), `hold` (jobs stop progressing), a wrong key
(401). Every request is recorded, and the most jobs running at once is kept.

Usage (or the `studio_video_server` fixture of `studio.testing.fixtures`)::

    from studio.testing.servers.video import VideoServer, server_clip

    with VideoServer(server_clip()) as server:
        ...  # a provider with base_url=server.base_url, api_key=server.api_key
"""

from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from studio.testing.servers.base import LocalHandler, LocalServer

__all__ = [
    "EXTEND_SECONDS",
    "SECONDS",
    "SIZES",
    "FakeVideo",
    "Recorded",
    "VideoServer",
    "server_clip",
]

SECONDS = ("4", "8", "12")
EXTEND_SECONDS = ("4", "8", "12", "16", "20")
SIZES = ("720x1280", "1280x720", "1024x1792", "1792x1024")


@dataclass
class FakeVideo:
    id: str
    prompt: str
    model: str
    seconds: str
    size: str
    created_at: int
    status: str = "queued"
    progress: int = 0
    completed_at: int | None = None
    expires_at: int | None = None
    error: dict[str, str] | None = None
    remixed_from_video_id: str | None = None
    reference: bytes | None = None
    reference_name: str | None = None
    reference_type: str | None = None
    polls: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "video",
            "created_at": self.created_at,
            "completed_at": self.completed_at,
            "expires_at": self.expires_at,
            "error": self.error,
            "model": self.model,
            "progress": self.progress,
            "prompt": self.prompt,
            "remixed_from_video_id": self.remixed_from_video_id,
            "seconds": self.seconds,
            "size": self.size,
            "status": self.status,
        }


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    fields: dict[str, Any] = field(default_factory=dict)


class VideoServer(LocalServer):
    """Start with `start()` (or as a context manager); `base_url` ends in `/v1`."""

    def __init__(
        self,
        clip: bytes,
        thumbnail: bytes = b"\xff\xd8\xff\xe0thumbnail\xff\xd9",
        *,
        api_key: str = "sk-test-video-key",
        steps: int = 2,
        poll_after_ms: int | None = 20,
    ) -> None:
        super().__init__(_Handler)
        self.clip = clip
        self.thumbnail = thumbnail
        self.api_key = api_key
        self.steps = steps  # polls from queued to completed
        self.poll_after_ms = poll_after_ms
        self.reject_words: tuple[str, ...] = ("violent",)
        self.fail_words: tuple[str, ...] = ("[fail]",)
        self.quota_exhausted = False
        self.expired = False
        self.fail_polls = 0  # the next n polls answer 503
        self.hold = threading.Event()  # set: jobs stop progressing
        self.videos: dict[str, FakeVideo] = {}
        self.deleted: list[str] = []
        self.requests: list[Recorded] = []
        self.max_running = 0
        self._lock = threading.Lock()
        self._next = 1

    # -- state ---------------------------------------------------------------------------

    def running(self) -> int:
        return sum(v.status in ("queued", "in_progress") for v in self.videos.values())

    def calls(self, method: str, prefix: str = "/v1/videos") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def _new_video(self, prompt: str, model: str, seconds: str, size: str) -> FakeVideo:
        video = FakeVideo(
            id=f"video_{self._next:04d}",
            prompt=prompt,
            model=model,
            seconds=seconds,
            size=size,
            created_at=int(time.time()),
        )
        self._next += 1
        self.videos[video.id] = video
        self.max_running = max(self.max_running, self.running())
        return video

    def _advance(self, video: FakeVideo) -> None:
        video.polls += 1
        if video.status not in ("queued", "in_progress") or self.hold.is_set():
            return
        video.progress = min(100, video.progress + max(1, 100 // self.steps))
        if video.progress < 100:
            video.status = "in_progress"
            return
        if any(word in video.prompt for word in self.fail_words):
            video.status = "failed"
            video.error = {
                "code": "video_generation_failed",
                "message": "The renderer ran out of memory",
            }
        else:
            video.status = "completed"
            video.completed_at = int(time.time())
            video.expires_at = video.completed_at + 3600


def _error(message: str, code: str | None, kind: str = "invalid_request_error") -> dict:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class _Handler(LocalHandler):
    owner: VideoServer

    def _send_bytes(self, data: bytes, mime: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {self.owner.api_key}":
            return True
        self._send_json(
            401,
            _error("Incorrect API key provided.", "invalid_api_key"),
            {"x-should-retry": "false"},
        )
        return False

    def _handle(self, method: str) -> None:
        server = self.owner
        url = urlsplit(self.path)
        body = self._read_bytes() if method == "POST" else b""
        try:
            fields = self._fields(body)
        except ValueError:
            fields = {}
        headers = {k.lower(): v for k, v in self.headers.items()}
        with server._lock:
            server.requests.append(Recorded(method, url.path, headers, fields))
        if not self._authorised():
            return
        parts = url.path.rstrip("/").split("/")
        if parts[:3] != ["", "v1", "videos"]:
            self._send_json(404, _error("Unknown path", "not_found"))
            return
        rest = parts[3:]
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with server._lock:
            route = (method, len(rest), rest[-1] if rest else "")
            if route == ("POST", 0, ""):
                self._create(fields)
            elif route == ("GET", 0, ""):
                videos = [v.as_json() for v in server.videos.values()]
                self._send_json(200, {"object": "list", "data": videos, "has_more": False})
            elif route == ("POST", 1, "extensions"):
                self._extend(fields)
            elif method == "GET" and len(rest) == 1:
                self._retrieve(rest[0])
            elif method == "DELETE" and len(rest) == 1:
                self._delete(rest[0])
            elif route == ("POST", 2, "remix"):
                self._remix(rest[0], fields)
            elif route == ("GET", 2, "content"):
                self._content(rest[0], query.get("variant", "video"))
            else:
                self._send_json(404, _error(f"No route for {method} {url.path}", "not_found"))

    # -- endpoints (called with the server's lock held) -----------------------------------

    def _refuse(self, prompt: str) -> bool:
        server = self.owner
        if server.quota_exhausted:
            self._send_json(
                429,
                _error(
                    "You exceeded your current quota, please check your plan and billing details.",
                    "insufficient_quota",
                    "insufficient_quota",
                ),
            )
            return True
        if any(word in prompt for word in server.reject_words):
            self._send_json(
                400,
                _error(
                    "Your request was blocked by our moderation system.",
                    "moderation_blocked",
                ),
            )
            return True
        return False

    def _create(self, fields: dict[str, Any]) -> None:
        prompt = str(fields.get("prompt") or "")
        seconds = str(fields.get("seconds") or "4")
        size = str(fields.get("size") or "720x1280")
        if not prompt:
            self._send_json(400, _error("Missing required parameter: 'prompt'.", "missing"))
            return
        if seconds not in SECONDS or size not in SIZES:
            self._send_json(400, _error(f"Invalid seconds/size: {seconds}/{size}", "invalid_value"))
            return
        if self._refuse(prompt):
            return
        video = self.owner._new_video(prompt, str(fields.get("model") or "sora-2"), seconds, size)
        reference = fields.get("input_reference")
        if isinstance(reference, dict):
            video.reference = reference["data"]
            video.reference_name = reference["filename"]
            video.reference_type = reference["content_type"]
        self._send_json(200, video.as_json())

    def _retrieve(self, video_id: str) -> None:
        if self.owner.fail_polls > 0:
            self.owner.fail_polls -= 1
            self._send_json(503, _error("The service is overloaded.", "overloaded", "server_error"))
            return
        video = self.owner.videos.get(video_id)
        if video is None:
            self._send_json(404, _error(f"Video {video_id} not found", "not_found"))
            return
        self.owner._advance(video)
        headers = {}
        if self.owner.poll_after_ms is not None:
            headers["openai-poll-after-ms"] = str(self.owner.poll_after_ms)
        self._send_json(200, video.as_json(), headers)

    def _source(self, video_id: str) -> FakeVideo | None:
        source = self.owner.videos.get(video_id)
        if source is None:
            self._send_json(404, _error(f"Video {video_id} not found", "not_found"))
            return None
        if source.status != "completed":
            self._send_json(400, _error(f"Video {video_id} is not completed", "invalid_state"))
            return None
        return source

    def _remix(self, video_id: str, fields: dict[str, Any]) -> None:
        source = self._source(video_id)
        prompt = str(fields.get("prompt") or "")
        if source is None or self._refuse(prompt):
            return
        video = self.owner._new_video(prompt, source.model, source.seconds, source.size)
        video.remixed_from_video_id = source.id
        self._send_json(200, video.as_json())

    def _extend(self, fields: dict[str, Any]) -> None:
        source = self._source(str(fields.get("video[id]") or ""))
        prompt = str(fields.get("prompt") or "")
        seconds = str(fields.get("seconds") or "")
        if source is None or self._refuse(prompt):
            return
        if seconds not in EXTEND_SECONDS:
            self._send_json(400, _error(f"Invalid seconds: {seconds}", "invalid_value"))
            return
        total = str(int(source.seconds) + int(seconds))
        video = self.owner._new_video(prompt, source.model, total, source.size)
        video.remixed_from_video_id = source.id
        self._send_json(200, video.as_json())

    def _content(self, video_id: str, variant: str) -> None:
        video = self.owner.videos.get(video_id)
        if video is None or self.owner.expired:
            self._send_json(404, _error("Video content has expired.", "video_expired"))
            return
        if video.status != "completed":
            self._send_json(400, _error("Video is not ready yet.", "invalid_state"))
            return
        if variant == "video":
            self._send_bytes(self.owner.clip, "video/mp4")
        elif variant in ("thumbnail", "spritesheet"):
            self._send_bytes(self.owner.thumbnail, "image/jpeg")
        else:
            self._send_json(400, _error(f"Unknown variant {variant}", "invalid_value"))

    def _delete(self, video_id: str) -> None:
        video = self.owner.videos.pop(video_id, None)
        if video is None:
            self._send_json(404, _error(f"Video {video_id} not found", "not_found"))
            return
        self.owner.deleted.append(video_id)
        self._send_json(200, {"id": video_id, "object": "video.deleted", "deleted": True})


_CLIPS: dict[tuple, bytes] = {}


def server_clip(seconds: float = 1.0, size: tuple[int, int] = (256, 144)) -> bytes:
    """A real H.264 + AAC MP4 made by ffmpeg (once per process and shape)."""
    key = (seconds, size)
    if key not in _CLIPS:
        from studio.testing.clips import make_test_clip

        with tempfile.TemporaryDirectory(prefix="video-server-") as folder:
            path = make_test_clip(Path(folder) / "clip.mp4", seconds, size, 25, faststart=True)
            _CLIPS[key] = path.read_bytes()
    return _CLIPS[key]
