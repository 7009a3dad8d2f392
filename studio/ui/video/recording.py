"""Recording gameplay from the Preview into a clip: Record (its length in its menu; Stop
while it records), and a bar counting the seconds; making the clip afterwards shows in the pane's
work bar with Cancel. The recorder itself is `studio.sandbox.recorder`."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMenu, QProgressBar, QSpinBox, QToolButton

from studio.ui.icons import icon
from studio.ui.session import ProjectSession
from studio.ui.video.clip_library import ClipLibrary
from studio.ui.video.video_work import PaneWork, Progress

if TYPE_CHECKING:
    from studio.sandbox.recorder import GameRecorder


class Recording(QObject):
    """The record widgets (the pane lays them out) and the recording under way, if any."""

    def __init__(
        self,
        session: ProjectSession,
        work: PaneWork,
        library: ClipLibrary,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.work = work
        self.library = library
        self.recorder: GameRecorder | None = None
        self.record_button = QToolButton()
        self.record_button.setIcon(icon("record"))
        self.record_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.record_button.setToolTip("Record gameplay from the Preview (its length: the arrow)")
        self.record_button.clicked.connect(self._record_clicked)
        # The length lives in the button's menu: one duration in the pane is the clip's.
        self.record_seconds = QSpinBox()
        self.record_seconds.setRange(1, 120)
        self.record_seconds.setValue(5)
        self.record_seconds.valueChanged.connect(lambda _v: self._label())
        lengths = QMenu(self.record_button)
        for seconds in (5, 10, 20, 30, 60):
            lengths.addAction(
                f"Record {seconds} seconds", lambda s=seconds: self.record_seconds.setValue(s)
            )
        self.record_button.setMenu(lengths)
        self.record_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self._label()
        self.record_bar = QProgressBar()
        self.record_bar.setFormat("Recording %v / %m s")
        self.record_bar.setVisible(False)

    def record(self, seconds: float) -> asyncio.Future | None:
        """Record `seconds` of the Preview and keep it as a clip."""
        from studio.sandbox.recorder import GameRecorder, record_clip

        project, preview = self.session.project, self.session.preview
        if project is None:
            return None
        if preview is None:
            self.work.show_error("Recording needs the Preview pane.")
            return None
        recorder = GameRecorder(preview.grab_frame, parent=self)
        self.recorder = recorder
        self.record_bar.setFormat("Recording %v / %m s")
        self.record_bar.setRange(0, round(seconds))
        self.record_bar.setValue(0)
        self.record_bar.setVisible(True)
        self.record_button.setText("Stop")
        self.record_button.setIcon(icon("stop"))
        self.record_button.setObjectName("stopButton")
        recorder.progress.connect(lambda done, _total: self.record_bar.setValue(int(done)))
        making: list[Progress] = []  # the work bar's, once the recording is in

        async def work() -> None:
            try:
                clip = await record_clip(
                    project,
                    preview.grab_frame,
                    seconds,
                    recorder=recorder,
                    version_id=getattr(preview, "version_id", None),
                    on_progress=lambda f: making and making[0](f),
                )
            finally:
                self._recording_ended(recorder)
            self.library.show_new(clip.name)
            self.work.show_note(f"Recorded {clip.duration:.1f} s as {clip.name}")

        task = self.work.run(work(), doing="Recording the Preview…")

        def encoding(state: str) -> None:
            # Recorded: making the clip (its proxy) takes a while, with progress and Cancel.
            if state == "encoding":
                self._recording_ended(recorder)
                entry = self.work.bar.start("Making the clip")
                self.work.bar.attach(entry, task)
                making.append(self.work.bar.reporter(entry))

        recorder.state_changed.connect(encoding)
        task.add_done_callback(
            lambda t: (
                t.cancelled() and self.work.show_note("Cancelled: the recording was not kept.")
            )
        )
        return task

    def stop(self) -> None:
        """End the recording under way early, if any."""
        if self.recorder is not None:
            self.recorder.stop()

    def _recording_ended(self, recorder: GameRecorder) -> None:
        if self.recorder is recorder:
            self.recorder = None
        self.record_bar.setVisible(False)
        self.record_button.setObjectName("")
        self._label()

    def _label(self) -> None:
        if self.recorder is None:
            self.record_button.setText(f"Record {self.record_seconds.value()} s")
            self.record_button.setIcon(icon("record"))

    def _record_clicked(self) -> None:
        if self.recorder is not None:
            self.stop()
            return
        self.record(self.record_seconds.value())
