"""Studio plugin: Luma, AI video (and pictures) through Luma's Dream Machine API and its
official `lumaai` SDK.

Video provider "luma": Ray 2 and Ray Flash 2 from text, extended from a finished Luma clip
(keyframe frame0 = that generation), first and last frame from pictures on the web, remix
through Luma's modify. Picture provider "luma-images": Photon.

    studio video GAME "a lighthouse at dusk" --provider luma --model ray-2 --seconds 5
"""

from __future__ import annotations

from studio.plugins import hookimpl, lazy_factory

__version__ = "0.1.0"
STUDIO_API = 2  # the plugin API this plugin is written for (see plugins/README.md)


@hookimpl
def register_video_providers(register) -> None:
    # Imported when a provider is made: loading the plugin costs nothing at start-up.
    register("luma", lazy_factory("studio_luma.video:create_provider"))


@hookimpl
def register_image_providers(register) -> None:
    register("luma-images", lazy_factory("studio_luma.images:create_provider"))
