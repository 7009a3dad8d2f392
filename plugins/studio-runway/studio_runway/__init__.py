"""Studio plugin: Runway, AI video (and pictures) through Runway's API and its official
`runwayml` SDK.

Video provider "runway": Gen-4.5 and Veo 3.1 from text or a first frame, Gen-4 Turbo from
a first frame, first and last frame on the Veo models, remix through Aleph. Picture provider
"runway-images": Gen-4 Image, with up to three reference pictures.

    studio video GAME "a lighthouse at dusk" --provider runway --model gen4.5 --seconds 5
"""

from __future__ import annotations

from studio.plugins import hookimpl, lazy_factory

__version__ = "0.1.0"
STUDIO_API = 2  # the plugin API this plugin is written for (see plugins/README.md)


@hookimpl
def register_video_providers(register) -> None:
    # Imported when a provider is made: loading the plugin costs nothing at start-up.
    register("runway", lazy_factory("studio_runway.video:create_provider"))


@hookimpl
def register_image_providers(register) -> None:
    register("runway-images", lazy_factory("studio_runway.images:create_provider"))
