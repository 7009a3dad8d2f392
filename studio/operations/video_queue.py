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

A request is checked against what the model can do before it is queued
(`studio.ai.video_options`), and kept whole with the job, its pictures in the blob store
(`studio.operations.video_requests`), so a resumed job sends the same request. Each job
keeps its estimated cost from the start and its cost once it ends
(`studio.operations.video_costs`); a job that extends a clip for a story scene may keep
only the new seconds of the result (`keep_last`).

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
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from studio.ai.video_options import extend_problem, model_words, request_problem
from studio.ai.video_provider import (
    VideoCapabilities,
    VideoError,
    VideoPrice,
    VideoProvider,
    VideoRequest,
    VideoStatus,
    capabilities_of,
    strict_capabilities,
)
from studio.core import assets
from studio.core.records import VideoJob
from studio.core.store import Project
from studio.errors import StudioError
from studio.operations.job_pacing import PollPolicy, Slots
from studio.operations.job_runner import JobListener, JobRunner
from studio.operations.kept_providers import KeptProviders, ProviderSource, ProviderStamp
from studio.operations.video_costs import (
    ESTIMATE,
    job_estimate,
    reported_cost,
    spent_by_service,
    with_cost,
)
from studio.operations.video_requests import params_of, request_of
from studio.operations.video_results import store_result

__all__ = ["ACTIVE", "FINISHED", "PollPolicy", "VideoQueue", "describe"]

log = logging.getLogger(__name__)

ACTIVE = ("queued", "submitted", "running", "downloading")
FINISHED = ("completed", "failed", "cancelled")

# The person's prices (Settings › Video), by provider and model.
PriceOverrides = Callable[[], Mapping[str, Mapping[str, VideoPrice]]]


