"""Story commands: `studio clips` makes a clip per scene, `studio story` checks a story.

studio new TALE --template story
studio generate TALE "a ghost story in a lighthouse, three endings"
studio story TALE                       # the scenes as a tree, and what is wrong
studio clips TALE --provider title-cards --continuity
studio clips TALE --provider veo --continuity --yes   # no question before paying
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from studio.errors import StudioError

_SIZE = re.compile(r"^\d{2,5}x\d{2,5}$")


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "clips",
        help="make a video clip for each scene of a story that has none",
        description="Make a clip for every scene of the story without one (or re-make the "
        "scenes named with --scene) through a video provider, then save a version whose "
        "story.json plays them.",
    )
    p.add_argument("path", type=Path, help="the project")
    p.add_argument(
        "--provider",
        help="video provider (default: openai when a key or base URL is set up for it, else "
        "the offline title-cards)",
    )
    p.add_argument(
        "--continuity",
        action="store_true",
        help="join each clip to the previous scene's with the best the model offers: extend "
        "that clip, start on its last frame, send the cast's pictures, end on the next clip",
    )
    p.add_argument(
        "--scene",
        action="append",
        dest="scenes",
        metavar="ID",
        help="re-make this scene's clip (repeat for more); default: every scene without one",
    )
    p.add_argument("--seconds", type=int, help="clip length for scenes that do not set one")
    p.add_argument("--size", help="WIDTHxHEIGHT, e.g. 1280x720")
    p.add_argument("--aspect", help="aspect ratio, e.g. 16:9 (services that take one)")
    p.add_argument("--resolution", help="resolution, e.g. 720p (services that take one)")
    p.add_argument(
        "--audio", action=argparse.BooleanOptionalAction, help="clips with sound, or silent"
    )
    p.add_argument("--model", help="the video model")
    p.add_argument("--base-url", help="the service's API base URL")
    p.add_argument("--version", type=int, dest="version_id", help="version to read (head)")
    p.add_argument("--yes", action="store_true", help="do not ask before a batch that costs money")
    p.set_defaults(handler=cmd_clips)

    p = sub.add_parser(
        "story",
        help="show a story's scenes and check it (exit 1 when it has problems)",
        description="Print the story's scenes as a tree of choices and every problem found "
        "(dangling choices, unreachable scenes, dead ends, ...). With --json, the problems "
        "in the shape `studio generate --fix --errors FILE` reads.",
    )
    p.add_argument("path", type=Path, help="the project")
    p.add_argument("--version", type=int, dest="version_id", help="version id (default: head)")
    p.add_argument("--json", action="store_true", help="print the problems as JSON")
    p.set_defaults(handler=cmd_story)


# -- studio story -----------------------------------------------------------------------


def cmd_story(args: argparse.Namespace) -> int:
    from studio.core.store import Project
    from studio.story.model import STORY_FILE, parse_story
    from studio.story.validate import as_errors, check_story

    with Project.open(args.path) as project:
        vid = project.resolve(args.version_id)
        files = project.file_hashes(vid)
        if STORY_FILE not in files:
            raise StudioError(f"version {vid} of {project.name} has no story.json")
        text = project.blobs.read(files[STORY_FILE])
    problems = check_story(text, files)
    if args.json:
        print(json.dumps({"version": vid, "errors": as_errors(problems)}, indent=2))
        return 1 if problems else 0
    if not any(p.kind == "json" for p in problems):
        print_outline(parse_story(text), files)
    for problem in problems:
        where = f" (line {problem.line})" if problem.line else ""
        print(f"problem: {problem.message}{where}", file=sys.stderr)
    if not problems:
        print("no problems found")
    return 1 if problems else 0


def print_outline(story: Any, files: Any) -> None:
    """The scenes as a tree from the start; a scene seen before is named, not repeated."""
    print(
        f"{story.title or '(untitled)'}: {len(story.scenes)} scenes, {len(story.endings)} endings"
    )
    seen: set[str] = set()

    def show(scene_id: str, depth: int, label: str) -> None:
        indent = "  " * depth
        arrow = f"[{label}] → " if label else ""
        if not story.has(scene_id):
            print(f"{indent}{arrow}{scene_id} (missing)")
            return
        scene = story.scene(scene_id)
        clip = "clip" if scene.clip_path and scene.clip_path in files else "no clip"
        end = ", ending" if scene.ending else ""
        if scene_id in seen:
            print(f"{indent}{arrow}{scene_id} (see above)")
            return
        seen.add(scene_id)
        print(f"{indent}{arrow}{scene_id}: {scene.title} ({clip}{end})")
        for choice in scene.choices:
            show(choice.next, depth + 1, choice.label)

    if story.start:
        show(story.start, 0, "")
    for scene in story.scenes:
        if scene.id not in seen:
            show(scene.id, 0, "")


# -- studio clips -----------------------------------------------------------------------


def cmd_clips(args: argparse.Namespace) -> int:
    from studio.core.store import Project

    if args.size and not _SIZE.match(args.size):
        raise StudioError(f"--size must look like 1280x720, not {args.size!r}")
    # An absolute path: clips are handed to ffmpeg through links into the blob store.
    with Project.open(args.path.expanduser().absolute()) as project:
        outcome = asyncio.run(_clips(project, args))
    if outcome is None:
        print("stopped: nothing was queued", file=sys.stderr)
        return 1
    for note in outcome.notes:
        print(note, file=sys.stderr)
    for item in outcome.failed:
        print(f"studio: scene {item.scene}: {item.error or item.status}", file=sys.stderr)
    return 1 if outcome.failed else 0


def default_provider(settings: Any, base_url: str | None = None) -> str:
    """ "openai" when a video key or base URL is set up for it, else the offline title cards
    (which need neither), as the app picks them."""
    from studio.ai.video_provider import provider_options
    from studio.config import keys

    options = provider_options(settings, "openai", {"base_url": base_url})
    if options.get("base_url") or os.environ.get("OPENAI_BASE_URL"):
        return "openai"
    key_name = str(options.get("key_name") or "openai")
    env_var = options.get("api_key_env")
    return "openai" if keys.resolve_api_key(key_name, env_var=env_var) else "title-cards"


def confirm(plan: Any, yes: bool) -> bool:
    """Print what the batch makes and costs; ask once when it costs money (not with
    `yes`). Without an answer (no terminal), refuse and say how to go ahead."""
    for clip in plan.clips:
        print(f"plan: {clip.words()}", file=sys.stderr)
    print(f"plan: {plan.summary()}", file=sys.stderr, flush=True)
    if yes or plan.new == 0 or plan.estimate.free:
        return True
    print(f"Make {plan.summary()}? [y/N] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline()
    if not answer:
        raise StudioError(f"{plan.summary()}: add --yes to go ahead without asking")
    return answer.strip().lower() in ("y", "yes")


async def _clips(project: Any, args: argparse.Namespace) -> Any:
    from studio.commands.video import make_queue
    from studio.config.settings import Settings
    from studio.operations.story_clips import ClipBatch
    from studio.operations.video_queue import describe

    if args.provider is None:
        args.provider = default_provider(Settings(), args.base_url)
        if args.provider == "title-cards":
            print(
                "no OpenAI video key or base URL is set up: making title cards "
                "(choose another with --provider)",
                file=sys.stderr,
            )

    shown: dict[str, str] = {}

    def report(item: Any) -> None:
        if item.job is None:
            line = "waiting for the previous scene's clip"
        else:
            line = describe(project.job(item.job))
        if item.continuity:
            line += f" ({item.continuity})"
        if item.status == "failed" or shown.get(item.scene) == line:
            return  # failures are reported once, at the end
        shown[item.scene] = line
        print(f"scene {item.scene}: {line}", file=sys.stderr, flush=True)

    def landed(version: Any) -> None:
        # Printed as each version is written: an interrupted run still says what it kept.
        names = ", ".join(f"{s}={c}" for s, c in version.meta["story_clips"].items())
        print(f"version {version.id}: {names}", flush=True)

    queue = make_queue(project, args)
    try:
        batch = ClipBatch(
            project,
            queue,
            args.provider,
            scenes=args.scenes,
            continuity=args.continuity,
            seconds=args.seconds,
            size=args.size,
            model=args.model,
            aspect=args.aspect,
            resolution=args.resolution,
            audio=args.audio,
            version=args.version_id,
            on_progress=report,
            on_version=landed,
        )
        if not confirm(await batch.plan(), args.yes):
            return None
        return await batch.run()
    finally:
        await queue.aclose()
