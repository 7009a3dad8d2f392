""" "Put me in the game" with an image service: the person's photo or drawing goes to an
image model told to keep the likeness, and what it draws becomes the hero sprite.

The offline way is `studio.operations.pictures.make_hero` alone. This one first asks an
image provider for an edit of the photo (a picture job, so it is stored, retried and
costed like any other), then hands the model's picture to the same `make_hero`, which
cuts it out (a no-op when it came see-through), pixelates it to the project's sprite size
in its palette, outlines it and stores it as `assets/hero.png`.

Before anything leaves the machine, the face that starts this says where the photo goes:
`destination(provider)` is that sentence.
"""

from __future__ import annotations

import asyncio
from typing import Any

from studio.core.pictures import Picture, image_prompt, picture_style
from studio.errors import StudioError
from studio.operations.image_jobs import ImageJobs, PictureRequest
from studio.operations.pictures import HERO_NAME, make_hero

__all__ = ["HERO_WORDS", "destination", "hero_from_service", "hero_prompt"]

HERO_WORDS = (
    "This person (or this drawing) as a {width}x{height}-pixel side-view game hero. Keep the "
    "likeness: the face, hair, skin, clothes and their colours as in the picture"
)


def hero_prompt(project: Any) -> str:
    """What the image model is told: the likeness to keep, the hero's kind, the style."""
    style = picture_style(project)
    width, height = style.sprite_size
    return image_prompt("hero", HERO_WORDS.format(width=width, height=height), style)


def destination(provider: Any, name: str) -> str:
    """The sentence that says where the photo goes, for the person to read before."""
    host = getattr(provider, "host", None) or getattr(provider, "base_url", None)
    where = f"{name} ({host})" if host else name
    return f"Your photo will be sent to {where} to be drawn as your hero."


async def hero_from_service(
    jobs: ImageJobs,
    provider: str,
    photo: bytes,
    *,
    model: str | None = None,
    **sprite: Any,
) -> Picture:
    """The hero drawn by `provider` from `photo`, made a sprite and kept as the hero;
    `sprite` options (`size`, `palette`, `outline`, `keep_photo`...) go to `make_hero`."""
    project = jobs.project
    prompt = hero_prompt(project)
    request = PictureRequest(
        prompt,
        kind="hero",
        inputs=(photo,),
        transparent=True,
        model=model,
        name=HERO_NAME,
        raw_prompt=True,
    )
    job = jobs.request(provider, request)
    job = await jobs.wait(job.id)
    if job.status != "completed" or not job.result:
        raise StudioError(job.error or f"The hero was not made: the job ended {job.status}.")
    sha = job.result[0]
    picture = project.blobs.read(sha)
    hero = await asyncio.to_thread(
        make_hero,
        project,
        photo,
        picture=picture,
        prompt=prompt,
        model=job.params.get("model") or job.params.get("served_model"),
        **sprite,
    )
    jobs.mark_kept(job.id, sha, hero.name)
    return hero
