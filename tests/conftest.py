"""Shared test set-up: offscreen Qt, a private settings folder, the URL scheme registered.

The scheme must be registered and Chromium's flags set before pytest-qt creates the
QApplication, so that happens here at import time.
"""

from __future__ import annotations

import os
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["STUDIO_CONFIG_DIR"] = tempfile.mkdtemp(prefix="studio-test-config-")

import keyring  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from keyring.backends.fail import Keyring as FailKeyring  # noqa: E402


def _prepare_qt() -> None:
    try:
        from studio.qt.startup import prepare_environment
    except ImportError:  # PySide6 missing: only the Qt-free tests can run
        return
    prepare_environment()


_prepare_qt()

# Fuzzing (Hypothesis): "ci" keeps every target to its base number of examples (see
# tests/fuzz.py); `--hypothesis-profile long` runs 20 times as many. No deadline: a slow
# example on a busy machine is not a failure (a hang is, by pytest-timeout).
_FUZZ = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow], "print_blob": True}
# CI tries the same cases on every run (derandomized: a run passes or fails by the code, not
# by the draw); the long profile draws anew each time to find what those do not.
settings.register_profile("ci", max_examples=100, derandomize=True, **_FUZZ)
settings.register_profile("long", max_examples=2000, **_FUZZ)
settings.load_profile("ci")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("studio soak", "the random-kill soak (tests/soak)")
    group.addoption("--soak-kills", type=int, default=40, help="kills in the soak (default 40)")
    group.addoption("--soak-seed", type=int, default=None, help="the soak's seed (default: new)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The soak's time grows with its kills: its timeout does too."""
    kills = config.getoption("--soak-kills")
    for item in items:
        if "tests/soak/" in item.nodeid:
            item.add_marker(pytest.mark.timeout(240 + 6 * kills))


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    """A fresh settings folder for one test."""
    path = tmp_path / "config"
    path.mkdir()
    monkeypatch.setenv("STUDIO_CONFIG_DIR", str(path))
    return path


@pytest.fixture
def qloop(qapp):
    """asyncio on Qt's loop, as in the app: tasks run while Qt's events are spun."""
    from tests.qt_asyncio import qt_asyncio  # Qt: imported only by the tests that use it

    with qt_asyncio(qapp) as loop:
        yield loop


@pytest.fixture
def no_keyring():
    """Keys stored by a test go to the private file, never to a developer's real keyring."""
    before = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        yield
    finally:
        keyring.set_keyring(before)


def _collect_on_the_gui_thread() -> None:
    """Once Qt runs, Python's collector runs on the GUI thread only, as in the app: a Qt
    object collected by a worker thread leaves its timers behind (studio/qt/collector.py)."""
    qtcore = sys.modules.get("PySide6.QtCore")
    if qtcore is not None and qtcore.QCoreApplication.instance() is not None:
        from studio.qt.collector import install

        install()


@pytest.fixture(autouse=True)
def gui_thread_collector():
    _collect_on_the_gui_thread()
    yield
    _collect_on_the_gui_thread()


@pytest.fixture(autouse=True)
def forget_context_windows():
    """What servers said of their context windows is kept for the session (by URL): a test
    whose server reuses an earlier one's port must not inherit it."""
    from studio.ai.context_window import forget

    forget()
    yield
