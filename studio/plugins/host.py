"""Finds plugins, calls their hooks one plugin at a time, and tracks what each registered.

Modelled on Picard's plugin manager: every plugin has a state, a plugin that raises is
marked failed with its reason and the rest keep working, and disabling a plugin removes
everything it registered. A disabled plugin is not even imported, so a plugin that
misbehaves on import is kept out by disabling it.

States: `found` (discovered, not imported yet), `loaded` (imported and accepted, hooks not
run yet), `enabled` (its hooks ran; what it registered is in use), `disabled` (the person
switched it off; nothing of it is in use), `failed` (it raised, or Studio cannot serve the
plugin API it needs; `error` says why).
"""

from __future__ import annotations

import enum
import importlib.metadata
import logging
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pluggy

from studio.errors import StudioError
from studio.plugins import hookspecs

log = logging.getLogger(__name__)

# The plugin API this Studio provides, and the oldest it still serves (plugins/README.md
# says what changes the number).
API_VERSION = 2  # 2: image providers, richer video capabilities and requests
MIN_API_VERSION = 1
ENTRY_POINT_GROUP = "studio.plugins"
BUILTIN = "builtin"

KINDS = {
    "register_templates": "templates",
    "register_code_providers": "code_providers",
    "register_video_providers": "video_providers",
    "register_image_providers": "image_providers",
    "register_exporters": "exporters",
}
# Kinds registered as factories (callables taking an options dict).
FACTORY_KINDS = ("code_providers", "video_providers", "image_providers")
# Kinds whose objects are wrapped by `get` so that a raising provider or exporter is reported.
GUARDED_KINDS = (*FACTORY_KINDS, "exporters")

# Exceptions a plugin's hook or object may leak that must not take Studio down with them.
_PLUGIN_ERRORS = (Exception, SystemExit)

Listener = Callable[[], None]


class PluginError(StudioError):
    """A plugin operation a person asked for cannot be done (unknown name, built-in)."""


class PluginState(enum.StrEnum):
    FOUND = "found"
    LOADED = "loaded"
    ENABLED = "enabled"
    DISABLED = "disabled"
    FAILED = "failed"


def kind_label(kind: str, count: int = 1) -> str:
    """`video_providers` → `video provider` / `video providers`."""
    words = kind.replace("_", " ")
    return words if count != 1 else words[:-1]


