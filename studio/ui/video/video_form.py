"""The Video pane's prompt form: it offers what the chosen model can do and nothing else.

Provider and model, length, shape (a size in pixels, or an aspect ratio and a resolution),
a first frame (a file, a project picture, the Preview's current frame, or a clip's last
frame), a last frame, reference pictures up to the model's number, sound on or off, a seed
and a negative prompt, each shown only when the model takes it (`capabilities_of`). The
Generate button says about what the clip costs ("Generate · about $1.60", from
`VideoQueue.estimate`), and the line under it what the project spent per service.

"Continue" on a clip uses the best the model offers (`clip_continuity.continue_method`):
extending the clip on its service, starting on its last frame, or its last frame as a
reference picture. The clip made is kept with that choice (the job's `continuity`, as the
story's clips are) while what Continue placed is still in the form. Generate queues on the
session's video queue, which checks the request again.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.ai.video_cost import estimate_words
from studio.ai.video_provider import VideoCapabilities, VideoError, capabilities_of
from studio.core import assets
from studio.core.records import VideoJob
from studio.errors import StudioError
from studio.operations.clip_continuity import (
    CONTINUITY,
    Continuity,
    continue_method,
    extendable,
)
from studio.operations.video_costs import spend_line
from studio.ui.session import ProjectSession
from studio.ui.video.picture_slots import PictureSlot, ReferencePictures
from studio.ui.video.video_work import PaneWork, plain_message
from studio.ui.widgets.png import png_of
from studio.ui.widgets.provider_combo import chosen_name, shrink_to_fit

DEFAULT_CAPS = VideoCapabilities()
REFERENCE_SIDE = 1280  # a Preview frame sent as a reference is scaled to fit this
NO_SEED = -1


def _fill(box: QComboBox, values: tuple, unit: str = "") -> None:
    """Offer `values`, keeping the choice when it is still offered."""
    current = box.currentData()
    box.blockSignals(True)
    box.clear()
    for value in values:
        box.addItem(f"{value}{unit}", value)
    index = box.findData(current)
    box.setCurrentIndex(index if index >= 0 else 0)
    box.blockSignals(False)


class VideoForm(QWidget):
    """`VideoForm(session, work)`; `generate()` queues what the form says."""

    def __init__(
        self, session: ProjectSession, work: PaneWork, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.work = work
        self.caps = DEFAULT_CAPS
        self.continuation: tuple[str, int] | None = None  # (clip, job) to extend
        # How the next clip continues one (Continue): kept with its job while the last
        # frame placed (first frame or reference) is still in the form.
        self.continuing: tuple[Continuity, bytes | None] | None = None

        self.prompt = QPlainTextEdit()
        self.prompt.setPlaceholderText("Describe a clip: a neon city at night, camera flying…")
        self.prompt.setFixedHeight(64)
        self.provider_box = self._combo("Video service", self._provider_chosen)
        shrink_to_fit(self.provider_box, 6)
        self.model_box = self._combo("Model of the service", self.show_model)
        self.model_box.setVisible(False)
        self.seconds_box = self._combo("Length in seconds", self._update_cost)
        self.size_box = self._combo("Shape: size (width×height) or aspect ratio", self._update_cost)
        self.resolution_box = self._combo("Resolution", self._update_cost)
        options = QHBoxLayout()
        options.setContentsMargins(0, 0, 0, 0)
        for box, stretch in ((self.provider_box, 3), (self.model_box, 2)):
            options.addWidget(box, stretch)
        for box in (self.seconds_box, self.size_box, self.resolution_box):
            options.addWidget(box, 1)

        self.first = PictureSlot(session, "No first frame", "Start")
        self.frame_button = QToolButton(text="Preview")
        self.frame_button.setToolTip("Start from what the Preview shows now")
        self.frame_button.clicked.connect(self.use_preview_frame)
        self.first.add_button(self.frame_button)
        self.last = PictureSlot(session, "No last frame", "End")
        self.references = ReferencePictures(session)
        for part in (self.first, self.last, self.references):
            part.changed.connect(self._update_cost)
            part.refused.connect(self.work.show_error)
        self.first.clear_button.clicked.connect(self._end_continuation)

        self.audio_box = QCheckBox("Sound")
        self.audio_box.setToolTip("Let the model make sound (off: a silent clip)")
        self.audio_box.toggled.connect(self._update_cost)
        self._audio_chosen = False  # the person set it: a model change keeps their choice
        self.audio_box.clicked.connect(lambda: setattr(self, "_audio_chosen", True))
        self.seed_box = QSpinBox()
        self.seed_box.setRange(NO_SEED, 2**31 - 1)
        self.seed_box.setSpecialValueText("any seed")
        self.seed_box.setValue(NO_SEED)
        self.seed_box.setToolTip("The same seed and prompt make a similar clip again")
        self.negative = QLineEdit()
        self.negative.setPlaceholderText("Not in the clip: text, blur…")
        self.negative.setToolTip("Negative prompt: what the clip should not show")
        extras = QHBoxLayout()
        extras.setContentsMargins(0, 0, 0, 0)
        extras.addWidget(self.audio_box)
        extras.addWidget(self.seed_box)
        extras.addWidget(self.negative, 1)

        self.generate_button = QPushButton("Generate")
        self.generate_button.setObjectName("primaryButton")
        self.generate_button.clicked.connect(self.generate)
        self.spent = QLabel()
        self.spent.setStyleSheet("color: #7f8794;")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(5)  # the pane's
        layout.addWidget(self.prompt)
        layout.addLayout(options)
        for part in (self.first, self.last, self.references):
            layout.addWidget(part)
        layout.addLayout(extras)
        layout.addWidget(self.generate_button)
        layout.addWidget(self.spent)
        # What was spent changes when a job ends (not with each progress step).
        session.video_job_changed.connect(
            lambda job: job.status in ("completed", "failed") and self.show_spent()
        )

    def _combo(self, tip: str, chosen) -> QComboBox:
        box = QComboBox()
        box.setToolTip(tip)
        shrink_to_fit(box)
        box.currentIndexChanged.connect(lambda _i: chosen())
        return box

    # -- compatibility with the pane's parts and its tests ---------------------------------

    @property
    def reference(self) -> bytes | None:
        return self.first.picture

    @property
    def reference_text(self) -> QLabel:
        return self.first.text

    def set_reference(self, png: bytes, label: str) -> None:
        self.first.set(png, label)

    def clear_reference(self) -> None:
        self.first.clear()
        self._end_continuation()

    def set_project_open(self, has_project: bool) -> None:
        for widget in (self, self.generate_button):
            widget.setEnabled(has_project)

    # -- what the model offers -------------------------------------------------------------

    @property
    def provider(self) -> str:
        return chosen_name(self.provider_box)

    @property
    def model(self) -> str | None:
        return self.model_box.currentData()

    def capabilities(self, name: str, model: str | None = None) -> VideoCapabilities:
        if not name:
            return DEFAULT_CAPS
        queue = self.session.video_queue
        try:
            provider = queue.provider(name) if queue else self.session.video_providers(name)
            return capabilities_of(provider, model)
        except (VideoError, StudioError) as exc:
            self.work.show_error(plain_message(exc))
            return DEFAULT_CAPS

    def show_capabilities(self) -> None:
        """Offer what the chosen provider can do (after a project or its providers changed)."""
        self._provider_chosen()
        self.show_spent()

    def _provider_chosen(self) -> None:
        caps = self.capabilities(self.provider) if self.session.video_queue else DEFAULT_CAPS
        self.model_box.blockSignals(True)
        current = self.model_box.currentData()
        self.model_box.clear()
        self.model_box.addItem("Default model", None)  # the provider's, or Settings'
        for model in caps.models:
            self.model_box.addItem(model, model)
        self.model_box.setCurrentIndex(max(0, self.model_box.findData(current)))
        self.model_box.blockSignals(False)
        self.model_box.setVisible(len(caps.models) > 1)  # hidden when there is no choice
        self.show_model()

    def show_model(self) -> None:
        """Offer what the chosen model takes; hide what it does not."""
        has_queue = self.session.video_queue is not None
        caps = self.capabilities(self.provider, self.model) if has_queue else DEFAULT_CAPS
        self.caps = caps
        extending = self.continuation is not None
        _fill(self.seconds_box, caps.extend_durations if extending else caps.durations, " s")
        _fill(self.size_box, caps.sizes or caps.aspect_ratios)
        _fill(self.resolution_box, caps.resolutions)
        self.size_box.setVisible(bool(caps.sizes or caps.aspect_ratios) and not extending)
        self.resolution_box.setVisible(bool(caps.resolutions) and not extending)
        self.first.set_sources_enabled(caps.image_reference and not extending)
        self.frame_button.setEnabled(caps.image_reference and not extending)
        if not caps.image_reference and self.first.picture is not None:
            self.first.clear()
        self.last.setVisible(caps.last_frame and not extending)
        if not caps.last_frame:
            self.last.clear()
        self.references.set_limit(caps.reference_images)
        self.references.setVisible(caps.reference_images > 0 and not extending)
        self.audio_box.setVisible(caps.audio)
        if caps.audio and not self._audio_chosen:
            self.audio_box.setChecked(True)  # models that make sound do so unless told not
        self.seed_box.setVisible(caps.seed and not extending)
        self.negative.setVisible(caps.negative_prompt and not extending)
        self._update_cost()

    def request(self) -> dict:
        """The form's choices as the queue takes them (pictures left out)."""
        caps = self.caps
        shape = self.size_box.currentData() if self.size_box.isVisibleTo(self) else None
        options: dict = {
            "seconds": self.seconds_box.currentData(),
            "model": self.model,
            "size": shape if caps.sizes else None,
            "aspect": shape if not caps.sizes else None,
            "resolution": self.resolution_box.currentData() if caps.resolutions else None,
            "audio": self.audio_box.isChecked() if caps.audio else None,
            "seed": self.seed_box.value() if caps.seed and self.seed_box.value() >= 0 else None,
        }
        negative = self.negative.text().strip()
        if caps.negative_prompt and negative:
            options["negative_prompt"] = negative
        return options

    def _update_cost(self) -> None:
        queue, text = self.session.video_queue, "Generate"
        if self.continuation is not None:
            text = f"Extend {self.continuation[0]}"
        if queue is not None and self.provider:
            try:
                estimate = queue.estimate(self.provider, self.request())
            except (VideoError, StudioError):
                estimate = None
            if estimate is not None:
                text += f" · {estimate_words(estimate)}"
        self.generate_button.setText(text)

    def show_spent(self) -> None:
        queue = self.session.video_queue
        line = spend_line(queue.spent()) if queue is not None else ""
        self.spent.setText(line)
        self.spent.setVisible(bool(line))

    # -- generating ------------------------------------------------------------------------

    def generate(self) -> VideoJob | None:
        """Queue a clip from the form. Returns the job (or None with the error shown)."""
        self.work.clear_error()
        queue = self.session.video_queue
        if queue is None:
            self.work.show_error("Open or create a project first.")
            return None
        prompt = self.prompt.toPlainText()
        try:
            if self.continuation is not None:
                if not prompt.strip():
                    raise StudioError("Say what happens next in the prompt.")
                job = queue.extend(
                    self.continuation[1],
                    prompt,
                    self.seconds_box.currentData(),
                    extra=self._continuity(),
                )
            else:
                job = queue.generate(
                    self.provider,
                    prompt,
                    image=self.first.picture,
                    image_name="reference.png",
                    last_frame=self.last.picture,
                    references=self.references.data,
                    extra=self._continuity(),
                    **self.request(),
                )
        except (StudioError, VideoError) as exc:
            self.work.show_error(plain_message(exc))
            return None
        self.clear_reference()
        self.last.clear()
        self.references.clear()
        self.continuing = None
        self.work.show_note("")
        return job

    def _continuity(self) -> dict[str, Any] | None:
        """The continuity the clip asked for has (`clip_continuity`, kept with its job):
        Continue's choice, while what it placed in the form is still there."""
        if self.continuing is None:
            return None
        choice, frame = self.continuing
        placed = {
            "extend": self.continuation is not None,
            "first_frame": frame is not None and self.first.picture == frame,
            "reference": frame is not None and frame in self.references.data,
        }
        return {CONTINUITY: choice.as_params()} if placed.get(choice.method or "") else None

    # -- continuing a clip -------------------------------------------------------------------

    def continue_clip(self, name: str) -> asyncio.Future | None:
        """Continue the clip `name` with the best the chosen model offers: extend it on its
        service, start on its last frame, or take its last frame as a reference picture."""
        project, queue = self.session.project, self.session.video_queue
        if project is None or queue is None:
            return None
        self.work.clear_error()
        clip = assets.clip(project, name)
        job = project.job(int(clip.meta["job"])) if clip.meta.get("job") else None
        # Extended by the same provider and model that made it (the form's choice).
        here = job is not None and extendable(job, self.provider)
        here = here and job is not None and job.params.get("model") == self.model
        method = continue_method(self.caps, extendable_here=here)
        if method is None:
            self.work.show_error(
                "This model cannot continue a clip: it takes no picture and cannot extend one. "
                "Choose another model or service."
            )
            return None
        if clip.prompt and not self.prompt.toPlainText().strip():
            self.prompt.setPlainText(clip.prompt)
        self.prompt.setFocus()
        if method == "extend":
            assert job is not None
            self.continuation = (name, job.id)
            self.continuing = (Continuity("extend", source=name), None)
            self.show_model()
            self.first.show_note(f"Continues {name} by extension on {job.provider}")
            self.work.show_note("Say what happens next and press Extend.")
            return None

        async def work() -> None:
            png = await assets.last_frame_png(project, name)
            label = f"Last frame of {name}"
            if method == "first_frame":
                placed = self.first.set(png, label)
            else:
                placed = self.references.add(png, label)
            if placed:
                self.continuing = (Continuity(method, source=name), png)
            self.work.show_note("Describe what happens next and press Generate.")

        return self.work.run(work(), doing=f"Taking the last frame of {name}…")

    def _end_continuation(self) -> None:
        if self.continuation is not None:
            self.continuation = None
            self.first.show_note(self.first.empty)
            self.show_model()

    # -- the first frame -------------------------------------------------------------------

    def use_image_file(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.work.show_error(f"Cannot read {path.name}: {exc.strerror or exc}")
            return
        self.first.set(data, path.name)

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
        self.first.set(png_of(image), f"Preview frame (v{version})" if version else "Preview")
