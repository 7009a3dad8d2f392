"""Where the game is shown: sized like a device, scaled to fit, letterboxed, with an overlay.

A device gives the game its CSS viewport (e.g. a phone's 360×640). The view is made that
size times a zoom factor that fits the stage, and centred on a dark background; the zoom
keeps the page's CSS size while the widget shrinks or grows. "Fill" gives the game the
whole stage at zoom 1.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

MIN_ZOOM, MAX_ZOOM = 0.25, 5.0


@dataclass(frozen=True)
class Device:
    name: str
    label: str
    size: tuple[int, int] | None  # CSS pixels; None fills the stage


DEVICES = (
    Device("fill", "Fill", None),
    Device("desktop", "Desktop 16:9", (1280, 720)),
    Device("phone", "Phone 9:16", (360, 640)),
    Device("phone-landscape", "Phone landscape", (640, 360)),
    Device("tablet", "Tablet 3:4", (768, 1024)),
)


def device(name: str) -> Device:
    for d in DEVICES:
        if d.name == name:
            return d
    raise KeyError(name)


def parse_size(text: str) -> tuple[int, int]:
    """`800x600`, `800×600` or `800 600` as (800, 600); 64 to 8192 each."""
    cleaned = text.lower().replace("×", "x").replace(" ", "x")
    parts = [p for p in cleaned.split("x") if p]
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a size: {text!r} (write it like 800x600)")
    w, h = int(parts[0]), int(parts[1])
    if not (64 <= w <= 8192 and 64 <= h <= 8192):
        raise ValueError("sizes go from 64 to 8192 pixels")
    return w, h


def fit(css: tuple[int, int], area: QSize) -> tuple[QRect, float]:
    """The view's rectangle in `area` and its zoom, so `css` fits centred."""
    w, h = css
    zoom = min(area.width() / w, area.height() / h) if w and h else 1.0
    zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
    vw, vh = max(1, round(w * zoom)), max(1, round(h * zoom))
    x, y = (area.width() - vw) // 2, (area.height() - vh) // 2
    return QRect(max(0, x), max(0, y), vw, vh), zoom


class StageOverlay(QFrame):
    """Covers the game when it stopped: what happened, Restart and Fix."""

    restart = Signal()
    fix = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("stageOverlay")
        self.setStyleSheet(
            "QFrame#stageOverlay { background: rgba(16, 19, 24, 235); }"
            "QLabel#overlayTitle { color: #ffffff; font-size: 17px; font-weight: bold; }"
            "QLabel#overlayText { color: #aab2bf; }"
        )
        self.title = QLabel(objectName="overlayTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel(objectName="overlayText")
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setWordWrap(True)
        self.restart_button = QPushButton("Restart")
        self.restart_button.clicked.connect(self.restart)
        self.fix_button = QPushButton("Fix")
        self.fix_button.setObjectName("primaryButton")
        self.fix_button.setToolTip("Ask the model to fix what stopped the game")
        self.fix_button.clicked.connect(self.fix)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.restart_button)
        buttons.addWidget(self.fix_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addSpacing(8)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.hide()

    def show_message(
        self, title: str, text: str, *, fix: bool = True, restart: bool = True
    ) -> None:
        self.title.setText(title)
        self.text.setText(text)
        self.fix_button.setVisible(fix)
        self.restart_button.setVisible(restart)
        self.setGeometry(self.parentWidget().rect())
        self.show()
        self.raise_()


class GameStage(QWidget):
    """Holds the view at the device's size, centred, scaled to fit."""

    def __init__(self, view: QWebEngineView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gameStage")
        self.setAutoFillBackground(True)
        self.setStyleSheet("QWidget#gameStage { background: #0c0e12; }")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.view = view
        view.setParent(self)
        self.css_size: tuple[int, int] | None = None
        self.zoom = 1.0
        self.overlay = StageOverlay(self)
        self.empty = QLabel(self, objectName="emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.hide()
        self.setMinimumSize(160, 120)

    def set_css_size(self, size: tuple[int, int] | None) -> None:
        self.css_size = size
        self.relayout()

    def show_empty(self, text: str | None) -> None:
        self.empty.setText(text or "")
        self.empty.setVisible(bool(text))
        self.view.setVisible(not text)
        self.relayout()

    def relayout(self) -> None:
        area = self.size()
        if self.css_size is None:
            rect, zoom = QRect(0, 0, area.width(), area.height()), 1.0
        else:
            rect, zoom = fit(self.css_size, area)
        self.view.setGeometry(rect)
        self.zoom = zoom
        if abs(self.view.zoomFactor() - zoom) > 1e-3:
            self.view.setZoomFactor(zoom)
        self.overlay.setGeometry(self.rect())
        self.empty.setGeometry(self.rect())

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.relayout()
