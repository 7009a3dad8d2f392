"""A provider factory that imports its module only when a provider is made.

A plugin's module is imported at start-up, so a plugin that imported its provider (and
with it a service's SDK) there would make every start slower. `lazy_factory` registers
the factory by name instead: its module is imported the first time Studio makes a
provider, which is when the person picks it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_factory"]

Factory = Callable[[Mapping[str, Any]], Any]


def lazy_factory(target: str) -> Factory:
    """A factory that calls `target` ("package.module:function") with the options it gets,
    importing the module at that first call. Register it in a provider hook:

        register("fal", lazy_factory("studio_fal.video:create_provider"))
    """
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{target!r} is not 'module:function'")

    def factory(options: Mapping[str, Any]) -> Any:
        make = getattr(importlib.import_module(module_name), attribute)
        return make(options)

    factory.__name__ = attribute
    factory.__qualname__ = f"lazy_factory({target!r})"
    return factory