@dataclass
class PluginInfo:
    name: str
    version: str = ""
    distribution: str = ""
    state: PluginState = PluginState.FOUND
    error: str | None = None
    module: ModuleType | None = None
    api_required: int | None = None
    registered: list[tuple[str, str]] = field(default_factory=list)  # (kind, name)
    hooks: list[str] = field(default_factory=list)  # kinds it implements, once imported
    warnings: list[str] = field(default_factory=list)  # refused registrations
    entry_point: importlib.metadata.EntryPoint | None = field(default=None, repr=False)

    @property
    def builtin(self) -> bool:
        return self.name == BUILTIN

    @property
    def summary(self) -> str:
        """What the plugin adds, in words: `2 templates, 1 video provider`."""
        counts: dict[str, int] = {}
        for kind, _ in self.registered:
            counts[kind] = counts.get(kind, 0) + 1
        return ", ".join(f"{n} {kind_label(kind, n)}" for kind, n in sorted(counts.items()))

    @property
    def adds(self) -> str:
        """What it adds with names (`templates: memory, snake; video providers: x`), or, when
        nothing of it is in use, what kinds of things it would add."""
        by_kind: dict[str, list[str]] = {}
        for kind, name in self.registered:
            by_kind.setdefault(kind, []).append(name)
        if by_kind:
            return "; ".join(
                f"{kind_label(kind, len(names))}: {', '.join(sorted(names))}"
                for kind, names in sorted(by_kind.items())
            )
        if self.hooks and self.state != PluginState.ENABLED:
            return "(" + ", ".join(kind_label(k, 2) for k in self.hooks) + ")"
        return ""


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
        self.disabled: set[str] = set(disabled or ())
        self.problems: list[str] = []  # refused plugins and registrations, for people to see
        self._registry: dict[str, dict[str, Registration]] = {k: {} for k in KINDS.values()}
        self._listeners: list[Listener] = []

    # -- discovery -----------------------------------------------------------------------

    def load_all(self, *, entry_points: bool = True) -> None:
        """The built-in plugin, then every `studio.plugins` entry point, by name."""
        from studio import __version__
        from studio.plugins import builtin

        if BUILTIN not in self.plugins:
            self.add_module(BUILTIN, builtin, version=__version__)
        if entry_points:
            found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
            # By name, then distribution: which of two same-named plugins wins is stable.
            for ep in sorted(found, key=lambda e: (e.name, e.dist.name if e.dist else "")):
                self.add_entry_point(ep)
        self._changed()

    def add_entry_point(self, ep: importlib.metadata.EntryPoint) -> PluginInfo:
        dist = ep.dist
        info = PluginInfo(
            name=ep.name,
            version=dist.version if dist else "",
            distribution=dist.name if dist else "",
            entry_point=ep,
        )
        taken = self._name_taken(info)
        if taken is not None:
            return taken
        self.plugins[info.name] = info
        if info.name in self.disabled:
            info.state = PluginState.DISABLED  # not imported: its code does not run at all
            return info
        return self._import(info)

    def add_module(self, name: str, module: ModuleType, *, version: str = "") -> PluginInfo:
        """Add an already imported module as the plugin `name` (built-in, tests)."""
        info = PluginInfo(name=name, version=version or str(getattr(module, "__version__", "")))
        taken = self._name_taken(info)
        if taken is not None:
            return taken
        self.plugins[name] = info
        info.module = module
        if name in self.disabled and name != BUILTIN:
            info.state = PluginState.DISABLED
            return info
        return self._activate(info, module)

    def _name_taken(self, info: PluginInfo) -> PluginInfo | None:
        existing = self.plugins.get(info.name)
        outsider_as_builtin = info.name == BUILTIN and info.entry_point is not None
        if existing is None and not outsider_as_builtin:
            return None
        if existing is None:  # an outside plugin calling itself "builtin"
            existing = PluginInfo(name=info.name)
        if existing.entry_point is not None and existing.entry_point == info.entry_point:
            return existing  # the same entry point seen twice (load_all called again)
        where = info.distribution or "a module"
        owner = existing.distribution or "Studio"
        self._problem(
            f"plugin {info.name!r} from {where} was not loaded: the name is already taken "
            f"by {owner}; rename the entry point in one of them"
        )
        return existing

    def _import(self, info: PluginInfo) -> PluginInfo:
        assert info.entry_point is not None
        try:
            module = info.entry_point.load()
        except _PLUGIN_ERRORS as exc:
            return self._fail(info, f"could not be imported: {_describe(exc)}")
        return self._activate(info, module)

    def _activate(self, info: PluginInfo, module: ModuleType) -> PluginInfo:
        info.module = module
        problem = api_problem(getattr(module, "STUDIO_API", None))
        if problem is not None:
            return self._fail(info, problem)
        info.api_required = module.STUDIO_API
        unknown = _unknown_hooks(module)
        if unknown:
            return self._fail(
                info,
                f"implements hooks Studio does not have: {', '.join(unknown)} "
                f"(known: {', '.join(hookspecs.HOOKS)})",
            )
        try:
            if not self._pm.is_registered(module):
                self._pm.register(module, name=info.name)
        except Exception as exc:
            return self._fail(info, f"could not be registered: {_describe(exc)}")
        info.hooks = [
            kind
            for hook_name, kind in KINDS.items()
            if any(i.plugin_name == info.name for i in self._impls(hook_name))
        ]
        info.state = PluginState.LOADED
        if info.name in self.disabled and not info.builtin:
            info.state = PluginState.DISABLED
        else:
            self._run_hooks(info)
        return info

    def _impls(self, hook_name: str) -> list[Any]:
        return getattr(self._pm.hook, hook_name).get_hookimpls()

    def _run_hooks(self, info: PluginInfo) -> None:
        """Call this plugin's hooks alone, so its registrations are its own."""
        info.warnings.clear()
        for hook_name, kind in KINDS.items():
            for impl in self._impls(hook_name):
                if impl.plugin_name != info.name:
                    continue
                try:
                    impl.function(register=self._register_for(info, kind))
                except _PLUGIN_ERRORS as exc:
                    self._fail(info, f"raised in {hook_name}: {_describe(exc)}")
                    return
        info.state = PluginState.ENABLED
        info.error = None

    def _register_for(self, info: PluginInfo, kind: str) -> hookspecs.Register:
        def register(name: str, obj: Any) -> None:
            if not isinstance(name, str) or not name.strip():
                raise TypeError(f"register() needs a non-empty name, not {name!r}")
            check_registration(kind, name, obj)
            taken = self._registry[kind].get(name)
            if taken is not None and taken.plugin != info.name:
                message = (
                    f"plugin {info.name}: {kind_label(kind)} name {name!r} is already "
                    f"taken by {taken.plugin}; kept the first"
                )
                info.warnings.append(message)
                self._problem(message)
                return
            self._registry[kind][name] = Registration(info.name, name, obj)
            if (kind, name) not in info.registered:
                info.registered.append((kind, name))

        return register

    def _problem(self, message: str) -> None:
        log.warning("%s", message)
        if message not in self.problems:
            self.problems.append(message)

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

    def info(self, name: str) -> PluginInfo:
        try:
            return self.plugins[name]
        except KeyError:
            known = ", ".join(sorted(self.plugins)) or "none"
            raise PluginError(f"no plugin named {name!r} (installed: {known})") from None

    def disable(self, name: str) -> None:
        """Remove everything the plugin registered, at once. (Persisting the choice is
        `studio.plugins.control.set_plugin_enabled`'s job.)"""
        info = self.info(name)
        if info.builtin:
            raise PluginError("the built-in plugin is part of Studio and cannot be disabled")
        self.disabled.add(name)
        self._unregister(info)
        info.state = PluginState.DISABLED
        info.error = None
        self._changed()

    def enable(self, name: str) -> None:
        """Bring a disabled plugin back (importing it now if it was never loaded). A failed
        plugin is tried again; it may fail again, with its new reason in `error`."""
        info = self.info(name)
        self.disabled.discard(name)
        if info.state in (PluginState.DISABLED, PluginState.FAILED):
            self._unregister(info)
            module = info.module
            if module is not None and self._pm.is_registered(module):
                self._run_hooks(info)
            elif module is not None and info.entry_point is None:
                self._activate(info, module)
            elif info.entry_point is not None:
                info.module = None
                self._import(info)
        self._changed()

    def report_failure(self, name: str, exc: BaseException) -> None:
        """A plugin's object raised while in use: mark the plugin failed and drop it.

        The built-in plugin is only logged: its errors are Studio's bugs, and dropping it
        would take the built-in templates and providers away."""
        info = self.plugins.get(name)
        if info is None:
            return
        if info.builtin:
            log.error("a built-in object raised: %s", _describe(exc))
            return
        if info.state == PluginState.ENABLED:
            self._fail(info, f"raised while in use: {_describe(exc)}")
            self._changed()

    # -- listening -----------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        """Call `listener()` after plugins were loaded, enabled, disabled or failed in use."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:  # a broken listener must not stop the others
                log.exception("plugin listener failed")

    # -- lookups -------------------------------------------------------------------------

    def registrations(self, kind: str) -> list[Registration]:
        """What is registered of `kind` (raw objects, sorted by name)."""
        return sorted(self._registry[kind].values(), key=lambda r: r.name)

    def get(self, kind: str, name: str) -> Any:
        """The object registered as `name`. A provider factory from an outside plugin comes
        wrapped (see `studio.plugins.guard`): whatever it makes reports its own crashes to
        `report_failure`, and stops working once its plugin is disabled."""
        reg = self._registry[kind].get(name)
        if reg is None:
            known = ", ".join(sorted(self._registry[kind])) or "none"
            raise KeyError(f"no {kind_label(kind)} named {name!r} (known: {known})")
        if kind in GUARDED_KINDS and reg.plugin != BUILTIN:
            from studio.plugins.guard import guard

            return guard(self, reg, kind)
        return reg.obj

    def is_current(self, reg: Registration, kind: str) -> bool:
        """Whether `reg` is still registered (its plugin was not disabled or failed since)."""
        return self._registry[kind].get(reg.name) is reg

    def owner(self, kind: str, name: str) -> str | None:
        reg = self._registry[kind].get(name)
        return reg.plugin if reg else None

    def templates(self) -> list[Any]:
        return [r.obj for r in self.registrations("templates")]

    def template(self, name: str) -> Any:
        return self.get("templates", name)


