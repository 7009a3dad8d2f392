"""Picture jobs: ask an image provider for pictures, keep the ones a person chooses.

Qt-free and asyncio-based; the Images tab, the hero dialog and `studio image` drive the
same jobs.

A picture job is a row of the project's jobs table with kind "image" (the table video jobs
use: the same persistence, the same `status`/`progress`/`error` fields the lists show and
`video_queue.describe` words, and the same place and names for what a job cost:
`params["estimate_usd"]` when it is queued, `params["cost_usd"]` as pictures come).
A picture is usually one request; a batch (eight sprites, or more pictures than the model
makes at once) is several, and each request's pictures are stored (in the blob store,
named in `result`) and counted as they come, so a job interrupted by a restart goes on
with the pictures still missing.

Life of a job (`status`):

    queued ──▶ running ──▶ completed
      │           │
      └───────────┴──▶ failed | cancelled

The services answer while the request is open (the OpenAI Images API has no job to poll),
so "resumable" means: after a restart, a job that was queued or running asks again for
the pictures it lacks. Transient failures (a rate limit, no connection, a server error) are
retried after the wait the service asked for (`retry_after`), or with back-off; the job
shows why it waits. Any other failure ends the job with one sentence.

The pictures of a finished job are candidates: `keep` makes one a project asset, ready for
a game by its kind (a new name each time, as clips get), `discard` hides it. What a picture
costs is estimated before (`estimate`) from the provider's prices and recorded as requests
come back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from studio.ai.image_provider import (
    ImageCapabilities,
    ImageError,
    ImageProvider,
    ImageRequest,
    image_capabilities_of,
)
from studio.ai.service_check import CheckResult, check_connection
from studio.ai.services import destination_of
from studio.core.pictures import KINDS, Picture, image_prompt, picture_style
from studio.core.records import VideoJob
from studio.core.store import Project
from studio.errors import StudioError
from studio.operations.job_runner import JobListener, JobRunner
from studio.operations.kept_providers import KeptProviders

__all__ = [
    "ACTIVE",
    "KIND",
    "ImageJobs",
    "PictureRequest",
    "RetryPolicy",
    "closest_size",
    "estimate",
    "spent_by_service",
]

log = logging.getLogger(__name__)

KIND = "image"  # the jobs table's kind for picture jobs
# Where a job's price goes in its params: the names video jobs use too.
ESTIMATE, COST, COST_FROM = "estimate_usd", "cost_usd", "cost_from"
ACTIVE = ("queued", "running")

ProviderSource = Callable[[str], ImageProvider]

# What to ask for when the person does not say, by kind: a size (the model's shapes: wide
# for a row of frames and for scenery) and whether the background should be see-through.
KIND_REQUESTS: dict[str, tuple[str, bool]] = {
    "character": ("1024x1024", True),
    "hero": ("1024x1024", True),
    "sprite_sheet": ("1536x1024", True),
    "background": ("1536x1024", False),
    "tile": ("1024x1024", False),
    "item": ("1024x1024", True),
    "ui": ("1024x1024", True),
}
DEFAULT_FRAMES = 4
MOST_COLUMNS = 4  # a sheet's frames in rows of at most this many


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait after a transient failure, and how many in a row a job bears."""

    attempts: int = 5
    first: float = 2.0
    factor: float = 2.0
    longest: float = 60.0  # the longest single wait, whatever the service asked

    def wait(self, attempt: int, asked: float | None) -> float:
        backoff = self.first * self.factor ** max(0, attempt - 1)
        return min(asked if asked is not None else backoff, self.longest)


@dataclass(frozen=True)
class PictureRequest:
    """What a person asks for. `kind` is one of `studio.core.pictures.KINDS`; `size`,
    `transparent` and `frames` default to what the kind needs; the prompt is sent in the
    project's style (`image_prompt`) unless `raw_prompt`."""

    prompt: str
    kind: str = "character"
    size: str | None = None
    count: int = 1
    model: str | None = None
    transparent: bool | None = None
    frames: int | None = None
    inputs: tuple[bytes, ...] = ()
    mask: bytes | None = None
    name: str | None = None
    raw_prompt: bool = False  # send `prompt` as it is (the hero dialog composes its own)
    options: Mapping[str, Any] = field(default_factory=dict)
    # Where the person was told the pictures go (`destination_of`, e.g. the hero's photo):
    # the job sends nothing when its provider would send them elsewhere.
    destination: str | None = None


