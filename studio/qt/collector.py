"""Garbage collection on the GUI thread only, while Qt runs.

Python's cyclic collector runs in whichever thread crosses an allocation threshold: often a
worker (asyncio.to_thread, the openai client's pool). A Qt object it frees there is
destroyed on the wrong thread, so its timers stay registered with the GUI thread's event
dispatcher, which later fires them at freed memory: a segfault in
QTimerInfoList::activateTimers (seen in the bench tests, where a closed qasync loop's timer
object was collected by a worker). So once a QApplication exists, automatic collection is
off and the GUI thread collects on a timer instead, by Python's own thresholds.

While code streams in (`hold()`), only the young generations are collected: a full
collection scans every object the app holds (30-60 ms here) and would hold a frame.
"""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QCoreApplication, QObject, QTimer
from PySide6.QtWidgets import QApplication

import studio.qt.refcount_fix  # noqa: F401  (before any Qt call)

EVERY_MS = 250  # how often the GUI thread looks at the collector's counts


class MainThreadCollector(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._holders = 0
        self._freeze = False
        self._timer = QTimer(self)
        self._timer.setInterval(EVERY_MS)
        self._timer.timeout.connect(self.collect)
        self._timer.start()
        gc.disable()

    def collect(self) -> int:
        """Collect what the thresholds call for (the oldest generation only when no stream
        holds it off); the number of objects found unreachable."""
        if self._freeze:
            self._freeze = False
            found = gc.collect(1)
            gc.freeze()
            return found
        low, middle, high = gc.get_threshold()
        young, collections, middle_collections = gc.get_count()
        if low <= 0 or young < low:
            return 0
        generation = 0
        if collections >= middle:
            generation = 1
            if middle_collections >= high and not self._holders:
                generation = 2
        return gc.collect(generation)

    def freeze_soon(self) -> None:
        """At the next tick, collect the young generations and freeze what is left, so full
        collections skip it (for a library loaded after start-up). Any thread may ask."""
        self._freeze = True

    def hold(self) -> None:
        """No full collection until `release` (calls nest)."""
        self._holders += 1

    def release(self) -> None:
        self._holders = max(0, self._holders - 1)


def install() -> MainThreadCollector:
    """The collector of the running QCoreApplication (made on first use)."""
    app = QCoreApplication.instance()
    assert app is not None, "make the QApplication first"
    found = app.findChild(MainThreadCollector)
    return found if found is not None else MainThreadCollector(app)


def application() -> QApplication:
    """The QApplication (made if there is none yet), collecting on its own thread."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    install()
    return app  # type: ignore[return-value]
