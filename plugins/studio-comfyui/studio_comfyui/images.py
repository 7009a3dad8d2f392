"""The image provider "comfyui-images": pictures from the person's own ComfyUI server.

Models are Studio's picture templates (`sdxl-1.0`, `flux1-dev`; each has a
picture-to-picture variant used when the request brings an input picture) or `custom`, the
person's own workflow (option `workflow`). The job runs as a video job does (see
`studio_comfyui.jobs`), and `generate` waits for it, then fetches the saved pictures from
`/view`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from studio.ai.formats import parse_size
from studio.ai.image_provider import (
    ImageCapabilities,
    ImageError,
    ImagePrice,
    ImageRequest,
    ImageResult,
)
from studio_comfyui.base import ComfyProvider, new_seed, pick_options
from studio_comfyui.templates import offer
from studio_comfyui.workflow import Inputs

__all__ = ["ComfyImageProvider", "create_image_provider"]

_PICTURES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}
_FREE = ImagePrice(per_image={"": 0.0})  # the person's own GPU; Settings may set a price


class ComfyImageProvider(ComfyProvider):
    """Pictures through ComfyUI; options as `ComfyProvider` says, and `generate_timeout`
    (how long `generate` waits for the pictures, 900 s)."""

    kind = "image"
    default_model = "sdxl-1.0"
    error = ImageError
    pictures = {"image": "picture to change"}

    def __init__(
        self, *, name: str = "comfyui-images", generate_timeout: float = 900.0, **options: Any
    ) -> None:
        super().__init__(name=name, **options)
        self.generate_timeout = generate_timeout

    @property
    def capabilities(self) -> ImageCapabilities:
        return self.capabilities_for(self.model)

    def capabilities_for(self, model: str | None = None) -> ImageCapabilities:
        common: dict[str, Any] = {
            "models": self._models,
            "prices": dict.fromkeys(self._models, _FREE),
        }
        try:
            workflow = self.workflow(model, with_image=False)
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

    async def generate(self, request: ImageRequest) -> list[ImageResult]:
        if not request.prompt.strip():
            raise ImageError(
                "bad_request", "The prompt is empty: say what the picture should show."
            )
        picture = request.inputs[0] if request.inputs else b""
        workflow = self.workflow(request.model, with_image=bool(picture))
        self.check_pictures(workflow, {"image": picture})
        inputs = Inputs(
            prompt=request.prompt.strip(),
            negative=request.options.get("negative_prompt"),
            size=parse_size(request.size),
            seed=new_seed(request.seed),
            count=max(1, request.count),
        )
        remote_id = await self.jobs.submit(workflow, inputs, {"image": picture})
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
        pictures = [f for f in state.files if f.suffix in _PICTURES]
        if not pictures:
            raise ImageError(
                "failed", "The workflow saved no picture: end it with a Save Image node."
            )
        client = await self.jobs.connect()
        return [ImageResult(await client.fetch(f), _PICTURES[f.suffix]) for f in pictures]


def create_image_provider(options: Mapping[str, Any]) -> ComfyImageProvider:
    """The factory registered with the plugin host: unknown options are ignored."""
    return ComfyImageProvider(**pick_options(options, "generate_timeout"))
