"""The picture chosen in the Images tab's library, as a game would use it: a sprite sheet as
its animation at a chosen frame rate, a tile repeated three by three and a background twice
side by side (a seam shows where they join), anything else as it is, on a checkerboard where
it is see-through. Below it: what it is, and Use in game…, Use as the player, Delete.
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.pictures import Picture
from studio.core.store import Project
from studio.media.pictures.layout import SheetLayout
from studio.ui.images.picture_images import checkered, decode, fit
from studio.ui.widgets.background import Tasks

DEFAULT_FPS = 8
PLAYER_KINDS = ("character", "hero", "sprite_sheet")  # pictures that can be the player


def repeated(image: QImage, columns: int, rows: int) -> QImage:
    """`image` tiled `columns` × `rows` times, as a game repeats it."""
    out = QImage(image.width() * columns, image.height() * rows, image.format())
    painter = QPainter(out)
    for row in range(rows):
        for column in range(columns):
            painter.drawImage(column * image.width(), row * image.height(), image)
    painter.end()
    return out


class PictureView(QWidget):
    """`show_picture(project, picture)`; `frames` are what the animation cycles through."""

    use_in_game = Signal(str)
    use_as_player = Signal(str)
    delete = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picture: Picture | None = None
        self.frames: list[QImage] = []
        self.frame = 0
        self._tasks = Tasks()
        self.canvas = QLabel()
        self.canvas.setObjectName("pictureCanvas")
        self.canvas.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.canvas.setMinimumSize(120, 80)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.canvas.setStyleSheet("background: #14171d; border-radius: 4px;")
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.facts.setTextFormat(Qt.TextFormat.PlainText)
        self.facts.setStyleSheet("color: #9da5b4;")
        self.fps_spin = QSpinBox()
        self.fps_spin.setRange(1, 30)
        self.fps_spin.setValue(DEFAULT_FPS)
        self.fps_spin.setSuffix(" fps")
        self.fps_spin.setToolTip("Frames a second of the animation")
        self.fps_spin.valueChanged.connect(self._restart_timer)
        self.use_button = QPushButton("Use in game…")
        self.use_button.setToolTip("Ask the code model to use this picture (you say how)")
        self.use_button.clicked.connect(lambda: self._emit(self.use_in_game))
        self.player_button = QPushButton("Use as player")
        self.player_button.setToolTip("Ask the code model to draw the player with this picture")
        self.player_button.clicked.connect(lambda: self._emit(self.use_as_player))
        self.delete_button = QToolButton(text="Delete")
        self.delete_button.setToolTip("Remove from the library (versions keep their copies)")
        self.delete_button.clicked.connect(lambda: self._emit(self.delete))
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._next_frame)
        actions = QHBoxLayout()
        actions.setContentsMargins(0, 0, 0, 0)
        actions.setSpacing(4)
        for widget in (self.fps_spin, self.use_button, self.player_button, self.delete_button):
            actions.addWidget(widget)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.facts)
        layout.addLayout(actions)
        self.show_picture(None, None)

    def _emit(self, signal: Any) -> None:
        if self.picture is not None:
            signal.emit(self.picture.name)

    def show_picture(self, project: Project | None, picture: Picture | None) -> None:
        self.timer.stop()
        self._tasks.cancel_all()
        self.picture, self.frames, self.frame = picture, [], 0
        self.canvas.clear()
        for widget in (self.use_button, self.player_button, self.delete_button):
            widget.setEnabled(picture is not None)
        self.fps_spin.setVisible(False)
        if picture is None or project is None:
            self.facts.setText("Choose a picture to see it here.")
            return
        self.player_button.setEnabled(picture.kind in PLAYER_KINDS)
        self.facts.setText(describe_picture(picture))
        path = project.blobs.path(project.asset(picture.name).blob)
        work = asyncio.to_thread(self._frames_of, path, picture.kind, picture.layout)
        self._tasks.start(work, self._ready)

    def _frames_of(self, path: Any, kind: str, layout: SheetLayout | None) -> list[QImage]:
        """What to show, decoded on a worker thread: a sheet's frames, a repeat, the picture."""
        try:
            image = decode(path.read_bytes())
        except OSError:
            return []
        if image.isNull():
            return []
        if layout is not None:
            return [image.copy(QRect(*_rect(box))) for box in layout.boxes()]
        if kind == "tile":
            return [repeated(image, 3, 3)]
        if kind == "background":
            return [repeated(image, 2, 1)]
        return [image]

    def _ready(self, task: asyncio.Future) -> None:
        if task.cancelled() or task.exception() is not None:
            return
        self.frames = task.result()
        if not self.frames:
            self.facts.setText(f"{self.facts.text()}\nThis file cannot be shown as a picture.")
            return
        self.fps_spin.setVisible(len(self.frames) > 1)
        self._paint()
        self._restart_timer()

    def _restart_timer(self) -> None:
        self.timer.stop()
        if len(self.frames) > 1:
            self.timer.start(round(1000 / self.fps_spin.value()))

    def _next_frame(self) -> None:
        if self.frames:
            self.frame = (self.frame + 1) % len(self.frames)
            self._paint()

    def _paint(self) -> None:
        if not self.frames:
            return
        space = self.canvas.size() - QSize(8, 8)
        picture = fit(self.frames[self.frame], space)
        self.canvas.setPixmap(QPixmap.fromImage(checkered(picture)))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._paint()

    async def idle(self) -> None:
        await self._tasks.wait_all()


def _rect(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    left, top, right, bottom = box
    return left, top, right - left, bottom - top


def describe_picture(picture: Picture) -> str:
    """A line of facts (name, size, kind, frames, seams), then the prompt that made it."""
    parts = [picture.name, f"{picture.width}×{picture.height}"]
    kind = picture.kind.replace("_", " ")
    if picture.layout is not None:
        layout = picture.layout
        kind += f", {layout.frames} frames of {layout.frame_width}×{layout.frame_height}"
    parts.append(kind)
    seamless = picture.meta.get("seamless")
    if isinstance(seamless, bool):
        parts.append("repeats without a seam" if seamless else "a seam shows where it repeats")
    text = " · ".join(parts)
    if picture.prompt:
        text += f"\n“{picture.prompt.splitlines()[0][:120]}”"
    return text
