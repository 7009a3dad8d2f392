"""The Title cards video provider: Studio's video provider interface, drawn locally.

It behaves like a remote service so it runs through the same job queue as any AI provider:
`submit` stores the card's description in a job folder and starts drawing it in the
background, returning a job id; `poll` reports queued / in progress (with ffmpeg's progress)
/ completed / failed; `download` copies the MP4 (or writes a thumbnail); `cancel` stops
ffmpeg. A job folder outlives the process, so a job that was being drawn when Studio closed
is drawn again when the queue polls it after a restart.

Options (settings.json `video_providers.title-cards`, or the factory's dict): `background`,
`text_color`, `font_size`, `font` (a font file), `style`, `seconds`, `size`, `fps`,
`work_dir` (where job folders go; default: Studio's cache folder), `concurrency` (cards
drawn at once, default 1).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import secrets
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from studio.ai.formats import PICTURE_SUFFIX, picture_mime
from studio.ai.video_provider import (
    Variant,
    VideoCapabilities,
    VideoError,
    VideoPrice,
    VideoRequest,
    VideoStatus,
)
from studio.media.errors import MediaError
from studio_title_cards.cards import SIZES, STYLES, CardError, CardSpec, build_spec
from studio_title_cards.fonts import FontError, find_font

log = logging.getLogger(__name__)

NAME = "title-cards"
OPTION_KEYS = frozenset(
    {
        "background",
        "text_color",
        "font_size",
        "font",
        "style",
        "seconds",
        "size",
        "fps",
        "work_dir",
        "concurrency",
        "name",
    }
)
# Options every provider may be handed (from `studio video` flags) that mean nothing here.
IGNORED_KEYS = frozenset({"api_key", "base_url", "model", "timeout", "max_retries"})
KEEP_JOBS_FOR = 2 * 24 * 3600  # seconds a finished job folder is kept for a late download
SPEC_FILE, VIDEO_FILE, ERROR_FILE = "card.json", "card.mp4", "error.txt"


def default_work_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("studio")) / "title-cards"


class _Job:
    def __init__(self, job_id: str, folder: Path, spec: CardSpec) -> None:
        self.id = job_id
        self.folder = folder
        self.spec = spec
        self.status: str = "queued"
        self.progress = 0.0
        self.error: str | None = None
        self.task: asyncio.Task[None] | None = None


class TitleCardsProvider:
    """Intro, outro and between-level cards from text, drawn with ffmpeg: no key, no network."""

    def __init__(
        self,
        *,
        name: str = NAME,
        work_dir: str | os.PathLike[str] | None = None,
        concurrency: int = 1,
        **defaults: Any,
    ) -> None:
        unknown = set(defaults) - OPTION_KEYS - IGNORED_KEYS
        if unknown:
            log.warning("title cards: ignoring unknown options %s", ", ".join(sorted(unknown)))
        self.name = name
        self.defaults = {
            k: v for k, v in defaults.items() if k in OPTION_KEYS and v not in ("", None)
        }
        self.work_dir = Path(work_dir) if work_dir else default_work_dir()
        self.capabilities = VideoCapabilities(
            durations=(2, 3, 4, 5, 6, 8, 10, 12),
            sizes=SIZES,
            image_reference=True,
            remix=True,
            extend=False,
            variants=("video", "thumbnail"),
            remote_cancel=True,
            models=STYLES,
            prices={"": VideoPrice()},  # drawn here: nothing to pay, nothing to ask before
        )
        self._jobs: dict[str, _Job] = {}
        self._slots = asyncio.Semaphore(max(1, int(concurrency)))
        self._cleaned = False

    def __repr__(self) -> str:
        return f"TitleCardsProvider(work_dir={str(self.work_dir)!r})"

    # -- the provider interface ----------------------------------------------------------

    async def submit(self, request: VideoRequest) -> str:
        try:
            spec = build_spec(
                request.prompt,
                seconds=request.seconds,
                size=request.size,
                style=request.model,
                options=self.defaults,
            )
            spec = dataclasses.replace(spec, font=str(find_font(spec.text, spec.font or None)))
        except CardError as exc:
            raise VideoError("bad_request", str(exc)) from None
        except FontError as exc:
            raise VideoError("unsupported", str(exc)) from None
        return await self._start(spec, request.image)

    async def poll(self, remote_id: str) -> VideoStatus:
        job = self._job(remote_id)
        if job.status == "completed":
            return VideoStatus(
                "completed", 1.0, seconds=job.spec.seconds, size=job.spec.size, model=job.spec.style
            )
        if job.status == "failed":
            return VideoStatus("failed", job.progress, error=job.error, error_code="render")
        return VideoStatus(job.status, job.progress, poll_after=0.2, model=job.spec.style)

    async def download(self, remote_id: str, variant: Variant, dest: Path) -> Path:
        job = self._job(remote_id)
        if job.status != "completed":
            raise VideoError(
                "not_found", f"Title card {remote_id} is not drawn yet ({job.status})."
            )
        video = job.folder / VIDEO_FILE
        dest = Path(dest)
        if variant == "video":
            await asyncio.to_thread(_copy_atomic, video, dest)
            return dest
        if variant == "thumbnail":
            from studio.media import thumbnail

            try:
                await thumbnail(video, min(job.spec.seconds / 2, 1.5), dest=dest)
            except MediaError as exc:
                raise VideoError("failed", f"Could not make the thumbnail: {exc}") from None
            return dest
        raise VideoError(
            "unsupported", f"Title cards have no {variant}; ask for video or thumbnail."
        )

    async def cancel(self, remote_id: str) -> None:
        job = self._jobs.pop(remote_id, None)
        if job is not None and job.task is not None and not job.task.done():
            job.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await job.task
        folder = self._folder(remote_id)
        await asyncio.to_thread(shutil.rmtree, folder, True)

    async def remix(self, remote_id: str, prompt: str) -> str:
        """The same card (length, size, style, picture) with new text or options."""
        old = self._job(remote_id).spec
        try:
            spec = build_spec(
                prompt,
                seconds=old.seconds,
                size=old.size,
                style=old.style,
                options={
                    **self.defaults,
                    "background": "#" + old.background[2:],
                    "text_color": "#" + old.text_color[2:],
                    "font_size": old.font_size or None,
                    "fps": old.fps,
                },
            )
            spec = dataclasses.replace(
                spec, font=str(find_font(spec.text, self.defaults.get("font")))
            )
        except CardError as exc:
            raise VideoError("bad_request", str(exc)) from None
        except FontError as exc:
            raise VideoError("unsupported", str(exc)) from None
        image = Path(old.image).read_bytes() if old.image and Path(old.image).is_file() else None
        return await self._start(spec, image)

    async def extend(self, remote_id: str, prompt: str, seconds: int) -> str:
        raise VideoError(
            "unsupported", "Title cards cannot be extended: make a longer card instead."
        )

    async def aclose(self) -> None:
        """Stop drawing; unfinished jobs are drawn again when polled after a restart."""
        tasks = [j.task for j in self._jobs.values() if j.task is not None and not j.task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        self._jobs.clear()

    # -- jobs ----------------------------------------------------------------------------

    def _folder(self, job_id: str) -> Path:
        if not job_id.startswith("tc_") or not job_id[3:].isalnum():
            raise VideoError("not_found", f"{job_id!r} is not a title card job.")
        return self.work_dir / job_id

    async def _start(self, spec: CardSpec, image: bytes | None) -> str:
        job_id = await asyncio.to_thread(self._create, spec, image)
        self._job(job_id)  # starts drawing now (the task runs on this loop)
        return job_id

    def _create(self, spec: CardSpec, image: bytes | None) -> str:
        """Write the job folder (the card's description and picture), then start drawing."""
        self._clean_old()
        job_id = "tc_" + secrets.token_hex(8)
        folder = self._folder(job_id)
        try:
            folder.mkdir(parents=True)
            if image:
                suffix = PICTURE_SUFFIX.get(picture_mime(image, gif=True) or "", ".png")
                picture = folder / ("picture" + suffix)
                picture.write_bytes(image)
                spec = dataclasses.replace(spec, image=str(picture))
            (folder / SPEC_FILE).write_text(json.dumps(spec.to_json()), encoding="utf-8")
        except OSError as exc:
            raise VideoError(
                "failed", f"Cannot write the title card's folder {folder}: {exc.strerror or exc}"
            ) from None
        job = _Job(job_id, folder, spec)
        self._jobs[job_id] = job
        return job_id

    def _job(self, job_id: str) -> _Job:
        """The job, started if it is waiting; found again on disk after a restart."""
        job = self._jobs.get(job_id)
        if job is None:
            folder = self._folder(job_id)
            try:
                spec = CardSpec.from_json(json.loads((folder / SPEC_FILE).read_text("utf-8")))
            except (OSError, ValueError, TypeError):
                raise VideoError(
                    "not_found",
                    f"Title card {job_id} is unknown here (its folder in {self.work_dir} is "
                    "gone); make the card again.",
                ) from None
            job = _Job(job_id, folder, spec)
            if (folder / VIDEO_FILE).is_file():
                job.status, job.progress = "completed", 1.0
            elif (folder / ERROR_FILE).is_file():
                job.status, job.error = "failed", (folder / ERROR_FILE).read_text("utf-8")
            self._jobs[job_id] = job
        if job.task is None and job.status in ("queued", "in_progress"):
            job.task = asyncio.ensure_future(self._draw(job))
        return job

    async def _draw(self, job: _Job) -> None:
        from studio_title_cards.render import render

        def progress(fraction: float) -> None:
            job.progress = round(min(fraction, 0.99), 3)

        async with self._slots:
            job.status = "in_progress"
            try:
                await render(job.spec, job.folder / VIDEO_FILE, job.folder, on_progress=progress)
            except asyncio.CancelledError:
                job.status, job.task = "queued", None  # drawn again if asked after again
                raise
            except (MediaError, OSError) as exc:
                job.status, job.error = "failed", str(exc)
                with contextlib.suppress(OSError):
                    (job.folder / ERROR_FILE).write_text(job.error, encoding="utf-8")
                return
            job.status, job.progress = "completed", 1.0

    def _clean_old(self) -> None:
        """Forget job folders older than two days, once per provider: results are
        downloaded as soon as they are ready, so nobody needs them any more."""
        if self._cleaned or not self.work_dir.is_dir():
            self._cleaned = True
            return
        self._cleaned = True
        limit = time.time() - KEEP_JOBS_FOR
        for folder in self.work_dir.glob("tc_*"):
            with contextlib.suppress(OSError):
                if folder.stat().st_mtime < limit:
                    shutil.rmtree(folder, ignore_errors=True)


def _copy_atomic(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part")
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def create_provider(options: Mapping[str, Any]) -> TitleCardsProvider:
    """The factory Studio calls with the person's options for `title-cards`."""
    return TitleCardsProvider(**dict(options))
