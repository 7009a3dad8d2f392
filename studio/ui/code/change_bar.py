"""The bar above the prompt box while the version on screen is not the newest: "Changing v1
(not the newest, v4): this starts a new branch", with a button to switch to the newest. The
words and the rule are the session's (`studio.operations.session.change_target`)."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton

from studio.ui.session import ProjectSession
from studio.ui.widgets.notice_bar import WARNING, NoticeBar


class ChangeBar(NoticeBar):
    def __init__(self, session: ProjectSession) -> None:
        self.switch_btn = QPushButton()
        self.switch_btn.setToolTip("Show the newest version: the next prompt changes that one")
        super().__init__("changeBar", WARNING, self.switch_btn)
        self.session = session
        self.newest: int | None = None
        self.switch_btn.clicked.connect(self.switch_to_newest)
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
