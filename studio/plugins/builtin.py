"""Studio's own templates and providers, registered exactly like an outside plugin."""

from __future__ import annotations

from studio.core.templates import load_templates
from studio.plugins.hookspecs import Register, hookimpl
from studio.resources import resource_path

STUDIO_API = 1


@hookimpl
def register_templates(register: Register) -> None:
    for template in load_templates(resource_path("templates")):
        register(template.name, template)
