"""The queue list of the Video pane: one row per job with progress and Cancel/Retry, what it
costs (about, until it ends) and how it joins other clips (story continuity)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.ai.video_cost import money
from studio.core.records import VideoJob
from studio.operations.clip_continuity import describe as continuity
from studio.operations.video_queue import ACTIVE, describe

_KIND_WORDS = {"remix": "Remix: ", "extend": "Extend: "}


class JobRow(QWidget):
    """A job: its prompt, a progress bar, what it is doing, and what can be done to it."""

    action = Signal(str, int)  # (cancel | retry | resume | dismiss, job id)

    def __init__(self, job: VideoJob, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job_id = job.id
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.button = QToolButton()
        self.button.clicked.connect(self._clicked)
        self.dismiss = QToolButton(text="✕")
        self.dismiss.setToolTip("Remove from the list")
        self.dismiss.clicked.connect(lambda: self.action.emit("dismiss", self.job_id))
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(6)
        self.bar.setStyleSheet(
            "QProgressBar { background: #14171d; border: none; border-radius: 3px; }"
            "QProgressBar::chunk { background: #3d7eff; border-radius: 3px; }"
        )
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.title, 1)
        top.addWidget(self.button)
        top.addWidget(self.dismiss)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        self._action = ""
        self.update_job(job, running=False)

    def update_job(self, job: VideoJob, *, running: bool) -> None:
        prompt = str(job.params.get("prompt") or "").splitlines()[0] if job.params else ""
        text = _KIND_WORDS.get(str(job.params.get("kind")), "") + prompt
        metrics = self.title.fontMetrics()
        self.title.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, 230))
        self.title.setToolTip(str(job.params.get("prompt") or ""))
        self.bar.setValue(round(job.progress * 1000))
        self.bar.setVisible(job.status in ACTIVE)
        self.status.setText(" · ".join(p for p in (describe(job), *_facts(job)) if p))
        failed = job.status == "failed"
        self.status.setStyleSheet("color: #e06c75;" if failed else "color: #9da5b4;")
        if job.status in ACTIVE:
            # An active job that nobody drives (lost contact) can be resumed by hand.
            self._action = "cancel" if running or job.status == "queued" else "resume"
        else:
            self._action = "retry"
        self.button.setText(self._action.capitalize())
        self.dismiss.setVisible(job.status not in ACTIVE)

    def _clicked(self) -> None:
        self.action.emit(self._action, self.job_id)


def _facts(job: VideoJob) -> tuple[str, str]:
    """What the job costs (about, while it runs) and how it joins other clips."""
    cost, estimate = job.params.get("cost_usd"), job.params.get("estimate_usd")
    if cost is not None:
        paid = money(cost)
    elif estimate is not None and job.status in ACTIVE:
        paid = f"about {money(estimate)}"
    else:
        paid = ""
    return paid, continuity(job.params)


class JobList(QListWidget):
    """Active jobs and failed or cancelled ones that were not dismissed."""

    action = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("videoJobs")
        self.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.rows: dict[int, tuple[QListWidgetItem, JobRow]] = {}

    @staticmethod
    def listed(job: VideoJob) -> bool:
        return job.status != "completed" and not job.params.get("dismissed")

    def set_jobs(self, jobs: list[VideoJob], running: set[int]) -> None:
        self.clear()
        self.rows.clear()
        for job in jobs:
            self.update_job(job, job.id in running)

    def update_job(self, job: VideoJob, running: bool) -> None:
        if not self.listed(job):
            self.remove(job.id)
            return
        if job.id in self.rows:
            item, row = self.rows[job.id]
            row.update_job(job, running=running)
            item.setSizeHint(row.sizeHint())
            return
        row = JobRow(job)
        row.update_job(job, running=running)
        row.action.connect(self.action)
        item = QListWidgetItem()
        item.setSizeHint(row.sizeHint())
        self.addItem(item)
        self.setItemWidget(item, row)
        self.rows[job.id] = (item, row)

    def remove(self, job_id: int) -> None:
        entry = self.rows.pop(job_id, None)
        if entry is not None:
            self.takeItem(self.row(entry[0]))

    def row_for(self, job_id: int) -> JobRow | None:
        entry = self.rows.get(job_id)
        return entry[1] if entry else None
