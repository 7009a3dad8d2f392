"""Start-up: scheme registration, QApplication, one asyncio loop on Qt's (qasync)."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def prepare_environment() -> None:
    """Things Qt reads once at start-up, so they must be set before QApplication."""
    from studio.sandbox.scheme import chromium_flags, register_scheme

    flags = chromium_flags()
    if "--no-sandbox" in flags:
        log.warning("running as root: Chromium's sandbox is switched off for the Preview")
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = flags
    register_scheme()


def create_window(app, project: Path | None):
    """The main window with plugins loaded and the last (or given) project open."""
    from studio.core.settings import Settings
    from studio.plugins.host import PluginHost
    from studio.ui.main_window import MainWindow
    from studio.ui.theme import apply_theme

    settings = Settings()
    host = PluginHost(disabled=settings.get("disabled_plugins", []))
    host.load_all()
    apply_theme(app)
    window = MainWindow(host, settings)
    if project is not None:
        window.open_path(project)
    else:
        window.restore_last_project()
    return window


def run_app(project: Path | None) -> int:
    prepare_environment()
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Studio")
    app.setOrganizationName("Studio")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = create_window(app, project)
    window.show()
    closing = asyncio.Event()
    app.aboutToQuit.connect(closing.set)
    with loop:
        loop.run_until_complete(closing.wait())
        # Let tasks that were cancelled on close finish their clean-up.
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    return 0
