"""Studio plugin: Luma, AI video (and pictures) through Luma's Dream Machine API and its
official `lumaai` SDK.

Video provider "luma": Ray 2 and Ray Flash 2 from text, extended from a finished Luma clip
(keyframe frame0 = that generation), first and last frame from pictures on the web, remix
through Luma's modify. Picture provider "luma-images": Photon.

    studio video GAME "a lighthouse at dusk" --provider luma --model ray-2 --seconds 5
"""

from __future__ import annotations

from typing import Any

from studio.plugins import hookimpl

__version__ = "0.1.0"
STUDIO_API = 2  # the plugin API this plugin is written for (see plugins/README.md)


def create_video_provider(options: dict[str, Any]):
    # Imported when a provider is made, so loading the plugin costs nothing at start-up.
    from studio_luma.video import create_provider

    return create_provider(options)


def create_image_provider(options: dict[str, Any]):
    from studio_luma.images import create_provider

    return create_provider(options)


@hookimpl
def register_video_providers(register) -> None:
    register("luma", create_video_provider)


@hookimpl
def register_image_providers(register) -> None:
    register("luma-images", create_image_provider)
