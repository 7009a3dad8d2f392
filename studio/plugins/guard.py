"""Wrappers that keep a plugin's provider from taking Studio down with it.

`PluginHost.get` hands out an outside plugin's provider factory wrapped here. The factory
and every provider it makes are transparent proxies (attributes, `isinstance`, assignment
all reach the real object), with one difference: an exception that is not one of Studio's
own error types (`ServiceError` such as `VideoError`, `GenerationError`, `StudioError`,
`MediaError`: a service or a file failed, which is normal) is a bug in the plugin. It is
reported to `host.report_failure`, which marks the plugin failed and drops what it
registered, and the caller gets a `VideoError` or `ImageError` (media providers) or the
original exception (others).

A provider made before its plugin was disabled refuses further work (`aclose` and `cancel`
still pass, so resources are freed), so disabling takes effect at once, even for jobs that
were already running.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from studio.ai.errors import GenerationError
from studio.ai.image_provider import ImageError
from studio.ai.services import ServiceError
from studio.ai.video_provider import VideoError
from studio.errors import StudioError
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
    __slots__ = ("host", "kind", "reg")

    def __init__(self, host: PluginHost, reg: Registration, kind: str) -> None:
        self.host, self.reg, self.kind = host, reg, kind

    @property
    def what(self) -> str:
        label = self.kind.replace("_", " ")[:-1]
        return f"the {label} {self.reg.name!r} (plugin {self.reg.plugin})"

    def check_current(self, attr: str) -> None:
        if attr in CLEANUP or self.host.is_current(self.reg, self.kind):
            return
        info = self.host.plugins.get(self.reg.plugin)
        state = info.state.value if info else "removed"
        message = f"{self.what[0].upper()}{self.what[1:]} is not available: the plugin is {state}."
        error = SERVICE_ERRORS.get(self.kind)
        if error is not None:
            raise error("unsupported", message)
        raise StudioError(message)

    def failed(self, exc: BaseException) -> BaseException:
        """Report the plugin and return the exception to raise instead."""
        self.host.report_failure(self.reg.plugin, exc)
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
        except EXPECTED:
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
            except EXPECTED:
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
        except EXPECTED:
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
    except EXPECTED:
        raise
    except Exception as exc:
        raise ctx.failed(exc) from None


async def _guard_iter(iterator: Any, ctx: _Context) -> AsyncIterator[Any]:
    try:
        async for item in iterator:
            yield item
    except EXPECTED:
        raise
    except Exception as exc:
        raise ctx.failed(exc) from None
