"""`studio image`: pictures from an image provider, in the project's style, kept as assets.

The command runs a picture job (`studio.operations.image_jobs`, the same as the Images
tab), keeps every picture it made (sliced, cut out, made to repeat as its kind needs) and
prints each one; `--no-keep` leaves them to choose from in the Images tab instead.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from pathlib import Path
from typing import Any

from studio.core.store import Project
from studio.errors import StudioError

_SIZE = re.compile(r"^\d{2,5}x\d{2,5}$")


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("image", help="make pictures with an AI image provider, into the assets")
    p.add_argument("path", type=Path, help="the project")
    p.add_argument("prompt", help="what the picture shows")
    p.add_argument(
        "--kind",
        default="character",
        help="character (default), sprite_sheet, background, tile, item, ui or hero",
    )
    p.add_argument("--size", help="WIDTHxHEIGHT, e.g. 1024x1024 (default: what the kind needs)")
    p.add_argument("--count", type=int, default=1, help="how many pictures (default 1)")
    p.add_argument("--frames", type=int, help="frames of a sprite sheet (default 4)")
    p.add_argument("--edit", type=Path, nargs="+", help="pictures to change or combine")
    p.add_argument("--mask", type=Path, help="PNG, transparent where the first picture changes")
    p.add_argument("--name", help="the asset's name (default: from the prompt)")
    p.add_argument("--no-keep", dest="keep", action="store_false", help="keep none (choose later)")
    add_service_options(p, default="openai")
    p.set_defaults(handler=cmd_image)


def add_service_options(p: argparse.ArgumentParser, default: str | None = None) -> None:
    """--provider, --base-url and --model (`studio hero`: no provider means offline)."""
    what = f"default: {default}" if default else "default: none, it is made offline"
    p.add_argument("--provider", default=default, help=f"the image provider ({what})")
    p.add_argument("--base-url", help="the service's API base URL")
    p.add_argument("--model", help="the image model")


def hero_with_service(
    project: Project, photo: bytes, args: argparse.Namespace, sprite: dict[str, Any]
) -> Any:
    """`studio hero --provider P`: the hero drawn by P, after saying where the photo goes."""
    from studio.ai.image_provider import ImageError
    from studio.operations import hero_service

    async def run() -> Any:
        jobs = image_jobs(project, args, _reporter())
        try:
            print(hero_service.destination(jobs.provider(args.provider), args.provider), flush=True)
            return await hero_service.hero_from_service(
                jobs, args.provider, photo, model=args.model, **sprite
            )
        finally:
            await jobs.aclose()

    try:
        return asyncio.run(run())
    except ImageError as exc:
        raise StudioError(str(exc)) from None


def image_jobs(project: Project, args: argparse.Namespace, on_change: Any = None) -> Any:
    """Picture jobs whose providers come from the plugin host, settings and the flags."""
    from studio.ai.image_sources import HostImageProviders
    from studio.commands.project import load_host
    from studio.operations.image_jobs import ImageJobs

    overrides = {args.provider: {"base_url": args.base_url, "model": args.model}}
    source = HostImageProviders(load_host(), overrides=overrides)
    if args.provider not in source.names():
        source(args.provider)  # raises the clear "no image provider named …" error
    return ImageJobs(project, source, on_change=on_change)


def read_picture(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StudioError(f"cannot read {path}: {exc.strerror or exc}") from None
    from studio.ai.image_openai import picture_mime

    if picture_mime(data) is None:
        raise StudioError(f"{path} is not a PNG, JPEG, WebP or GIF picture")
    return data


def _reporter() -> Any:
    """Say why a job waits (a rate limit, a lost connection): a picture takes seconds, so
    there is no progress to tell otherwise, and the end is said once, below."""
    from studio.operations.video_queue import describe

    last: dict[int, str] = {}

    def report(job) -> None:
        line = describe(job)
        if job.error and job.status in ("queued", "running") and last.get(job.id) != line:
            last[job.id] = line
            print(f"job {job.id}: {line}", flush=True)

    return report


def cmd_image(args: argparse.Namespace) -> int:
    from studio.ai.image_provider import ImageError
    from studio.media.errors import MediaError
    from studio.operations.image_jobs import COST, PictureRequest

    if args.size and not _SIZE.match(args.size):
        raise StudioError(f"--size must look like 1024x1024, not {args.size!r}")
    if args.mask and not args.edit:
        raise StudioError("--mask needs a picture to change (--edit FILE)")
    inputs = tuple(read_picture(p) for p in args.edit or ())
    mask = read_picture(args.mask) if args.mask else None
    request = PictureRequest(
        args.prompt,
        kind=args.kind,
        size=args.size,
        count=args.count,
        model=args.model,
        frames=args.frames,
        inputs=inputs,
        mask=mask,
        name=args.name,
    )

    async def run(project: Project):
        jobs = image_jobs(project, args, _reporter())
        try:
            job = jobs.request(args.provider, request)
            job = await jobs.wait(job.id)
            if job.status != "completed":
                raise StudioError(job.error or f"the job ended {job.status}")
            kept = (
                [await asyncio.to_thread(jobs.keep, job.id, sha) for sha in job.result]
                if args.keep
                else []
            )
            return project.job(job.id), kept
        finally:
            await jobs.aclose()

    with Project.open(args.path) as project:
        try:
            job, kept = asyncio.run(run(project))
        except (ImageError, MediaError) as exc:
            raise StudioError(str(exc)) from None
        from studio.commands.pictures import describe_picture

        for picture in kept:
            print(describe_picture(picture))
        if not args.keep:
            print(f"{len(job.result)} pictures wait in the Images tab (job {job.id})")
        cost = job.params.get(COST)
        print(f"cost: ${cost:.3f}" if cost else "cost: not known (the provider lists no price)")
    return 0
