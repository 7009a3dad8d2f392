"""The image provider "comfyui-images": pictures from the person's own ComfyUI server.

Models are Studio's picture templates (`sdxl-1.0`, `flux1-dev`; each has a
picture-to-picture variant used when the request brings an input picture) or `custom`, the
person's own workflow (option `workflow`). The job runs as a video job does (see
`studio_comfyui.jobs`), and `generate` waits for it, then fetches the saved pictures from
`/view`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from studio.ai.image_provider import (
    ImageCapabilities,
    ImageError,
    ImagePrice,
    ImageRequest,
    ImageResult,
)
from studio_comfyui.jobs import ComfyJobs
from studio_comfyui.templates import CUSTOM, load_template, offer, template_names
from studio_comfyui.workflow import Inputs, Workflow, WorkflowError, parse_size

__all__ = ["DEFAULT_MODEL", "ComfyImageProvider", "create_image_provider"]

DEFAULT_MODEL = "sdxl-1.0"
_PICTURES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}
_FREE = ImagePrice(per_image={"": 0.0})  # the person's own GPU; Settings may set a price


class ComfyImageProvider:
    """Options: `base_url`, `model`, `workflow`, `api_key` / `key_name`, `timeout`,
    `generate_timeout` (how long `generate` waits for the pictures), `poll_interval`,
    `poll_wait`."""

    def __init__(
        self,
        *,
        name: str = "comfyui-images",
        base_url: str | None = None,
        model: str | None = None,
        workflow: str | None = None,
        api_key: str | None = None,
        key_name: str | None = None,
        timeout: float = 30.0,
        generate_timeout: float = 900.0,
        poll_interval: float = 1.0,
        poll_wait: float = 2.0,
    ) -> None:
        self.name = name
        self.workflow_path = Path(workflow).expanduser() if workflow else None
        self.model = model or (CUSTOM if self.workflow_path else DEFAULT_MODEL)
        self.generate_timeout = generate_timeout
        self.jobs = ComfyJobs(
            base_url=base_url,
            api_key=api_key,
            key_name=key_name,
            timeout=timeout,
            poll_interval=poll_interval,
            poll_wait=poll_wait,
            error=ImageError,
        )
        self._models = template_names("image") + ((CUSTOM,) if self.workflow_path else ())
        self._custom: Workflow | None = None

    @property
    def capabilities(self) -> ImageCapabilities:
        return self.capabilities_for(self.model)

    def capabilities_for(self, model: str | None = None) -> ImageCapabilities:
        common: dict[str, Any] = {
            "models": self._models,
            "prices": dict.fromkeys(self._models, _FREE),
        }
        try:
            workflow = self._workflow(model or self.model, with_image=False)
        except ImageError:
            return ImageCapabilities(sizes=(), **common)
        can = offer(workflow, workflow.meta)
        batched = bool(workflow.marked("count") or workflow.marked("size"))
        return ImageCapabilities(
            sizes=can["sizes"],
            edit=can["image"],
            max_inputs=1 if can["image"] else 0,
            max_count=4 if batched else 1,
            seed=can["seed"],
            **common,
        )

    def _workflow(self, model: str, *, with_image: bool) -> Workflow:
        try:
            if model == CUSTOM:
                if self.workflow_path is None:
                    raise ImageError(
                        "bad_request",
                        "The model 'custom' needs a workflow: set the option `workflow` to your "
                        "workflow exported from ComfyUI with Export (API).",
                    )
                if self._custom is None:
                    self._custom = Workflow.load(self.workflow_path)
                return self._custom
            if model not in template_names("image"):
                known = ", ".join(template_names("image"))
                raise ImageError(
                    "bad_request", f"ComfyUI has no picture template {model!r}: pick {known}."
                )
            return load_template(model, with_image=with_image)
        except WorkflowError as exc:
            raise ImageError("bad_request", str(exc)) from None

    async def generate(self, request: ImageRequest) -> list[ImageResult]:
        if not request.prompt.strip():
            raise ImageError(
                "bad_request", "The prompt is empty: say what the picture should show."
            )
        picture = request.inputs[0] if request.inputs else None
        workflow = self._workflow(request.model or self.model, with_image=bool(picture))
        if picture and not workflow.marked("image"):
            raise ImageError(
                "unsupported",
                f"The workflow {workflow.name} takes no picture: mark a Load Image node "
                '"studio:image".',
            )
        if workflow.meta.get("needs_image") and not picture:
            raise ImageError("bad_request", f"{workflow.name} changes a picture: give it one.")
        size = parse_size(request.size)
        inputs = Inputs(
            prompt=request.prompt.strip(),
            negative=request.options.get("negative_prompt"),
            size=size,
            seed=request.seed if request.seed is not None else random.randrange(2**32),
            count=max(1, request.count),
        )
        remote_id = await self.jobs.submit(workflow, inputs, {"image": picture or b""})
        try:
            state = await self.jobs.wait(remote_id, self.generate_timeout)
        except TimeoutError:
            await self.jobs.cancel(remote_id)
            raise ImageError(
                "unreachable",
                f"ComfyUI made no picture in {self.generate_timeout:.0f} s; the job was stopped.",
            ) from None
        if state.status == "failed":
            raise ImageError(state.error_kind or "failed", state.error or "The picture failed.")
        client = await self.jobs.connect()
        pictures = [f for f in state.files if f.suffix in _PICTURES]
        if not pictures:
            raise ImageError(
                "failed", "The workflow saved no picture: end it with a Save Image node."
            )
        return [ImageResult(await client.fetch(f), _PICTURES[f.suffix]) for f in pictures]

    async def check(self) -> None:
        await self.jobs.check()

    async def aclose(self) -> None:
        await self.jobs.aclose()


_OPTIONS = {
    "name",
    "base_url",
    "model",
    "workflow",
    "api_key",
    "key_name",
    "timeout",
    "generate_timeout",
    "poll_interval",
    "poll_wait",
}


def create_image_provider(options: Mapping[str, Any]) -> ComfyImageProvider:
    """The factory registered with the plugin host: unknown options are ignored."""
    return ComfyImageProvider(**{k: v for k, v in options.items() if k in _OPTIONS})
