"""Work the GUI thread does that is not drawing: the Preview's frame comparison during a
playtest, and a collection by the GUI-thread garbage collector (studio/qt/collector.py).

Run by hand: `python benchmarks/bench_gui_thread.py`. Prints medians in milliseconds of
- `frame_difference` on two 800x600 frames, fully changed and unchanged;
- a full collection with the main window open, before and after the freeze start-up does
  (the most the collector's timer runs at once, when the thresholds call for it).
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("STUDIO_CONFIG_DIR", tempfile.mkdtemp(prefix="studio-bench-"))


def median_ms(action, runs: int = 30) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    from studio.app import create_window
    from studio.qt.startup import prepare_environment

    prepare_environment()
    from studio.qt.collector import application
    from studio.sandbox.frames import frame_difference
    from tests.sandbox.frames import random_frame as frame

    app = application()
    a, b, same = frame(1), frame(2), frame(1)
    changed = median_ms(lambda: frame_difference(a, b))
    unchanged = median_ms(lambda: frame_difference(a, same))
    print(f"frame_difference, changed frame:   {changed:6.2f} ms")
    print(f"frame_difference, unchanged frame: {unchanged:6.2f} ms")
    window = create_window(app, None)
    window.show()
    app.processEvents()
    print(f"full collection, window open:      {median_ms(lambda: gc.collect(2), 10):6.2f} ms")
    gc.freeze()  # as run_app does after start-up
    print(f"the same after start-up's freeze:  {median_ms(lambda: gc.collect(2), 10):6.2f} ms")
    window.close()


if __name__ == "__main__":
    main()
