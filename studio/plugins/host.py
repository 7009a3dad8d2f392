"""Finds plugins, calls their hooks one plugin at a time, and tracks what each registered.

Modelled on Picard's plugin manager: every plugin has a state, a plugin that raises is
marked failed with its reason and the rest keep working, and disabling a plugin removes
everything it registered.
"""

from __future__ import annotations

import enum
import importlib.metadata
import logging
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pluggy

from studio.plugins import hookspecs

log = logging.getLogger(__name__)

API_VERSION = 1
ENTRY_POINT_GROUP = "studio.plugins"
BUILTIN = "builtin"

KINDS = {
    "register_templates": "templates",
    "register_code_providers": "code_providers",
    "register_video_providers": "video_providers",
    "register_exporters": "exporters",
}


class PluginState(enum.StrEnum):
    FOUND = "found"
    LOADED = "loaded"
    ENABLED = "enabled"
    DISABLED = "disabled"
    FAILED = "failed"


@dataclass
class PluginInfo:
    name: str
    version: str = ""
    distribution: str = ""
    state: PluginState = PluginState.FOUND
    error: str | None = None
    module: ModuleType | None = None
    api_required: int = 1
    registered: list[tuple[str, str]] = field(default_factory=list)  # (kind, name)

    @property
    def summary(self) -> str:
        """What the plugin adds, in words: `2 templates, 1 video provider`."""
        counts: dict[str, int] = {}
        for kind, _ in self.registered:
            counts[kind] = counts.get(kind, 0) + 1
        return ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(counts.items()))


@dataclass(frozen=True)
class Registration:
    plugin: str
    name: str
    obj: Any


class PluginHost:
    """Owns the pluggy manager and the registries that plugins fill."""

    def __init__(self, disabled: Iterable[str] = ()) -> None:
        self._pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.disabled: set[str] = set(disabled)
        self.problems: list[str] = []  # refused registrations, for the plugin manager to show
        self._registry: dict[str, dict[str, Registration]] = {k: {} for k in KINDS.values()}

    # -- discovery -----------------------------------------------------------------------

    def load_all(self, *, entry_points: bool = True) -> None:
        from studio.plugins import builtin

        self.add_module(BUILTIN, builtin, version="")
        if entry_points:
            for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
                self.add_entry_point(ep)

    def add_entry_point(self, ep: importlib.metadata.EntryPoint) -> PluginInfo:
        dist = ep.dist
        info = PluginInfo(
            name=ep.name,
            version=dist.version if dist else "",
            distribution=dist.name if dist else "",
        )
        self.plugins[ep.name] = info
        try:
            module = ep.load()
        except Exception as exc:
            return self._fail(info, f"could not be imported: {_describe(exc)}")
        return self._activate(info, module)

    def add_module(self, name: str, module: ModuleType, *, version: str = "") -> PluginInfo:
        info = PluginInfo(name=name, version=version or getattr(module, "__version__", ""))
        self.plugins[name] = info
        return self._activate(info, module)

    def _activate(self, info: PluginInfo, module: ModuleType) -> PluginInfo:
        info.module = module
        required = getattr(module, "STUDIO_API", 1)
        info.api_required = required if isinstance(required, int) else -1
        if not isinstance(required, int) or required > API_VERSION or required < 1:
            return self._fail(
                info,
                f"needs plugin API {required}, this Studio provides API {API_VERSION}; "
                "update Studio or use an older version of the plugin",
            )
        try:
            self._pm.register(module, name=info.name)
        except Exception as exc:
            return self._fail(info, f"could not be registered: {_describe(exc)}")
        info.state = PluginState.LOADED
        if info.name in self.disabled:
            info.state = PluginState.DISABLED
        else:
            self._run_hooks(info)
        return info

    def _run_hooks(self, info: PluginInfo) -> None:
        """Call this plugin's hooks alone, so its registrations are its own."""
        for hook_name, kind in KINDS.items():
            hook = getattr(self._pm.hook, hook_name)
            for impl in hook.get_hookimpls():
                if impl.plugin_name != info.name:
                    continue
                try:
                    impl.function(register=self._register_for(info, kind))
                except Exception as exc:
                    self._fail(info, f"raised in {hook_name}: {_describe(exc)}")
                    return
        info.state = PluginState.ENABLED
        info.error = None

    def _register_for(self, info: PluginInfo, kind: str):
        def register(name: str, obj: Any) -> None:
            taken = self._registry[kind].get(name)
            if taken is not None and taken.plugin != info.name:
                message = (
                    f"plugin {info.name}: {kind.replace('_', ' ')} name {name!r} is already "
                    f"taken by {taken.plugin}; kept the first"
                )
                log.warning(message)
                self.problems.append(message)
                return
            self._registry[kind][name] = Registration(info.name, name, obj)
            info.registered.append((kind, name))

        return register

    def _fail(self, info: PluginInfo, reason: str) -> PluginInfo:
        log.error("plugin %s failed: %s", info.name, reason)
        self._unregister(info)
        info.state = PluginState.FAILED
        info.error = reason
        return info

    def _unregister(self, info: PluginInfo) -> None:
        for kind, name in info.registered:
            reg = self._registry[kind].get(name)
            if reg is not None and reg.plugin == info.name:
                del self._registry[kind][name]
        info.registered.clear()

    # -- control -------------------------------------------------------------------------

    def disable(self, name: str) -> None:
        info = self.plugins[name]
        self.disabled.add(name)
        if info.state != PluginState.FAILED:
            self._unregister(info)
            info.state = PluginState.DISABLED

    def enable(self, name: str) -> None:
        info = self.plugins[name]
        self.disabled.discard(name)
        if info.state == PluginState.DISABLED:
            self._run_hooks(info)

    def report_failure(self, name: str, exc: BaseException) -> None:
        """A plugin's object raised while in use: mark the plugin failed and drop it."""
        if name in self.plugins:
            self._fail(self.plugins[name], f"raised while in use: {_describe(exc)}")

    # -- lookups -------------------------------------------------------------------------

    def registrations(self, kind: str) -> list[Registration]:
        return sorted(self._registry[kind].values(), key=lambda r: r.name)

    def get(self, kind: str, name: str) -> Any:
        reg = self._registry[kind].get(name)
        if reg is None:
            known = ", ".join(sorted(self._registry[kind])) or "none"
            raise KeyError(f"no {kind.replace('_', ' ')[:-1]} named {name!r} (known: {known})")
        return reg.obj

    def owner(self, kind: str, name: str) -> str | None:
        reg = self._registry[kind].get(name)
        return reg.plugin if reg else None

    def templates(self) -> list[Any]:
        return [r.obj for r in self.registrations("templates")]

    def template(self, name: str) -> Any:
        return self.get("templates", name)


def _describe(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" ({last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"
