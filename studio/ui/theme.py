"""The dark theme: a Fusion palette plus the stylesheet in resources/theme."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from studio.config.resources import resource_path

COLORS = {
    QPalette.ColorRole.Window: "#21252b",
    QPalette.ColorRole.WindowText: "#d7dae0",
    QPalette.ColorRole.Base: "#1b1f27",
    QPalette.ColorRole.AlternateBase: "#262b33",
    QPalette.ColorRole.Text: "#d7dae0",
    QPalette.ColorRole.Button: "#2c313a",
    QPalette.ColorRole.ButtonText: "#d7dae0",
    QPalette.ColorRole.Highlight: "#3d7eff",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#2c313a",
    QPalette.ColorRole.ToolTipText: "#d7dae0",
    QPalette.ColorRole.PlaceholderText: "#7f8794",
    QPalette.ColorRole.Link: "#61afef",
}


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    for role, color in COLORS.items():
        palette.setColor(role, QColor(color))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#5c6370"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#5c6370"))
    app.setPalette(palette)
    qss = resource_path("theme", "studio.qss")
    if qss.is_file():
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
