"""A small player for one clip: QMediaPlayer frames painted into a plain widget.

QtMultimedia's FFmpeg backend plays the WebM proxies here, offscreen too (checked on the
PySide6 6.12 wheels). Frames go through a QVideoSink and are painted by this widget, rather
than a QVideoWidget, so the picture also shows in `grab()` (screenshots, tests) and needs no
native child window. Without QtMultimedia the widget shows the clip's poster and says so.

The media player is made when the first clip is loaded and its audio output when playback
first starts (together a tenth of a second or more, an audio server connection among it),
so start-up and opening a project without playing anything do not pay for them.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Q_ARG, QMetaObject, QRect, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from PySide6.QtMultimedia import QMediaPlayer, QVideoFrame

# Imported when the first clip is loaded; without PySide6-Addons: posters only.
MULTIMEDIA = importlib.util.find_spec("PySide6.QtMultimedia") is not None


def _queued(player: QMediaPlayer, slot: str, *args: Any) -> None:
    """Call one of the player's slots from Qt's event loop, after those asked for before.

    Stopping or changing the source tears the FFmpeg backend's renderer down on its own
    thread, and that object's destructor calls back into our Python-made player
    (disconnectNotify), which needs the GIL. Called from Python, the slot would hold the
    GIL while it waits for that thread: a deadlock (seen in the tests). Queued, Qt's event
    loop makes the call with the GIL free. Every control goes this way to keep the order."""
    QMetaObject.invokeMethod(player, slot, Qt.ConnectionType.QueuedConnection, *args)


def _playing(player: QMediaPlayer) -> bool:
    return player.playbackState() == type(player).PlaybackState.PlayingState


def _clock(ms: int) -> str:
    seconds = max(0, ms) / 1000
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


class _Screen(QWidget):
    """Paints the current frame (or the poster), letterboxed, on black."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = QImage()
        self.note = ""
        self.setMinimumHeight(120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(320, 180)

    def show_image(self, image: QImage) -> None:
        self.image = image
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#000000"))
        if not self.image.isNull():
            size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(self.rect().center())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, self.image)
        if self.note:
            painter.setPen(QColor("#9da5b4"))
            painter.drawText(
                self.rect().adjusted(8, 8, -8, -8),
                Qt.AlignmentFlag.AlignBottom | Qt.TextFlag.TextWordWrap,
                self.note,
            )
        painter.end()


