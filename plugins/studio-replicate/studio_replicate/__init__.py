"""Studio plugin: Replicate, AI video and pictures from any model on Replicate.

Registers the video provider "replicate" (Veo, Kling, Wan, Hailuo, Seedance, Ray, or any
video model by "owner/name") and the image provider "replicate-images" (FLUX, Imagen,
Nano Banana, ...). Both use the official `replicate` SDK and one API token, stored for
"replicate" (Settings) or in REPLICATE_API_TOKEN:

    studio video GAME "a fox runs through snow" --provider replicate --model kwaivgi/kling-v2.6
"""

from __future__ import annotations

from studio.plugins import hookimpl, lazy_factory

__version__ = "0.1.0"
STUDIO_API = 2  # the plugin API this plugin is written for (see plugins/README.md)


@hookimpl
def register_video_providers(register) -> None:
    # Imported when a provider is made: loading the plugin costs nothing at start-up.
    register("replicate", lazy_factory("studio_replicate.video:create_provider"))


@hookimpl
def register_image_providers(register) -> None:
    register("replicate-images", lazy_factory("studio_replicate.images:create_image_provider"))
