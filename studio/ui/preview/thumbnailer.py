"""Pictures of versions for History and the start screen: a moment after a version first
paints in the Preview, its frame is kept (small) beside the project
(`studio.operations.recent.save_thumbnail`), once per version."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QSize, Qt, QTimer, Signal

from studio.operations.recent import save_thumbnail, thumbnail_path
from studio.ui.session import ProjectSession
from studio.ui.widgets.background import ThreadJob

SIZE = QSize(320, 180)
SETTLE_MS = 900  # after the first paint: a game draws its first real frame a moment later


class Thumbnailer(QObject):
    saved = Signal(int)  # the version whose picture was saved

    def __init__(self, session: ProjectSession, preview, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.preview = preview
        self._jobs: set[ThreadJob] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self._take)
        self._waiting: int | None = None
        preview.first_frame.connect(self._painted)
        session.project_changed.connect(self._project_changed)

    def _project_changed(self, _project: object) -> None:
        # A picture waited for belongs to the project before: its version number may exist
        # in the next one too, and must not get the next project's frame.
        self._timer.stop()
        self._waiting = None

    def _painted(self, _seconds: float) -> None:
        version = self.preview.version_id
        project = self.session.project
        if version is None or project is None:
            return
        if thumbnail_path(project.path, version).exists():
            return
        self._waiting = version
        self._timer.start()

    def _take(self) -> None:
        project, version = self.session.project, self._waiting
        self._waiting = None
        if project is None or version is None or self.preview.version_id != version:
            return  # another version (or a draft) plays now
        if self.preview.state != "running":
            return
        image = self.preview.grab_frame()
        if image.isNull() or image.width() < 16:
            return
        small = image.scaled(
            SIZE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        small.save(buffer, "PNG")
        png, where = bytes(data), project.path
        job = ThreadJob(lambda _report: (save_thumbnail(where, version, png), version)[1])
        job.succeeded.connect(self._saved)  # a bound method: gone with this object
        job.failed.connect(self._failed)
        self._jobs.add(job)
        job.start()

    def _saved(self, version: int) -> None:
        self._jobs.discard(self.sender())  # type: ignore[arg-type]
        self.saved.emit(version)

    def _failed(self, _text: str) -> None:  # a cache: the next showing tries again
        self._jobs.discard(self.sender())  # type: ignore[arg-type]
