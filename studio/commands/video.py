"""Video commands: generate a clip, record gameplay, list and resume video jobs."""

from __future__ import annotations

import argparse
import asyncio
import re
from pathlib import Path
from typing import Any

from studio.core.records import VideoJob
from studio.core.store import Project
from studio.errors import StudioError

_SIZE = re.compile(r"^\d{2,5}x\d{2,5}$")
_IMAGE_TYPES = (b"\x89PNG", b"\xff\xd8\xff", b"RIFF")


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "video",
        help="generate a video clip with an AI provider, into the assets",
        description="Queue a clip with a video provider, wait for it and add it to the "
        "project's clips. Options the model does not offer are refused before anything is "
        "sent (`studio providers` lists what each model takes).",
    )
    p.add_argument("path", type=Path, help="the project")
    p.add_argument("prompt", help="what the clip should show")
    p.add_argument("--seconds", type=int, help="length (e.g. 4, 8, 12)")
    p.add_argument("--size", help="WIDTHxHEIGHT, e.g. 1280x720 (services that take a size)")
    p.add_argument("--aspect", help="aspect ratio, e.g. 16:9 (services that take one)")
    p.add_argument("--resolution", help="resolution, e.g. 720p (services that take one)")
    p.add_argument("--image", type=Path, help="a first frame (PNG/JPEG/WebP) to start from")
    p.add_argument("--last-frame", type=Path, help="a picture (PNG/JPEG/WebP) to end on")
    p.add_argument(
        "--ref",
        type=Path,
        nargs="+",
        action="extend",
        default=[],
        metavar="F",
        help="reference pictures of characters or style (as many as the model takes)",
    )
    p.add_argument(
        "--audio",
        action=argparse.BooleanOptionalAction,
        help="make sound (--no-audio: a silent clip), for models that make sound",
    )
    p.add_argument("--seed", type=int, help="a seed, for models that take one")
    p.add_argument("--negative", metavar="TEXT", help="what the clip should not show")
    _provider_options(p)
    p.set_defaults(handler=cmd_video)

    p = sub.add_parser("jobs", help="list a project's video jobs; --resume finishes open ones")
    p.add_argument("path", type=Path)
    p.add_argument("--resume", action="store_true", help="wait for unfinished jobs to finish")
    _provider_options(p)
    p.set_defaults(handler=cmd_jobs)

    p = sub.add_parser("record", help="record gameplay offscreen to a video file")
    p.add_argument("path", type=Path)
    p.add_argument("--seconds", type=float, required=True, help="how long to record")
    p.add_argument("--out", type=Path, required=True, help="the file: .mp4, .webm or .gif")
    p.add_argument("--version", type=int, dest="version_id", help="version id (default: head)")
    p.add_argument("--size", default="800x600", help="viewport WIDTHxHEIGHT (default 800x600)")
    p.add_argument("--keep", action="store_true", help="also keep the recording as a clip")
    p.set_defaults(handler=cmd_record)


def _provider_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--provider",
        default="openai",
        help="video provider: openai (OpenAI-compatible /v1/videos gateways), title-cards, "
        "or one a plugin adds such as veo, fal, replicate, runway, luma, comfyui "
        "(default: openai; `studio providers` lists them)",
    )
    p.add_argument("--base-url", help="the service's API base URL (ComfyUI: its server)")
    p.add_argument("--model", help="the video model")


def make_queue(project: Project, args: argparse.Namespace, on_change=None) -> Any:
    """A queue whose providers come from the plugin host, settings and the flags (which
    apply to `args.provider`), with the prices set in Settings."""
    from studio.ai.video_sources import HostVideoProviders
    from studio.commands.project import load_host
    from studio.config.settings import Settings
    from studio.operations.video_queue import VideoQueue

    settings = Settings()
    flags = {"base_url": args.base_url, "model": args.model}
    providers = HostVideoProviders(
        load_host(), settings=lambda: settings, overrides={args.provider: flags}
    )
    if args.provider not in [r.name for r in providers.host.registrations("video_providers")]:
        try:
            providers(args.provider)  # the clear "no video provider named …" error
        except _media_errors() as exc:
            raise StudioError(str(exc)) from None
    return VideoQueue(project, providers, on_change=on_change)


def _reporter() -> Any:
    from studio.operations.video_queue import describe

    last: dict[int, str] = {}

    def report(job: VideoJob) -> None:
        line = describe(job)
        if job.status == "failed" or last.get(job.id) == line:
            return  # failures are the error line at the end
        last[job.id] = line
        print(f"job {job.id}: {line}", flush=True)

    return report


def _media_errors() -> tuple[type[BaseException], ...]:
    from studio.ai.video_provider import VideoError
    from studio.media import MediaError

    return (VideoError, MediaError)


def read_picture(path: Path | None, flag: str) -> bytes | None:
    """The bytes of a picture given with `flag`; StudioError when it is none."""
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StudioError(f"cannot read {path} ({flag}): {exc.strerror or exc}") from None
    if not data.startswith(_IMAGE_TYPES):
        raise StudioError(f"{path} ({flag}) is not a PNG, JPEG or WebP picture")
    return data


