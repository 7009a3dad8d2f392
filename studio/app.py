"""The window app: QApplication, one asyncio loop on Qt's (qasync), the main window.

What Qt must have before QApplication exists is set by `studio.qt.startup`. A file the
desktop opens with Studio comes as an argument (`studio PATH`, Linux and Windows) or, on
macOS, as a file-open event: both open the project, or import the archive first."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
from pathlib import Path

QUIT_WAIT = 15.0  # seconds, at quit, for the closed project's jobs to keep what they wait for


def create_window(app, project: Path | None):
    """The main window with plugins loaded and the last (or given) project open."""
    from studio.config.settings import Settings
    from studio.plugins.control import load_host
    from studio.ui.main_window import MainWindow
    from studio.ui.theme import apply_theme

    settings = Settings()
    host = load_host(settings)
    apply_theme(app)
    window = MainWindow(host, settings)
    if project is not None:
        window.open_path(project)
    else:
        window.restore_last_project()
    return window


def open_files_from_the_desktop(app, window) -> None:
    """macOS sends files Finder opens with Studio as QFileOpenEvent, not as arguments. The
    filter sees every event of the application, so it is installed there only (under
    Linux's offscreen and xcb platforms an application-wide Python filter crashed Qt)."""
    if sys.platform != "darwin":
        return
    from PySide6.QtCore import QEvent, QObject

    class Opener(QObject):
        def eventFilter(self, _watched, event) -> bool:  # noqa: N802 (Qt API)
            if event.type() != QEvent.Type.FileOpen:
                return False
            path = Path(event.file())
            if path.suffix == ".studioproj":
                window.import_archive_dialog(path)
            else:
                window.open_path(path)
            return True

    opener = Opener(app)
    app.installEventFilter(opener)


def run_app(project: Path | None) -> int:
    from studio.qt.startup import prepare_environment

    prepare_environment()
    import qasync
    from PySide6.QtGui import QIcon

    from studio.config.resources import resource_path
    from studio.qt.collector import application

    app = application()
    app.setApplicationName("Studio")
    app.setOrganizationName("Studio")
    app.setDesktopFileName("studio")  # matches packaging/studio.desktop
    app.setWindowIcon(QIcon(str(resource_path("icons", "studio.svg"))))
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = create_window(app, project)
    open_files_from_the_desktop(app, window)
    window.show()
    # What start-up made lives as long as the app: keep it out of full garbage collections,
    # which would otherwise scan all of it (tens of ms on the GUI thread) now and then.
    gc.collect()
    gc.freeze()
    closing = asyncio.Event()
    app.aboutToQuit.connect(closing.set)
    with loop:
        loop.run_until_complete(closing.wait())
        finish_tasks(app, loop, window.session)
    return 0


def finish_tasks(app, loop: asyncio.AbstractEventLoop, session) -> None:
    """Once the app's loop has ended: the closed project's job runners finish closing first
    (within QUIT_WAIT), so that a clip's submit answered meanwhile is kept, not sent (and
    paid for) again at the next start; then the tasks still pending are cancelled and get
    to finish their clean-up."""
    if all(task.done() for task in asyncio.all_tasks(loop)):
        return
    # Running the loop again ends by emitting aboutToQuit again: QtWebEngine tears itself
    # down on the first and crashes on a second, so the app's signals stay blocked.
    app.blockSignals(True)
    with contextlib.suppress(TimeoutError):
        loop.run_until_complete(asyncio.wait_for(session.idle(), QUIT_WAIT))
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
