"""Where the shipped resources (prompts, templates, icons, theme) live."""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["resource_path", "resource_root"]


@cache
def resource_root() -> Path:
    """`studio/_resources` in an installed wheel, else the checkout's top-level `resources/`."""
    package = Path(__file__).resolve().parents[1]  # studio/
    for candidate in (package / "_resources", package.parent / "resources"):
        if (candidate / "templates").is_dir():
            return candidate
    return package.parent / "resources"


def resource_path(*parts: str) -> Path:
    """Path of a resource, e.g. `resource_path("prompts", "system.md")`."""
    return resource_root().joinpath(*parts)
