"""The project's pictures: keeping a picture a job made, the library of kept pictures, and
the requests that ask the code model to use one.

Keeping makes the picture ready for a game before it becomes an asset: a sprite sheet is
sliced into equal frames with a common anchor at the feet, a picture asked with a
see-through background that the model could not make is cut out, a background is made to
repeat, a tile is checked for seams. Each kept picture gets a name of its own (`knight.png`,
then `knight-2.png`), as clips do, with what it is in its metadata (kind, size, frames,
layout, anchor, prompt, model, job) for the code model and the Images tab.
"""

from __future__ import annotations

from typing import Any

from studio.ai import picture_prompts
from studio.core import assets
from studio.core.records import Asset
from studio.core.store import Project
from studio.errors import StudioError
from studio.operations.image_jobs import ImageJobs

__all__ = [
    "keep_picture",
    "pictures",
    "player_request",
    "project_style",
    "set_project_style",
    "use_request",
]

STYLE_KEY = "picture_style"


def project_style(project: Project) -> str:
    """The style every picture of the project is asked in ("" when none was set)."""
    return project.get_meta(STYLE_KEY, "") or ""


def set_project_style(project: Project, style: str) -> None:
    project.set_meta(STYLE_KEY, style.strip())


def pictures(project: Project) -> list[Asset]:
    """The project's pictures, newest first (clips' thumbnails left out)."""
    found = [
        a
        for a in project.assets()
        if a.kind == "image" and a.meta.get("role") not in ("thumbnail", "original")
    ]
    return sorted(found, key=lambda a: a.created, reverse=True)


def keep_picture(
    project: Project, jobs: ImageJobs, job_id: int, sha: str, *, name: str | None = None
) -> Asset:
    """Make picture `sha` of job `job_id` a project asset; return it."""
    job = project.job(job_id)
    if sha not in job.result:
        raise StudioError(f"Job {job_id} made no such picture.")
    p = job.params
    stem = assets.slug(name or p.get("name") or p.get("asked") or "", "picture")
    meta: dict[str, Any] = {
        "kind": p.get("picture_kind", "character"),
        "prompt": p.get("asked"),
        "provider": job.provider,
        "model": p.get("model"),
        "job": job.id,
        "source": "generated",
    }
    data = project.blobs.read(sha)
    asset = project.add_asset(
        project.unique_asset_name(f"{stem}.png"),
        data,
        mime="image/png",
        meta={k: v for k, v in meta.items() if v is not None},
    )
    jobs.mark_kept(job_id, sha, asset.name)
    return asset


def player_request(asset: Asset) -> str:
    """What Chat sends to make `asset` the player."""
    return picture_prompts.player_request(asset.name, asset.meta)


def use_request(asset: Asset) -> str:
    """A first wording of "use this picture in the game", for the person to finish."""
    return picture_prompts.use_request(asset.name, asset.meta)
