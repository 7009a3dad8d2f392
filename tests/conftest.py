"""Shared test set-up: offscreen Qt, a private settings folder, the URL scheme registered.

The scheme must be registered and Chromium's flags set before pytest-qt creates the
QApplication, so that happens here at import time.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["STUDIO_CONFIG_DIR"] = tempfile.mkdtemp(prefix="studio-test-config-")

import pytest  # noqa: E402


def _prepare_qt() -> None:
    try:
        from studio.app import prepare_environment
    except ImportError:  # PySide6 missing: only the Qt-free tests can run
        return
    prepare_environment()


_prepare_qt()


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    """A fresh settings folder for one test."""
    path = tmp_path / "config"
    path.mkdir()
    monkeypatch.setenv("STUDIO_CONFIG_DIR", str(path))
    return path
