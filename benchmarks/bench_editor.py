"""The code editor on a long file: highlighting 5,000 lines, and typing at its end.

Reports how long a 5,000-line game takes to be highlighted in full, the longest time the
event loop was held meanwhile (wall clock, and CPU time of the GUI thread, which a busy
machine does not inflate), and the latency of keystrokes typed at the end of that file (a
key event sent until the editor has processed and repainted it).

Run: python benchmarks/bench_editor.py [--lines 5000] [--runs 3]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.ui.long_game import big_html  # noqa: E402 (the editor tests' file)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def highlight_run(app, lines: int) -> dict[str, float]:
    from PySide6.QtCore import QTimer

    from studio.ui.code import lexing
    from studio.ui.code.editor import CodeEditor

    lexing.lex_line.cache_clear()  # a file never seen before
    editor = CodeEditor()
    editor.resize(900, 700)
    editor.show()
    text = big_html(lines)
    ticks: list[tuple[float, float]] = []
    timer = QTimer(interval=1)
    timer.timeout.connect(lambda: ticks.append((time.perf_counter(), time.thread_time())))
    timer.start()
    end = time.perf_counter() + 0.1
    while time.perf_counter() < end:
        app.processEvents()
    ticks.clear()

    start = (time.perf_counter(), time.thread_time())
    ticks.append(start)
    editor.set_file("index.html", text)
    loaded = time.perf_counter() - start[0]
    while editor.highlighter.busy():
        app.processEvents()
    ticks.append((time.perf_counter(), time.thread_time()))
    total = ticks[-1][0] - start[0]
    timer.stop()
    wall = [(b[0] - a[0]) * 1000 for a, b in itertools.pairwise(ticks)]
    cpu = [(b[1] - a[1]) * 1000 for a, b in itertools.pairwise(ticks)]

    typing = type_at_end(app, editor)
    editor.close()
    editor.deleteLater()
    app.processEvents()
    return {
        "set_file_ms": loaded * 1000,
        "total_s": total,
        "max_block_wall_ms": max(wall),
        "max_block_cpu_ms": max(cpu),
        "p95_block_wall_ms": percentile(wall, 0.95),
        "ticks": len(wall),
        **typing,
    }


def type_at_end(app, editor, keys: str = "  const typed = state.value * 2; // typing here") -> dict:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    cursor = editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    cursor.movePosition(cursor.MoveOperation.PreviousBlock)
    cursor.movePosition(cursor.MoveOperation.PreviousBlock)
    cursor.movePosition(cursor.MoveOperation.EndOfBlock)  # inside the script, before </script>
    editor.setTextCursor(cursor)
    editor.setFocus()
    editor.ensureCursorVisible()
    app.processEvents()
    latencies, cpu = [], []
    for ch in "\n" + keys:
        start, start_cpu = time.perf_counter(), time.thread_time()
        if ch == "\n":
            QTest.keyClick(editor, Qt.Key.Key_Return)
        else:
            QTest.keyClick(editor, ch)
        editor.viewport().repaint()  # what the person sees: the key's paint included
        app.processEvents()
        latencies.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
    return {
        "key_median_ms": statistics.median(latencies),
        "key_p95_ms": percentile(latencies, 0.95),
        "key_max_ms": max(latencies),
        "key_cpu_median_ms": statistics.median(cpu),
        "key_cpu_max_ms": max(cpu),
        "keys": len(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from studio.qt.startup import prepare_environment

    prepare_environment()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    gc.collect()
    gc.freeze()  # as run_app does after start-up

    results = [highlight_run(app, args.lines) for _ in range(args.runs)]
    print(f"Highlighting a {args.lines}-line file, {args.runs} runs (median of runs, worst):")
    for key in results[0]:
        values = [r[key] for r in results]
        print(f"  {key:<18} {statistics.median(values):9.2f}   worst {max(values):9.2f}")


if __name__ == "__main__":
    main()
