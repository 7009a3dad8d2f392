"""Studio plugin: Title cards, an offline video provider.

Intro, outro and between-level clips drawn from a text prompt with ffmpeg (colours, font
size, an optional picture with a slow zoom and pan). It runs through the same video job
queue as the AI providers, so a person with no API key can use the whole video path:

    studio video generate GAME "Level 2\\nMind the gap!" --provider title-cards --model level
"""

from __future__ import annotations

from studio.plugins import hookimpl, lazy_factory

__version__ = "0.1.0"
STUDIO_API = 1  # the plugin API this plugin is written for (see plugins/README.md)


@hookimpl
def register_video_providers(register) -> None:
    # Imported when a provider is made: loading the plugin costs nothing at start-up.
    register("title-cards", lazy_factory("studio_title_cards.provider:create_provider"))
