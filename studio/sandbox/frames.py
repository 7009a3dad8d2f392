"""A game's frames: how many the compositor painted, and which pixels changed between two.

`PaintedFrames` counts the frames Chromium's compositor hands a view. A view shows its page
through a render widget (its focus proxy, a QQuickWidget) that gets one paint event per new
compositor frame, and none while the picture stands still; Qt has no per-frame signal on
it, so an event filter counts those paints. That is the game's real frame rate whatever
drives it: `requestAnimationFrame`, `setInterval`, CSS animations, a video. (Counting
`requestAnimationFrame` callbacks in the page, as Studio once did, showed 0 fps for a
`setInterval` game and 60 for one that redraws a still picture.)

`changed_pixels` marks the pixels that differ visibly between two frames, on frames scaled
to 200 x 150, as bits of one integer, so that masks of change can be OR-ed, AND-ed and
counted without a Python loop over pixels (it runs on the GUI thread).
"""

from __future__ import annotations

import contextlib
import time

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWebEngineWidgets import QWebEngineView

COMPARE_SIZE = (200, 150)
PIXELS = COMPARE_SIZE[0] * COMPARE_SIZE[1]
# A pixel is one byte of a mask: bit 8*i is pixel i (row-major), so a shift of 8 moves a
# mask one pixel sideways and one of 8 * width, one row.
ROW = 8 * COMPARE_SIZE[0]
ALL_PIXELS = int.from_bytes(b"\x01" * PIXELS, "little")
# Per byte of a difference image: 1 when a channel moved visibly (more than 6 of 255).
_VISIBLE = bytes(int(v > 6) for v in range(256))
_FORMAT = QImage.Format.Format_ARGB32_Premultiplied  # opaque: equal to RGB32, and paintable


def small_frame(image: QImage) -> QImage:
    """`image` as frames are compared: 200 x 150, opaque premultiplied ARGB."""
    if image.isNull() or (image.format() == _FORMAT and image.size().toTuple() == COMPARE_SIZE):
        return image
    return (
        image.convertToFormat(QImage.Format.Format_RGB32)
        .scaled(*COMPARE_SIZE, mode=Qt.TransformationMode.SmoothTransformation)
        .convertToFormat(_FORMAT)
    )


def changed_pixels(a: QImage, b: QImage) -> int:
    """The pixels (a mask, see above) where two frames differ visibly: one of its channels
    moved by more than 6. A null frame differs from any other everywhere.

    QPainter's Difference mode makes |a - b| per channel, `bytes.translate` marks visible
    changes with 1, and the three colour channels are OR-ed as big integers."""
    if a.isNull() or b.isNull():
        return 0 if a.isNull() and b.isNull() else ALL_PIXELS
    sa, sb = small_frame(a).copy(), small_frame(b)
    if sa == sb:
        return 0
    painter = QPainter(sa)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Difference)
    painter.drawImage(0, 0, sb)
    painter.end()
    marks = bytes(sa.constBits()).translate(_VISIBLE)  # B, G, R, A bytes of each pixel
    changed = 0
    for channel in range(3):  # not alpha: it is 255 in both
        changed |= int.from_bytes(marks[channel::4], "little")
    return changed


def frame_difference(a: QImage, b: QImage) -> float:
    """Fraction of pixels that differ visibly between two frames (0.0 … 1.0)."""
    return changed_pixels(a, b).bit_count() / PIXELS


def grown(mask: int, pixels: int = 1) -> int:
    """`mask` with the neighbours of each marked pixel marked too, `pixels` deep (slack for
    edges that land a pixel or two apart in two runs)."""
    for _ in range(pixels):
        mask |= (mask << 8) | (mask >> 8) | (mask << ROW) | (mask >> ROW)
    return mask


class PaintedFrames(QObject):
    """Counts the frames painted in a view (see the module doc); `fps` once a second."""

    fps = Signal(float)  # frames painted in the last second

    def __init__(self, view: QWebEngineView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.total = 0  # frames painted since this counter was made
        self._watched: QObject | None = None
        self._grabbing = False
        self._since = (time.monotonic(), 0)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._watch()

    def _watch(self) -> None:
        """Follow the view's render widget: a new renderer may bring a new one."""
        try:
            widget = self.view.focusProxy()
        except RuntimeError:  # the view is gone
            self.stop()
            return
        if widget is not self._watched:
            self._unwatch()
            self._watched = widget
            if widget is not None:
                widget.installEventFilter(self)

    def _unwatch(self) -> None:
        if self._watched is not None:
            with contextlib.suppress(RuntimeError):  # the widget is gone already
                self._watched.removeEventFilter(self)
            self._watched = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.Paint and not self._grabbing:
            self.total += 1
        return False

    def grab(self) -> QImage:
        """The view's picture now. Grabbing paints the view once more; that paint is not a
        frame of the game, so it is not counted."""
        self._grabbing = True
        try:
            return self.view.grab().toImage()
        finally:
            self._grabbing = False

    def restart(self) -> None:
        """Start the next second's count now (a new page is loading)."""
        self._watch()
        self._since = (time.monotonic(), self.total)

    def _tick(self) -> None:
        self._watch()
        now, (then, count) = time.monotonic(), self._since
        self._since = (now, self.total)
        if now > then:
            self.fps.emit((self.total - count) / (now - then))

    def stop(self) -> None:
        self._timer.stop()
        self._unwatch()
