"""What each model of the OpenAI Images API can do and costs, for forms and estimates.

Sources, as of December 2026:

- Models, sizes, inputs and parameters: the API reference for `POST /v1/images/generations`
  and `POST /v1/images/edits` (developers.openai.com/api/docs/api-reference/images), as the
  `openai` package's `resources/images.py` carries it. GPT image models take up to 16
  input pictures, a mask for the first, `background="transparent"` with PNG or WebP
  output, `n` from 1 to 10, the sizes 1024x1024, 1536x1024 and 1024x1536 (gpt-image-2 and
  later any multiple of 16 up to 3840x2160), and no `response_format` (they always answer
  `b64_json`). `gpt-image-1` was shut down on 2026-10-23 and DALL·E 2 and 3 were retired on
  2026-05-12: OpenAI no longer offers them, gateways and local servers may.
- Prices per picture: OpenAI's price list (developers.openai.com/api/docs/pricing, "Image
  generation"), by quality and size. gpt-image-2 and later are billed by tokens only and
  have no price per picture there, so Studio shows no estimate for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from studio.ai.image_provider import ImageCapabilities, ImagePrice

__all__ = [
    "GPT_SIZES",
    "LEGACY_MODELS",
    "MODELS",
    "ModelInfo",
    "TODAYS_MODELS",
    "model_info",
]

GPT_SIZES = ("1024x1024", "1536x1024", "1024x1536")
_SQUARE, _WIDE, _TALL = GPT_SIZES


def _by_size(square: float, other: float) -> dict[str, float]:
    return {_SQUARE: square, _WIDE: other, _TALL: other}


@dataclass(frozen=True)
class ModelInfo:
    """One model: what a request may carry, and its price per picture by quality."""

    sizes: tuple[str, ...] = GPT_SIZES
    transparent: bool = True
    edit: bool = True
    mask: bool = True
    max_inputs: int = 16
    max_count: int = 10
    qualities: tuple[str, ...] = ("low", "medium", "high")
    default_quality: str | None = "medium"
    response_format: bool = False  # whether it takes `response_format` (url / b64_json)
    output_format: bool = True  # whether it takes `output_format` and `background`
    prices: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # quality -> size

    def quality(self, wanted: str | None) -> str | None:
        """The quality to ask for: `wanted` when the model has it, else its default."""
        return wanted if wanted in self.qualities else self.default_quality

    def capabilities(
        self, models: Sequence[str], quality: str | None, sizes: Sequence[str] | None = None
    ) -> ImageCapabilities:
        chosen = self.quality(quality)
        per_size = self.prices.get(chosen or "", {})
        return ImageCapabilities(
            sizes=tuple(sizes) if sizes else self.sizes,
            models=tuple(models),
            transparent=self.transparent,
            edit=self.edit,
            mask=self.mask,
            max_inputs=self.max_inputs if self.edit else 0,
            max_count=self.max_count,
            prices={"": ImagePrice(dict(per_size))} if per_size else {},
        )


_GPT = ModelInfo()
MODELS: dict[str, ModelInfo] = {
    "gpt-image-1.5": replace(
        _GPT,
        prices={
            "low": _by_size(0.009, 0.013),
            "medium": _by_size(0.034, 0.05),
            "high": _by_size(0.133, 0.2),
        },
    ),
    "gpt-image-1-mini": replace(
        _GPT,
        prices={
            "low": _by_size(0.005, 0.006),
            "medium": _by_size(0.011, 0.015),
            "high": _by_size(0.036, 0.052),
        },
    ),
    "gpt-image-2": _GPT,
    "gpt-image-2.5-flare": replace(_GPT, qualities=("low", "medium", "high", "xhigh", "max")),
    "gpt-image-2.5-sunburst": replace(_GPT, qualities=("low", "medium", "high", "xhigh", "max")),
    "gpt-image-2.6-flare": _GPT,
    "gpt-image-2.6-sunburst": _GPT,
    "chatgpt-image-latest": _GPT,
    # No longer offered by OpenAI; gateways and local servers may still serve them.
    "gpt-image-1": replace(
        _GPT,
        prices={
            "low": _by_size(0.011, 0.016),
            "medium": _by_size(0.042, 0.063),
            "high": _by_size(0.167, 0.25),
        },
    ),
    "dall-e-3": ModelInfo(
        sizes=("1024x1024", "1792x1024", "1024x1792"),
        transparent=False,
        edit=False,
        mask=False,
        max_inputs=0,
        max_count=1,
        qualities=("standard", "hd"),
        default_quality="standard",
        response_format=True,
        output_format=False,
        prices={
            "standard": {"1024x1024": 0.04, "1792x1024": 0.08, "1024x1792": 0.08},
            "hd": {"1024x1024": 0.08, "1792x1024": 0.12, "1024x1792": 0.12},
        },
    ),
    "dall-e-2": ModelInfo(
        sizes=("256x256", "512x512", "1024x1024"),
        transparent=False,
        max_inputs=1,
        qualities=(),
        default_quality=None,
        response_format=True,
        output_format=False,
        prices={"": {"256x256": 0.016, "512x512": 0.018, "1024x1024": 0.02}},
    ),
}
LEGACY_MODELS = ("gpt-image-1", "dall-e-3", "dall-e-2")
TODAYS_MODELS = tuple(m for m in MODELS if m not in LEGACY_MODELS)


def model_info(model: str) -> ModelInfo:
    """What `model` can do; a model Studio does not know (a gateway's own) is taken to
    speak like today's GPT image models, without a price."""
    if model in MODELS:
        return MODELS[model]
    for known in sorted(MODELS, key=len, reverse=True):  # snapshots: gpt-image-2-2026-04-21
        if model.startswith(f"{known}-"):
            return MODELS[known]
    return _GPT