def closest_size(wanted: str, offered: tuple[str, ...]) -> str:
    """`wanted` when offered, else the offered size nearest in shape (wide, square, tall)
    and then in area; `wanted` itself when nothing is offered."""
    if wanted in offered or not offered:
        return wanted

    def shape(size: str) -> tuple[float, float]:
        try:
            w, h = (int(v) for v in size.split("x"))
        except ValueError:
            return (float("inf"), float("inf"))
        return (w / h, float(w * h))

    ratio, area = shape(wanted)
    return min(offered, key=lambda s: (abs(shape(s)[0] - ratio), abs(shape(s)[1] - area)))


def default_model(provider: ImageProvider) -> str | None:
    """The model a provider uses when none is asked for, where it says (its `model`)."""
    model = getattr(provider, "model", None)
    return model if isinstance(model, str) and model else None


def estimate(
    caps: ImageCapabilities, model: str | None, size: str | None, count: int
) -> float | None:
    """What `count` pictures of `size` cost with `model`, in dollars (None: no price known)."""
    price = caps.prices.get(model or "") or caps.prices.get("")
    if price is None or not price.per_image:
        return None
    if (size or "") not in price.per_image and "" not in price.per_image:
        return None
    return price.cost(size, count)


def spent_by_service(project: Project) -> dict[str, float]:
    """What the project's jobs of every kind recorded as spent, in dollars, by provider."""
    spent: dict[str, float] = {}
    for job in project.jobs(kind=None):
        cost = job.params.get(COST)
        if isinstance(cost, int | float) and cost:
            spent[job.provider] = round(spent.get(job.provider, 0.0) + float(cost), 4)
    return spent


def _check_destination(job: VideoJob, provider: ImageProvider) -> None:
    """StudioError when the person was told the job's pictures go somewhere else than
    where `provider` sends them (its settings changed since): nothing is sent."""
    said = job.params.get("destination")
    now = destination_of(provider)
    if said and now != said:
        raise StudioError(
            f"Nothing was sent: {job.provider} now sends pictures to "
            f"{now or 'an address it does not say'}, not to {said} as you were told. "
            "Look at where it goes and ask again."
        )


