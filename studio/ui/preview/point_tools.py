"""The Preview's Pick, Annotate and Knobs: talking about the game by pointing at it, drawing
on it, and tuning it live.

- Pick pauses the game and puts `PickLayer` over it; what the person picks (an element, or
  a region of a canvas with the game's state) becomes an attachment offered to Chat through
  the session (`session.attachment_offered`).
- Annotate pauses the game, freezes its frame under `AnnotateLayer`, and offers the marked
  picture the same way.
- Knobs: once a game has loaded, the runtime is asked for `window.studio.params`; the
  checked knobs show in `KnobsPanel`; moving one sets it in the running page; Keep these
  values shows the diff and makes a version (`studio.operations.knobs`).

Their buttons sit in a strip under the game (`PointBar`, in the Preview's splitter), whose
row wraps when the pane is narrow: the Preview's toolbar, and so the window's narrowest
width, stays as it was.

Building an attachment (pictures fitted for the model) runs off the GUI thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QObject,
    QRect,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.ai.attachments import Attachment
from studio.ai.knobs import KnobError, Knobs, clean_knobs
from studio.errors import StudioError
from studio.operations.knobs import KnobChange, keep_values, knob_changes
from studio.operations.request_build import text_files
from studio.operations.selections import (
    annotation_attachment,
    element_attachment,
    region_attachment,
)
from studio.sandbox.pick import ask_state
from studio.ui.code.diff_html import unified_html
from studio.ui.preview.annotate_layer import AnnotateLayer
from studio.ui.preview.knobs_panel import KnobsPanel
from studio.ui.preview.pick_layer import PickLayer
from studio.ui.preview.point_icons import annotate_icon, knobs_icon, pick_icon
from studio.ui.widgets.background import Tasks
from studio.ui.widgets.flow_layout import FlowLayout
from studio.ui.widgets.png import png_of

log = logging.getLogger(__name__)

CROP_MARGIN = 8  # pixels around a picked element's box in its crop
ASK_AGAIN_MS = 1200  # a game that sets window.studio late is asked for its knobs again


class KeepDialog(QDialog):
    """The diff that keeping the knobs' values makes; Keep makes the version."""

    def __init__(self, change: KnobChange, version: int, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keep these values")
        self.resize(760, 420)
        title = QLabel(f"A new version from v{version}: {change.title().removeprefix('Knobs: ')}")
        title.setTextFormat(Qt.TextFormat.PlainText)
        title.setWordWrap(True)
        view = QTextBrowser()
        view.setHtml(unified_html(change.diffs))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Keep as a new version")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(view, 1)
        layout.addWidget(self.buttons)


class PointBar(QFrame):
    """Under the game: Pick, Annotate and the Knobs switch, and the knobs when it is on."""

    def __init__(self, buttons: list[QToolButton], panel: KnobsPanel) -> None:
        super().__init__()
        self.setObjectName("pointBar")
        self.setStyleSheet("QFrame#pointBar { background: #1b1f26; }")
        self.panel = panel
        self.row = QWidget()
        flow = FlowLayout(self.row)
        flow.setContentsMargins(4, 2, 4, 2)
        for button in buttons:
            flow.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.row)
        layout.addWidget(panel, 1)

    def wanted_height(self) -> int:
        row = self.row.heightForWidth(max(1, self.width())) or self.row.sizeHint().height()
        return row + (self.panel.wanted_height() if self.panel.isVisibleTo(self) else 0)


