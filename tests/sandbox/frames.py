"""Busy 800x600 pictures for comparing frames (tests and benchmarks/bench_gui_thread.py)."""

from __future__ import annotations

import random

from PySide6.QtGui import QColor, QImage, QPainter


def random_frame(seed: int) -> QImage:
    """40 coloured rectangles on a dark ground, the same for the same seed."""
    rnd = random.Random(seed)
    image = QImage(800, 600, QImage.Format.Format_RGB32)
    image.fill(QColor(16, 32, 48))
    painter = QPainter(image)
    for _ in range(40):
        colour = QColor(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
        painter.fillRect(rnd.randrange(800), rnd.randrange(600), 120, 90, colour)
    painter.end()
    return image
