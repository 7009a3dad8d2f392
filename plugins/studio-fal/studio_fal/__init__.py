"""Studio plugin: fal.ai, one account for many video and picture models.

Registers the video provider "fal" (Kling, Veo, Seedance, Wan, LTX, MiniMax Hailuo, or any
fal model id) and the image provider "fal-images" (FLUX, Imagen, Gemini image, background
removal), both on the official `fal-client`:

    studio video GAME "a fox in the snow" --provider fal --model fal-ai/veo3.1 --seconds 8
"""

from __future__ import annotations

from typing import Any

from studio.plugins import hookimpl

__version__ = "0.1.0"
STUDIO_API = 2  # video capabilities per model, image providers, check() (plugins/README.md)


def create_video_provider(options: dict[str, Any]):
    # Imported when a provider is made, so loading the plugin costs nothing at start-up;
    # fal-client itself waits for the provider's first call.
    from studio_fal.video import create_provider

    return create_provider(options)


def create_image_provider(options: dict[str, Any]):
    from studio_fal.images import create_image_provider as create

    return create(options)


@hookimpl
def register_video_providers(register) -> None:
    register("fal", create_video_provider)


@hookimpl
def register_image_providers(register) -> None:
    register("fal-images", create_image_provider)
