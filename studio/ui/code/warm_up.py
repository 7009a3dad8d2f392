"""A head start for the first Generate: the `openai` package takes a second to import, so
it is imported early, off the GUI thread, and frozen out of full garbage collections."""

from __future__ import annotations

import contextlib
import gc
import importlib
import threading

from studio.qt.collector import install as gui_collector

_warmed = False


def warm_up() -> None:
    global _warmed
    if _warmed:
        return
    _warmed = True

    collector = gui_collector()

    def load() -> None:
        with contextlib.suppress(Exception):  # it is only a head start
            importlib.import_module("studio.ai.chat_provider")
        # The app freezes what start-up made, so full garbage collections skip it (see
        # studio.app.run_app); the client library is start-up too. Unfrozen, its ~100,000
        # objects made every full collection 30-60 ms, a visible hitch mid-stream. The
        # GUI thread does it: no collection may run on this one (studio/qt/collector.py).
        if gc.get_freeze_count():  # only where the app chose that policy
            collector.freeze_soon()

    threading.Thread(target=load, name="studio-warm-up", daemon=True).start()
