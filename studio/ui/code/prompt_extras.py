"""What goes with a prompt besides its words, for the Chat panel: the tray of attachments
above the prompt box (pictures dropped or pasted there, what the Preview's Pick and
Annotate offered through the session), the meter under it, and the review of an answer
before it is kept (the "review" switch; `ReviewBar`)."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QCheckBox

from studio.ai.attachments import Attachment
from studio.errors import StudioError
from studio.operations.conversation import Request
from studio.operations.selections import picture_attachment
from studio.ui.code.attachment_tray import MAX_ATTACHMENTS, AttachmentTray
from studio.ui.code.request_meter import RequestMeter
from studio.ui.code.review_bar import ReviewBar
from studio.ui.widgets.background import Tasks

EDITOR_LEAST = 120  # pixels the code editor keeps while an answer is reviewed


class PromptExtras(QObject):
    def __init__(self, panel: Any) -> None:
        super().__init__(panel)
        self.panel = panel
        self.session = panel.session
        self._tasks = Tasks()
        self._taken: list[Attachment] = []
        self.tray = AttachmentTray()
        self.review_bar = ReviewBar(panel.session)
        self.review_box = QCheckBox("review")
        self.review_box.setToolTip(
            "Hold each answer as a draft playing in the Preview, with its changes, until you "
            "keep it (file by file) or drop it"
        )
        self.review_box.setChecked(bool(panel.settings.get("review_answers", False)))
        self.review_box.toggled.connect(lambda on: panel.settings.set("review_answers", on))
        self.meter = RequestMeter(
            panel.session,
            panel.settings,
            prompt=panel.prompt.toPlainText,
            attachments=lambda: self.tray.attachments,
            busy=lambda: panel.busy,
        )
        self.session.attachment_offered.connect(self.offer)
        self.session.project_changed.connect(lambda _p: self.tray.take())  # another game
        panel.prompt.pictures_given.connect(self.add_pictures)
        panel.prompt.textChanged.connect(self.meter.schedule)
        self.tray.changed.connect(self.meter.schedule)
        panel.finished.connect(self._answered)
        panel.settings_saved.connect(self.meter.reset)
        panel.stop_btn.clicked.connect(self.review_bar.drop)
        # While reviewing: the splitter's sizes before, the sizes given, the conversation's
        # highest height before.
        self._room: tuple[list[int], list[int], int] | None = None
        self.review_bar.reviewing.connect(self._make_room)

    def _make_room(self, reviewing: bool) -> None:
        """While an answer waits for review, its diff takes the room it wants from the
        editor above, which shows the code before the answer anyway (at 1280x800 the diff
        had room for three lines). The sizes come back after, unless the person moved them."""
        splitter = self.panel.code.splitter
        if reviewing:  # measured once the bar is laid out
            QTimer.singleShot(0, self, self._take_room)
        elif self._room is not None:
            before, given, highest = self._room
            self._room = None
            self.panel.conversation.setMaximumHeight(highest)
            if splitter.sizes() == given:
                splitter.setSizes(before)

    def _take_room(self) -> None:
        bar, splitter = self.review_bar, self.panel.code.splitter
        if not bar.waiting:
            return
        top, bottom = splitter.sizes()
        # The Chat panel's height with everything else at its least and the bar at its best.
        chat = self.panel
        chat.layout().activate()  # the bar just shown counts in the hints
        wanted = chat.minimumSizeHint().height() - bar.minimumSizeHint().height()
        wanted += bar.sizeHint().height()
        give = min(wanted - chat.height(), top - EDITOR_LEAST)
        if give > 0:
            # The room is the diff's: the conversation would share it, so it keeps its height.
            conversation = self.panel.conversation
            highest = conversation.maximumHeight()
            conversation.setMaximumHeight(conversation.height())
            splitter.setSizes([top - give, bottom + give])
            self._room = ([top, bottom], splitter.sizes(), highest)

    def prepare(self, generator: Any) -> None:
        """A new generator: its answers wait for review when the switch is on."""
        generator.review = self.review_bar.review if self.review_box.isChecked() else None

    def offer(self, attachment: Attachment) -> None:
        if not self.tray.add(attachment):
            self.session.status.emit(f"At most {MAX_ATTACHMENTS} things go with one prompt")

    def add_pictures(self, pictures: list[tuple[str, bytes]]) -> None:
        """Pictures dropped or pasted: fitted for the model off the GUI thread."""

        async def add(name: str, data: bytes) -> None:
            try:
                attachment = await asyncio.to_thread(picture_attachment, data, name)
            except StudioError as exc:
                self.panel.conversation.add_status(f"Cannot attach {name}: {exc}", "error")
                return
            self.offer(attachment)

        for name, data in pictures:
            self._tasks.start(add(name, data))

    def take(self) -> list[Attachment]:
        """What goes with the prompt being sent (kept until it is known to have gone)."""
        self._taken = self.tray.take()
        return self._taken

    def display(self, prompt: str) -> str:
        """The prompt as the conversation shows it, with what was taken for it."""
        return Request("generate", prompt, None, attachments=self._taken).display

    def give_back(self) -> None:
        """The prompt was not sent after all: its attachments return to the tray."""
        self.tray.restore(self._taken)
        self._taken = []

    def _answered(self, _outcome: Any) -> None:
        self._taken = []
        self.meter.refresh_spend()
        self.meter.schedule()
