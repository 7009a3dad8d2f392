"""Studio plugin: Replicate, AI video and pictures from any model on Replicate.

Registers the video provider "replicate" (Veo, Kling, Wan, Hailuo, Seedance, Ray, or any
video model by "owner/name") and the image provider "replicate-images" (FLUX, Imagen,
Nano Banana, ...). Both use the official `replicate` SDK and one API token, stored for
"replicate" (Settings) or in REPLICATE_API_TOKEN:

    studio video GAME "a fox runs through snow" --provider replicate --model kwaivgi/kling-v2.6
"""

from __future__ import annotations

from typing import Any

from studio.plugins import hookimpl

__version__ = "0.1.0"
STUDIO_API = 2  # the plugin API this plugin is written for (see plugins/README.md)


def create_video_provider(options: dict[str, Any]):
    # Imported when a provider is made, so loading the plugin costs nothing at start-up.
    from studio_replicate.video import create_provider

    return create_provider(options)


def create_image_provider(options: dict[str, Any]):
    from studio_replicate.images import create_image_provider as create

    return create(options)


@hookimpl
def register_video_providers(register) -> None:
    register("replicate", create_video_provider)


@hookimpl
def register_image_providers(register) -> None:
    register("replicate-images", create_image_provider)
