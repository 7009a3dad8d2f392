"""Plugin host: hook specs, discovery, per-plugin registrations and states.

Writing a plugin: see plugins/README.md. Switching plugins on and off, and listing them:
`studio.plugins.control`. Fixtures for plugin authors' tests: `studio.testing.fixtures`.
"""

from studio.plugins.hookspecs import hookimpl
from studio.plugins.host import (
    API_VERSION,
    MIN_API_VERSION,
    PluginError,
    PluginHost,
    PluginInfo,
    PluginState,
)

__all__ = [
    "API_VERSION",
    "MIN_API_VERSION",
    "PluginError",
    "PluginHost",
    "PluginInfo",
    "PluginState",
    "hookimpl",
]
