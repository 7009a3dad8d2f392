"""fal's picture models: endpoints, input names, what each can do and costs.

From each model's page on fal (fal.ai/models/<endpoint>/api) as read in late 2026. A model
id not listed is sent as it is with the inputs most fal image models share (`prompt`,
`image_size` {width, height}, `num_images`, `seed`, `image_urls` for input pictures).
Prices are fal's list prices (per image, or per megapixel for FLUX); Settings can override
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from studio.ai.formats import nearest_aspect, parse_size
from studio.ai.image_provider import ImageCapabilities, ImagePrice, ImageRequest
from studio_fal.catalog import find_model

__all__ = ["DEFAULT_IMAGE_MODEL", "IMAGE_MODELS", "ImageModel", "image_model"]

SizeStyle = Literal["image_size", "aspect_ratio"]
_SIZES = ("1024x1024", "1280x720", "720x1280", "1024x768", "768x1024")
_ASPECTS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9")


@dataclass(frozen=True)
class ImageModel:
    id: str
    title: str
    text: str | None  # endpoint for a prompt alone (None: it needs a picture)
    edit: str | None = None  # endpoint when input pictures are given
    inputs: str = "image_urls"  # the input pictures' field ("image_url": one picture)
    max_inputs: int = 0
    sizes: tuple[str, ...] = _SIZES
    size_as: SizeStyle = "aspect_ratio"
    max_count: int = 4
    seed: bool = False
    transparent: bool = False  # its pictures have a transparent background
    prompt: bool = True  # takes a prompt
    per_image: float = 0.0
    per_megapixel: float = 0.0
    known: bool = True

    @property
    def endpoints(self) -> tuple[str, ...]:
        return tuple(e for e in (self.text, self.edit) if e)

    def capabilities(self, models: tuple[str, ...], prices: dict[str, ImagePrice]):
        return ImageCapabilities(
            sizes=self.sizes,
            models=models,
            transparent=self.transparent,
            edit=self.edit is not None,
            max_inputs=self.max_inputs,
            max_count=self.max_count,
            seed=self.seed,
            prices=prices,
        )

    @property
    def price(self) -> ImagePrice:
        by_size = {"": round(self.per_image + self.per_megapixel * 1.05, 4)}
        for size in self.sizes:
            width, height = parse_size(size) or (1024, 1024)
            by_size[size] = round(self.per_image + self.per_megapixel * width * height / 1e6, 4)
        return ImagePrice(per_image=by_size)

    def arguments(self, request: ImageRequest) -> dict[str, Any]:
        """The request's inputs by this model's names (not the pictures: they are URLs)."""
        arguments: dict[str, Any] = {}
        if self.prompt:
            arguments["prompt"] = request.prompt
        if self.max_count > 1:
            arguments["num_images"] = request.count
        if request.seed is not None and self.seed:
            arguments["seed"] = int(request.seed)
        if request.size and self.sizes:
            if self.size_as == "image_size":
                width, height = parse_size(request.size) or (1024, 1024)
                arguments["image_size"] = {"width": width, "height": height}
            else:
                arguments["aspect_ratio"] = nearest_aspect(request.size, _ASPECTS) or "1:1"
        return arguments


def _flux(variant: str, title: str, per_megapixel: float) -> ImageModel:
    """FLUX.1: sizes in pixels, priced by the megapixel."""
    endpoint = f"fal-ai/flux-1/{variant}"
    return ImageModel(
        id=endpoint,
        title=title,
        text=endpoint,
        size_as="image_size",
        seed=True,
        per_megapixel=per_megapixel,
    )


IMAGE_MODELS: tuple[ImageModel, ...] = (
    _flux("dev", "FLUX.1 [dev]", per_megapixel=0.025),
    _flux("schnell", "FLUX.1 [schnell]", per_megapixel=0.003),
    ImageModel(
        id="fal-ai/flux-pro/kontext",
        title="FLUX.1 Kontext [pro]",
        text="fal-ai/flux-pro/kontext/text-to-image",
        edit="fal-ai/flux-pro/kontext",
        inputs="image_url",
        max_inputs=1,
        seed=True,
        per_image=0.04,
    ),
    ImageModel(
        id="google/nano-banana-2.1",
        title="Gemini image (Nano Banana 2.1)",
        text="google/nano-banana-2.1",
        edit="google/nano-banana-2.1/edit",
        max_inputs=14,
        per_image=0.04,  # about $0.040 at 1K: billed by tokens
    ),
    ImageModel(
        id="fal-ai/imagen4/preview",
        title="Imagen 4",
        text="fal-ai/imagen4/preview",
        seed=True,
        per_image=0.04,
    ),
    ImageModel(
        id="fal-ai/bria/background/remove",
        title="Remove background (Bria)",
        text=None,
        edit="fal-ai/bria/background/remove",
        inputs="image_url",
        max_inputs=1,
        sizes=(),
        max_count=1,
        transparent=True,
        prompt=False,
        per_image=0.018,
    ),
)

DEFAULT_IMAGE_MODEL = "fal-ai/flux-1/dev"


def image_model(model_id: str) -> ImageModel:
    """The model `model_id` names, or one with the common inputs for an unknown id."""
    model_id = model_id.strip().strip("/")
    return find_model(model_id, IMAGE_MODELS) or ImageModel(
        id=model_id,
        title=model_id,
        text=model_id,
        edit=model_id,
        max_inputs=4,
        size_as="image_size",
        seed=True,
        known=False,
    )
