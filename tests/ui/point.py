"""Helpers for the tests of pointing, drawing and tuning in the window (issue 17): a window
whose code model is the scripted chat server, starter games opened from the gallery, and
the person's mouse on the Preview's layers (Qt mouse events, as a person's)."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

from studio.ai.code_providers import ProviderConfig, save_provider_config
from studio.core.store import Project
from studio.operations.projects import new_project
from studio.testing.servers.chat import ChatServer
from studio.ui.main_window import MainWindow
from tests.gallery import gallery_templates
from tests.ui.conftest import open_project, run_js

LOAD = 20_000


def use_server(window: MainWindow, server: ChatServer, model: str, vision: str) -> None:
    config = ProviderConfig(base_url=server.base_url, model=model, timeout=10, vision=vision)
    save_provider_config(window.settings, config)
    window.chat.update_model_label()
    window.chat.extras.meter.reset()


def open_template(qtbot, window: MainWindow, folder: Path, name: str, **files: str) -> Project:
    """A new project from the gallery's template `name` (with `files` changed), open and
    playing in the Preview."""
    template = next(t for t in gallery_templates() if t.name == name)
    with new_project(folder / name, template) as made:
        if files:
            made.commit({**made.files(made.head), **files}, parent=made.head, kind="manual")
        path = made.path
    project = open_project(window, path)
    qtbot.waitUntil(lambda: window.preview.state == "running", timeout=LOAD)
    qtbot.waitUntil(lambda: run_js(qtbot, window, "!!window.studio") is True, timeout=LOAD)
    return project


def open_game(qtbot, window: MainWindow, folder: Path, html: str) -> Project:
    with Project.create(folder / "game") as made:
        made.commit({"index.html": html}, parent=None, kind="import")
        path = made.path
    project = open_project(window, path)
    qtbot.waitUntil(lambda: window.preview.state == "running", timeout=LOAD)
    return project


def page_point(qtbot, window: MainWindow, selector: str) -> QPoint:
    """The centre of the element `selector` in the Preview's view, in widget pixels."""
    box = run_js(
        qtbot,
        window,
        f"(() => {{ const r = document.querySelector({selector!r}).getBoundingClientRect();"
        " return JSON.stringify([r.x + r.width / 2, r.y + r.height / 2]); })()",
    )
    box = json.loads(box)
    assert isinstance(box, list), box
    zoom = window.preview.view.zoomFactor()
    return QPoint(round(box[0] * zoom), round(box[1] * zoom))


def mouse(widget: QWidget, kind: QEvent.Type, at: QPoint, buttons=Qt.MouseButton.NoButton) -> None:
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    held = Qt.MouseButton.LeftButton if kind == QEvent.Type.MouseButtonPress else buttons
    point = QPointF(at)
    event = QMouseEvent(
        kind, point, widget.mapToGlobal(point), button, held, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, event)


def move(widget: QWidget, at: QPoint, buttons=Qt.MouseButton.NoButton) -> None:
    mouse(widget, QEvent.Type.MouseMove, at, buttons)


def click(widget: QWidget, at: QPoint) -> None:
    move(widget, at)
    mouse(widget, QEvent.Type.MouseButtonPress, at)
    mouse(widget, QEvent.Type.MouseButtonRelease, at)


def drag(widget: QWidget, start: QPoint, end: QPoint, steps: int = 6) -> None:
    move(widget, start)
    mouse(widget, QEvent.Type.MouseButtonPress, start)
    for i in range(1, steps + 1):
        move(widget, start + (end - start) * i / steps, Qt.MouseButton.LeftButton)
    mouse(widget, QEvent.Type.MouseButtonRelease, end)


def last_prompt(server: ChatServer):
    """The content of the last message of the last chat request the server received."""
    return server.chat_requests[-1].body["messages"][-1]["content"]


def prompt_text(content) -> str:
    return content if isinstance(content, str) else content[0]["text"]
