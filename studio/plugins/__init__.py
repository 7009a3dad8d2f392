"""Plugin host: hook specs, discovery, per-plugin registrations and states.

Writing a plugin: see plugins/README.md. A provider factory imported only when a provider
is made: `lazy_factory`. Switching plugins on and off, and listing them:
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
from studio.plugins.lazy import lazy_factory

__all__ = [
    "API_VERSION",
    "MIN_API_VERSION",
    "PluginError",
    "PluginHost",
    "PluginInfo",
    "PluginState",
    "hookimpl",
    "lazy_factory",
]
