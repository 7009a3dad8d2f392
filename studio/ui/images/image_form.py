"""The Images tab's form: the project's style (look, sprite size, palette: kept in the
project and added to every prompt), a prompt, the kind of picture, its size and how many,
provider and model (offering only what the chosen model can do), pictures to start from
(and a mask), the price, and Generate, which asks the tab's picture jobs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
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

from studio.ai.image_provider import ImageCapabilities, ImageError, image_capabilities_of
from studio.ai.image_sources import HostImageProviders
from studio.core.pictures import KINDS, LOOKS, PictureStyle
from studio.core.records import VideoJob
from studio.errors import StudioError
from studio.media.pictures.palettes import PALETTES
from studio.operations.image_jobs import (
    DEFAULT_FRAMES,
    KIND_REQUESTS,
    ImageJobs,
    PictureRequest,
    closest_size,
)
from studio.ui.video.video_work import PaneWork, plain_message
from studio.ui.widgets.elided_label import ElidedLabel

DEFAULT_CAPS = ImageCapabilities()
KIND_LABELS = {"ui": "UI", "sprite_sheet": "Sprite sheet"}
PICTURE_FILES = "Pictures (*.png *.jpg *.jpeg *.webp)"


def _combo(tip: str) -> QComboBox:
    """A combo box that may shrink below its longest item (the tab can be narrow)."""
    box = QComboBox()
    box.setToolTip(tip)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(4)
    return box


def _row(*items: QWidget | tuple[QWidget, int]) -> QHBoxLayout:
    """A row of widgets; a (widget, stretch) pair takes a share of the room left."""
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(4)
    for item in items:
        widget, stretch = item if isinstance(item, tuple) else (item, 0)
        row.addWidget(widget, stretch)
    return row


class ImageForm(QWidget):
    """`ImageForm(source, work)`; `jobs` is the open project's (None: no project)."""

    style_edited = Signal(dict)  # the person changed the style: look, sprite_size, palette

    def __init__(
        self, source: HostImageProviders, work: PaneWork, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.source = source
        self.work = work
        self.jobs: ImageJobs | None = None
        self.inputs: list[tuple[str, bytes]] = []  # (label, picture) to start from
        self.mask: bytes | None = None
        self.caps = DEFAULT_CAPS  # what the chosen provider and model offer
        self._build()
        self.kind_box.currentIndexChanged.connect(self._kind_chosen)
        self.provider_box.currentTextChanged.connect(lambda _n: self.show_capabilities())
        self.model_box.currentIndexChanged.connect(lambda _i: self.show_capabilities())
        self.size_box.currentIndexChanged.connect(lambda _i: self._show_price())
        self.count_spin.valueChanged.connect(lambda _n: self._show_price())

    def _build(self) -> None:
        self.look_box = QComboBox()
        self.look_box.setEditable(True)
        self.look_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.look_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.look_box.setMinimumContentsLength(6)
        self.look_box.addItems(LOOKS)
        self.look_box.setToolTip(
            "The game's look: kept in the project and added to every prompt, so its "
            "pictures match (pick one or write your own)"
        )
        self.sprite_edit = QLineEdit()
        self.sprite_edit.setMaximumWidth(64)
        self.sprite_edit.setToolTip("Sprite size in pixels, e.g. 32 or 32x48")
        self.palette_box = QComboBox()
        self.palette_box.setEditable(True)
        self.palette_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.palette_box.addItems(["", *PALETTES])
        self.palette_box.lineEdit().setPlaceholderText("any colours")
        self.palette_box.setToolTip("The palette: a name, a number of colours, or #rrggbb,…")
        for edit in (self.look_box.lineEdit(), self.sprite_edit, self.palette_box.lineEdit()):
            edit.editingFinished.connect(self._style_done)
        self.look_box.activated.connect(lambda _i: self._style_done())
        self.palette_box.activated.connect(lambda _i: self._style_done())
        style_row = _row(
            QLabel("Style"), (self.look_box, 3), self.sprite_edit, (self.palette_box, 2)
        )

        self.prompt = QPlainTextEdit()
        self.prompt.setObjectName("imagePrompt")
        self.prompt.setPlaceholderText("Describe a picture: a knight with a red cape, a gold coin…")
        self.prompt.setFixedHeight(52)

        self.kind_box = _combo("What the picture is for")
        for kind in KINDS:
            self.kind_box.addItem(KIND_LABELS.get(kind, kind.capitalize()), kind)
        self.frames_spin = QSpinBox()
        self.frames_spin.setRange(2, 16)
        self.frames_spin.setValue(DEFAULT_FRAMES)
        self.frames_spin.setSuffix(" frames")
        self.frames_spin.setToolTip("Frames in the sprite sheet")
        self.frames_spin.setVisible(False)
        self.size_box = _combo("Size (width×height)")
        what = _row((self.kind_box, 2), self.frames_spin, (self.size_box, 2))

        self.provider_box = _combo("Image provider")
        self.model_box = _combo("Model")
        self.transparent_box = QCheckBox("See-through")
        self.transparent_box.setToolTip("A transparent background (characters, items, UI)")
        self.test_button = QToolButton(text="Test")
        self.test_button.setToolTip("Test the connection: one cheap call with the stored key")
        self.test_button.clicked.connect(self.test_connection)
        who = _row(
            (self.provider_box, 1), (self.model_box, 2), self.transparent_box, self.test_button
        )

        # Pictures to start from: the row shows only when there are some.
        self.inputs_text = ElidedLabel("")
        self.inputs_text.setStyleSheet("color: #9da5b4;")
        self.clear_inputs_button = QToolButton(text="✕")
        self.clear_inputs_button.setToolTip("Start from nothing")
        self.clear_inputs_button.clicked.connect(self.clear_inputs)
        self.inputs_row = QWidget()
        inputs = QHBoxLayout(self.inputs_row)
        inputs.setContentsMargins(0, 0, 0, 0)
        inputs.addWidget(self.inputs_text, 1)
        inputs.addWidget(self.clear_inputs_button)

        self.add_input_button = QToolButton(text="Picture…")
        self.add_input_button.setToolTip("Change or combine pictures (an edit) instead")
        self.add_input_button.clicked.connect(self._input_dialog)
        self.mask_button = QToolButton(text="Mask…")
        self.mask_button.setToolTip(
            "A PNG whose transparent pixels mark where the first picture may change"
        )
        self.mask_button.clicked.connect(self._mask_dialog)
        self.count_spin = QSpinBox()
        self.count_spin.setRange(1, 8)
        self.count_spin.setPrefix("× ")
        self.count_spin.setToolTip("How many pictures to choose from")
        self.generate_button = QPushButton("Generate")
        self.generate_button.setObjectName("primaryButton")
        self.generate_button.clicked.connect(self.generate)
        self.price = QLabel()
        self.price.setStyleSheet("color: #9da5b4;")
        go = _row(
            self.add_input_button,
            self.mask_button,
            self.count_spin,
            (self.generate_button, 1),
            self.price,
        )

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(5)
        for row in (style_row, self.prompt, what, who, self.inputs_row, go):
            if isinstance(row, QWidget):
                layout.addWidget(row)
            else:
                layout.addLayout(row)
        self._show_inputs()

    # -- the project ---------------------------------------------------------------------

    def set_jobs(self, jobs: ImageJobs | None, style: PictureStyle) -> None:
        """Another project (or none): its jobs and its style."""
        self.jobs = jobs
        self.show_style(style)
        self.clear_inputs()
        for widget in self.findChildren(QWidget):
            widget.setEnabled(jobs is not None)
        self.show_capabilities()

    def show_style(self, style: PictureStyle) -> None:
        width, height = style.sprite_size
        self.look_box.setCurrentText(style.look)
        self.sprite_edit.setText(f"{width}x{height}")
        self.palette_box.setCurrentText(style.palette)

    def _style_done(self) -> None:
        self.style_edited.emit(
            {
                "look": self.look_box.currentText().strip(),
                "sprite_size": self.sprite_edit.text().strip(),
                "palette": self.palette_box.currentText().strip(),
            }
        )

    # -- what the provider offers ----------------------------------------------------------

    def provider_name(self) -> str:
        """The chosen provider's registered name (an item may show a label, its data the
        name; a plain item is its name)."""
        data = self.provider_box.currentData()
        return data if isinstance(data, str) else self.provider_box.currentText()

    @property
    def kind(self) -> str:
        return str(self.kind_box.currentData() or "character")

    def _capabilities(self, model: str | None) -> ImageCapabilities:
        name = self.provider_name()
        if not name or self.jobs is None:
            return DEFAULT_CAPS
        try:
            return image_capabilities_of(self.source(name), model)
        except (ImageError, StudioError) as exc:
            self.work.show_error(plain_message(exc))
            return DEFAULT_CAPS

    def test_connection(self) -> asyncio.Future | None:
        """Ask the chosen provider for its one cheap authenticated call (`check`), where it
        has one; say in the note line whether it works."""
        name, jobs = self.provider_name(), self.jobs
        if not name or jobs is None:
            return None
        try:
            provider = jobs.provider(name)
        except (ImageError, StudioError) as exc:
            self.work.show_error(plain_message(exc))
            return None
        check = getattr(provider, "check", None)
        if check is None:
            self.work.show_note(f"{name} has no connection test; generate a picture to try it.")
            return None

        async def test() -> None:
            try:
                await check()
            finally:
                await provider.aclose()
            self.work.show_note(f"{name} works.")

        return self.work.run(test(), doing=f"Testing {name}…")

    def show_capabilities(self) -> None:
        """Offer what the chosen provider and model can do (after any of them changed)."""
        current = self.model_box.currentData()
        caps = self.caps = self._capabilities(current)
        self.model_box.blockSignals(True)
        self.model_box.clear()
        self.model_box.addItem("Default model", None)
        for model in caps.models:
            self.model_box.addItem(model, model)
        self.model_box.setCurrentIndex(max(0, self.model_box.findData(current)))
        self.model_box.blockSignals(False)
        if self.model_box.currentData() != current:  # that model is not offered here
            caps = self.caps = self._capabilities(None)
        self.model_box.setVisible(len(caps.models) > 1)
        self._offer_sizes(caps)
        self.count_spin.setToolTip(
            f"How many pictures to choose from ({caps.max_count} per request; more are "
            "asked in turn)"
        )
        self.add_input_button.setEnabled(self.jobs is not None and caps.edit)
        self.mask_button.setEnabled(self.jobs is not None and caps.mask and bool(self.inputs))
        self._kind_chosen()

    def _offer_sizes(self, caps: ImageCapabilities) -> None:
        current = self.size_box.currentData()
        self.size_box.blockSignals(True)
        self.size_box.clear()
        for size in caps.sizes:
            self.size_box.addItem(size.replace("x", "×"), size)
        index = self.size_box.findData(current)
        if index < 0:
            index = self.size_box.findData(closest_size(KIND_REQUESTS[self.kind][0], caps.sizes))
        self.size_box.setCurrentIndex(max(0, index))
        self.size_box.blockSignals(False)

    def _kind_chosen(self) -> None:
        kind, caps = self.kind, self.caps
        size, transparent = KIND_REQUESTS[kind]
        self.frames_spin.setVisible(kind == "sprite_sheet")
        index = self.size_box.findData(closest_size(size, caps.sizes))
        if index >= 0:
            self.size_box.setCurrentIndex(index)
        self.transparent_box.setChecked(transparent)
        self.transparent_box.setText("See-through" if caps.transparent else "See-through*")
        self.transparent_box.setToolTip(
            "A transparent background"
            if caps.transparent
            else "* This model paints a background: Studio cuts the picture out itself"
        )
        self._show_price()

    def _show_price(self) -> None:
        count = self.count_spin.value()
        model, size = self.model_box.currentData(), self.size_box.currentData()
        name = self.provider_name()
        cost = self.jobs.price(name, model, size, count) if self.jobs and name else None
        self.price.setText("no price" if cost is None else f"≈ ${cost:.2f}")
        self.price.setToolTip(
            "The provider lists no price for this model and size"
            if cost is None
            else f"{count} picture{'s' if count > 1 else ''} at the provider's listed price"
        )

    # -- pictures to start from ------------------------------------------------------------

    def add_input(self, label: str, data: bytes) -> None:
        self.inputs.append((label, data))
        self._show_inputs()

    def set_mask(self, data: bytes | None) -> None:
        self.mask = data
        self._show_inputs()

    def clear_inputs(self) -> None:
        self.inputs.clear()
        self.mask = None
        self._show_inputs()

    def _show_inputs(self) -> None:
        text = "Changes " + ", ".join(label for label, _ in self.inputs)
        if self.mask is not None:
            text += " (masked)"
        self.inputs_text.setText(text)
        self.inputs_row.setVisible(bool(self.inputs))
        self.mask_button.setEnabled(bool(self.inputs) and self.jobs is not None)

    def _read(self, title: str, then: Callable[[str, bytes], None]) -> None:
        path, _ = QFileDialog.getOpenFileName(self, title, "", PICTURE_FILES)
        if not path:
            return
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            self.work.show_error(f"Cannot read {Path(path).name}: {exc.strerror or exc}")
            return
        then(Path(path).name, data)

    def _input_dialog(self) -> None:
        self._read("A picture to change", self.add_input)

    def _mask_dialog(self) -> None:
        self._read(
            "Mask (transparent where the picture may change)", lambda _n, d: self.set_mask(d)
        )

    # -- generating ------------------------------------------------------------------------

    def request(self) -> PictureRequest:
        return PictureRequest(
            prompt=self.prompt.toPlainText(),
            kind=self.kind,
            size=self.size_box.currentData(),
            count=self.count_spin.value(),
            model=self.model_box.currentData(),
            transparent=self.transparent_box.isChecked(),
            frames=self.frames_spin.value() if self.kind == "sprite_sheet" else None,
            inputs=tuple(data for _, data in self.inputs),
            mask=self.mask,
        )

    def generate(self) -> VideoJob | None:
        """Ask for pictures as the form says. Returns the job (or None, the error shown)."""
        self.work.clear_error()
        if self.jobs is None:
            self.work.show_error("Open or create a project first.")
            return None
        try:
            job = self.jobs.request(self.provider_name(), self.request())
        except (StudioError, ImageError) as exc:
            self.work.show_error(plain_message(exc))
            return None
        self.clear_inputs()
        return job

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.generate()
            return
        super().keyPressEvent(event)
