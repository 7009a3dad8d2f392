"""Background work for widgets, one way for each kind.

- `Tasks`: asyncio tasks on Qt's loop (network, subprocesses, awaiting operations), kept
  alive while they run, and cancelled or awaited together (a project closing, a pane going).
- `ThreadJob`: work that would hold the GUI thread (a blocking function, or a coroutine
  that does CPU work between its awaits, such as an exporter) on a worker thread with its
  own event loop; progress and results come back through queued signals.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from studio.errors import StudioError

T = TypeVar("T")
Report = Callable[[float], None]


class Tasks:
    """The asyncio tasks one widget started."""

    def __init__(self) -> None:
        self._running: set[asyncio.Future[Any]] = set()

    def start(
        self, work: Awaitable[T], on_done: Callable[[asyncio.Future[T]], None] | None = None
    ) -> asyncio.Future[T]:
        """Run `work` on the running loop; `on_done(task)` is called when it ends (on the
        GUI thread, like any done callback of a task on Qt's loop)."""
        task = asyncio.ensure_future(work)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        if on_done is not None:
            task.add_done_callback(on_done)
        return task

    def __bool__(self) -> bool:
        return bool(self._running)

    def cancel_all(self) -> None:
        for task in list(self._running):
            task.cancel()

    async def wait_all(self) -> None:
        while self._running:
            await asyncio.wait(list(self._running))


class ThreadJob(QObject):
    """One piece of work on a worker thread: a blocking function or a coroutine factory.

    `work(report)` gets a progress callback that is safe to call from the thread.
    """

    progress = Signal(float)
    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(
        self, work: Callable[[Report], Any], *, is_async: bool = False, name: str = "studio-job"
    ) -> None:
        super().__init__()
        self._work = work
        self._async = is_async
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._cancelled = False
        self.thread: threading.Thread | None = None
        self.error: Exception | None = None  # what `work` raised, other than a StudioError

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self.thread.start()

    def cancel(self) -> None:
        self._cancelled = True
        loop, task = self._loop, self._task
        if loop is not None and task is not None:
            loop.call_soon_threadsafe(task.cancel)

    def _run(self) -> None:
        try:
            result = asyncio.run(self._main()) if self._async else self._work(self.progress.emit)
        except asyncio.CancelledError:
            self.failed.emit("Cancelled; nothing was written.")
        except StudioError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # a plugin's exporter may raise anything
            self.error = exc  # set before the signal: the receiver may report it
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.succeeded.emit(result)

    async def _main(self) -> Any:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        if self._cancelled:
            raise asyncio.CancelledError
        return await self._work(self.progress.emit)
