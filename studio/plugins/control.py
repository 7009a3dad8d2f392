"""Switching plugins on and off, and listing them: what the CLI and the Plugins dialog call.

The person's choice lives in settings.json under `disabled_plugins` (a sorted list of
plugin names), which every start reads (`studio.app.create_window`, the CLI's
`load_host`), so it holds across restarts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio.plugins.host import PluginError, PluginHost, PluginInfo, PluginState

SETTINGS_KEY = "disabled_plugins"

__all__ = [
    "SETTINGS_KEY",
    "PluginRow",
    "disabled_plugins",
    "load_host",
    "plugin_rows",
    "set_plugin_enabled",
]


def disabled_plugins(settings: Any) -> set[str]:
    value = settings.get(SETTINGS_KEY, []) if settings is not None else []
    return {str(n) for n in value} if isinstance(value, list | tuple | set) else set()


def load_host(settings: Any = None, *, entry_points: bool = True) -> PluginHost:
    """A host with every plugin loaded, leaving out the ones `settings` says are disabled."""
    if settings is None:
        from studio.config.settings import Settings

        settings = Settings()
    host = PluginHost(disabled=disabled_plugins(settings))
    host.load_all(entry_points=entry_points)
    return host


def set_plugin_enabled(settings: Any, host: PluginHost | None, name: str, enabled: bool) -> None:
    """Enable or disable the plugin `name`: in the running `host` (its registrations go or
    come back at once) and in `settings` (written before this returns), so the next start
    agrees.

    A name that is not installed may still be enabled, to forget an old choice. Raises
    PluginError for an unknown name otherwise, or for the built-in plugin.
    """
    names = disabled_plugins(settings)
    known = host is not None and name in host.plugins
    if host is not None and not known and not (enabled and name in names):
        host.info(name)  # raises PluginError listing what is installed
    if host is not None and known:
        if enabled:
            host.enable(name)
        else:
            host.disable(name)  # refuses the built-in plugin before anything is saved
    elif not enabled and name == "builtin":
        raise PluginError("the built-in plugin is part of Studio and cannot be disabled")
    if enabled:
        names.discard(name)
    else:
        names.add(name)
    if settings is not None:
        settings.set(SETTINGS_KEY, sorted(names))


@dataclass(frozen=True)
class PluginRow:
    """One line of the plugin list, the same for the CLI and the dialog."""

    name: str
    version: str
    distribution: str
    state: PluginState
    adds: str
    error: str | None
    warnings: tuple[str, ...]
    builtin: bool

    @property
    def enabled(self) -> bool:
        return self.state in (PluginState.ENABLED, PluginState.LOADED)

    @property
    def can_toggle(self) -> bool:
        return not self.builtin


def row_of(info: PluginInfo) -> PluginRow:
    return PluginRow(
        name=info.name,
        version=info.version,
        distribution=info.distribution,
        state=info.state,
        adds=info.adds,
        error=info.error,
        warnings=tuple(info.warnings),
        builtin=info.builtin,
    )


def plugin_rows(host: PluginHost) -> list[PluginRow]:
    """Every plugin found: the built-in one first, then by name."""
    infos = sorted(host.plugins.values(), key=lambda i: (not i.builtin, i.name.lower()))
    return [row_of(i) for i in infos]
