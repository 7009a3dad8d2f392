"""The window starts whatever settings.json holds (issue 18): a layout, a last project and
the Chat panel's choices that are damaged, foreign or of the wrong type give the defaults,
never a window that fails to open."""

from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from studio.config.settings import FILE_NAME, Settings
from studio.ui.main_window import MainWindow
from tests.fuzz import examples

scalars = (
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats() | st.text(max_size=8)
)
anything = st.recursive(scalars, lambda inner: st.lists(inner, max_size=2), max_leaves=4)
blobs = st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()) | scalars
layouts = (
    st.fixed_dictionaries(
        {},
        optional={
            "geometry": blobs,
            "splitter": blobs,
            "code_splitter": blobs,
            "hidden": st.lists(st.sampled_from(["code", "preview", "video", 3]), max_size=3)
            | anything,
        },
    )
    | anything
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "layout": layouts,
        "last_project": st.sampled_from(["", "/", "/nonexistent.studio", "/etc/passwd"]) | anything,
        "last_version": anything,
        "variations": anything,
        "auto_fix": anything,
        "code_provider": anything,
        "code_providers": anything,
    },
)


@settings(
    max_examples=examples(40),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(documents)
@example({"layout": [1]})  # found: each of these stopped the window from opening
@example({"layout": {"geometry": "not base64!"}})
@example({"layout": {"hidden": 5}})
@example({"last_project": 7})
@example({"last_project": "/", "last_version": "x"})
@example({"variations": "many"})
@example({"variations": 10**30})
def test_the_window_opens_whatever_the_settings_say(qtbot, host, document):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / FILE_NAME
        path.write_text(json.dumps(document), encoding="utf-8")
        window = MainWindow(host, Settings(path))
        try:
            window.show()
            qtbot.waitExposed(window)
            window.restore_last_project()
            assert window.isVisible()
        finally:
            window.close()
            window.deleteLater()
            QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
