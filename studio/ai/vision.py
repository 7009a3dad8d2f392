"""Whether a model takes images (for the AI playtester's screenshots).

A person can say so per code model in Settings ("yes" / "no"); on "auto" Studio goes by the
model's name (families known to read images), and a service that refuses an image part
anyway (OpenAI answers 400 "Invalid content type. image_url is only supported by certain
models.", llama.cpp "image input is not supported", Ollama "does not support images") turns
screenshots off for the rest of the run (`is_image_refusal`).
"""

from __future__ import annotations

import re

from studio.ai.errors import GenerationError

__all__ = ["VISION_SETTINGS", "is_image_refusal", "takes_images"]

VISION_SETTINGS = ("auto", "yes", "no")

# Families that read images, by the names services give them.
_VISION_NAMES = re.compile(
    r"gpt-4o|gpt-4\.1|gpt-4-turbo|gpt-4-vision|gpt-5|chatgpt-4o|\bo1\b(?!-mini)|\bo3\b(?!-mini)"
    r"|\bo4-mini|claude-3|claude-(?:sonnet|opus|haiku)-4|claude-4|gemini|gemma-?3(?!.*\b1b\b)"
    r"|llava|bakllava|moondream|pixtral|vision|[-_.]vl\b|[-_.]vl[-_:]|qwen.*vl|minicpm-v"
    r"|internvl|llama-?4|llama-?3\.2-(?:11|90)b|grok-(?:2-vision|4)|mistral-(?:small|medium)-3"
    r"|phi-?3\.5-vision|phi-?4-multimodal",
    re.IGNORECASE,
)
_REFUSAL = re.compile(
    r"image_url is only supported|image input is not supported|does not support images"
    r"|not a multimodal model|vision is not supported|image.{0,40}not supported"
    r"|unsupported content type.{0,20}image|multimodal.{0,40}not (?:supported|enabled)",
    re.IGNORECASE,
)


def takes_images(model: str, setting: str = "auto") -> bool:
    """Whether to send `model` screenshots: the person's setting, else its name."""
    if setting == "yes":
        return True
    if setting == "no":
        return False
    return bool(_VISION_NAMES.search(model or ""))


def is_image_refusal(error: GenerationError) -> bool:
    """A request refused because it held an image the model cannot read."""
    return error.kind in ("bad_request", "server") and bool(_REFUSAL.search(error.message))