class VideoQueue(JobRunner):
    """Runs a project's video jobs. `providers(name)` builds a provider (kept here);
    `stamp` (default: `providers.stamp`, if it has one) says when to build it again;
    `prices` (default: `providers.price_overrides`, if it has one) gives the person's own
    prices for estimates."""

    kind = "video"
    active = ACTIVE
    what = "video job"
    failures = (VideoError, StudioError)
    retry_resets = {"remote_id": None, "progress": 0.0}  # from the start: submitted anew

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
        prices: PriceOverrides | None = None,
        after: asyncio.Future | None = None,
    ) -> None:
        super().__init__(project, on_change, after=after)
        self._kept = KeptProviders(providers, stamp or getattr(providers, "stamp", None))
        self._prices: PriceOverrides | None = prices or getattr(providers, "price_overrides", None)
        self.limit = limit
        self.limits = dict(limits or {})
        self.poll = poll or PollPolicy()
        self._slots: dict[str, Slots] = {}
        self._media = asyncio.Semaphore(1)  # ffmpeg work: one clip at a time on small machines
        self._progress_written: dict[int, tuple[float, float]] = {}

    # -- adding jobs ---------------------------------------------------------------------

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
        aspect: str | None = None,
        resolution: str | None = None,
        last_frame: bytes | None = None,
        references: Sequence[bytes] = (),
        audio: bool | None = None,
        negative_prompt: str | None = None,
        seed: int | None = None,
        options: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> VideoJob:
        """Queue a new clip (text to video; with pictures: a first frame `image`, a
        `last_frame`, `references`). A request the model would refuse raises StudioError
        and queues nothing. `extra` is kept with the job as it is (e.g. the story scene)."""
        if not prompt.strip():
            raise StudioError("The prompt is empty: say what the clip should show.")
        request = VideoRequest(
            prompt.strip(),
            seconds=seconds,
            size=size,
            model=model,
            image=image,
            image_name=image_name,
            aspect=aspect,
            resolution=resolution,
            last_frame=last_frame,
            references=tuple(references),
            audio=audio,
            negative_prompt=negative_prompt,
            seed=seed,
            options=dict(options or {}),
        )
        source = self.provider(provider)
        caps = capabilities_of(source, model)
        strict = strict_capabilities(source)
        problem = request_problem(caps, request, what=model_words(provider, model), strict=strict)
        if problem:
            raise StudioError(problem)
        params = {**params_of(self.project.blobs, request), **dict(extra or {})}
        if name:
            params["name"] = name
        return self._add(provider, self._estimated(provider, caps, params))

    def remix(self, source: str | int, prompt: str) -> VideoJob:
        """Queue a remix of a generated clip (by clip name or job id) with a new prompt."""
        job = self._source_job(source, "remix")
        caps = self.capabilities(job.provider, job.params.get("model"))
        if not caps.remix:
            raise StudioError(f"{job.provider} cannot remix a clip.")
        params = {"kind": "remix", "prompt": prompt.strip(), "source_remote_id": job.remote_id}
        params |= {"source_job": job.id, **_carry(job.params)}
        return self._add(job.provider, self._estimated(job.provider, caps, params))

    def extend(
        self,
        source: str | int,
        prompt: str,
        seconds: int,
        *,
        keep_last: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> VideoJob:
        """Queue an extension of a generated clip by `seconds`, directed by `prompt`. With
        `keep_last`, the new clip is only the `seconds` added (services hand back the
        whole clip, the source and its extension)."""
        job = self._source_job(source, "extend")
        model = job.params.get("model")
        provider = self.provider(job.provider)
        caps = capabilities_of(provider, model)
        what = model_words(job.provider, model)
        strict = strict_capabilities(provider)
        problem = extend_problem(caps, int(seconds), what=what, strict=strict)
        if problem:
            raise StudioError(problem)
        params = {
            "kind": "extend",
            "prompt": prompt.strip(),
            "seconds": int(seconds),
            "source_remote_id": job.remote_id,
            "source_job": job.id,
            **{k: job.params[k] for k in _SHAPE if k in job.params},
            **dict(extra or {}),
        }
        if keep_last:
            params["keep_last"] = int(seconds)
        return self._add(job.provider, self._estimated(job.provider, caps, params))

    def capabilities(self, provider: str, model: str | None = None) -> VideoCapabilities:
        """What `model` of `provider` can do (the provider is built if need be)."""
        return capabilities_of(self.provider(provider), model)

    def price_overrides(self) -> Mapping[str, Mapping[str, VideoPrice]]:
        if self._prices is None:
            return {}
        try:
            return self._prices()
        except Exception:  # a damaged settings file must not stop a job
            log.exception("could not read the prices set in Settings")
            return {}

    def estimate(self, provider: str, params: Mapping[str, Any]) -> float | None:
        """About what a job of `provider` with `params` costs (None: no price known)."""
        caps = self.capabilities(provider, params.get("model"))
        return job_estimate(provider, caps, params, self.price_overrides())

    def spent(self) -> dict[str, float]:
        """What this project's jobs cost, by provider."""
        return spent_by_service(self.project.jobs())

    def _estimated(
        self, provider: str, caps: VideoCapabilities, params: dict[str, Any]
    ) -> dict[str, Any]:
        estimate = job_estimate(provider, caps, params, self.price_overrides())
        return {**params, ESTIMATE: estimate} if estimate is not None else params

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

    async def _cancelled(self, job: VideoJob) -> None:
        """The service is asked to drop a cancelled job (best effort)."""
        if job.remote_id:
            with contextlib.suppress(VideoError, StudioError):
                await self.provider(job.provider).cancel(job.remote_id)

    async def aclose(self) -> None:
        """Stop driving jobs, leaving them in the database to resume; close providers."""
        await super().aclose()
        await self._kept.aclose()

    # -- one job -------------------------------------------------------------------------

    def provider(self, name: str) -> VideoProvider:
        """The provider `name`, built at its first use and kept."""
        return self._kept.get(name)

    async def current_provider(self, name: str) -> VideoProvider:
        """`provider(name)`, built anew first if what it is built from changed since."""
        return await self._kept.current(name)

    def forget_providers(self) -> None:
        """Build every provider anew at its next use (e.g. after plugins changed)."""
        self._kept.forget()

    def _slots_for(self, name: str) -> Slots:
        if name not in self._slots:
            self._slots[name] = Slots(self.limits.get(name, self.limit))
        return self._slots[name]

    async def _run_job(self, job_id: int) -> None:
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
                job = await self._submitted(provider, job)
            elif job.status in ("submitted", "running"):
                slots = self._slots_for(job.provider)
                slots.take()
            if job.status in ("submitted", "running"):
                status = await self._follow(provider, job)
                if status is None:
                    return  # lost contact: stays running, resumes on the next start
                slots.release()
                slots = None
                finished = _finished_params(job.params, status)
                if finished is not None:
                    job = await self._writer.commit(job_id, params=finished)
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
        finally:
            if slots is not None:
                slots.release()
            self._progress_written.pop(job_id, None)

    async def _submitted(self, provider: VideoProvider, job: VideoJob) -> VideoJob:
        """Submit the job and keep its remote id. A job stopped (cancelled, or the queue
        closed) while the service takes it still gets its id once the service answers:
        `cancel` then drops it there and a reopened queue follows it, where it would have
        run (and been billed) unseen, or been submitted twice."""
        submitting = asyncio.ensure_future(self._submit(provider, job))
        try:
            remote_id = await asyncio.shield(submitting)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):  # refused, or the project closed meanwhile
                self._update(job.id, status="submitted", remote_id=await _answer(submitting))
            raise
        return await self._writer.commit(
            job.id, status="submitted", remote_id=remote_id, progress=0.0, error=None
        )

    async def _submit(self, provider: VideoProvider, job: VideoJob) -> str:
        p = job.params
        kind = p.get("kind", "generate")
        if kind == "remix":
            return await provider.remix(p["source_remote_id"], p["prompt"])
        if kind == "extend":
            return await provider.extend(p["source_remote_id"], p["prompt"], int(p["seconds"]))
        return await provider.submit(request_of(self.project.blobs, p))

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
        stored = assets.clip_of_job(self.project, job.id)  # a run killed before saying so
        if stored:
            await self._writer.commit(
                job.id, status="completed", progress=1.0, error=None, result=stored
            )
            return
        clip = await store_result(
            self.project,
            provider,
            job,
            lock=self._media,
            on_progress=lambda f: self._media_progress(job.id, f),
        )
        params = self.project.job(job.id).params
        await self._writer.commit(
            job.id,
            status="completed",
            progress=1.0,
            error=None,
            result=assets.clip_names(clip),
            params=with_cost(params, None, made=True) or params,
        )

    def _media_progress(self, job_id: int, fraction: float) -> None:
        """Write preparation progress now and then (each write is an fsync)."""
        now = time.monotonic()
        last_value, last_time = self._progress_written.get(job_id, (-1.0, 0.0))
        if fraction - last_value < 0.1 and now - last_time < 0.5:
            return
        self._progress_written[job_id] = (fraction, now)
        self._writer.commit_later(job_id, progress=round(min(fraction, 0.99), 3))


async def _answer(submitting: asyncio.Future[str]) -> str:
    """The submit's answer, waited for whoever cancels the waiting again (Cancel, then the
    project closes); only the submit itself cancelled (the app quitting) ends the wait."""
    while True:
        try:
            return await asyncio.shield(submitting)
        except asyncio.CancelledError:
            if submitting.cancelled():
                raise


def _finished_params(params: Mapping[str, Any], status: VideoStatus) -> dict[str, Any] | None:
    """The params with what the final status said: the cost the service reported, and
    until when it keeps the result (an extension needs it); None when it said neither."""
    out = with_cost(params, reported_cost(status), made=False) or dict(params)
    if status.expires_at:
        out["expires_at"] = status.expires_at
    return out if out != params else None


_SHAPE = ("size", "model", "aspect", "resolution")  # what an extension keeps of its source


def _carry(params: Mapping[str, Any]) -> dict[str, Any]:
    """What a remix keeps from its source job (length and shape stay)."""
    return {k: params[k] for k in ("seconds", *_SHAPE, "audio") if k in params}


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
