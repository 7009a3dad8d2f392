"""Studio plugin: Google's video and picture models through the official `google-genai` SDK.

- video provider "veo": Veo 3.1 (`models.generate_videos`, a long-running operation polled
  until done) on Gemini Enterprise Agent Platform, the one place Google still serves Veo;
- image provider "gemini-image": Gemini image models ("Nano Banana") through
  `models.generate_content`, on the Gemini API or Agent Platform.

The SDK is imported when a provider first calls Google, so loading the plugin costs nothing
at start-up. See `studio_veo.models` for which models exist today and why.
"""

from __future__ import annotations

from studio.plugins import hookimpl, lazy_factory

__version__ = "0.1.0"
STUDIO_API = 2  # image providers and per-model video capabilities (see plugins/README.md)


@hookimpl
def register_video_providers(register) -> None:
    # Imported when a provider is made: loading the plugin costs nothing at start-up.
    register("veo", lazy_factory("studio_veo.video:create_provider"))


@hookimpl
def register_image_providers(register) -> None:
    register("gemini-image", lazy_factory("studio_veo.images:create_provider"))
