"""Where the shipped resources (prompts, templates, theme) are, installed or in a checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def resource_root() -> Path:
    try:
        root = Path(str(resources.files("studio._resources")))
        if root.is_dir():
            return root
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resource_root().joinpath(*parts)
