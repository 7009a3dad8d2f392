"""The report of a playtest started from the Preview: its last picture and what it found."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from studio.sandbox.report import PlaytestReport


class PlaytestDialog(QDialog):
    """Not modal: the Preview's game goes on while the person reads it."""

    def __init__(self, report: PlaytestReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Playtest of version {report.version}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        layout = QVBoxLayout(self)
        if report.screenshot:
            image = QImage(report.screenshot)
            if not image.isNull():
                picture = QLabel()
                picture.setPixmap(
                    QPixmap.fromImage(
                        image.scaled(
                            320,
                            240,
                            Qt.AspectRatioMode.KeepAspectRatio,
                            Qt.TransformationMode.SmoothTransformation,
                        )
                    )
                )
                picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
                layout.addWidget(picture)
        self.text = QPlainTextEdit(report.summary())
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.resize(520, 520)
        self.setModal(False)