def cmd_video(args: argparse.Namespace) -> int:
    if args.size and not _SIZE.match(args.size):
        raise StudioError(f"--size must look like 1280x720, not {args.size!r}")
    image = read_picture(args.image, "--image")
    last_frame = read_picture(args.last_frame, "--last-frame")
    references = [read_picture(path, "--ref") or b"" for path in args.ref]

    async def run(project: Project) -> VideoJob:
        from studio.ai.video_cost import money

        queue = make_queue(project, args, _reporter())
        try:
            job = queue.generate(
                args.provider,
                args.prompt,
                seconds=args.seconds,
                size=args.size,
                model=args.model,
                image=image,
                image_name=args.image.name if args.image else "reference.png",
                aspect=args.aspect,
                resolution=args.resolution,
                last_frame=last_frame,
                references=references,
                audio=args.audio,
                negative_prompt=args.negative,
                seed=args.seed,
            )
            estimate = job.params.get("estimate_usd")
            cost = f"about {money(estimate)}" if estimate is not None else "price unknown"
            print(f"job {job.id}: queued with {args.provider} ({cost})", flush=True)
            return await queue.wait(job.id)
        finally:
            await queue.aclose()

    with Project.open(args.path) as project:
        try:
            job = asyncio.run(run(project))
        except _media_errors() as exc:
            raise StudioError(str(exc)) from None
        if job.status != "completed":
            raise StudioError(job.error or f"the job ended {job.status}")
        _print_clip(project, job.result[0])
        print(_cost_words(job))
    return 0


def _job_cost(job: VideoJob) -> str:
    """What a job cost, or `~$1.60` (its estimate) while it has not ended; "-" unknown."""
    from studio.ai.video_cost import money

    if job.params.get("cost_usd") is not None:
        return money(job.params["cost_usd"])
    estimate = job.params.get("estimate_usd")
    return f"~{money(estimate)}" if estimate is not None and job.status != "failed" else "-"


def _cost_words(job: VideoJob) -> str:
    """`cost $1.60 (the service's figure)`, or that no price is known."""
    from studio.ai.video_cost import money

    cost = job.params.get("cost_usd")
    if cost is None:
        return "cost: no price known for this provider (set one in Settings › Video)"
    source = {"service": "the service's figure", "estimate": "from the price list"}
    return f"cost {money(cost)} ({source.get(job.params.get('cost_from'), 'recorded')})"


def _print_clip(project: Project, name: str) -> None:
    from studio.core.assets import clip

    c = clip(project, name)
    parts = [f"{c.duration:.1f} s", f"{c.width}x{c.height}"]
    if c.original:
        parts.append(f"original {c.original}")
    if c.thumbnail:
        parts.append(f"thumbnail {c.thumbnail}")
    print(f"added clip {c.name} ({', '.join(parts)})")


def cmd_jobs(args: argparse.Namespace) -> int:
    from studio.operations.clip_continuity import describe as continuity
    from studio.operations.video_costs import spend_line, spent_by_service
    from studio.operations.video_queue import ACTIVE, describe

    with Project.open(args.path) as project:
        if args.resume and project.jobs(ACTIVE):

            async def run() -> None:
                queue = make_queue(project, args, _reporter())
                try:
                    await queue.run()
                finally:
                    await queue.aclose()

            try:
                asyncio.run(run())
            except _media_errors() as exc:
                raise StudioError(str(exc)) from None
        jobs = project.jobs()
        for job in jobs:
            prompt = (str(job.params.get("prompt") or "").splitlines() or [""])[0][:50]
            paid = _job_cost(job)
            line = f"{job.id:>4}  {job.provider:<10} {describe(job):<40} {paid:>7}  {prompt}"
            joined = continuity(job.params)
            print(line + (f" ({joined})" if joined else ""))
        print(spend_line(spent_by_service(jobs)) or "Spent in this project: nothing yet")
        # After --resume, a job still open (the service stayed unreachable) is a failure.
        return 1 if args.resume and project.jobs(ACTIVE) else 0


def cmd_record(args: argparse.Namespace) -> int:
    if not _SIZE.match(args.size):
        raise StudioError(f"--size must look like 800x600, not {args.size!r}")
    if args.seconds <= 0 or args.seconds > 600:
        raise StudioError("--seconds must be between 0 and 600")
    suffix = args.out.suffix.lower()
    if suffix not in (".mp4", ".m4v", ".mov", ".webm", ".gif"):
        raise StudioError(f"--out must end in .mp4, .webm or .gif, not {args.out.name!r}")
    width, height = (int(v) for v in args.size.split("x"))
    with Project.open(args.path) as project:
        version_id = project.resolve(args.version_id)
        from studio.qt.startup import run_headless

        recording = run_headless(lambda: _record(project, args, version_id, (width, height)))
        print(
            f"recorded {recording.seconds:.1f} s of version {version_id} "
            f"({recording.frames} frames) to {args.out}"
        )
    return 0


async def _record(project: Project, args: argparse.Namespace, version_id: int, size) -> Any:
    from studio.sandbox.recorder import record_game

    shown = [-1]

    def progress(done: float, total: float) -> None:
        second = int(done)
        if second != shown[0]:
            shown[0] = second
            print(f"recording {done:.0f}/{total:.0f} s", flush=True)

    try:
        recording = await record_game(
            project, args.seconds, args.out, version_id=version_id, size=size, on_progress=progress
        )
        if args.keep:
            from studio.core.assets import import_video

            clip = await import_video(
                project,
                recording.path,
                name=f"gameplay-v{version_id}",
                source="recorded",
                meta={"version": version_id},
            )
            print(f"kept as clip {clip.name}")
        return recording
    except _media_errors() as exc:
        raise StudioError(str(exc)) from None
