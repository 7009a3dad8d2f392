"""asyncio on Qt's loop in tests, as in the app, on the QApplication pytest-qt keeps running.

`qt_asyncio()` puts a qasync loop on the running QApplication for a `with` block (the
`qloop` fixture in tests/conftest.py wraps it); `wait_for(task)` runs Qt's event loop, and
so asyncio's, until the task is done; `run_with_qt(coro)` does both for one coroutine.

The qasync loop is never stopped or run itself: its stop() (and so run_until_complete)
calls QApplication.exit(), after which Qt's nested event loops (qtbot.waitSignal) return at
once for the rest of the session, and its aboutToQuit tears QtWebEngine down, so that any
later WebEngine use in the same session may crash.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import qasync
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

import studio.qt.refcount_fix  # noqa: F401  (before any Qt call)

T = TypeVar("T")

SETTLE = 2.0  # seconds the tasks left at the end get to finish being cancelled


@contextlib.contextmanager
def qt_asyncio(app: QCoreApplication | None = None) -> Iterator[qasync.QEventLoop]:
    """A qasync loop on the running QApplication: tasks run while Qt's events are
    processed (`wait_for`, `qtbot.waitUntil`, `qtbot.waitSignal`). At the end, tasks still
    pending are cancelled and the loop is closed without stopping Qt."""
    app = app or QApplication.instance()
    assert app is not None, "needs the QApplication (pytest-qt's qapp fixture)"
    loop = qasync.QEventLoop(app, already_running=True)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            with contextlib.suppress(TimeoutError):
                wait_for(asyncio.gather(*pending, return_exceptions=True), SETTLE)
        # Abandoned response streams are closed here, on the loop, not later by the GC.
        with contextlib.suppress(TimeoutError):
            wait_for(loop.shutdown_asyncgens(), SETTLE)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        # What stop() would do, without its QApplication.exit().
        asyncio.events._set_running_loop(None)
        loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
        loop.close()
        asyncio.set_event_loop(None)


def wait_for(task: Awaitable[T], timeout: float = 240) -> T:
    """Run Qt's event loop (and so asyncio's) until `task` is done; its result. A coroutine
    is made a task on the current loop. Inside `qt_asyncio`.

    A nested QEventLoop, as qtbot.waitSignal uses, rather than QTest.qWait: that holds the
    GIL while it sleeps, so Python code on worker threads (asyncio.to_thread) would crawl.
    """
    future = asyncio.ensure_future(task)
    if not future.done():
        waiting = QEventLoop()
        future.add_done_callback(lambda _future: waiting.quit())
        limit = QTimer(singleShot=True, interval=round(timeout * 1000))
        limit.timeout.connect(waiting.quit)
        limit.start()
        waiting.exec()
        limit.stop()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    if not future.done():
        future.cancel()
        raise TimeoutError(f"{future!r} did not finish in {timeout:g} s")
    return future.result()


async def until(predicate: Callable[[], object], timeout: float = 30.0, what: str = "") -> None:
    """Inside a scenario run by `run_with_qt`: wait (letting Qt and asyncio run) until
    `predicate()` is true; AssertionError naming `what` after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.02)


def run_with_qt(coro: Awaitable[T], timeout: float = 120) -> T:
    """Run one coroutine to its end on a qasync loop over the running QApplication; Qt
    slots it triggers see a running asyncio loop, as they do in the app."""
    with qt_asyncio():
        return wait_for(coro, timeout)
