"""What the runners of a project's jobs share: video clips (`video_queue`) and pictures
(`image_jobs`).

A job is a row of the project's jobs table, of the runner's `kind`. The runner drives each
active job in an asyncio task of its own and tells its listeners of every change once it is
written. Changes made as jobs run go through a `JobWriter` (off the loop's thread, in
order); the few a person makes by a click that waits for the job (retry, dismiss, keeping a
picture) are written at once. Closing stops the tasks and leaves the jobs in the table, so
the next `start()` drives them again; a closed runner tells no one. A job that fails, for
whatever reason, is marked failed with one sentence; the others carry on.

A runner may be made while the project's last one still closes (the project opened again
at once): given that closing as `after`, it drives and cancels jobs only once it is over,
as the last one may still write what it was waiting for (a clip's remote id); and it is
closed itself only once that one is.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from studio.core.errors import NotFoundError
from studio.core.records import VideoJob
from studio.core.store import Project
from studio.errors import StudioError
from studio.operations.job_writer import JobWriter

__all__ = ["JobListener", "JobRunner"]

log = logging.getLogger(__name__)

JobListener = Callable[[VideoJob], None]


class JobRunner(abc.ABC):
    kind: ClassVar[str]  # the jobs table's kind
    active: ClassVar[tuple[str, ...]]  # the statuses of a job still to drive
    what: ClassVar[str]  # for messages: "video job", "picture job"
    failures: ClassVar[tuple[type[Exception], ...]] = (StudioError,)  # said in one sentence
    retry_resets: ClassVar[Mapping[str, Any]] = {}  # what a retried job starts again from

    def __init__(
        self,
        project: Project,
        on_change: JobListener | None = None,
        *,
        after: asyncio.Future | None = None,
    ) -> None:
        self.project = project
        self._listeners: list[JobListener] = [on_change] if on_change else []
        self._writer = JobWriter(project, self._emit)
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._after = after  # the project's last runner closing (see the module doc)
        self._cancels: set[asyncio.Future[None]] = set()  # cancels under way
        self.closed = False

    # -- listening -----------------------------------------------------------------------

    def subscribe(self, listener: JobListener) -> None:
        self._listeners.append(listener)

    def _emit(self, job: VideoJob) -> None:
        for listener in list(self._listeners):
            try:
                listener(job)
            except Exception:  # a broken listener must not stop the jobs
                log.exception("%s listener failed", self.what)

    def _update(self, job_id: int, **fields: Any) -> VideoJob:
        """Write a change a person made, at once, and tell the listeners."""
        job = self.project.update_job(job_id, **fields)
        self._emit(job)
        return job

    # -- the jobs ------------------------------------------------------------------------

    def jobs(self) -> list[VideoJob]:
        return self.project.jobs(kind=self.kind)

    def _add(self, provider: str, params: Mapping[str, Any]) -> VideoJob:
        job = self.project.add_job(provider, params, kind=self.kind)
        self._emit(job)
        self._spawn_if_running(job.id)
        return job

    def retry(self, job_id: int) -> VideoJob:
        """Run a failed or cancelled job again, with the same parameters."""
        job = self.project.job(job_id)
        if job.status not in ("failed", "cancelled"):
            raise StudioError(f"Job {job_id} is {job.status}; only failed or cancelled jobs retry.")
        job = self._update(job_id, status="queued", error=None, **self.retry_resets)
        self._spawn_if_running(job_id)
        return job

    def resume(self, job_id: int) -> None:
        """Drive an active job that is not running now (it waited after lost contact, or
        for its provider)."""
        self._spawn_if_running(job_id)

    def dismiss(self, job_id: int) -> VideoJob:
        """Hide a finished job from the lists (the row stays in the database)."""
        job = self.project.job(job_id)
        return self._update(job_id, params={**job.params, "dismissed": True})

    # -- running -------------------------------------------------------------------------

    def start(self) -> None:
        """Drive every active job (resuming after a restart). Needs a running event loop."""
        if self.closed:
            raise StudioError(f"The {self.what}s are closed.")
        for job in self.project.jobs(self.active, kind=self.kind):
            self._spawn(job.id)

    async def run(self) -> None:
        """Start, then return when no job is running any more."""
        self.start()
        while self._tasks:
            await asyncio.wait(list(self._tasks.values()))

    async def wait(self, job_id: int) -> VideoJob:
        task = self._tasks.get(job_id)
        if task is not None:
            await asyncio.wait([task])
        return self.project.job(job_id)

    def running(self) -> list[int]:
        return sorted(self._tasks)

    def _spawn_if_running(self, job_id: int) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop: `start()` or `run()` picks the job up
        if not self.closed:
            self._spawn(job_id)

    def _spawn(self, job_id: int) -> None:
        if job_id in self._tasks:
            return
        task = asyncio.ensure_future(self._drive(job_id))
        self._tasks[job_id] = task
        task.add_done_callback(lambda _t, i=job_id: self._task_done(i))

    def _task_done(self, job_id: int) -> None:
        self._tasks.pop(job_id, None)
        if self.closed:
            return
        # Tell listeners once more: the job is no longer driven (e.g. waiting after lost
        # contact, which a list shows as "Resume" rather than "Cancel").
        with contextlib.suppress(sqlite3.ProgrammingError, NotFoundError):
            self._emit(self.project.job(job_id))

    async def cancel(self, job_id: int) -> VideoJob:
        """Stop a job and mark it cancelled (what it made so far stays)."""
        job = self.project.job(job_id)
        if job.status not in self.active:
            return job
        # Under way, it writes and may tell the service: closing waits for it (`busy`).
        under_way: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._cancels.add(under_way)
        try:
            await self._stop_task(job_id)
            job = self.project.job(job_id)
            if job.status not in self.active:
                return job  # it finished before the cancel arrived
            job = await self._writer.commit(job_id, status="cancelled", error=None)
            await self._cancelled(job)
            return job
        finally:
            self._cancels.discard(under_way)
            under_way.set_result(None)

    async def _cancelled(self, job: VideoJob) -> None:
        """A job was just marked cancelled: what else its kind does (pictures: nothing)."""
        return None

    @property
    def busy(self) -> bool:
        """Jobs are driven, or cancelled: closing now, they still have things to write."""
        return bool(self._tasks or self._cancels)

    async def _stop_task(self, job_id: int) -> None:
        """Stop driving job `job_id`; once this returns, all it wrote is written."""
        await self._after_last_close()
        task = self._tasks.get(job_id)
        if task is not None:
            task.cancel()
            await asyncio.wait([task])
        await self._writer.flush()

    async def aclose(self) -> None:
        """Stop driving jobs, leaving them in the database to resume; finish cancels and
        writing. Over only once the project's last runner has closed too."""
        self.close_now()
        pending = [*self._tasks.values(), *self._cancels]
        if pending:
            await asyncio.wait(pending)
        await self._writer.aclose()
        await self._after_last_close()

    def close_now(self) -> None:
        """The synchronous part of closing."""
        if self.closed:
            return
        self.closed = True
        self._listeners.clear()  # they listen to the project open now, not to this one
        for task in list(self._tasks.values()):
            task.cancel()

    # -- one job -------------------------------------------------------------------------

    async def _after_last_close(self) -> None:
        if self._after is not None:
            await asyncio.wait([self._after])

    async def _drive(self, job_id: int) -> None:
        try:
            await self._after_last_close()
            await self._run_job(job_id)
        except asyncio.CancelledError:
            raise  # cancel() marks the job; closing leaves it to resume
        except sqlite3.ProgrammingError:
            log.info("project closed while %s %s ran; it resumes with it", self.what, job_id)
        except self.failures as exc:
            await self._fail(job_id, str(exc))
        except Exception as exc:  # never let one job's surprise stop the others
            log.exception("%s %s failed", self.what, job_id)
            await self._fail(job_id, f"Unexpected error: {type(exc).__name__}: {exc}")

    @abc.abstractmethod
    async def _run_job(self, job_id: int) -> None:
        """Take job `job_id` as far as it goes: to an end, or to a wait for the next start."""

    async def _fail(self, job_id: int, message: str) -> None:
        with contextlib.suppress(sqlite3.ProgrammingError, NotFoundError):
            await self._writer.commit(job_id, status="failed", error=message)
