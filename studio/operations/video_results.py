"""A finished job's result into the library: downloaded, checked, and stored as a clip
(the original, a WebM proxy and a thumbnail, `studio.core.assets.import_video`).

A download that is no usable video is kept in the library as it is (role "download"), so
nothing paid for is lost, and the job fails saying so. A job that extended a clip for a
story scene keeps only its new seconds (`keep_last`): services hand back the source clip
with its extension.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.ai.video_provider import VideoProvider
from studio.core import assets
from studio.core.assets import Clip
from studio.core.records import VideoJob
from studio.core.store import Project
from studio.errors import StudioError

__all__ = ["store_result"]


async def store_result(
    project: Project,
    provider: VideoProvider,
    job: VideoJob,
    *,
    lock: asyncio.Semaphore,
    on_progress: Callable[[float], None] | None = None,
) -> Clip:
    """Download `job`'s video and store it as a clip; ffmpeg work waits for `lock`."""
    assert job.remote_id is not None
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
        async with lock:
            try:
                if p.get("keep_last"):
                    path = await _last_seconds(path, float(p["keep_last"]))
                return await assets.import_video(
                    project, path, name=stem, source="generated", meta=meta, on_progress=on_progress
                )
            except Exception as exc:
                from studio.media import MediaError

                if not isinstance(exc, MediaError):
                    raise
                kept = await _keep_download(project, path, stem, meta)
                raise StudioError(
                    f"Downloaded, but the video cannot be used: {exc} (the file is kept as {kept})."
                ) from None


async def _keep_download(project: Project, path: Path, stem: str, meta: dict[str, Any]) -> str:
    name = project.unique_asset_name(f"{stem}-download.mp4")
    await asyncio.to_thread(project.add_asset, name, path, meta={**meta, "role": "download"})
    return name


async def _last_seconds(path: Path, seconds: float) -> Path:
    """The last `seconds` of the clip at `path` (the clip itself when it is no longer)."""
    from studio.media import probe, trim

    info = await probe(path)
    if info.duration <= seconds + 0.25:
        return path
    return await trim(path, path.with_name(f"{path.stem}-new.mp4"), info.duration - seconds)
