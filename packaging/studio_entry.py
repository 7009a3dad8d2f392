"""Entry point of the frozen desktop app (PyInstaller runs this as `__main__`).

Plugins installed beside the bundle are made importable before Studio starts: every folder
below is put on `sys.path`, so a plugin's package and its `*.dist-info` (with the
`studio.plugins` entry point) placed there are found like an installed distribution:

- `plugins/` next to the executable (for whoever installed the app), and
- `<user data dir>/studio/plugins` (for a person without write access to the app folder;
  `~/.local/share/studio/plugins` on Linux).

Install a plugin there with any Python of the same minor version:
`python3.11 -m pip install --target <folder> studio-some-plugin`, or unzip its wheel.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def plugin_folders() -> list[Path]:
    folders = [Path(sys.executable).resolve().parent / "plugins"]
    if sys.platform == "darwin":  # Studio.app/Contents/MacOS/Studio: beside the .app as well
        folders.append(Path(sys.executable).resolve().parents[2].parent / "plugins")
    try:
        import platformdirs

        folders.append(Path(platformdirs.user_data_dir("studio")) / "plugins")
    except ImportError:  # pragma: no cover (platformdirs is a dependency of Studio)
        pass
    extra = os.environ.get("STUDIO_PLUGIN_PATH", "")
    folders += [Path(p) for p in extra.split(os.pathsep) if p]
    return folders


def main() -> int:
    for folder in plugin_folders():
        if folder.is_dir() and str(folder) not in sys.path:
            sys.path.append(str(folder))  # after the bundle: a plugin cannot shadow Studio
    from studio.cli import main as studio_main

    return studio_main()


if __name__ == "__main__":
    raise SystemExit(main())
