"""A plugin author's side: the files plugins/README.md shows (so tests run exactly what
authors read), and running an author's own test suite with a separate pytest.

A fenced block of the README is a file when the line just before it (and a blank line) is
the file's path in backticks and a colon, e.g. "`studio_hello/pattern.py`:"; other blocks
(console output, folder trees) are not files.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "plugins" / "README.md"
_BLOCK = re.compile(r"^`([\w./-]+)`:\n\n```\w*\n(.*?)^```$", re.S | re.M)


def readme_files() -> dict[str, str]:
    """Each file's path (relative to the plugin's folder) and text."""
    files: dict[str, str] = {}
    for path, code in _BLOCK.findall(README.read_text(encoding="utf-8")):
        assert path not in files, f"plugins/README.md shows {path} twice"
        files[path] = code
    return files


def write_readme_files(folder: Path, *paths: str) -> None:
    """Write the README's files named in `paths` under `folder`."""
    files = readme_files()
    for path in paths:
        assert path in files, f"plugins/README.md no longer shows {path}: {sorted(files)}"
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(files[path], encoding="utf-8")


def run_author_suite(
    folder: Path, *plugin_args: str, path: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`pytest tests` in `folder`, with `path` (default: `folder`) on PYTHONPATH."""
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(path or folder), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin_args, "tests"],
        cwd=folder,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
