"""Taking a photo with a camera, where QtMultimedia finds one (`has_camera`).

A small dialog shows the camera's picture live and takes one still (`QImageCapture`); the
photo comes back as PNG bytes, and nothing is kept or sent anywhere by this dialog.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from studio.ui.widgets.png import png_of

__all__ = ["CameraDialog", "has_camera", "png_of"]


def has_camera() -> bool:
    """Whether QtMultimedia finds a camera on this computer."""
    from PySide6.QtMultimedia import QMediaDevices

    return bool(QMediaDevices.videoInputs())


class CameraDialog(QDialog):
    """`exec()`; then `photo` is the PNG taken (None when the person cancelled)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        from PySide6.QtMultimedia import (
            QCamera,
            QImageCapture,
            QMediaCaptureSession,
            QMediaDevices,
        )
        from PySide6.QtMultimediaWidgets import QVideoWidget

        super().__init__(parent)
        self.setWindowTitle("Take a photo")
        self.photo: bytes | None = None
        self.viewfinder = QVideoWidget()
        self.viewfinder.setMinimumSize(480, 360)
        self.note = QLabel("Stand in front of a plain wall, whole body in view if you can.")
        self.note.setWordWrap(True)
        self.camera = QCamera(QMediaDevices.defaultVideoInput())
        self.capture = QImageCapture()
        self.session = QMediaCaptureSession()
        self.session.setCamera(self.camera)
        self.session.setImageCapture(self.capture)
        self.session.setVideoOutput(self.viewfinder)
        self.capture.imageCaptured.connect(self._captured)
        self.capture.errorOccurred.connect(lambda _id, _e, text: self.note.setText(text))
        self.camera.errorOccurred.connect(lambda _e, text: self.note.setText(text))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.take_button = buttons.addButton("Take photo", QDialogButtonBox.ButtonRole.ActionRole)
        self.take_button.clicked.connect(self.capture.capture)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.viewfinder, 1)
        layout.addWidget(self.note)
        layout.addWidget(buttons, 0, Qt.AlignmentFlag.AlignRight)
        self.camera.start()

    def _captured(self, _id: int, image: QImage) -> None:
        self.photo = png_of(image)
        self.accept()

    def done(self, result: int) -> None:
        self.camera.stop()  # the camera's light goes off as the dialog closes
        super().done(result)
