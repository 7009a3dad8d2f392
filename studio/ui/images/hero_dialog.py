""" "Put me in the game": a photo or a drawing of the person becomes the game's hero.

The person picks a picture (or takes one, where there is a camera), then how: on this
computer (cut out, pixelated to the project's sprite size, its palette, an outline: nothing
leaves the machine) or with an image service told to keep the likeness. With a service, the
dialog says which service at which address will receive the photo before anything is sent,
and the button says so too. The result is `assets/hero.png`; the dialog shows it, and the
Images tab has Chat offer "Use as the player".

The work is `studio.operations.pictures.make_hero` and
`studio.operations.hero_service.hero_from_service`; this dialog only asks and shows.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from studio.ai.image_provider import ImageError, image_capabilities_of
from studio.core.pictures import Picture, picture_style
from studio.errors import StudioError
from studio.media.errors import MediaError
from studio.operations import hero_service
from studio.operations.image_jobs import ImageJobs
from studio.operations.pictures import make_hero
from studio.ui.images.camera import CameraDialog, has_camera
from studio.ui.images.image_form import PICTURE_FILES
from studio.ui.images.picture_images import checkered, decode, fit
from studio.ui.session import ProjectSession
from studio.ui.widgets.background import Tasks

PREVIEW = QSize(200, 200)


def _framed(label: QLabel) -> QLabel:
    label.setFixedSize(PREVIEW)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setStyleSheet("background: #14171d; border-radius: 4px; color: #7f8794;")
    label.setWordWrap(True)
    return label


class HeroDialog(QDialog):
    """`HeroDialog(session, jobs, provider)`; `hero_made(name)` when the hero is stored."""

    hero_made = Signal(str)

    def __init__(
        self,
        session: ProjectSession,
        jobs: ImageJobs,
        provider: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Put me in the game")
        self.session = session
        self.jobs = jobs
        self.photo: bytes | None = None
        self.hero: Picture | None = None
        self.tasks = Tasks()
        self.task: asyncio.Future | None = None
        style = picture_style(jobs.project)
        width, height = style.sprite_size
        self._build(width, height)
        names = [r.name for r in session.host.registrations("image_providers")]
        for name in names:
            self.provider_box.addItem(name, name)
        self.provider_box.setCurrentIndex(max(0, self.provider_box.findData(provider)))
        self.service_radio.setEnabled(bool(names))
        self.provider_box.currentTextChanged.connect(lambda _n: self._provider_chosen())
        self.how.buttonToggled.connect(lambda *_: self._update())
        self._provider_chosen()

    def _build(self, width: int, height: int) -> None:
        self.photo_view = _framed(QLabel("No photo yet"))
        self.choose_button = QPushButton("Choose a photo or drawing…")
        self.choose_button.clicked.connect(self._choose)
        self.camera_button = QPushButton("Take a photo…")
        camera = has_camera()
        self.camera_button.setEnabled(camera)
        self.camera_button.setToolTip("" if camera else "No camera was found on this computer")
        self.camera_button.clicked.connect(self._take)
        pick = QVBoxLayout()
        pick.addWidget(self.choose_button)
        pick.addWidget(self.camera_button)
        pick.addStretch(1)

        self.offline_radio = QRadioButton(
            f"On this computer: cut out, {width}×{height} pixels, the project's palette. "
            "Nothing leaves the computer."
        )
        self.offline_radio.setChecked(True)
        self.service_radio = QRadioButton("With an image service that keeps the likeness:")
        self.how = QButtonGroup(self)
        self.how.addButton(self.offline_radio)
        self.how.addButton(self.service_radio)
        self.provider_box = QComboBox()
        self.model_box = QComboBox()
        service = QHBoxLayout()
        service.setContentsMargins(24, 0, 0, 0)
        service.addWidget(self.provider_box, 1)
        service.addWidget(self.model_box, 1)
        self.destination = QLabel()
        self.destination.setObjectName("photoDestination")
        self.destination.setWordWrap(True)
        self.destination.setStyleSheet(
            "color: #e5c07b; background: #3a3222; border-radius: 4px; padding: 6px;"
        )
        self.keep_photo_box = QCheckBox("Keep the photo in the project (it never goes into games)")

        self.result_view = _framed(QLabel("Your hero shows here"))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.make_button = QPushButton("Make my hero")
        self.make_button.setObjectName("primaryButton")
        self.make_button.clicked.connect(self.make)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.make_button)
        buttons.addWidget(self.close_button)

        grid = QGridLayout()
        grid.addWidget(self.photo_view, 0, 0)
        grid.addLayout(pick, 0, 1)
        grid.addWidget(self.result_view, 0, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.offline_radio)
        layout.addWidget(self.service_radio)
        layout.addLayout(service)
        layout.addWidget(self.destination)
        layout.addWidget(self.keep_photo_box)
        layout.addLayout(buttons)

    # -- choosing ----------------------------------------------------------------------------

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "A photo or a drawing of you", "", PICTURE_FILES
        )
        if path:
            self.use_photo_file(Path(path))

    def use_photo_file(self, path: Path) -> None:
        try:
            self.set_photo(path.read_bytes(), path.name)
        except OSError as exc:
            self.status.setText(f"Cannot read {path.name}: {exc.strerror or exc}")

    def _take(self) -> None:
        camera = CameraDialog(self)
        if camera.exec() and camera.photo is not None:
            self.set_photo(camera.photo, "the camera's photo")

    def set_photo(self, data: bytes, label: str) -> None:
        image = decode(data)
        if image.isNull():
            self.status.setText(f"{label} is not a picture Studio can read (use PNG or JPEG).")
            return
        self.photo = data
        self.photo_view.setPixmap(QPixmap.fromImage(fit(image, PREVIEW)))
        self.photo_view.setToolTip(label)
        self.status.setText("")
        self._update()

    def _provider_chosen(self) -> None:
        name = self.provider_box.currentData() or ""
        self.model_box.clear()
        self.model_box.addItem("Default model", None)
        if name:
            try:
                caps = image_capabilities_of(self.jobs.provider(name))
            except (ImageError, StudioError) as exc:
                self.status.setText(str(exc))
            else:
                for model in caps.models:
                    self.model_box.addItem(model, model)
        self._update()

    def _update(self) -> None:
        service = self.service_radio.isChecked()
        self.provider_box.setEnabled(service)
        self.model_box.setEnabled(service)
        name = self.provider_box.currentData() or ""
        self.destination.setVisible(service)
        if service and name:
            try:
                self.destination.setText(hero_service.destination(self.jobs.provider(name), name))
            except (ImageError, StudioError) as exc:
                self.destination.setText(str(exc))
        busy = self.task is not None and not self.task.done()
        self.make_button.setEnabled(self.photo is not None and not busy)
        self.make_button.setText("Send the photo and make my hero" if service else "Make my hero")

    # -- making ------------------------------------------------------------------------------

    def make(self) -> asyncio.Future | None:
        if self.photo is None or (self.task is not None and not self.task.done()):
            return None
        photo, keep = self.photo, self.keep_photo_box.isChecked()
        if self.service_radio.isChecked():
            name, model = self.provider_box.currentData(), self.model_box.currentData()
            self.status.setText(f"Sending the photo to {name}; drawing your hero…")
            work = hero_service.hero_from_service(
                self.jobs, name, photo, model=model, keep_photo=keep
            )
        else:
            self.status.setText("Cutting you out and drawing your sprite…")
            work = asyncio.to_thread(make_hero, self.jobs.project, photo, keep_photo=keep)
        self.task = self.tasks.start(work, self._made)
        self._update()
        return self.task

    def _made(self, task: asyncio.Future) -> None:
        self._update()
        if task.cancelled():
            self.status.setText("Stopped; nothing was kept.")
            return
        exc = task.exception()
        if exc is not None:
            known = isinstance(exc, StudioError | ImageError | MediaError)
            text = str(exc) if known else f"Unexpected error: {type(exc).__name__}: {exc}"
            self.status.setText(text)
            return
        self.hero = task.result()
        data = self.jobs.project.blobs.read(self.jobs.project.asset(self.hero.name).blob)
        image = decode(data)
        self.result_view.setPixmap(QPixmap.fromImage(checkered(fit(image, PREVIEW - QSize(8, 8)))))
        self.status.setText(
            f"assets/{self.hero.name} is ready ({image.width()}×{image.height()}). Chat offers "
            "to use it as the player."
        )
        self.hero_made.emit(self.hero.name)

    def reject(self) -> None:
        self.tasks.cancel_all()
        super().reject()
