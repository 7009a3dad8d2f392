"""Plugin host: hook specs, discovery, per-plugin registrations and states."""

from studio.plugins.hookspecs import hookimpl
from studio.plugins.host import API_VERSION, PluginHost, PluginInfo, PluginState

__all__ = ["API_VERSION", "PluginHost", "PluginInfo", "PluginState", "hookimpl"]
