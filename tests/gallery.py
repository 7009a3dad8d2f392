"""The starter templates the app's gallery offers, as File > New lists them: the built-in
ones and those of every installed plugin, found through entry points (the first-party
template pack is pip-installed by .ci/run)."""

from __future__ import annotations

from studio.core.templates import Template
from studio.plugins.host import PluginHost

# The built-in templates and the template pack's: missing ones fail a test, never a skip.
REQUIRED_TEMPLATES = ("arena", "breakout", "memory", "runner", "snake", "story")


def gallery_host() -> PluginHost:
    host = PluginHost()
    host.load_all()
    return host


def gallery_templates() -> list[Template]:
    return gallery_host().templates()
