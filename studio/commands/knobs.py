"""`studio knobs`: a version's knobs (the values its game declares tunable), and keeping new
values as a version: the same operations as the Preview's knob panel
(`studio.operations.knobs`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from studio.errors import StudioError


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "knobs",
        help="list a version's knobs, or keep new values as a version",
        description="Without --set: one knob a line, `NAME VALUE MIN..MAX LABEL`. With --set: "
        "the diff the values would make; with --keep as well, a new version holding them "
        "(its id is printed).",
    )
    p.add_argument("path", type=Path, help="the project")
    p.add_argument("--version", type=int, dest="version_id", help="version id (default: head)")
    p.add_argument(
        "--set",
        action="extend",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        dest="values",
        help="knobs' new values (several after one --set, or --set again)",
    )
    p.add_argument("--keep", action="store_true", help="write the values as a new version")
    p.set_defaults(handler=cmd_knobs)


def _values(knobs: list, pairs: list[str]) -> dict[str, float | bool]:
    from studio.ai.knobs import KnobError, parse_value

    by_name = {k.name: k for k in knobs}
    values: dict[str, float | bool] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise StudioError(f"--set takes NAME=VALUE, not {pair!r}")
        if name not in by_name:
            known = ", ".join(by_name) or "none"
            raise KnobError(f"this version declares no knob {name!r} (its knobs: {known})")
        values[name] = parse_value(by_name[name], text)
    return values


def cmd_knobs(args: argparse.Namespace) -> int:
    from studio.core.store import Project
    from studio.operations.knobs import keep_values, knob_changes, version_knobs

    if args.keep and not args.values:
        raise StudioError("--keep writes the values given with --set NAME=VALUE")
    with Project.open(args.path) as project:
        version = project.resolve(args.version_id)
        if version is None:
            raise StudioError(f"{project.name} has no version yet")
        knobs = version_knobs(project, version)
        if not args.values:
            for knob in knobs:
                print(knob.describe())
            if not knobs:
                print(f"version {version} declares no knobs", file=sys.stderr)
            return 0
        values = _values(knobs, args.values)
        if not args.keep:
            for diff in knob_changes(project, version, values).diffs:
                sys.stdout.write(diff.unified())
            print("(nothing written: add --keep to make a version)", file=sys.stderr)
            return 0
        kept = keep_values(project, version, values)
        print(f"{kept.prompt} (on version {version})", file=sys.stderr)
        print(f"version {kept.id}")
    return 0
