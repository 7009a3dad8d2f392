"""Studio plugin: ComfyUI, the person's own local or LAN server, for clips and pictures.

Studio sends a workflow in ComfyUI's API format (`POST /prompt`), follows it over ComfyUI's
websocket (`/ws`, with `/history` and `/queue` as the fallback), fetches what it saved
(`/view`), uploads pictures (`/upload/image`) and cancels (`/interrupt`, or `POST /queue`
with `delete` for a job still waiting). No key: a ComfyUI answers anyone who can reach it.

    studio video GAME "a fox runs through snow" --provider comfyui --model wan2.2-ti2v-5b
"""

from __future__ import annotations

from studio.plugins import hookimpl, lazy_factory

__version__ = "0.1.0"
STUDIO_API = 2  # the plugin API this plugin is written for (see plugins/README.md)


@hookimpl
def register_video_providers(register) -> None:
    # Imported when a provider is made: loading the plugin costs nothing at start-up.
    register("comfyui", lazy_factory("studio_comfyui.video:create_provider"))


@hookimpl
def register_image_providers(register) -> None:
    register("comfyui-images", lazy_factory("studio_comfyui.images:create_image_provider"))
