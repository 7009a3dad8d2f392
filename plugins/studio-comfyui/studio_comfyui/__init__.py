"""Studio plugin: ComfyUI, the person's own local or LAN server, for clips and pictures.

Studio sends a workflow in ComfyUI's API format (`POST /prompt`), follows it over ComfyUI's
websocket (`/ws`, with `/history` and `/queue` as the fallback), fetches what it saved
(`/view`), uploads pictures (`/upload/image`) and cancels (`/interrupt`, or `POST /queue`
with `delete` for a job still waiting). No key: a ComfyUI answers anyone who can reach it.

    studio video GAME "a fox runs through snow" --provider comfyui --model wan2.2-ti2v-5b
"""

from __future__ import annotations

from typing import Any

from studio.plugins import hookimpl

__version__ = "0.1.0"
STUDIO_API = 2  # the plugin API this plugin is written for (see plugins/README.md)


def create_video_provider(options: dict[str, Any]):
    # Imported when a provider is made, so loading the plugin costs nothing at start-up.
    from studio_comfyui.video import create_provider

    return create_provider(options)


def create_image_provider(options: dict[str, Any]):
    from studio_comfyui.images import create_image_provider as create

    return create(options)


@hookimpl
def register_video_providers(register) -> None:
    register("comfyui", create_video_provider)


@hookimpl
def register_image_providers(register) -> None:
    register("comfyui-images", create_image_provider)
