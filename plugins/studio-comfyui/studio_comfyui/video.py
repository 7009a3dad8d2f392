"""The video provider "comfyui": clips from the person's own ComfyUI server.

A model is one of Studio's workflow templates (`wan2.2-ti2v-5b`, `wan2.2-i2v-14b`,
`ltxv-2b-0.9.8`) or `custom`, the person's own workflow exported in API format (option
`workflow`, a path) with its inputs marked by node title (see `studio_comfyui.workflow`).

Making the provider and reading its capabilities do no network I/O: the HTTP client and the
websocket are made at the first call. Reading a custom workflow's marks reads that local
file once.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from studio.ai.http_download import stream_to_file
from studio.ai.video_provider import (
    Variant,
    VideoCapabilities,
    VideoError,
    VideoPrice,
    VideoRequest,
    VideoStatus,
)
from studio_comfyui.jobs import ComfyJobs, JobState
from studio_comfyui.templates import CUSTOM, load_template, offer, template_names
from studio_comfyui.workflow import Inputs, Workflow, WorkflowError, parse_size

__all__ = ["DEFAULT_MODEL", "ComfyVideoProvider", "create_provider"]

DEFAULT_MODEL = "wan2.2-ti2v-5b"
_VIDEO = {".mp4", ".webm", ".mov", ".mkv"}
# A ComfyUI runs on the person's own GPU: Studio charges nothing for it. Settings can set a
# price per second (electricity, a rented GPU) that overrides this one.
_FREE = VideoPrice(per_second=0.0)
# What the form offers for a person's own workflow that marks its length and size.
_CUSTOM_DEFAULTS = {
    "durations": (2, 3, 4, 5, 6, 8, 10),
    "sizes": ("1280x720", "720x1280", "832x480", "480x832", "1024x1024"),
}


class ComfyVideoProvider:
    """Options: `base_url` (default http://127.0.0.1:8188), `model` (a template or
    `custom`), `workflow` (the path of the person's API-format workflow), `api_key` /
    `key_name` (a token for a login in front of ComfyUI), `timeout`, `poll_interval`,
    `poll_wait`."""

    def __init__(
        self,
        *,
        name: str = "comfyui",
        base_url: str | None = None,
        model: str | None = None,
        workflow: str | None = None,
        api_key: str | None = None,
        key_name: str | None = None,
        timeout: float = 30.0,
        poll_interval: float = 1.0,
        poll_wait: float = 2.0,
    ) -> None:
        self.name = name
        self.workflow_path = Path(workflow).expanduser() if workflow else None
        self.model = model or (CUSTOM if self.workflow_path else DEFAULT_MODEL)
        self.jobs = ComfyJobs(
            base_url=base_url,
            api_key=api_key,
            key_name=key_name,
            timeout=timeout,
            poll_interval=poll_interval,
            poll_wait=poll_wait,
            error=VideoError,
        )
        self._models = template_names("video") + ((CUSTOM,) if self.workflow_path else ())
        self._custom: Workflow | None = None
        self._capabilities: dict[str, VideoCapabilities] = {}

    def __repr__(self) -> str:
        return f"ComfyVideoProvider(name={self.name!r}, base_url={self.jobs.base_url!r})"

    # -- what it can do -----------------------------------------------------------------

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
            workflow = self._workflow(model, with_image=False)
        except VideoError:  # the form offers little; submit says what is wrong
            return VideoCapabilities(durations=(), sizes=(), **common)
        defaults = workflow.meta if model != CUSTOM else _CUSTOM_DEFAULTS
        can = offer(workflow, defaults)
        return VideoCapabilities(
            durations=can["durations"],
            sizes=can["sizes"],
            image_reference=can["image"],
            last_frame=can["last_frame"],
            negative_prompt=can["negative"],
            seed=can["seed"],
            **common,
        )

    def _workflow(self, model: str, *, with_image: bool) -> Workflow:
        try:
            if model != CUSTOM:
                if model not in template_names("video"):
                    known = ", ".join(template_names("video"))
                    raise VideoError(
                        "bad_request", f"ComfyUI has no template {model!r} in Studio: pick {known}."
                    )
                return load_template(model, with_image=with_image)
            if self.workflow_path is None:
                raise VideoError(
                    "bad_request",
                    "The model 'custom' needs a workflow: set the option `workflow` to your "
                    "workflow exported from ComfyUI with Export (API).",
                )
            if self._custom is None:
                self._custom = Workflow.load(self.workflow_path)
            return self._custom
        except WorkflowError as exc:
            raise VideoError("bad_request", str(exc)) from None

    # -- jobs ---------------------------------------------------------------------------

    async def submit(self, request: VideoRequest) -> str:
        if not request.prompt.strip():
            raise VideoError("bad_request", "The prompt is empty: say what the clip should show.")
        model = request.model or self.model
        workflow = self._workflow(model, with_image=bool(request.image))
        if workflow.meta.get("needs_image") and not request.image:
            raise VideoError(
                "bad_request", f"{model} makes a clip from a picture: give it a first frame."
            )
        for mark, given, words in (
            ("image", request.image, "first frame"),
            ("last_frame", request.last_frame, "last frame"),
        ):
            if given and not workflow.marked(mark):
                raise VideoError(
                    "unsupported",
                    f"The workflow {workflow.name} takes no {words}: mark a Load Image node "
                    f'"studio:{mark}" in ComfyUI to use one.',
                )
        size = parse_size(request.size)
        if request.size and size is None:
            raise VideoError("bad_request", f"The size {request.size!r} is not WIDTHxHEIGHT.")
        inputs = Inputs(
            prompt=request.prompt.strip(),
            negative=request.negative_prompt,
            seconds=float(request.seconds) if request.seconds else None,
            size=size,
            # ComfyUI caches a node whose inputs did not change: a new seed makes a new clip.
            seed=request.seed if request.seed is not None else random.randrange(2**32),
        )
        pictures = {"image": request.image or b"", "last_frame": request.last_frame or b""}
        return await self.jobs.submit(workflow, inputs, pictures)

    async def poll(self, remote_id: str) -> VideoStatus:
        state = await self.jobs.status(remote_id)
        return _video_status(state)

    async def download(self, remote_id: str, variant: Variant, dest: Path) -> Path:
        if variant != "video":
            raise VideoError("unsupported", f"ComfyUI workflows make no {variant}, only the video.")
        files = await self.jobs.files(remote_id)
        videos = [f for f in files if f.suffix in _VIDEO] or [
            f for f in files if f.suffix in {".webp", ".gif"}
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

    async def check(self) -> None:
        await self.jobs.check()

    async def aclose(self) -> None:
        await self.jobs.aclose()


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


_OPTIONS = {
    "name",
    "base_url",
    "model",
    "workflow",
    "api_key",
    "key_name",
    "timeout",
    "poll_interval",
    "poll_wait",
}


def create_provider(options: Mapping[str, Any]) -> ComfyVideoProvider:
    """The factory registered with the plugin host: unknown options are ignored."""
    return ComfyVideoProvider(**{k: v for k, v in options.items() if k in _OPTIONS})
