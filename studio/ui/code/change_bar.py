"""The bar above the prompt box while the version on screen is not the newest: "Changing v1
(not the newest, v4): this starts a new branch", with a button to switch to the newest. The
words and the rule are the session's (`studio.operations.session.change_target`)."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from studio.ui.session import ProjectSession


class ChangeBar(QFrame):
    def __init__(self, session: ProjectSession) -> None:
        super().__init__()
        self.session = session
        self.newest: int | None = None
        self.setObjectName("changeBar")
        self.setStyleSheet(
            "#changeBar { background: #3a3222; border-radius: 4px; }"
            "#changeBar QLabel { color: #e5c07b; }"
        )
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.switch_btn = QPushButton()
        self.switch_btn.setToolTip("Show the newest version: the next prompt changes that one")
        self.switch_btn.clicked.connect(self.switch_to_newest)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.switch_btn)
        session.version_shown.connect(lambda _v: self.refresh())
        session.versions_changed.connect(self.refresh)
        session.project_changed.connect(lambda _p: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        target = self.session.state.change_target()
        self.newest = target.newest if target is not None else None
        if target is not None:
            self.label.setText(target.words())
            self.switch_btn.setText(f"Switch to v{target.newest}")
        self.setVisible(target is not None)

    def switch_to_newest(self) -> None:
        if self.newest is not None:
            self.session.show_version(self.newest)
