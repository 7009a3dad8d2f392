"""Garbage is collected on the GUI thread only while Qt runs (studio/qt/collector.py): a Qt object
collected by a worker thread would leave its timers behind and crash the app later."""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QEventLoop, QTimer

from studio.qt.collector import EVERY_MS, MainThreadCollector, application, install


class Cycle:
    """A piece of cyclic garbage that notes which thread finally collects it."""

    def __init__(self, seen: list[str]) -> None:
        self.me = self
        self.seen = seen

    def __del__(self) -> None:
        self.seen.append(threading.current_thread().name)


def cycles(count: int) -> None:
    """`count` lists that refer to themselves: garbage only the collector frees."""
    for _ in range(count):
        loop: list = []
        loop.append(loop)


def spin(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def test_one_collector_and_no_automatic_collection(qapp):
    assert application() is qapp
    collector = install()
    assert install() is collector
    assert len(qapp.findChildren(MainThreadCollector)) == 1
    assert not gc.isenabled()


def test_garbage_made_by_a_worker_is_collected_on_the_gui_thread(qapp):
    install()
    gc.collect()
    seen: list[str] = []

    def work() -> None:
        # Far past the young generation's threshold: automatic collection would run here.
        for _ in range(gc.get_threshold()[0] * 3):
            Cycle(seen)

    worker = threading.Thread(target=work, name="worker")
    worker.start()
    worker.join()
    assert seen == []  # nothing collected on the worker
    spin(EVERY_MS * 8)
    assert seen and set(seen) == {threading.main_thread().name}


def test_a_stream_holds_off_full_collections(qapp):
    collector = install()
    gc.collect()
    generations: list[int] = []

    def note(phase: str, info: dict) -> None:
        if phase == "start":
            generations.append(info["generation"])

    gc.callbacks.append(note)
    try:
        collector.hold()
        for _ in range(200):  # enough young collections for a full one, were it allowed
            cycles(gc.get_threshold()[0] + 10)
            collector.collect()
        collector.release()
        assert generations and max(generations) == 1
        generations.clear()
        for _ in range(200):
            cycles(gc.get_threshold()[0] + 10)
            collector.collect()
        assert 2 in generations  # released: full collections happen again
    finally:
        gc.callbacks.remove(note)


def test_a_freeze_asked_by_a_worker_happens_on_the_gui_thread(qapp):
    collector = install()
    before = gc.get_freeze_count()
    kept = [[] for _ in range(100)]  # objects for the freeze to move aside
    threads: list[str] = []

    def note(phase: str, info: dict) -> None:
        if phase == "start":
            threads.append(threading.current_thread().name)

    gc.callbacks.append(note)
    try:
        worker = threading.Thread(target=collector.freeze_soon, name="worker")
        worker.start()
        worker.join()
        assert gc.get_freeze_count() == before and threads == []
        spin(EVERY_MS * 3)
        assert gc.get_freeze_count() >= before + len(kept)
        assert threads and set(threads) == {threading.main_thread().name}
    finally:
        gc.callbacks.remove(note)
        if before == 0:
            gc.unfreeze()