class ClipPlayer(QWidget):
    """Plays a file (the clip's WebM proxy) with play/pause, a position slider and a clock."""

    position_changed = Signal(float)  # seconds
    duration_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.screen_ = _Screen(self)
        self.play_button = QToolButton()
        self.play_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.play_button.setToolTip("Play / pause")
        self.play_button.clicked.connect(self.toggle)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.sliderMoved.connect(self.seek_ms)
        self.clock = QLabel("0:00.0 / 0:00.0")
        self.clock.setStyleSheet("color: #9da5b4;")
        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(self.play_button)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.clock)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.screen_, 1)
        layout.addLayout(controls)
        self.frames = 0  # frames shown since the last `load`
        self.player: QMediaPlayer | None = None  # made by the first `load` of a file
        self.audio = None  # made by the first `play`
        if not MULTIMEDIA:
            self.screen_.note = "Playback needs QtMultimedia (PySide6-Addons): poster only."
            self.play_button.setEnabled(False)

    def _make_player(self) -> QMediaPlayer | None:
        if self.player is None and MULTIMEDIA:
            try:
                from PySide6.QtMultimedia import QMediaPlayer, QVideoSink
            except ImportError as exc:  # installed but broken (a missing system library)
                log.warning("no clip playback: %s", exc)
                self.screen_.note = f"Playback needs QtMultimedia ({exc}): poster only."
                self.play_button.setEnabled(False)
                return None
            self.player = QMediaPlayer(self)
            self.sink = QVideoSink(self)
            self.player.setVideoSink(self.sink)
            self.sink.videoFrameChanged.connect(self._frame)
            self.player.positionChanged.connect(self._position)
            self.player.durationChanged.connect(self._duration)
            self.player.playbackStateChanged.connect(self._state)
            self.player.errorOccurred.connect(self._error)
        return self.player

    def _make_audio(self, player: QMediaPlayer) -> None:
        if self.audio is None:
            from PySide6.QtMultimedia import QAudioOutput

            self.audio = QAudioOutput(self)
            self.audio.setVolume(0.6)
            player.setAudioOutput(self.audio)

    # -- control -------------------------------------------------------------------------

    def load(self, path: Path | None, poster: QImage | None = None) -> None:
        """Show `path` (paused on its poster); None clears the player."""
        self.frames = 0
        self.screen_.show_image(poster or QImage())
        player = self._make_player() if path else self.player
        if player is None:
            return
        _queued(player, "stop")
        _queued(player, "setSource", Q_ARG(QUrl, QUrl.fromLocalFile(str(path)) if path else QUrl()))
        self.slider.setValue(0)

    def play(self) -> None:
        if self.player is not None:
            self._make_audio(self.player)
            _queued(self.player, "play")

    def pause(self) -> None:
        if self.player is not None:
            _queued(self.player, "pause")

    def toggle(self) -> None:
        if self.player is None:
            return
        if _playing(self.player):
            _queued(self.player, "pause")
        else:
            self.play()

    def seek_ms(self, ms: int) -> None:
        if self.player is not None:
            _queued(self.player, "setPosition", Q_ARG("qint64", ms))

    @property
    def position(self) -> float:
        return self.player.position() / 1000 if self.player is not None else 0.0

    @property
    def playing(self) -> bool:
        return self.player is not None and _playing(self.player)

    # -- from the player -----------------------------------------------------------------

    def _frame(self, frame: QVideoFrame) -> None:
        if not frame.isValid():
            return
        image = frame.toImage()
        if not image.isNull():
            self.frames += 1
            self.screen_.show_image(image)

    def _position(self, ms: int) -> None:
        if not self.slider.isSliderDown():
            self.slider.setValue(ms)
        self.clock.setText(f"{_clock(ms)} / {_clock(self.slider.maximum())}")
        self.position_changed.emit(ms / 1000)

    def _duration(self, ms: int) -> None:
        self.slider.setRange(0, max(0, ms))
        self.clock.setText(f"{_clock(self.player.position())} / {_clock(ms)}")
        self.duration_changed.emit(ms / 1000)

    def _state(self, _state) -> None:
        pixmap = QStyle.StandardPixmap
        icon = pixmap.SP_MediaPause if self.playing else pixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))

    def _error(self, _error, text: str) -> None:
        log.warning("clip playback failed: %s", text)
        self.screen_.note = f"Cannot play this clip: {text}"
        self.screen_.update()


def poster_image(data: bytes) -> QImage:
    image = QImage()
    image.loadFromData(data)
    return image


def thumb_image(data: bytes, size: QSize) -> QImage:
    """A thumbnail letterboxed into exactly `size`, so gallery tiles line up. A QImage, so
    it can be made on a worker thread (decoding and scaling take a few ms a picture)."""
    canvas = QImage(size, QImage.Format.Format_RGB32)
    canvas.fill(QColor("#0d0f13"))
    image = poster_image(data)
    if not image.isNull():
        scaled = image.scaled(
            size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        painter = QPainter(canvas)
        painter.drawImage(
            (size.width() - scaled.width()) // 2, (size.height() - scaled.height()) // 2, scaled
        )
        painter.end()
    return canvas


def thumb_images(paths: dict[str, Path], size: QSize) -> dict[str, QImage]:
    """`thumb_image` of each file (by key); unreadable files are left out. Blocking."""
    images = {}
    for key, path in paths.items():
        try:
            data = path.read_bytes()
        except OSError:
            continue
        images[key] = thumb_image(data, size)
    return images


def scaled_thumb(data: bytes, size: QSize) -> QPixmap:
    """`thumb_image` as a pixmap (GUI thread only)."""
    return QPixmap.fromImage(thumb_image(data, size))
