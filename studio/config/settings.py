"""Per-user settings in one JSON file (last project, layout, providers, plugins).

Secrets never go here: API keys live in the keyring (see studio.config.keys).
The folder is `STUDIO_CONFIG_DIR` when set (tests, portable installs), else the platform's.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, TypeVar

import platformdirs

FILE_NAME = "settings.json"

T = TypeVar("T")


def config_dir() -> Path:
    override = os.environ.get("STUDIO_CONFIG_DIR")
    path = Path(override) if override else Path(platformdirs.user_config_dir("studio"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _read(path: Path) -> dict[str, Any] | None:
    """The document at `path`: {} when there is none, None when it is damaged."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else {}


def stored_value(key: str, default: Any = None) -> Any:
    """One value of settings.json as it is on disk now, for Qt-free code that has no
    `Settings` at hand (the ffmpeg lookup). Reads only; a damaged file gives `default`."""
    data = _read(config_dir() / FILE_NAME)
    return default if data is None else data.get(key, default)


class Settings:
    """A small JSON document, written atomically on every change."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / FILE_NAME
        self._data: dict[str, Any] = self._load()

    def _load(self) -> dict[str, Any]:
        data = _read(self.path)
        if data is None:
            # A damaged settings file must not stop the app; keep it aside for inspection.
            self.path.replace(self.path.with_suffix(".damaged"))
            return {}
        return data

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def value(self, key: str, kind: type[T], default: T) -> T:
        """The stored value when it is a `kind`, else `default`: the file may have been
        edited by hand, or written by another Studio (a bool is no int here)."""
        value = self._data.get(key, default)
        if isinstance(value, bool) and kind is not bool:
            return default
        return value if isinstance(value, kind) else default

    def set(self, key: str, value: Any) -> None:
        self._data[key] = value
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self._data, f, indent=2, sort_keys=True)
        os.replace(tmp, self.path)
