"""studio.story is Qt-free like studio.core: the CLI and headless work import it without Qt."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import importlib, json, pkgutil, sys
import studio.story
for info in pkgutil.iter_modules(studio.story.__path__):
    importlib.import_module("studio.story." + info.name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6"))))
"""


def test_story_package_imports_no_qt():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert json.loads(result.stdout) == []


def test_story_sources_name_no_qt():
    for path in (REPO / "studio" / "story").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "PySide6" not in text and "shiboken6" not in text, path
