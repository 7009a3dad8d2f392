"""The Video pane's prompt form: prompt, provider, model (when the provider offers a choice),
length and size as the provider's capabilities say, an optional reference picture (a file,
the Preview's current frame, or a clip's last frame), and Generate, which queues a job on
the session's video queue."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.ai.video_provider import VideoCapabilities, VideoError
from studio.core.records import VideoJob
from studio.errors import StudioError
from studio.ui.session import ProjectSession
from studio.ui.video.video_player import poster_image, scaled_thumb
from studio.ui.video.video_work import PaneWork, plain_message
from studio.ui.widgets.elided_label import ElidedLabel
from studio.ui.widgets.flow_layout import FlowLayout

DEFAULT_CAPS = VideoCapabilities()
REFERENCE_SIDE = 1280  # a Preview frame sent as a reference is scaled to fit this


def _png(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data)


class VideoForm(QWidget):
    """`VideoForm(session, work)`; `generate()` queues what the form says."""

    def __init__(
        self, session: ProjectSession, work: PaneWork, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.work = work
        self.reference: bytes | None = None

        self.prompt = QPlainTextEdit()
        self.prompt.setPlaceholderText("Describe a clip: a neon city at night, camera flying…")
        self.prompt.setFixedHeight(64)
        self.provider_box = QComboBox()
        self.provider_box.setToolTip("Video provider")
        self.provider_box.currentTextChanged.connect(self._provider_chosen)
        self.seconds_box = QComboBox()
        self.seconds_box.setToolTip("Length in seconds")
        self.size_box = QComboBox()
        self.size_box.setToolTip("Size (width×height)")
        self.model_box = QComboBox()
        self.model_box.setToolTip("Model (or style) of the provider")
        self.model_box.setVisible(False)
        options = QHBoxLayout()
        options.setContentsMargins(0, 0, 0, 0)
        options.addWidget(self.provider_box, 2)
        options.addWidget(self.model_box, 2)
        options.addWidget(self.seconds_box, 1)
        options.addWidget(self.size_box, 2)

        self.reference_thumb = QLabel()
        self.reference_thumb.setFixedSize(48, 27)
        self.reference_thumb.setStyleSheet("background: #0d0f13; border-radius: 2px;")
        self.reference_text = ElidedLabel("No reference picture")
        self.reference_text.setStyleSheet("color: #7f8794;")
        self.image_button = QToolButton(text="Image…")
        self.image_button.setToolTip("Start from a picture file")
        self.image_button.clicked.connect(self._image_dialog)
        self.frame_button = QToolButton(text="Preview frame")
        self.frame_button.setToolTip("Start from what the Preview shows now")
        self.frame_button.clicked.connect(self.use_preview_frame)
        self.clear_reference_button = QToolButton(text="✕")
        self.clear_reference_button.setToolTip("No reference picture")
        self.clear_reference_button.clicked.connect(self.clear_reference)
        reference = FlowLayout()  # wraps when the pane is narrow
        reference.addWidget(self.reference_thumb)
        reference.addWidget(self.reference_text)
        reference.addWidget(self.image_button)
        reference.addWidget(self.frame_button)
        reference.addWidget(self.clear_reference_button)

        self.generate_button = QPushButton("Generate")
        self.generate_button.setObjectName("primaryButton")
        self.generate_button.clicked.connect(self.generate)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(5)  # the pane's
        layout.addWidget(self.prompt)
        layout.addLayout(options)
        layout.addLayout(reference)
        layout.addWidget(self.generate_button)

    def set_project_open(self, has_project: bool) -> None:
        for widget in (
            self.prompt,
            self.generate_button,
            self.provider_box,
            self.model_box,
            self.seconds_box,
            self.size_box,
        ):
            widget.setEnabled(has_project)

    # -- what the provider offers ----------------------------------------------------------

    def capabilities(self, name: str) -> VideoCapabilities:
        if not name:
            return DEFAULT_CAPS
        queue = self.session.video_queue
        try:
            provider = queue.provider(name) if queue else self.session.video_providers(name)
        except (VideoError, StudioError) as exc:
            self.work.show_error(plain_message(exc))
            return DEFAULT_CAPS
        return getattr(provider, "capabilities", DEFAULT_CAPS)

    def show_capabilities(self) -> None:
        """Offer what the chosen provider can do (after a project or its providers changed)."""
        self._provider_chosen(self.provider_box.currentText())

    def _provider_chosen(self, name: str) -> None:
        caps = self.capabilities(name) if self.session.video_queue else DEFAULT_CAPS
        for box, values, unit in (
            (self.seconds_box, caps.durations, " s"),
            (self.size_box, caps.sizes, ""),
        ):
            current = box.currentData()
            box.clear()
            for value in values:
                box.addItem(f"{value}{unit}", value)
            index = box.findData(current)
            if index >= 0:
                box.setCurrentIndex(index)
        current = self.model_box.currentData()
        self.model_box.clear()
        self.model_box.addItem("Default model", None)  # the provider's, or Settings'
        for model in caps.models:
            self.model_box.addItem(model, model)
        self.model_box.setCurrentIndex(max(0, self.model_box.findData(current)))
        self.model_box.setVisible(len(caps.models) > 1)  # hidden when there is no choice
        self.image_button.setEnabled(caps.image_reference)
        self.frame_button.setEnabled(caps.image_reference)

    # -- generating ------------------------------------------------------------------------

    def generate(self) -> VideoJob | None:
        """Queue a clip from the form. Returns the job (or None with the error shown)."""
        self.work.clear_error()
        queue = self.session.video_queue
        if queue is None:
            self.work.show_error("Open or create a project first.")
            return None
        try:
            job = queue.generate(
                self.provider_box.currentText(),
                self.prompt.toPlainText(),
                seconds=self.seconds_box.currentData(),
                size=self.size_box.currentData(),
                model=self.model_box.currentData(),
                image=self.reference,
                image_name="reference.png",
            )
        except (StudioError, VideoError) as exc:
            self.work.show_error(plain_message(exc))
            return None
        self.clear_reference()
        self.work.show_note("")
        return job

    # -- the reference picture -------------------------------------------------------------

    def set_reference(self, png: bytes, label: str) -> None:
        image = poster_image(png)
        if image.isNull():
            self.work.show_error("That picture cannot be read (use PNG or JPEG).")
            return
        self.reference = png
        self.reference_thumb.setPixmap(scaled_thumb(png, self.reference_thumb.size()))
        self.reference_text.setText(label)

    def clear_reference(self) -> None:
        self.reference = None
        self.reference_thumb.clear()
        self.reference_text.setText("No reference picture")

    def continue_from(self, png: bytes, label: str, prompt: str | None) -> None:
        """Start the next clip from `png` (a clip's last frame), with its prompt if the
        prompt box is empty."""
        self.set_reference(png, label)
        if prompt and not self.prompt.toPlainText().strip():
            self.prompt.setPlainText(prompt)
        self.prompt.setFocus()

    def _image_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Reference picture", "", "Pictures (*.png *.jpg *.jpeg *.webp)"
        )
        if path:
            self.use_image_file(Path(path))

    def use_image_file(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.work.show_error(f"Cannot read {path.name}: {exc.strerror or exc}")
            return
        self.set_reference(data, path.name)

    def use_preview_frame(self) -> None:
        preview = self.session.preview
        image = preview.grab_frame() if preview is not None else QImage()
        if image.isNull() or image.width() < 2:
            self.work.show_error("The Preview shows no game to take a frame from.")
            return
        if max(image.width(), image.height()) > REFERENCE_SIDE:
            image = image.scaled(
                REFERENCE_SIDE,
                REFERENCE_SIDE,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        version = getattr(preview, "version_id", None)
        self.set_reference(_png(image), f"Preview frame (v{version})" if version else "Preview")