class PointTools(QObject):
    """Pick, Annotate and Knobs for one Preview pane (see the module doc)."""

    offered = Signal(object)  # an Attachment, also sent to the session
    knobs_shown = Signal(int)  # how many knobs the shown game has

    def __init__(self, pane: Any) -> None:
        super().__init__(pane)
        self.pane = pane
        self.session = pane.session
        self._tasks = Tasks()
        self._was_paused = False
        self.knobs = Knobs()
        self.keep_dialog: KeepDialog | None = None
        self.pick_button = self._button(
            "Pick",
            "Pick: point at a part of the game; it goes with the next prompt (click an "
            "element, or drag a box)",
            pick_icon(),
        )
        self.pick_button.setCheckable(True)
        self.pick_button.toggled.connect(self._pick_toggled)
        self.annotate_button = self._button(
            "Annotate",
            "Annotate: freeze the frame and draw on it; the marked picture goes with the next "
            "prompt",
            annotate_icon(),
        )
        self.annotate_button.clicked.connect(self.start_annotate)
        self.knobs_button = self._button(
            "Knobs", "Knobs: the values this game declares tunable", knobs_icon()
        )
        self.knobs_button.setCheckable(True)
        self.knobs_button.toggled.connect(self._knobs_toggled)
        self.pick_layer = PickLayer(pane.view, pane.page, pane.stage)
        self.pick_layer.picked.connect(self._picked)
        self.pick_layer.cancelled.connect(lambda: self.pick_button.setChecked(False))
        self.annotate_layer = AnnotateLayer(pane.stage)
        self.annotate_layer.attached.connect(self._annotated)
        self.annotate_layer.cancelled.connect(self.end_annotate)
        self.panel = KnobsPanel()
        self.panel.hide()
        self.panel.changed.connect(self.set_knob)
        self.panel.keep_requested.connect(self.ask_to_keep)
        self.bar = PointBar(self.buttons, self.panel)
        pane.splitter.insertWidget(1, self.bar)
        pane.splitter.setStretchFactor(1, 0)
        pane.view.installEventFilter(self)
        pane.page.params_reported.connect(self._params)
        pane.page.game_loaded.connect(self._loaded)
        pane.page.loadStarted.connect(self._page_changing)
        pane.state_changed.connect(self._state)
        self.offered.connect(self.session.attachment_offered)
        self._state(pane.state)
        QTimer.singleShot(0, self, self.fit_bar)

    def _button(self, text: str, tip: str, icon: QIcon) -> QToolButton:
        button = QToolButton(self.pane)
        button.setText(text)
        button.setToolTip(tip)
        button.setIcon(icon)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setObjectName(f"{text.lower()}Button")
        return button

    @property
    def buttons(self) -> list[QToolButton]:
        return [self.pick_button, self.annotate_button, self.knobs_button]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Move):
            for layer in (self.pick_layer, self.annotate_layer):
                if layer.isVisible():
                    layer.setGeometry(self.pane.view.geometry())
        return False

    def _state(self, state: str) -> None:
        running = state in ("loading", "running")
        for button in (self.pick_button, self.annotate_button):
            button.setEnabled(running)
        if not running:
            self.pick_button.setChecked(False)
            self.end_annotate()

    # -- pausing ---------------------------------------------------------------------------

    def _hold(self) -> None:
        self._was_paused = self.pane.pause_button.isChecked()
        self.pane.set_paused(True)

    def _release(self) -> None:
        if self.pane.state in ("loading", "running"):
            self.pane.set_paused(self._was_paused)

    # -- pick ------------------------------------------------------------------------------

    def start_pick(self) -> None:
        self.pick_button.setChecked(True)

    def _pick_toggled(self, on: bool) -> None:
        if on:
            self.end_annotate()
            self._hold()
            self.pick_layer.start()
            self.session.status.emit("Pick: click a part of the game, or drag a box (Esc ends)")
        elif self.pick_layer.isVisible():
            self.pick_layer.hide()
            self._release()

    def _crop(self, box: list[float], margin: int = 0) -> bytes | None:
        """The frame's pixels inside `box` (CSS pixels), as PNG."""
        frame = self.pane.grab_frame()
        if frame.isNull():
            return None
        zoom = self.pick_layer.zoom
        scale = frame.width() / max(1, self.pane.view.width())  # the screen's pixel ratio
        x, y, w, h = (v * zoom * scale for v in box)
        m = margin * scale
        rect = QRect(round(x - m), round(y - m), round(w + 2 * m), round(h + 2 * m))
        rect = rect.intersected(frame.rect())
        if rect.width() < 4 or rect.height() < 4:
            return None
        return png_of(frame.copy(rect))

    def _picked(self, kind: str, data: Any) -> None:
        """The person picked something: its crop now (the game is paused), then its state."""
        version = self.pane.version_id
        if kind == "element":
            box = data.get("box") if isinstance(data, dict) else None
            crop = self._crop(box, CROP_MARGIN) if isinstance(box, list) and len(box) == 4 else None
        else:
            crop = self._crop(data["box"])
        self.pick_button.setChecked(False)

        def with_state(state: str | None) -> None:
            self._tasks.start(self._offer(kind, data, crop, state, version))

        ask_state(self.pane.page, with_state)

    async def _offer(
        self, kind: str, data: Any, crop: bytes | None, state: str | None, version: int | None
    ) -> None:
        project = self.session.project
        if project is None:
            return
        viewport = [
            self.pane.view.width() / self.pick_layer.zoom,
            self.pane.view.height() / self.pick_layer.zoom,
        ]

        def build() -> Attachment:
            if kind == "element":
                files = text_files(project.files(version)) if version is not None else {}
                return element_attachment(data, files, crop=crop, state=state, version=version)
            return region_attachment(
                data["box"], viewport, crop=crop, state=state, what=data.get("on", ""),
                version=version,
            )  # fmt: skip

        try:
            attachment = await asyncio.to_thread(build)
        except StudioError as exc:
            self.session.status.emit(f"Could not take that: {exc}")
            return
        self.offered.emit(attachment)
        self.session.status.emit(f"{attachment.label} goes with the next prompt")

    # -- annotate --------------------------------------------------------------------------

    def start_annotate(self) -> None:
        if self.pane.state not in ("loading", "running"):
            return
        self.pick_button.setChecked(False)
        self._hold()
        frame = self.pane.grab_frame()
        self.annotate_layer.start(frame, self.pane.view.geometry())

    def end_annotate(self) -> None:
        if self.annotate_layer.isVisible():
            self.annotate_layer.hide()
            self._release()

    def _annotated(self, png: bytes) -> None:
        version = self.pane.version_id
        self.end_annotate()

        async def offer() -> None:
            try:
                attachment = await asyncio.to_thread(annotation_attachment, png, version)
            except StudioError as exc:
                self.session.status.emit(f"Could not take the marked frame: {exc}")
                return
            self.offered.emit(attachment)
            self.session.status.emit("The marked frame goes with the next prompt")

        self._tasks.start(offer())

    # -- knobs -----------------------------------------------------------------------------

    def _page_changing(self) -> None:
        self.pick_button.setChecked(False)
        self.end_annotate()
        self.knobs = Knobs()
        self.panel.show_knobs(self.knobs, "")
        self._show_count()

    def _loaded(self, ok: bool, _error: str, _code: int) -> None:
        if not ok:
            return
        self.ask_for_knobs()
        # A game may set window.studio after its first script (once its pictures load).
        QTimer.singleShot(ASK_AGAIN_MS, self, self._ask_again)

    def _ask_again(self) -> None:
        if not self.knobs.knobs and self.pane.state == "running":
            self.ask_for_knobs()

    def ask_for_knobs(self) -> None:
        self.pane.page.runJavaScript("window.__studio && window.__studio.params()", 0)

    def _params(self, data: dict) -> None:
        knobs = clean_knobs(data.get("list"))
        total = data.get("total")
        if isinstance(total, int) and total > len(data.get("list") or []) and knobs.knobs:
            more = f"{total - len(knobs.knobs)} more knobs not shown"
            knobs = Knobs(knobs.knobs, (more, *knobs.problems[1:]))
        if knobs == self.knobs:
            return
        self.knobs = knobs
        where = f"v{self.pane.version_id}" if self.pane.version_id is not None else "draft"
        self.panel.show_knobs(knobs, where)
        self._show_count()

    def _show_count(self) -> None:
        count = len(self.knobs.knobs)
        self.knobs_button.setText(f"Knobs ({count})" if count else "Knobs")
        self.knobs_button.setToolTip(
            f"Knobs: the {count} values this game declares tunable"
            if count
            else "Knobs: this game declares no values to tune (window.studio.params)"
        )
        self.knobs_button.setEnabled(bool(count))
        self._knobs_toggled(self.knobs_button.isChecked())
        self.knobs_shown.emit(count)

    def _knobs_toggled(self, on: bool) -> None:
        self.panel.setVisible(on and bool(self.knobs.knobs))
        self.fit_bar()

    def fit_bar(self) -> None:
        """Give the strip under the game the height it needs: taken from the console first
        (then the game), given back to the game."""
        sizes = self.pane.splitter.sizes()
        if len(sizes) != 3 or not self.pane.isVisible():
            return
        more = self.bar.wanted_height() - sizes[1]
        from_console = min(more, max(0, sizes[2] - 80)) if more > 0 else 0
        from_game = more - from_console
        self.pane.splitter.setSizes(
            [max(120, sizes[0] - from_game), sizes[1] + more, sizes[2] - from_console]
        )

    def set_knob(self, name: str, value: float | bool, token: str = "") -> None:
        """Set a knob in the running game (no reload)."""
        call = f"window.__studio && window.__studio.setParam({json.dumps(name)}, "
        self.pane.page.runJavaScript(f"{call}{json.dumps(value)}, {json.dumps(token)})", 0)

    def ask_to_keep(self, values: dict) -> KeepDialog | None:
        """Show what keeping `values` writes; Keep makes the version. A declaration that
        cannot be found is said, and nothing is written."""
        project, version = self.session.project, self.pane.version_id
        if project is None or version is None or not values:
            return None
        try:
            change = knob_changes(project, version, values)
        except KnobError as exc:
            self.session.status.emit(str(exc))
            self.panel.note.setText(str(exc))
            return None
        dialog = KeepDialog(change, version, self.pane)
        dialog.accepted.connect(lambda: self._tasks.start(self._keep(version, values)))
        self.keep_dialog = dialog
        dialog.open()
        return dialog

    async def _keep(self, version: int, values: dict) -> None:
        project = self.session.project
        if project is None:
            return
        try:
            kept = await asyncio.to_thread(keep_values, project, version, values)
        except StudioError as exc:
            self.session.status.emit(str(exc))
            return
        self.session.add_version(kept)
        self.session.status.emit(f"Kept the knobs' values as version {kept.id}")
