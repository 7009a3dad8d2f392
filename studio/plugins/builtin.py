"""Studio's own templates and providers, registered exactly like an outside plugin."""

from __future__ import annotations

import logging

from studio.config.resources import resource_path
from studio.core.templates import load_template
from studio.errors import StudioError
from studio.plugins.hookspecs import Register, hookimpl
from studio.plugins.lazy import lazy_factory

STUDIO_API = 2  # image providers
log = logging.getLogger(__name__)


@hookimpl
def register_templates(register: Register) -> None:
    # Templates load one by one: a broken one is reported and the others stay available.
    for folder in sorted(resource_path("templates").iterdir()):
        if not (folder / "template.json").is_file():
            continue
        try:
            template = load_template(folder)
        except StudioError as exc:
            log.error("skipped a built-in template: %s", exc)
            continue
        register(template.name, template)


@hookimpl
def register_code_providers(register: Register) -> None:
    # Any OpenAI-compatible chat service (OpenAI, a gateway, a local server); the factory
    # is imported when it runs, so start-up does not pay for the `openai` package.
    register("openai", lazy_factory("studio.ai.code_providers:create_openai_chat_provider"))


@hookimpl
def register_video_providers(register: Register) -> None:
    # Making the provider is quick and does no I/O (the Video pane makes one when a project
    # opens): the `openai` package, the key and the client wait for its first call, and
    # are then made on a worker thread (`OpenAIVideoProvider.connect`).
    register("openai", lazy_factory("studio.ai.video_openai:create_provider"))


@hookimpl
def register_image_providers(register: Register) -> None:
    # The OpenAI Images API at any base URL (OpenAI, a gateway, a local server); as for
    # video, making the provider does no I/O and imports no `openai`.
    register("openai", lazy_factory("studio.ai.image_openai:create_provider"))


@hookimpl
def register_exporters(register: Register) -> None:
    from studio.export import builtin_exporters

    for exporter in builtin_exporters():
        register(exporter.name, exporter)
