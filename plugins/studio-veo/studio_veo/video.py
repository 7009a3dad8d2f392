"""The Veo video provider: `google-genai`'s `models.generate_videos` on Agent Platform.

Calls, all through the SDK's async client (`client.aio`), never by hand:

- `models.generate_videos(model, source, config)`: `POST {version}/publishers/google/models/
  {model}:predictLongRunning` (prefixed with `projects/{p}/locations/{l}/` when a project
  is given) with `{"instances": [{prompt, image, lastFrame, referenceImages, video}],
  "parameters": {durationSeconds, aspectRatio, resolution, generateAudio, ...}}`; the
  answer is a long-running operation `{"name": ".../operations/{id}"}`. Its name is the
  job's remote id, so a job started before Studio restarted is polled by it.
- `operations.get(operation)`: `POST .../models/{model}:fetchPredictOperation` with
  `{"operationName": name}` (operations.py, Agent Platform branch). Until `done` there is
  no progress to report. Done, it holds `error` (a google.rpc.Status), or `response` with
  `videos` (`bytesBase64Encoded` or `gcsUri`, `mimeType`) and `raiMediaFilteredCount` /
  `raiMediaFilteredReasons` when Google's safety filters kept clips back.
- On Agent Platform the clip comes inside the operation (the SDK's `files.download` is for
  the Gemini Developer API only), so `download` fetches the operation (or uses the one the
  last poll brought) and writes its bytes whole, or nothing. A result given as an https
  URL is streamed with `stream_to_file`; a `gs://` one needs Cloud Storage and is refused.
- `models.get(model)` for Settings' Test connection.

There is no call that stops a Veo job: `cancel` only stops waiting. Extension sends the
finished clip's bytes back as `source.video` (Veo 3.1 extends a 720p Veo clip by 7 s).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.ai.http_download import stream_to_file, write_whole
from studio.ai.video_provider import (
    Variant,
    VideoCapabilities,
    VideoError,
    VideoRequest,
    VideoStatus,
)
from studio_veo.connection import REFUSED, GoogleConnection, known
from studio_veo.models import DEFAULT_VIDEO_MODEL, video_capabilities
from studio_veo.veo_request import Picture, VeoCall, check_model, veo_call

if TYPE_CHECKING:
    from google.genai import types

__all__ = ["VeoProvider", "create_provider"]

log = logging.getLogger(__name__)

KEEP_FINISHED = 8  # finished operations kept in memory for their download
_MODEL_IN_NAME = re.compile(r"models/([^/]+)/operations/")
_TAKE = re.compile(r"video(?:-(\d+))?")


class VeoProvider:
    """Video jobs on Google Veo. Options (settings.json `video_providers.veo`, or flags):
    `model` (default veo-3.1-generate-001), `base_url` and `api_version` (another address
    for the API, e.g. a proxy or a test server), `key_name` (whose stored key to use;
    default the provider's name), `api_key_env` (a variable holding the key), `project` and
    `location` (a Google Cloud project signed in with Application Default Credentials,
    instead of a key), `timeout` (seconds per call)."""

    def __init__(self, *, name: str = "veo", model: str | None = None, **connection: Any) -> None:
        self.name = name
        self.model = model or DEFAULT_VIDEO_MODEL
        self.capabilities: VideoCapabilities = video_capabilities(self.model)
        self.google = GoogleConnection(
            name=name, platform="agent-platform", error=VideoError, **connection
        )
        self.base_url = self.google.address  # Settings shows it as the default address
        # Finished operations the last poll brought, clip bytes and all, for the download
        # that follows (after a restart `download` fetches the operation again).
        self._finished: dict[str, types.GenerateVideosOperation] = {}

    def __repr__(self) -> str:
        return f"VeoProvider(name={self.name!r}, host={self.google.host!r})"

    def capabilities_for(self, model: str | None) -> VideoCapabilities:
        return video_capabilities(model or self.model)

    async def aclose(self) -> None:
        self._finished.clear()
        await self.google.aclose()

    # -- jobs -----------------------------------------------------------------------------

    async def submit(self, request: VideoRequest) -> str:
        call = veo_call(request, self.model)  # refuses what the model cannot do, offline
        return await self._start(call, "submit")

    async def poll(self, remote_id: str) -> VideoStatus:
        operation = await self._operation(remote_id, "poll")
        model = model_of(remote_id)
        if not operation.done:
            return VideoStatus("in_progress", model=model)
        failure = self._failure(operation)
        if failure:
            self._finished.pop(remote_id, None)
            return VideoStatus("failed", error=failure[0], error_code=failure[1], model=model)
        self._finished[remote_id] = operation
        while len(self._finished) > KEEP_FINISHED:  # never downloaded (e.g. cancelled)
            self._finished.pop(next(iter(self._finished)))
        return VideoStatus("completed", 1.0, model=model, extra={"videos": len(_videos(operation))})

    async def download(self, remote_id: str, variant: Variant, dest: Path) -> Path:
        """`variant` "video" is the first clip; "video-2".."video-4" the others when a job
        asked for several (option `number_of_videos`)."""
        match = _TAKE.fullmatch(str(variant))
        if match is None:
            raise VideoError("unsupported", f"Veo makes no {variant}; only the video itself.")
        take = int(match.group(1) or 1)
        operation = self._finished.pop(remote_id, None) or await self._operation(
            remote_id, "download"
        )
        failure = self._failure(operation) if operation.done else None
        if not operation.done or failure:
            raise VideoError("failed", failure[0] if failure else f"{remote_id} is not finished.")
        videos = _videos(operation)
        if take > len(videos):
            raise VideoError("not_found", f"The job made {len(videos)} video(s), not {take}.")
        video = videos[take - 1]
        dest = Path(dest)
        if video.video_bytes:
            await asyncio.to_thread(write_whole, dest, video.video_bytes)
        elif video.uri and video.uri.startswith(("https://", "http://")):
            headers = {"x-goog-api-key": self.google.key} if self.google.key else {}
            await stream_to_file(video.uri, dest, headers=headers, error=VideoError)
        else:
            raise VideoError(
                "unsupported",
                f"Google wrote the clip to {video.uri or 'somewhere Studio cannot read'}; "
                "Studio reads clips Google sends back itself.",
            )
        return dest

    async def cancel(self, remote_id: str) -> None:
        """Google's API has no call that stops a Veo job: Studio stops waiting for it."""
        self._finished.pop(remote_id, None)
        log.info("Veo cannot stop %s on Google; no longer waiting for it", remote_id)

    async def remix(self, remote_id: str, prompt: str) -> str:
        raise VideoError(
            "unsupported", "Veo cannot remix a clip: extend it, or start anew from its last frame."
        )

    async def extend(self, remote_id: str, prompt: str, seconds: int) -> str:
        model = model_of(remote_id) or self.model
        check_model(model)
        caps = video_capabilities(model)
        if not caps.extend:
            raise VideoError(
                "unsupported", f"{model} cannot extend clips; try veo-3.1-generate-001."
            )
        if int(seconds) not in caps.extend_durations:
            choices = ", ".join(f"{s} s" for s in caps.extend_durations)
            raise VideoError("bad_request", f"Veo extends a clip by {choices}, not {seconds} s.")
        source = self._finished.get(remote_id) or await self._operation(remote_id, "extend")
        videos = _videos(source) if source.done else []
        if not videos or not videos[0].video_bytes:
            raise VideoError("not_found", f"{remote_id} has no finished clip to extend.")
        call = VeoCall(
            model=model,
            source={"prompt": prompt, "video": videos[0]},
            config={"generate_audio": True},
        )
        return await self._start(call, "extension")

    async def check(self) -> None:
        """One cheap authenticated call (reading the model) for Settings' Test connection."""
        client = await self.google.client()
        await self.google.call(client.models.get(model=self.model), "connection test", self.model)

    # -- the SDK --------------------------------------------------------------------------

    async def _start(self, call: VeoCall, action: str) -> str:
        client = await self.google.client()
        from google.genai import types

        source = types.GenerateVideosSource(**_sdk_values(call.source, types))
        config = types.GenerateVideosConfig(**_sdk_values(call.config, types))
        operation = await self.google.call(
            client.models.generate_videos(model=call.model, source=source, config=config), action
        )
        if not operation.name:
            raise VideoError("server", "Google accepted the job but gave it no name.")
        return operation.name

    async def _operation(self, remote_id: str, action: str) -> types.GenerateVideosOperation:
        client = await self.google.client()
        from google.genai import types

        operation = types.GenerateVideosOperation(name=remote_id)
        return await self.google.call(client.operations.get(operation), action, remote_id)

    def _failure(self, operation: types.GenerateVideosOperation) -> tuple[str, str] | None:
        """(sentence, code) for a finished operation that brought no clip, else None."""
        if operation.error:
            detail = self.google.clean(str(operation.error.get("message") or "no reason given"))
            detail = detail.rstrip(".")
            if REFUSED.search(detail):
                return f"Google refused the prompt: {detail}.", "rejected"
            return f"The video failed on Google: {detail}.", str(operation.error.get("code", ""))
        if _videos(operation):
            return None
        response = operation.response
        if response is not None and response.rai_media_filtered_count:
            reasons = "; ".join(response.rai_media_filtered_reasons or ()) or "no reason given"
            return (
                f"Google's safety filters kept the clip back ({reasons.rstrip('.')}): "
                "rephrase the prompt or change the pictures.",
                "rai_filtered",
            )
        return "Google finished the job but sent no video.", "empty"


def model_of(remote_id: str) -> str | None:
    """The model in an operation's name (`.../models/{model}/operations/{id}`)."""
    match = _MODEL_IN_NAME.search(remote_id)
    return match.group(1) if match else None


def _videos(operation: types.GenerateVideosOperation) -> list[types.Video]:
    response = operation.response or operation.result
    generated = (response.generated_videos or []) if response else []
    return [g.video for g in generated if g.video is not None]


def _sdk_values(values: Mapping[str, Any], types: Any) -> dict[str, Any]:
    """The call's values with pictures as the SDK's `Image` and references wrapped."""

    def image(p: Picture) -> types.Image:
        return types.Image(image_bytes=p.data, mime_type=p.mime)

    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Picture):
            out[key] = image(value)
        elif key == "reference_images":
            out[key] = [
                types.VideoGenerationReferenceImage(image=image(p), reference_type="ASSET")
                for p in value
            ]
        else:
            out[key] = value
    return out


def create_provider(options: Mapping[str, Any]) -> VeoProvider:
    """The factory registered with the plugin host: options it does not know are ignored."""
    return VeoProvider(**known(options, "name", "model"))
