"""Writing jobs' state off the event loop's thread.

Each write to the project database ends in an fsync; the loop of a job runner is the GUI
thread in the app. So a runner's job changes are written on one thread of their own, in the
order they were made, and whoever listens hears of each on the loop, once it is written.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from studio.core.records import VideoJob
from studio.core.store import Project

__all__ = ["JobWriter"]


class JobWriter:
    def __init__(self, project: Project, written: Callable[[VideoJob], None]) -> None:
        self.project = project
        self._written = written
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="studio-jobs")
        self._closed = False

    async def commit(self, job_id: int, **fields: Any) -> VideoJob:
        """`Project.update_job`, on the writer's thread; the job as written. A caller
        cancelled meanwhile (its job stopped) does not take the write back with it."""
        write = functools.partial(self.project.update_job, job_id, **fields)
        job = await asyncio.shield(asyncio.get_running_loop().run_in_executor(self._thread, write))
        self._written(job)
        return job

    def commit_later(self, job_id: int, **fields: Any) -> None:
        """`commit` for a caller that need not wait (progress): written in its turn."""
        write = functools.partial(self.project.update_job, job_id, **fields)
        future = asyncio.get_running_loop().run_in_executor(self._thread, write)
        future.add_done_callback(
            lambda f: self._written(f.result()) if not f.cancelled() and not f.exception() else None
        )

    async def flush(self) -> None:
        """Return once what was asked so far is written."""
        if not self._closed:
            await asyncio.get_running_loop().run_in_executor(self._thread, lambda: None)

    async def aclose(self) -> None:
        """Once what was asked is written, stop the thread (closing again does nothing)."""
        if self._closed:
            return
        await self.flush()
        self._closed = True
        self._thread.shutdown(wait=False)
