"""Wrappers that keep a plugin's provider from taking Studio down with it.

`PluginHost.get` hands out an outside plugin's provider factory or exporter wrapped here.
The factory and every provider it makes, and the exporter, are transparent proxies
(attributes, `isinstance`, assignment all reach the real object), with one difference: an
exception that is not one of Studio's own error types (`ServiceError` such as `VideoError`,
`GenerationError`, `StudioError`, `MediaError`: a service or a file failed, which is
normal; for an exporter an `OSError` too, the person's disk) is a bug in the plugin. It is
reported to `host.report_failure`, which marks the plugin failed and drops what it
registered, and the caller gets a `VideoError` or `ImageError` (media providers), an
`ExportError` (exporters) or the original exception (others).

An exporter runs on a worker thread (`ui.widgets.background.ThreadJob`). Its fault is
reported on the thread the proxy was made on, through the asyncio loop running there (the
GUI thread's, in the app), so the host and the widgets listening to it change only there.

A provider made before its plugin was disabled refuses further work (`aclose` and `cancel`
still pass, so resources are freed), so disabling takes effect at once, even for jobs that
were already running.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from studio.ai.errors import GenerationError
from studio.ai.image_provider import ImageError
from studio.ai.services import ServiceError
from studio.ai.video_provider import VideoError
from studio.errors import StudioError
from studio.export.base import ExportError
from studio.media.errors import MediaError

if TYPE_CHECKING:
    from studio.plugins.host import PluginHost, Registration

EXPECTED: tuple[type[BaseException], ...] = (ServiceError, GenerationError, StudioError, MediaError)
# What a broken provider of each kind raises instead of its bug.
SERVICE_ERRORS: dict[str, type[ServiceError]] = {
    "video_providers": VideoError,
    "image_providers": ImageError,
}
# Calls that free resources: always allowed, even after the plugin was switched off.
CLEANUP = frozenset({"aclose", "close", "cancel"})


class _Context:
    __slots__ = ("expected", "host", "kind", "loop", "reg", "thread")

    def __init__(self, host: PluginHost, reg: Registration, kind: str) -> None:
        self.host, self.reg, self.kind = host, reg, kind
        self.expected = EXPECTED + (OSError,) if kind == "exporters" else EXPECTED
        self.thread = threading.get_ident()
        try:
            self.loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # made outside a loop (a command): faults are told at once
            self.loop = None

    @property
    def what(self) -> str:
        if self.kind == "exporters":
            title = getattr(self.reg.obj, "title", self.reg.name)
            return f"the export format {title!r} of the plugin {self.reg.plugin!r}"
        label = self.kind.replace("_", " ")[:-1]
        return f"the {label} {self.reg.name!r} (plugin {self.reg.plugin})"

    def report(self, exc: BaseException) -> None:
        """Tell the host, on the thread this proxy was made on."""
        loop = self.loop
        if threading.get_ident() != self.thread and loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.host.report_failure, self.reg.plugin, exc)
        else:
            self.host.report_failure(self.reg.plugin, exc)

    def check_current(self, attr: str) -> None:
        if attr in CLEANUP or self.host.is_current(self.reg, self.kind):
            return
        info = self.host.plugins.get(self.reg.plugin)
        state = info.state.value if info else "removed"
        message = f"{self.what[0].upper()}{self.what[1:]} is not available: the plugin is {state}."
        error = SERVICE_ERRORS.get(self.kind)
        if error is not None:
            raise error("unsupported", message)
        raise ExportError(message) if self.kind == "exporters" else StudioError(message)

    def failed(self, exc: BaseException) -> BaseException:
        """Report the plugin and return the exception to raise instead."""
        self.report(exc)
        if self.kind == "exporters":
            return ExportError(
                f"{self.what} broke ({type(exc).__name__}: {exc}). Studio switched that "
                "plugin off (see Settings > Plugins)."
            )
        service_error = SERVICE_ERRORS.get(self.kind)
        if service_error is not None:
            error = service_error(
                "failed",
                f"{self.what[0].upper()}{self.what[1:]} broke ({type(exc).__name__}: {exc}); "
                "Studio switched the plugin off (see Settings > Plugins).",
            )
            error.__cause__ = exc
            return error
        return exc


class Guarded:
    """A transparent proxy around one object of a plugin (a factory or a provider)."""

    __slots__ = ("_ctx", "_target", "_wrap_results")

    def __init__(self, target: Any, ctx: _Context, *, wrap_results: bool = False) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_ctx", ctx)
        object.__setattr__(self, "_wrap_results", wrap_results)

    # isinstance() and friends see the real class.
    @property  # type: ignore[misc]
    def __class__(self) -> type:  # noqa: D105
        return type(self._target)

    def __repr__(self) -> str:
        return f"<guarded {self._target!r} from plugin {self._ctx.reg.plugin}>"

    def __setattr__(self, attr: str, value: Any) -> None:
        setattr(self._target, attr, value)

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._target, attr)
        if attr.startswith("__") or not callable(value) or isinstance(value, type):
            return value
        return _wrap_callable(value, self._ctx, attr)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        ctx = self._ctx
        ctx.check_current("__call__")
        try:
            result = self._target(*args, **kwargs)
        except ctx.expected:
            raise
        except Exception as exc:
            raise ctx.failed(exc) from None
        if self._wrap_results and result is not None:
            return Guarded(result, ctx)
        return _wrap_result(result, ctx)


def guard(host: PluginHost, reg: Registration, kind: str) -> Guarded:
    """`reg.obj` (a factory) wrapped so that it and the providers it makes are guarded."""
    return Guarded(reg.obj, _Context(host, reg, kind), wrap_results=True)


def _wrap_callable(fn: Any, ctx: _Context, attr: str) -> Any:
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def call_async(*args: Any, **kwargs: Any) -> Any:
            ctx.check_current(attr)
            try:
                return await fn(*args, **kwargs)
            except ctx.expected:
                raise
            except Exception as exc:
                raise ctx.failed(exc) from None

        return call_async

    if inspect.isasyncgenfunction(fn):

        @functools.wraps(fn)
        def call_gen(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            ctx.check_current(attr)
            return _guard_iter(fn(*args, **kwargs), ctx)

        return call_gen

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        ctx.check_current(attr)
        try:
            result = fn(*args, **kwargs)
        except ctx.expected:
            raise
        except Exception as exc:
            raise ctx.failed(exc) from None
        return _wrap_result(result, ctx)

    return call


def _wrap_result(result: Any, ctx: _Context) -> Any:
    """A plain method may still return a coroutine or an async iterator: guard those too."""
    if inspect.iscoroutine(result):
        return _guard_awaitable(result, ctx)
    if hasattr(result, "__anext__"):
        return _guard_iter(result, ctx)
    return result


async def _guard_awaitable(awaitable: Any, ctx: _Context) -> Any:
    try:
        return await awaitable
    except ctx.expected:
        raise
    except Exception as exc:
        raise ctx.failed(exc) from None


async def _guard_iter(iterator: Any, ctx: _Context) -> AsyncIterator[Any]:
    try:
        async for item in iterator:
            yield item
    except ctx.expected:
        raise
    except Exception as exc:
        raise ctx.failed(exc) from None