def api_problem(required: Any) -> str | None:
    """Why a plugin declaring `STUDIO_API = required` cannot be served (None: it can)."""
    if required is None:
        return (
            "does not say which plugin API it needs: its module must set "
            f"STUDIO_API = {API_VERSION}"
        )
    if isinstance(required, bool) or not isinstance(required, int):
        return f"declares STUDIO_API = {required!r}; it must be a whole number such as 1"
    if required > API_VERSION:
        return (
            f"needs plugin API {required}, but this Studio provides API {API_VERSION}: "
            "update Studio, or install an older version of the plugin"
        )
    if required < MIN_API_VERSION:
        return (
            f"was written for plugin API {required}, which this Studio no longer serves "
            f"(it serves {MIN_API_VERSION} to {API_VERSION}): update the plugin"
        )
    return None


def check_registration(kind: str, name: str, obj: Any) -> None:
    """Refuse objects that cannot work as `kind`, at registration, with a clear reason."""
    if kind == "templates":
        if not (
            isinstance(getattr(obj, "name", None), str) and callable(getattr(obj, "files", None))
        ):
            raise TypeError(
                f"template {name!r} must be a studio.core.templates.Template "
                f"(see load_template), not {type(obj).__name__}"
            )
    elif kind in FACTORY_KINDS:
        if not callable(obj):
            raise TypeError(
                f"{kind_label(kind)} {name!r} must be registered as a factory "
                f"(a callable taking an options dict), not {type(obj).__name__}"
            )
    elif obj is None:
        raise TypeError(f"{kind_label(kind)} {name!r} is None")


def _unknown_hooks(module: ModuleType) -> list[str]:
    """Functions marked `@hookimpl` whose name is no hook (a typo pluggy would not notice)."""
    marker = f"{hookspecs.PROJECT_NAME}_impl"
    unknown = []
    for name in dir(module):
        opts = getattr(getattr(module, name, None), marker, None)
        if isinstance(opts, dict) and (opts.get("specname") or name) not in hookspecs.HOOKS:
            unknown.append(name)
    return sorted(unknown)


def _describe(exc: BaseException) -> str:
    """`ValueError: boom (plugin.py:12)`: the error and the line it came from."""
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    if not frames:
        return f"{type(exc).__name__}: {exc}"
    last = frames[-1]
    file = last.filename.replace("\\", "/").rsplit("/", 1)[-1]
    return f"{type(exc).__name__}: {exc} ({file}:{last.lineno})"
