"""Playing an answer in the Preview while it still streams, before it is saved.

The moment a file of the answer is complete (a whole file, or an `<edit>` whose blocks were
applied to the file it changes) and the game has its entry file, the Preview plays a draft:
the answer's files so far over those of the version it builds on (`PreviewPane.show_draft`,
served from memory by the project's URL scheme, in the same sandbox as versions). The
draft is never stored: when the answer is saved the Preview shows the new version; when it
fails, is stopped or cut off, the Preview goes back to the version it showed before.

Edits are applied off the GUI thread (reading the base file, fuzzy matching): what the
answer wrote meanwhile is gathered and shown in one go when that work is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from PySide6.QtCore import QObject

from studio.ai.blocks import CodeBlock, EditBlock, EditComplete, FileComplete
from studio.ai.edits import apply_edits
from studio.core.store import Project
from studio.errors import StudioError
from studio.ui.session import GameView, ProjectSession

log = logging.getLogger(__name__)

ENTRY = "index.html"


def apply_to_draft(
    project: Project, base: int | None, files: Mapping[str, str], changes: list[CodeBlock]
) -> tuple[dict[str, str], bool]:
    """`files` with the answer's blocks `changes` applied in order, as the saved version will
    have them (`apply_edits`: a whole file full of placeholders is not played); a file the
    answer has not written yet comes from `base`. And whether the game has its entry file.
    Runs in a worker thread."""
    out = dict(files)
    for path in {block.path for block in changes} - out.keys():
        if base is not None:
            with contextlib.suppress(StudioError, UnicodeDecodeError):
                out[path] = project.read_file(base, path).decode("utf-8")
    out = apply_edits(out, changes).files  # a block that fails here fails the answer later
    entry = ENTRY in out or (base is not None and ENTRY in project.file_hashes(base))
    return out, entry


class DraftPreview(QObject):
    """Feeds one generation's events at a time to the Preview as drafts (see module doc)."""

    def __init__(self, session: ProjectSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._project: Project | None = None
        self._base: int | None = None
        self._back_to: int | None = None
        self._files: dict[str, str] = {}  # the answer's complete files so far, edits applied
        self._open: dict[str, list[EditBlock]] = {}  # blocks of `<edit>` tags not closed yet
        self._changes: list[CodeBlock] = []  # complete blocks not in `_files` yet
        self._key: str | None = None  # the draft this generation shows
        self._worker: asyncio.Task[None] | None = None
        self.shown = 0  # drafts shown for this generation (for tests and the benchmark)

    @property
    def preview(self) -> GameView | None:
        """The Preview (None: no Preview, nothing to do)."""
        return self.session.preview

    @property
    def active(self) -> bool:
        return self._project is not None

    def begin(self, project: Project | None, base: int | None) -> None:
        """A generation on version `base` starts; the Preview's version now is where a
        failed one goes back to."""
        self._stop_worker()
        self._project = project if self.preview is not None else None
        self._base = base
        self._back_to = self.preview.version_id if self.preview is not None else None
        self._files, self._open, self._changes = {}, {}, []
        self._key = None
        self.shown = 0

    def on_event(self, event: object) -> None:
        if not self.active:
            return
        if isinstance(event, FileComplete):
            self._changes.append(event)
        elif isinstance(event, EditBlock):
            self._open.setdefault(event.path, []).append(event)
            return
        elif isinstance(event, EditComplete) and event.path in self._open:
            self._changes += self._open.pop(event.path)
        else:
            return
        if self._worker is None or self._worker.done():
            self._worker = asyncio.ensure_future(self._refresh())

    def end(self, *, go_back: bool) -> None:
        """The generation is over. `go_back`: nothing was saved, so the Preview shows the
        version it showed before (when it still shows this generation's draft)."""
        self._stop_worker()
        if self._key is not None and self.preview.draft == self._key and go_back:
            self.preview.end_draft(self._back_to)
        self._project = None
        self._key = None

    def _stop_worker(self) -> None:
        if self._worker is not None and not self._worker.done():
            self._worker.cancel()
        self._worker = None

    def _ours(self) -> bool:
        """The Preview still shows what this generation put there, or what it found: not
        a version the person chose meanwhile."""
        preview = self.preview
        if self._key is not None:
            return preview.draft == self._key
        return preview.draft is None and preview.version_id == self._back_to

    async def _refresh(self) -> None:
        project = self._project
        while project is not None and self._changes:
            changes, self._changes = self._changes, []
            try:
                self._files, entry = await asyncio.to_thread(
                    apply_to_draft, project, self._base, self._files, changes
                )
            except Exception:  # noqa: BLE001 (a draft is a courtesy: the answer goes on)
                log.warning("could not make a draft of the answer", exc_info=True)
                return
            if entry and self._ours():
                data = {p: t.encode("utf-8") for p, t in self._files.items()}
                self._key = self.preview.show_draft(data, self._base)
                self.shown += 1
