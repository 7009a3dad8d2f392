"""Studio plugin: fal.ai, one account for many video and picture models.

Registers the video provider "fal" (Kling, Veo, Seedance, Wan, LTX, MiniMax Hailuo, or any
fal model id) and the image provider "fal-images" (FLUX, Imagen, Gemini image, background
removal), both on the official `fal-client`:

    studio video GAME "a fox in the snow" --provider fal --model fal-ai/veo3.1 --seconds 8
"""

from __future__ import annotations

from studio.plugins import hookimpl, lazy_factory

__version__ = "0.1.0"
STUDIO_API = 2  # video capabilities per model, image providers, check() (plugins/README.md)


@hookimpl
def register_video_providers(register) -> None:
    # Imported when a provider is made: loading the plugin costs nothing at start-up.
    register("fal", lazy_factory("studio_fal.video:create_provider"))


@hookimpl
def register_image_providers(register) -> None:
    register("fal-images", lazy_factory("studio_fal.images:create_image_provider"))
