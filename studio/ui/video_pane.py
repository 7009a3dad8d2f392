"""The Video pane. AI video jobs arrive with the video work; until then it says so."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from studio.ui.session import ProjectSession


class VideoPane(QWidget):
    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        label = QLabel(
            "<h3>Video</h3><p>AI video clips are not available in this version of Studio yet."
            "</p><p>When they are, clips you generate here can be used in your game.</p>"
        )
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setObjectName("emptyState")
        layout = QVBoxLayout(self)
        layout.addWidget(label)
