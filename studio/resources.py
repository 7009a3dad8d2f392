"""Where the shipped resources (prompts, templates, icons, theme) live."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

__all__ = ["resource_path", "resource_root"]


@cache
def resource_root() -> Path:
    """The `resources` folder: inside the installed package, else the source checkout's."""
    candidates: list[Path] = []
    try:
        # A wheel may carry the folder as the package `studio/resources/`. On Python 3.12+
        # files() of this module names its parent folder, so only a `resources` dir counts.
        root = Path(str(resources.files("studio.resources")))
        candidates += [root, root / "resources"]
    except (ModuleNotFoundError, TypeError, ValueError):
        pass
    here = Path(__file__).resolve().parent
    candidates += [here / "resources", here.parent / "resources"]
    for candidate in candidates:
        if candidate.name == "resources" and (candidate / "prompts").is_dir():
            return candidate
    return here.parent / "resources"


def resource_path(*parts: str) -> Path:
    """Path of a resource, e.g. `resource_path("prompts", "system.md")`."""
    return resource_root().joinpath(*parts)
