"""The Preview's knobs: a slider (with its number) or a switch for each value the game
declares tunable. Moving one changes the running game at once; Keep these values writes
them into the source as a new version (after showing the diff); Reset gives back the
version's own values. What the page declared was checked first
(`studio.ai.knobs.clean_knobs`): labels are plain text here, never markup."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from studio.ai.knobs import Knob, Knobs
from studio.ui.widgets.elided_label import ElidedLabel, plain_tooltip

COLUMNS_AT = 560  # pixels of width from which knobs go in two columns
LABEL_WIDTH = 180  # a label's most pixels: longer ones end in "…" (the whole in its tooltip)


def _plain_label(text: str) -> QLabel:
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)  # a label is the page's words, never markup
    label.setText(label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, LABEL_WIDTH))
    label.setToolTip(plain_tooltip(text))
    return label


class KnobRow:
    """One knob's widgets: its label, and a slider with a number box or a switch."""

    def __init__(self, knob: Knob, on_change) -> None:
        self.knob = knob
        self.value: float | bool = knob.value
        self._on_change = on_change
        self.label = _plain_label(knob.label)
        self.slider: QSlider | None = None
        self.number: QDoubleSpinBox | None = None
        self.switch: QCheckBox | None = None
        if knob.switch:
            self.switch = QCheckBox()
            self.switch.setObjectName(f"knob_{knob.name}")
            self.switch.setChecked(bool(knob.value))
            self.switch.toggled.connect(self._switched)
            return
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName(f"knob_{knob.name}")
        self.slider.setRange(0, knob.steps)
        self.slider.setValue(knob.position(float(knob.value)))
        self.slider.setMinimumWidth(60)
        self.slider.valueChanged.connect(self._slid)
        self.number = QDoubleSpinBox()
        self.number.setDecimals(knob.decimals)
        self.number.setRange(knob.min, knob.max)
        self.number.setSingleStep(knob.step)
        self.number.setValue(float(knob.value))
        self.number.setKeyboardTracking(False)
        self.number.setFixedWidth(78)
        self.number.valueChanged.connect(self._typed)

    def widgets(self) -> list[QWidget]:
        if self.switch is not None:
            return [self.label, self.switch]
        return [self.label, self.slider, self.number]  # type: ignore[list-item]

    def set_value(self, value: float | bool, *, tell: bool = True) -> None:
        self.value = value if isinstance(value, bool) else self.knob.fit(float(value))
        for w in (self.slider, self.number, self.switch):
            if w is not None:
                w.blockSignals(True)
        if self.switch is not None:
            self.switch.setChecked(bool(value))
        else:
            self.slider.setValue(self.knob.position(float(self.value)))  # type: ignore[union-attr]
            self.number.setValue(float(self.value))  # type: ignore[union-attr]
        for w in (self.slider, self.number, self.switch):
            if w is not None:
                w.blockSignals(False)
        if tell:
            self._on_change(self.knob.name, self.value)

    def _switched(self, on: bool) -> None:
        self.set_value(on)

    def _slid(self, position: int) -> None:
        self.set_value(self.knob.at(position))

    def _typed(self, value: float) -> None:
        self.set_value(value)

    @property
    def changed(self) -> bool:
        return self.value != self.knob.value


class KnobsPanel(QFrame):
    """`changed(name, value)` as the person moves a knob; `keep_requested(values)` with the
    values that differ from the version's."""

    changed = Signal(str, object)
    keep_requested = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("knobsPanel")
        self.setStyleSheet(
            "QFrame#knobsPanel, QWidget#knobsGrid, QWidget#knobsViewport"
            " { background: #161a20; }"
            "QFrame#knobsPanel QLabel { color: #d7dae0; }"
            "QPushButton#primaryButton:disabled { background: #2c313a; color: #5c6370;"
            " border-color: #3a404b; }"
        )
        self.rows: list[KnobRow] = []
        self.title = QLabel("Knobs")
        self.title.setStyleSheet("font-weight: bold;")
        self.note = ElidedLabel()  # the page's problems: long ones never widen the Preview
        self.note.setStyleSheet("color: #e5c07b;")
        self.note.setContentsMargins(6, 0, 0, 0)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Back to the values of the version shown")
        self.reset_button.clicked.connect(self.reset)
        self.keep_button = QPushButton("Keep these values")
        self.keep_button.setObjectName("primaryButton")
        self.keep_button.setToolTip("Write the values into the game's source as a new version")
        self.keep_button.clicked.connect(lambda: self.keep_requested.emit(self.changed_values()))
        header = QHBoxLayout()
        header.setContentsMargins(8, 4, 8, 0)
        header.addWidget(self.title)
        header.addWidget(self.note, 1)
        header.addWidget(self.reset_button)
        header.addWidget(self.keep_button)
        self.grid_host = QWidget()
        self.grid_host.setObjectName("knobsGrid")
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(8, 2, 8, 6)
        self.grid.setHorizontalSpacing(8)
        self.grid.setVerticalSpacing(2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.grid_host)
        # The rows sit on the strip's dark ground too (a scroll area paints its own, light).
        scroll.viewport().setObjectName("knobsViewport")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(scroll, 1)
        self._columns = 0
        self._header = header
        self._update_buttons()

    def wanted_height(self, most: int = 240) -> int:
        """The height that shows every knob (at most `most` pixels)."""
        self._lay_out()
        rows = self.grid_host.sizeHint().height()
        return min(most, self._header.sizeHint().height() + rows + 8)

    def show_knobs(self, knobs: Knobs, where: str) -> None:
        """Rows for `knobs` (of the version or draft `where` names)."""
        for row in self.rows:
            for w in row.widgets():
                w.deleteLater()
        self.rows = [KnobRow(k, self._moved) for k in knobs.knobs]
        self.title.setText(f"Knobs · {where}")
        self.note.setText("; ".join(knobs.problems[:2]))
        self.note.setToolTip(plain_tooltip("\n".join(knobs.problems)))
        self._columns = 0
        self._lay_out()
        self._update_buttons()

    def _lay_out(self) -> None:
        columns = 2 if self.width() >= COLUMNS_AT and len(self.rows) > 3 else 1
        if columns == self._columns:
            return
        self._columns = columns
        per_column = -(-len(self.rows) // columns)
        for i, row in enumerate(self.rows):
            column, line = divmod(i, per_column)
            widgets = row.widgets()
            self.grid.addWidget(widgets[0], line, column * 3)
            if len(widgets) == 2:
                self.grid.addWidget(widgets[1], line, column * 3 + 1, 1, 2)
            else:
                self.grid.addWidget(widgets[1], line, column * 3 + 1)
                self.grid.addWidget(widgets[2], line, column * 3 + 2)
        for column in range(columns):
            self.grid.setColumnStretch(column * 3 + 1, 1)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._lay_out()

    def _moved(self, name: str, value: float | bool) -> None:
        self.changed.emit(name, value)
        self._update_buttons()

    def _update_buttons(self) -> None:
        changed = any(r.changed for r in self.rows)
        self.keep_button.setEnabled(changed)
        self.reset_button.setEnabled(changed)

    def values(self) -> dict[str, float | bool]:
        return {r.knob.name: r.value for r in self.rows}

    def changed_values(self) -> dict[str, float | bool]:
        return {r.knob.name: r.value for r in self.rows if r.changed}

    def row(self, name: str) -> KnobRow | None:
        return next((r for r in self.rows if r.knob.name == name), None)

    def reset(self) -> None:
        """Every knob back to the version's value (the running game too)."""
        for row in self.rows:
            if row.changed:
                row.set_value(row.knob.value)
        self._update_buttons()
