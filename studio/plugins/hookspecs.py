"""The hooks a plugin may implement. Each receives a `register(name, obj)` callable.

The host calls each plugin's hooks on its own, with a `register` bound to that plugin, so
everything a plugin adds is tracked and can be removed when it is disabled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PROJECT_NAME = "studio"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

Register = Callable[[str, Any], None]


@hookspec
def register_templates(register: Register) -> None:
    """Register starter games: `register(name, studio.core.templates.Template)`."""


@hookspec
def register_code_providers(register: Register) -> None:
    """Register code providers: `register(name, factory)`; factory(settings) -> provider."""


@hookspec
def register_video_providers(register: Register) -> None:
    """Register video providers: `register(name, factory)`; factory(settings) -> provider."""


@hookspec
def register_image_providers(register: Register) -> None:
    """Register image providers: `register(name, factory)`; factory(settings) -> provider
    following `studio.ai.image_provider.ImageProvider` (plugin API 2)."""


@hookspec
def register_exporters(register: Register) -> None:
    """Register exporters: `register(name, exporter)`."""


HOOKS = (
    "register_templates",
    "register_code_providers",
    "register_video_providers",
    "register_image_providers",
    "register_exporters",
)
