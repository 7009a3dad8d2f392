"""Asset commands: list a project's assets (clips and pictures), put one into the game."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from studio.core.records import Asset
from studio.core.store import Project


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("assets", help="list a project's assets: clips and pictures")
    p.add_argument("path", type=Path)
    p.add_argument("--json", action="store_true", help="the manifest the code model gets")
    p.set_defaults(handler=cmd_assets)

    p = sub.add_parser("use-asset", help="make a version whose game has assets/NAME")
    p.add_argument("path", type=Path)
    p.add_argument("name", help="an asset name (a clip is added as its WebM proxy)")
    p.add_argument("--version", type=int, dest="version_id", help="version to add it to")
    p.set_defaults(handler=cmd_use_asset)


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def _clip_note(m: dict[str, Any]) -> str:
    note = f"clip ({m.get('source', 'imported')})"
    if m.get("prompt"):
        note += f": {str(m['prompt']).splitlines()[0][:40]}"
    return note


def describe_asset(asset: Asset) -> str:
    """What an asset is, in a few words: a clip and how it was made, a picture's kind and
    frames, or which clip or picture a part belongs to."""
    from studio.core.pictures import PICTURE_ROLE, SOURCE_ROLE, picture_facts

    m = asset.meta
    role = m.get("role")
    if role == "proxy":
        return _clip_note(m)
    if role in ("original", "thumbnail"):
        return f"{role} of {m.get('clip')}"
    if role == SOURCE_ROLE:
        return f"photo of {m.get('picture')} (kept)"
    if role == PICTURE_ROLE:
        facts = picture_facts(asset)
        note = str(facts["picture"]).replace("_", " ")
        layout = facts.get("layout")
        if layout:
            note += (
                f": {facts['frames']} frames of {layout['frame_width']}x{layout['frame_height']}"
                f" ({layout['columns']}x{layout['rows']})"
            )
        note += f" ({m.get('source', 'imported')})"
        if m.get("prompt"):
            note += f": {str(m['prompt']).splitlines()[0][:40]}"
        return note
    return str(role or "")


def cmd_assets(args: argparse.Namespace) -> int:
    from studio.core.assets import asset_manifest, library_manifest

    with Project.open(args.path) as project:
        if args.json:
            data = {
                "game": asset_manifest(project) if project.head else [],
                "library": library_manifest(project),
            }
            print(json.dumps(data, indent=2))
            return 0
        rows = project.assets()
        if not rows:
            print("no assets")
            return 0
        for a in rows:
            m = a.meta
            duration = f"{m['duration']:.1f} s" if m.get("duration") else ""
            shape = f"{m['width']}x{m['height']}" if m.get("width") else ""
            print(
                f"{a.name:<32} {a.kind:<6} {human_size(a.size):>9}  {duration:>7}  "
                f"{shape:<10} {describe_asset(a)}".rstrip()
            )
    return 0


def cmd_use_asset(args: argparse.Namespace) -> int:
    from studio.core.assets import use_in_game

    with Project.open(args.path) as project:
        before = project.head
        version = use_in_game(project, args.name, version_id=args.version_id)
        if version.id == before:
            print(f"version {version.id} already has {args.name}")
        else:
            print(f"version {version.id}: {version.meta.get('label')}")
    return 0