class ImageJobs(JobRunner):
    """Runs a project's picture jobs. `providers(name)` builds a provider for one job; it is
    closed when the job ends, so a job always uses the settings and plugins of the moment
    it starts. To read what a provider offers (sizes, prices, where it sends pictures) one
    provider per name is kept (`provider`), until `forget_providers` or `aclose`. A retried
    job keeps the pictures that came and asks for the rest."""

    kind = KIND
    active = ACTIVE
    what = "picture job"
    failures = (ImageError, StudioError)

    def __init__(
        self,
        project: Project,
        providers: ProviderSource,
        *,
        retry: RetryPolicy | None = None,
        on_change: JobListener | None = None,
        after: asyncio.Future | None = None,
    ) -> None:
        super().__init__(project, on_change, after=after)
        self._kept = KeptProviders(providers, error=ImageError, what="image")
        self.retry_policy = retry or RetryPolicy()

    # -- asking --------------------------------------------------------------------------

    def provider(self, name: str) -> ImageProvider:
        """Provider `name`, kept to read what it offers (closed with the jobs: do not close
        it). ImageError when it cannot be built."""
        return self._kept.get(name)

    def forget_providers(self) -> None:
        """Plugins or settings changed: providers are read anew (the old ones are closed
        with the jobs, as a reader may still hold one)."""
        self._kept.forget()

    def capabilities(self, name: str, model: str | None = None) -> ImageCapabilities:
        """What provider `name` offers with `model` (building a provider does no I/O)."""
        return image_capabilities_of(self.provider(name), model)

    def price(self, name: str, model: str | None, size: str | None, count: int) -> float | None:
        """What `count` pictures would cost with provider `name` (None: no listed price)."""
        provider = self.provider(name)
        caps = image_capabilities_of(provider, model)
        return estimate(caps, model or default_model(provider), size, count)

    async def check(self, name: str) -> CheckResult:
        """Test connection (`studio.ai.service_check`) with provider `name` as the settings
        and the stored key are now; the provider is closed after."""
        try:
            provider = await asyncio.to_thread(self._kept.build, name)  # reads the key
        except ImageError as exc:
            return CheckResult("failed", str(exc))
        try:
            return await check_connection(provider)
        finally:
            with contextlib.suppress(Exception):
                await provider.aclose()

    async def request(self, provider: str, wanted: PictureRequest) -> VideoJob:
        """Queue a picture job; it runs at once (or at `start` when no loop ran). The
        pictures it starts from are stored first, on a worker thread."""
        params = self._params(provider, wanted)
        # Pictures go into the blob store, so a job resumed after a restart still has them.
        if wanted.inputs or wanted.mask is not None:
            params |= await asyncio.to_thread(self._store_inputs, wanted)
        return self._add(provider, params)

    def _store_inputs(self, wanted: PictureRequest) -> dict[str, Any]:
        put = self.project.blobs.put
        stored: dict[str, Any] = {"inputs": [put(data) for data in wanted.inputs]}
        if wanted.mask is not None:
            stored["mask"] = put(wanted.mask)
        return {k: v for k, v in stored.items() if v}

    def _params(self, provider: str, wanted: PictureRequest) -> dict[str, Any]:
        """The job's params for `wanted` (StudioError when it cannot be asked for)."""
        if not wanted.prompt.strip():
            raise StudioError("The prompt is empty: say what the picture should show.")
        if wanted.count < 1:
            raise StudioError("Ask for at least one picture.")
        kind = wanted.kind.strip().lower().replace(" ", "_")
        if kind not in KINDS:
            raise StudioError(f"No picture kind {wanted.kind!r}: use {', '.join(KINDS)}.")
        caps = self.capabilities(provider, wanted.model)
        if wanted.inputs and not caps.edit:
            raise StudioError(f"The image provider {provider!r} cannot start from a picture.")
        if wanted.mask is not None and not caps.mask:
            raise StudioError(f"The image provider {provider!r} takes no mask.")
        kind_size, kind_transparent = KIND_REQUESTS[kind]
        size = wanted.size or closest_size(kind_size, caps.sizes)
        transparent = kind_transparent if wanted.transparent is None else wanted.transparent
        frames = columns = None
        if kind == "sprite_sheet":
            frames = wanted.frames or DEFAULT_FRAMES
            columns = min(frames, MOST_COLUMNS)
        if wanted.raw_prompt:
            prompt = wanted.prompt.strip()
        else:
            style = picture_style(self.project)
            extra = {"frames": frames, "columns": columns} if frames else {}
            prompt = image_prompt(kind, wanted.prompt, style, **extra)
        params: dict[str, Any] = {
            "asked": wanted.prompt.strip(),
            "prompt": prompt,
            "picture_kind": kind,
            "size": size,
            "count": int(wanted.count),
            "transparent": transparent and caps.transparent,
            # Asked for, but the model cannot: Studio cuts the picture out itself.
            "cut_out": transparent and not caps.transparent,
            ESTIMATE: self.price(provider, wanted.model, size, wanted.count),
        }
        optional = {
            "model": wanted.model,
            "frames": frames,
            "columns": columns,
            "name": wanted.name,
            "options": dict(wanted.options) or None,
            "destination": wanted.destination,
        }
        return params | {k: v for k, v in optional.items() if v}

    async def aclose(self) -> None:
        """Stop driving jobs (they stay in the project and resume with it); close the
        providers kept to read."""
        await super().aclose()
        await self._kept.aclose()

    # -- one job -------------------------------------------------------------------------

    async def _run_job(self, job_id: int) -> None:
        provider: ImageProvider | None = None
        try:
            job = self.project.job(job_id)
            # Building reads settings.json (and a plugin may read its key): a worker thread.
            provider = await asyncio.to_thread(self._kept.build, job.provider)
            _check_destination(job, provider)
            caps = image_capabilities_of(provider, job.params.get("model"))
            params = dict(job.params)
            if not params.get("model") and default_model(provider):
                params["served_model"] = default_model(provider)  # what the provider used
            job = await self._writer.commit(job_id, status="running", error=None, params=params)
            while len(job.result) < int(job.params["count"]):
                wanted = min(int(job.params["count"]) - len(job.result), max(1, caps.max_count))
                pictures = await self._ask(provider, job, wanted)
                job = await self._add_pictures(job, caps, pictures)
            await self._writer.commit(job_id, status="completed", progress=1.0, error=None)
        finally:
            if provider is not None:
                with contextlib.suppress(Exception):
                    await provider.aclose()

    def _image_request(self, job: VideoJob, count: int) -> ImageRequest:
        """The request for `count` more pictures (reads the blob store: a worker thread)."""
        p = job.params
        return ImageRequest(
            prompt=p["prompt"],
            size=p.get("size"),
            model=p.get("model"),
            count=count,
            transparent=bool(p.get("transparent")),
            inputs=tuple(self.project.blobs.read(sha) for sha in p.get("inputs", ())),
            mask=self.project.blobs.read(p["mask"]) if p.get("mask") else None,
            options=p.get("options") or {},
        )

    async def _ask(self, provider: ImageProvider, job: VideoJob, count: int) -> list[Any]:
        """One request, retried after transient failures as the policy says."""
        request = await asyncio.to_thread(self._image_request, job, count)
        attempt = 0
        while True:
            try:
                pictures = await provider.generate(request)
            except ImageError as exc:
                attempt += 1
                if not exc.transient or attempt >= self.retry_policy.attempts:
                    raise
                wait = self.retry_policy.wait(attempt, exc.retry_after)
                await self._writer.commit(
                    job.id, error=f"{exc.message} Trying again in {wait:.0f} s…"
                )
                await asyncio.sleep(wait)
                continue
            if attempt:
                await self._writer.commit(job.id, error=None)
            return pictures

    async def _add_pictures(
        self, job: VideoJob, caps: ImageCapabilities, pictures: list[Any]
    ) -> VideoJob:
        """Store the pictures that came (on a worker thread) and what they cost, before
        anyone is told."""
        count = int(job.params["count"])
        datas = [p.data for p in pictures][: count - len(job.result)]
        shas = await asyncio.to_thread(lambda: [self.project.blobs.put(d) for d in datas])
        result = [*job.result, *shas]
        params = dict(job.params)
        model = params.get("model") or params.get("served_model")
        cost = estimate(caps, model, params.get("size"), len(shas))
        if cost is not None:
            params[COST] = round(float(params.get(COST) or 0.0) + cost, 4)
            params[COST_FROM] = "estimate"  # the listed price: the API reports no charge
        revised = [p.revised_prompt for p in pictures if getattr(p, "revised_prompt", None)]
        if revised:
            params["revised_prompt"] = revised[-1]
        return await self._writer.commit(
            job.id, result=result, params=params, progress=round(len(result) / count, 3)
        )

    # -- the pictures of a job -------------------------------------------------------------

    def candidates(self, job_id: int) -> list[str]:
        """The pictures of a job not kept or thrown away yet (blob hashes)."""
        job = self.project.job(job_id)
        done = set(job.params.get("kept", {})) | set(job.params.get("discarded", []))
        return [sha for sha in job.result if sha not in done]

    def discard(self, job_id: int, sha: str) -> VideoJob:
        job = self.project.job(job_id)
        discarded = [*job.params.get("discarded", []), sha]
        return self._update(job_id, params={**job.params, "discarded": discarded})

    def keep(self, job_id: int, sha: str, *, name: str | None = None) -> Picture:
        """Make picture `sha` of job `job_id` a project asset, ready for a game by its kind
        (`studio.operations.pictures.import_picture`: cut out, sliced into frames, made
        pixel art in a pixel-art project) and, for a background, made to repeat. Blocking
        (a second for a large picture): the UI calls it on a worker thread."""
        from studio.media.pictures.images import open_picture, png_bytes
        from studio.media.pictures.tiles import make_repeating
        from studio.operations.pictures import import_picture

        job = self.project.job(job_id)
        if sha not in job.result:
            raise StudioError(f"Job {job_id} made no such picture.")
        p = job.params
        kind = str(p.get("picture_kind") or "character")
        data = self.project.blobs.read(sha)
        if kind == "background":
            data = png_bytes(make_repeating(open_picture(data)))
        picture = import_picture(
            self.project,
            data,
            kind=kind,
            name=name or p.get("name") or p.get("asked"),
            cut=True if p.get("cut_out") else None,
            frames=p.get("frames"),
            columns=p.get("columns"),
            prompt=p.get("asked"),
            model=p.get("model") or p.get("served_model"),
            source="generated",
        )
        self.mark_kept(job_id, sha, picture.name)
        return picture

    def mark_kept(self, job_id: int, sha: str, asset: str) -> VideoJob:
        job = self.project.job(job_id)
        kept = {**job.params.get("kept", {}), sha: asset}
        return self._update(job_id, params={**job.params, "kept": kept})
