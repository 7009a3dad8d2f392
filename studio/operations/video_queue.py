"""The video job queue: jobs live in the project database and survive a restart.

Qt-free and asyncio-based; the UI and the CLI drive the same queue.

Life of a job (`VideoJob.status`):

    queued ──submit──▶ submitted ──poll──▶ running ──▶ downloading ──▶ completed
       │                   │                  │              │
       └───────────────────┴──────────────────┴──────────────┴──▶ failed | cancelled

Every change is written to the database before anyone is told about it. When a project is
opened again, `start()` picks up where things were: queued jobs are submitted, submitted
and running ones are polled, one that was downloading is fetched again. Results are
downloaded as soon as they are ready (services expire them) and stored as a clip: the
original MP4, a WebM proxy and a thumbnail (see `studio.core.assets`).

Providers are built once and kept, but not forever: given a `stamp` (see
`studio.ai.video_sources.HostVideoProviders`), a job about to use a kept provider first asks
what it would be built from now, and a new one is built when that changed (its plugin was
switched off and on, its settings or key were edited). Jobs already running keep theirs.

At most `limit` jobs per provider are on the service at once (jobs resumed after a restart
count, but never wait: they are running there already). A job that fails, for whatever
reason, is marked failed with one clear sentence; other jobs carry on. Losing the
connection while polling is not a failure: the job keeps trying with back-off, then waits
for the next `start()` with its state intact.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.ai.video_provider import VideoError, VideoProvider, VideoRequest, VideoStatus
from studio.core import assets
from studio.core.errors import NotFoundError
from studio.core.records import VideoJob
from studio.core.store import Project
from studio.errors import StudioError
from studio.operations.job_slots import Slots
from studio.operations.job_writer import JobWriter

__all__ = ["ACTIVE", "FINISHED", "PollPolicy", "VideoQueue", "describe"]

log = logging.getLogger(__name__)

ACTIVE = ("queued", "submitted", "running", "downloading")
FINISHED = ("completed", "failed", "cancelled")

ProviderSource = Callable[[str], VideoProvider]
# What provider `name` would be built from now; compared with `==` to the last answer.
ProviderStamp = Callable[[str], Awaitable[object]]
JobListener = Callable[[VideoJob], None]


@dataclass(frozen=True)
class PollPolicy:
    """How often to ask the service. A wait the service asks for wins, within bounds."""

    first: float = 2.0  # seconds before the second poll when the service says nothing
    factor: float = 1.5
    longest: float = 20.0
    min_suggested: float = 0.01
    max_suggested: float = 60.0
    # Consecutive transient errors (no connection, 5xx, 429) before a job waits for the
    # next start; each waits as the service said, or backs off like a poll.
    max_transient: int = 6

    def next(self, interval: float) -> float:
        return min(interval * self.factor, self.longest)

    def suggested(self, seconds: float) -> float:
        return min(max(seconds, self.min_suggested), self.max_suggested)


_UNKNOWN = object()  # the stamp of a provider built without asking (equal to nothing)


@dataclass
class _Kept:
    provider: VideoProvider
    stamp: object = _UNKNOWN


class VideoQueue:
    """Runs a project's video jobs. `providers(name)` builds a provider (kept here);
    `stamp` (default: `providers.stamp`, if it has one) says when to build it again."""

    def __init__(
        self,
        project: Project,
        providers: ProviderSource,
        *,
        stamp: ProviderStamp | None = None,
        limit: int = 2,
        limits: Mapping[str, int] | None = None,
        poll: PollPolicy | None = None,
        on_change: JobListener | None = None,
    ) -> None:
        self.project = project
        self._make_provider = providers
        self._stamp: ProviderStamp | None = stamp or getattr(providers, "stamp", None)
        self._providers: dict[str, _Kept] = {}
        self._retired: list[VideoProvider] = []  # replaced, maybe still used by a job
        self.limit = limit
        self.limits = dict(limits or {})
        self.poll = poll or PollPolicy()
        self._listeners: list[JobListener] = [on_change] if on_change else []
        self._slots: dict[str, Slots] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._cancelling: set[int] = set()
        self._media = asyncio.Semaphore(1)  # ffmpeg work: one clip at a time on small machines
        self._writer = JobWriter(project, self._emit)  # job changes: written off the loop
        self._progress_written: dict[int, tuple[float, float]] = {}
        self.closed = False

    # -- listening -----------------------------------------------------------------------

    def subscribe(self, listener: JobListener) -> None:
        self._listeners.append(listener)

    def _emit(self, job: VideoJob) -> None:
        for listener in list(self._listeners):
            try:
                listener(job)
            except Exception:  # a broken listener must not stop the queue
                log.exception("video job listener failed")

    def _update(self, job_id: int, **fields: Any) -> VideoJob:
        job = self.project.update_job(job_id, **fields)
        self._emit(job)
        return job

    # -- adding jobs ---------------------------------------------------------------------

    def jobs(self) -> list[VideoJob]:
        return self.project.jobs()

    def active(self) -> list[VideoJob]:
        return self.project.jobs(ACTIVE)

    def generate(
        self,
        provider: str,
        prompt: str,
        *,
        seconds: int | None = None,
        size: str | None = None,
        model: str | None = None,
        image: bytes | None = None,
        image_name: str = "reference.png",
        name: str | None = None,
    ) -> VideoJob:
        """Queue a new clip (text-to-video, or image-to-video with `image`)."""
        if not prompt.strip():
            raise StudioError("The prompt is empty: say what the clip should show.")
        params: dict[str, Any] = {"kind": "generate", "prompt": prompt.strip()}
        params |= {k: v for k, v in (("seconds", seconds), ("size", size), ("model", model)) if v}
        if name:
            params["name"] = name
        if image:
            if not self.provider(provider).capabilities.image_reference:
                raise StudioError(f"The video provider {provider!r} cannot start from a picture.")
            # The picture goes into the blob store, so a resumed job still has it.
            params["image"] = self.project.blobs.put(image)
            params["image_name"] = image_name
        return self._add(provider, params)

    def remix(self, source: str | int, prompt: str) -> VideoJob:
        """Queue a remix of a generated clip (by clip name or job id) with a new prompt."""
        job = self._source_job(source, "remix")
        params = {"kind": "remix", "prompt": prompt.strip(), "source_remote_id": job.remote_id}
        params |= {"source_job": job.id, **_carry(job.params)}
        return self._add(job.provider, params)

    def extend(self, source: str | int, prompt: str, seconds: int) -> VideoJob:
        """Queue an extension of a generated clip by `seconds`, directed by `prompt`."""
        job = self._source_job(source, "extend")
        params = {
            "kind": "extend",
            "prompt": prompt.strip(),
            "seconds": int(seconds),
            "source_remote_id": job.remote_id,
            "source_job": job.id,
        }
        if "size" in job.params:
            params["size"] = job.params["size"]
        return self._add(job.provider, params)

    def _source_job(self, source: str | int, action: str) -> VideoJob:
        if isinstance(source, int):
            job = self.project.job(source)
        else:
            meta = assets.clip(self.project, source).meta
            if not meta.get("job"):
                raise StudioError(
                    f"Only a clip generated by a provider can be {action}ed; {source} was "
                    f"{meta.get('source', 'imported')}. Continue from its last frame instead."
                )
            job = self.project.job(int(meta["job"]))
        if job.status != "completed" or not job.remote_id:
            raise StudioError(f"Job {job.id} has no finished video to {action}.")
        return job

    def _add(self, provider: str, params: dict[str, Any]) -> VideoJob:
        job = self.project.add_job(provider, params)
        self._emit(job)
        self._spawn_if_running(job.id)
        return job

    def retry(self, job_id: int) -> VideoJob:
        """Run a failed or cancelled job again from the start (same parameters)."""
        job = self.project.job(job_id)
        if job.status not in ("failed", "cancelled"):
            raise StudioError(f"Job {job_id} is {job.status}; only failed or cancelled jobs retry.")
        job = self._update(job_id, status="queued", remote_id=None, progress=0.0, error=None)
        self._spawn_if_running(job_id)
        return job

    def resume(self, job_id: int) -> None:
        """Start driving an active job that is not running now (e.g. after lost contact)."""
        self._spawn_if_running(job_id)

    def dismiss(self, job_id: int) -> VideoJob:
        """Hide a finished job from the queue list (the row stays in the database)."""
        job = self.project.job(job_id)
        return self._update(job_id, params={**job.params, "dismissed": True})

    # -- running -------------------------------------------------------------------------

    def start(self) -> None:
        """Drive every active job (resuming after a restart). Needs a running event loop."""
        if self.closed:
            raise StudioError("The video queue is closed.")
        for job in self.project.jobs(ACTIVE):
            self._spawn(job.id)

    async def run(self) -> None:
        """Start, then return when no job is active or running any more."""
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
            return  # no loop: `start()` or `run()` will pick the job up
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
        """Stop a job: it is marked cancelled and the service is asked to drop it."""
        job = self.project.job(job_id)
        if job.status not in ACTIVE:
            return job
        self._cancelling.add(job_id)
        try:
            task = self._tasks.get(job_id)
            if task is not None:
                task.cancel()
                await asyncio.wait([task])
            job = self.project.job(job_id)
            if job.status not in ACTIVE:
                return job  # it finished before the cancel arrived
            job = await self._writer.commit(job_id, status="cancelled", error=None)
        finally:
            self._cancelling.discard(job_id)
        if job.remote_id:
            with contextlib.suppress(VideoError, StudioError):
                await self.provider(job.provider).cancel(job.remote_id)
        return job

    async def aclose(self) -> None:
        """Stop driving jobs, leaving them in the database to resume; close providers."""
        self.close_now()
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.wait(tasks)
        await self._writer.aclose()
        providers = [kept.provider for kept in self._providers.values()] + self._retired
        self._providers, self._retired = {}, []
        for provider in providers:
            with contextlib.suppress(Exception):
                await provider.aclose()

    def close_now(self) -> None:
        """The synchronous part of closing, for a project that closes right after."""
        self.closed = True
        for task in list(self._tasks.values()):
            task.cancel()

    # -- one job -------------------------------------------------------------------------

    def provider(self, name: str) -> VideoProvider:
        """The provider `name`, built at its first use and kept."""
        kept = self._providers.get(name)
        if kept is None:
            kept = self._providers[name] = _Kept(self._build(name))
        return kept.provider

    async def current_provider(self, name: str) -> VideoProvider:
        """`provider(name)`, built anew first if what it is built from changed since."""
        if self._stamp is None:
            return self.provider(name)
        try:
            stamp = await self._stamp(name)
        except Exception:  # cannot tell: keep what there is rather than fail the job
            log.exception("could not check video provider %s for changes", name)
            return self.provider(name)
        kept = self._providers.get(name)
        if kept is not None and kept.stamp == stamp:
            return kept.provider
        provider = self._build(name)
        if kept is not None:
            self._retired.append(kept.provider)
        self._providers[name] = _Kept(provider, stamp)
        return provider

    def forget_providers(self) -> None:
        """Build every provider anew at its next use (e.g. after plugins changed)."""
        self._retired.extend(kept.provider for kept in self._providers.values())
        self._providers.clear()

    def _build(self, name: str) -> VideoProvider:
        try:
            return self._make_provider(name)
        except VideoError:
            raise
        except Exception as exc:  # e.g. a plugin that was disabled or failed
            raise VideoError(
                "unsupported", f"The video provider {name!r} is not available: {exc}"
            ) from None

    def _slots_for(self, name: str) -> Slots:
        if name not in self._slots:
            self._slots[name] = Slots(self.limits.get(name, self.limit))
        return self._slots[name]

    async def _drive(self, job_id: int) -> None:
        slots: Slots | None = None
        try:
            job = self.project.job(job_id)
            try:
                provider = await self.current_provider(job.provider)
            except VideoError as exc:
                # Kept as it is: it runs again once the provider is back (plugin enabled).
                await self._writer.commit(job_id, error=exc.message)
                return
            if job.status == "queued":
                slots = self._slots_for(job.provider)
                await slots.acquire()
                job = self.project.job(job_id)
                if job.status != "queued":
                    return
                remote_id = await self._submit(provider, job)
                job = await self._writer.commit(
                    job_id, status="submitted", remote_id=remote_id, progress=0.0, error=None
                )
            elif job.status in ("submitted", "running"):
                slots = self._slots_for(job.provider)
                slots.take()
            if job.status in ("submitted", "running"):
                status = await self._follow(provider, job)
                if status is None:
                    return  # lost contact: stays running, resumes on the next start
                slots.release()
                slots = None
                if status.status == "failed":
                    await self._writer.commit(
                        job_id, status="failed", error=status.error or "The video failed."
                    )
                    return
                job = await self._writer.commit(
                    job_id, status="downloading", progress=0.0, error=None
                )
            if job.status == "downloading":
                await self._fetch(provider, job)
        except asyncio.CancelledError:
            raise  # cancel() marks the job; closing leaves it to resume
        except sqlite3.ProgrammingError:
            log.info("project closed while job %s ran; it resumes when the project opens", job_id)
        except (VideoError, StudioError) as exc:
            await self._fail(job_id, str(exc))
        except Exception as exc:  # never let one job's surprise stop the others
            log.exception("video job %s failed", job_id)
            await self._fail(job_id, f"Unexpected error: {type(exc).__name__}: {exc}")
        finally:
            if slots is not None:
                slots.release()
            self._progress_written.pop(job_id, None)

    async def _fail(self, job_id: int, message: str) -> None:
        with contextlib.suppress(sqlite3.ProgrammingError, NotFoundError):
            await self._writer.commit(job_id, status="failed", error=message)

    async def _submit(self, provider: VideoProvider, job: VideoJob) -> str:
        p = job.params
        kind = p.get("kind", "generate")
        if kind == "remix":
            return await provider.remix(p["source_remote_id"], p["prompt"])
        if kind == "extend":
            return await provider.extend(p["source_remote_id"], p["prompt"], int(p["seconds"]))
        image = self.project.blobs.read(p["image"]) if p.get("image") else None
        request = VideoRequest(
            prompt=p["prompt"],
            seconds=p.get("seconds"),
            size=p.get("size"),
            model=p.get("model"),
            image=image,
            image_name=p.get("image_name", "reference.png"),
        )
        return await provider.submit(request)

    async def _follow(self, provider: VideoProvider, job: VideoJob) -> VideoStatus | None:
        """Poll until the service says completed or failed; None after lost contact."""
        assert job.remote_id is not None
        interval = self.poll.first
        transient = 0
        while True:
            try:
                status = await provider.poll(job.remote_id)
            except VideoError as exc:
                if not exc.transient:
                    raise
                transient += 1
                if transient > self.poll.max_transient:
                    await self._writer.commit(
                        job.id,
                        error=f"{exc.message} Stopped asking for now; the job resumes when "
                        "the queue starts again (or press Resume).",
                    )
                    return None
                await self._writer.commit(job.id, error=f"{exc.message} Trying again…")
                wait = exc.retry_after if exc.retry_after is not None else interval
                interval = self.poll.next(interval)
                await asyncio.sleep(self.poll.suggested(wait))
                continue
            if transient or job.error:
                job = await self._writer.commit(job.id, error=None)
                transient = 0
            if status.done:
                return status
            if job.status != "running" or abs(job.progress - status.progress) > 1e-6:
                job = await self._writer.commit(job.id, status="running", progress=status.progress)
            if status.poll_after is not None:
                delay = self.poll.suggested(status.poll_after)
            else:
                delay, interval = interval, self.poll.next(interval)
            await asyncio.sleep(delay)

    async def _fetch(self, provider: VideoProvider, job: VideoJob) -> None:
        """Download the result and store it as a clip, then mark the job completed."""
        assert job.remote_id is not None
        stored = assets.clip_of_job(self.project, job.id)  # a run killed before saying so
        if stored:
            await self._writer.commit(
                job.id, status="completed", progress=1.0, error=None, result=stored
            )
            return
        p = job.params
        stem = assets.slug(p.get("name") or p.get("prompt", ""), "clip")
        with tempfile.TemporaryDirectory(prefix="studio-video-") as folder:
            path = Path(folder) / f"{stem}.mp4"
            await provider.download(job.remote_id, "video", path)
            meta = {
                "prompt": p.get("prompt"),
                "job": job.id,
                "provider": job.provider,
                "remote_id": job.remote_id,
            }
            if p.get("kind") in ("remix", "extend"):
                meta["from_job"] = p.get("source_job")
            async with self._media:
                try:
                    clip = await assets.import_video(
                        self.project,
                        path,
                        name=stem,
                        source="generated",
                        meta=meta,
                        on_progress=lambda f: self._media_progress(job.id, f),
                    )
                except Exception as exc:
                    from studio.media import MediaError

                    if not isinstance(exc, MediaError):
                        raise
                    kept = await self._keep_download(path, stem, meta)
                    raise StudioError(
                        f"Downloaded, but the video cannot be used: {exc} "
                        f"(the file is kept as {kept})."
                    ) from None
        await self._writer.commit(
            job.id,
            status="completed",
            progress=1.0,
            error=None,
            result=assets.clip_names(clip),
        )

    async def _keep_download(self, path: Path, stem: str, meta: dict[str, Any]) -> str:
        name = self.project.unique_asset_name(f"{stem}-download.mp4")
        await asyncio.to_thread(
            self.project.add_asset, name, path, meta={**meta, "role": "download"}
        )
        return name

    def _media_progress(self, job_id: int, fraction: float) -> None:
        """Write preparation progress now and then (each write is an fsync)."""
        now = time.monotonic()
        last_value, last_time = self._progress_written.get(job_id, (-1.0, 0.0))
        if fraction - last_value < 0.1 and now - last_time < 0.5:
            return
        self._progress_written[job_id] = (fraction, now)
        self._writer.commit_later(job_id, progress=round(min(fraction, 0.99), 3))


def _carry(params: Mapping[str, Any]) -> dict[str, Any]:
    """What a remix keeps from its source job (length and shape stay)."""
    return {k: params[k] for k in ("seconds", "size", "model") if k in params}


def describe(job: VideoJob) -> str:
    """One line for lists and the CLI: what the job is doing now."""
    percent = f"{round(job.progress * 100)}%"
    words = {
        "queued": "waiting to start",
        "submitted": "submitted",
        "running": f"generating {percent}",
        "downloading": f"preparing clip {percent}",
        "completed": "done",
        "failed": f"failed: {job.error or 'no reason given'}",
        "cancelled": "cancelled",
    }
    text = words.get(job.status, job.status)
    if job.status in ACTIVE and job.error:
        text += f" — {job.error}"
    return text
