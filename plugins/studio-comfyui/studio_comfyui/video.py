"""The video provider "comfyui": clips from the person's own ComfyUI server.

A model is one of Studio's workflow templates (`wan2.2-ti2v-5b`, `wan2.2-i2v-14b`,
`ltxv-2b-0.9.8`) or `custom`, the person's own workflow exported in API format (option
`workflow`) with its inputs marked by node title (see `studio_comfyui.workflow`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from studio.ai.formats import parse_size
from studio.ai.http_download import stream_to_file
from studio.ai.video_provider import (
    Variant,
    VideoCapabilities,
    VideoError,
    VideoPrice,
    VideoRequest,
    VideoStatus,
)
from studio_comfyui.base import ComfyProvider, new_seed, pick_options
from studio_comfyui.jobs import JobState
from studio_comfyui.templates import CUSTOM, offer
from studio_comfyui.workflow import Inputs

__all__ = ["ComfyVideoProvider", "create_provider"]

_VIDEO = {".mp4", ".webm", ".mov", ".mkv"}
_ANIMATED = {".webp", ".gif"}
# A ComfyUI runs on the person's own GPU: Studio charges nothing for it. Settings can set a
# price per second (electricity, a rented GPU) that overrides this one.
_FREE = VideoPrice(per_second=0.0)
# What the form offers for a person's own workflow that marks its length and size.
_CUSTOM_DEFAULTS = {
    "durations": (2, 3, 4, 5, 6, 8, 10),
    "sizes": ("1280x720", "720x1280", "832x480", "480x832", "1024x1024"),
}


class ComfyVideoProvider(ComfyProvider):
    """Clips through ComfyUI; options as `ComfyProvider` says."""

    kind = "video"
    default_model = "wan2.2-ti2v-5b"
    error = VideoError
    pictures = {"image": "first frame", "last_frame": "last frame"}

    def __init__(self, *, name: str = "comfyui", **options: Any) -> None:
        super().__init__(name=name, **options)
        self._capabilities: dict[str, VideoCapabilities] = {}

    @property
    def capabilities(self) -> VideoCapabilities:
        return self.capabilities_for(self.model)

    def capabilities_for(self, model: str | None = None) -> VideoCapabilities:
        """What a template (or the custom workflow's marks) offers; the templates ship with
        the plugin, and a custom workflow is a local file read once."""
        model = model or self.model
        if model not in self._capabilities:
            self._capabilities[model] = self._make_capabilities(model)
        return self._capabilities[model]

    def _make_capabilities(self, model: str) -> VideoCapabilities:
        common: dict[str, Any] = {
            "models": self._models,
            "remote_cancel": True,
            "prices": dict.fromkeys(self._models, _FREE),
        }
        try:
            workflow = self.workflow(model, with_image=False)
        except VideoError:  # the form offers little; submit says what is wrong
            return VideoCapabilities(durations=(), sizes=(), **common)
        can = offer(workflow, workflow.meta if model != CUSTOM else _CUSTOM_DEFAULTS)
        return VideoCapabilities(
            durations=can["durations"],
            sizes=can["sizes"],
            image_reference=can["image"],
            last_frame=can["last_frame"],
            negative_prompt=can["negative"],
            seed=can["seed"],
            **common,
        )

    # -- jobs ---------------------------------------------------------------------------

    async def submit(self, request: VideoRequest) -> str:
        if not request.prompt.strip():
            raise VideoError("bad_request", "The prompt is empty: say what the clip should show.")
        workflow = self.workflow(request.model, with_image=bool(request.image))
        pictures = {"image": request.image or b"", "last_frame": request.last_frame or b""}
        self.check_pictures(workflow, pictures)
        size = parse_size(request.size)
        if request.size and size is None:
            raise VideoError("bad_request", f"The size {request.size!r} is not WIDTHxHEIGHT.")
        inputs = Inputs(
            prompt=request.prompt.strip(),
            negative=request.negative_prompt,
            seconds=float(request.seconds) if request.seconds else None,
            size=size,
            seed=new_seed(request.seed),
        )
        return await self.jobs.submit(workflow, inputs, pictures)

    async def poll(self, remote_id: str) -> VideoStatus:
        return _video_status(await self.jobs.status(remote_id))

    async def download(self, remote_id: str, variant: Variant, dest: Path) -> Path:
        if variant != "video":
            raise VideoError("unsupported", f"ComfyUI workflows make no {variant}, only the video.")
        files = await self.jobs.files(remote_id)
        videos = [f for f in files if f.suffix in _VIDEO] or [
            f for f in files if f.suffix in _ANIMATED
        ]
        if not videos:
            raise VideoError(
                "failed",
                "The workflow saved no video (only pictures): end it with a Save Video node.",
            )
        client = await self.jobs.connect()
        return await stream_to_file(
            client.view_url(videos[0]), Path(dest), headers=client.headers, error=VideoError
        )

    async def cancel(self, remote_id: str) -> None:
        await self.jobs.cancel(remote_id)

    async def remix(self, remote_id: str, prompt: str) -> str:
        raise VideoError("unsupported", "ComfyUI workflows cannot remix a clip: generate anew.")

    async def extend(self, remote_id: str, prompt: str, seconds: int) -> str:
        raise VideoError(
            "unsupported", "ComfyUI workflows cannot extend a clip: continue from its last frame."
        )


def _video_status(state: JobState) -> VideoStatus:
    extra: dict[str, Any] = {}
    if state.position is not None:
        extra["queue_position"] = state.position
    return VideoStatus(
        status=state.status,
        progress=state.progress,
        error=state.error,
        error_code=state.error_kind,
        poll_after=state.poll_after,
        extra=extra,
    )


def create_provider(options: Mapping[str, Any]) -> ComfyVideoProvider:
    """The factory registered with the plugin host: unknown options are ignored."""
    return ComfyVideoProvider(**pick_options(options))
