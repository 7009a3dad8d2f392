"""History commands, as in the History panel: restore, fork and diff versions."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from studio.core.diff import unified_diff
from studio.core.store import Project


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("restore", help="bring an old version back as the newest on its line")
    p.add_argument("path", type=Path)
    p.add_argument("version", type=int)
    p.set_defaults(handler=cmd_restore)

    p = sub.add_parser("fork", help="start a new line from a version, keeping the current one")
    p.add_argument("path", type=Path)
    p.add_argument("version", type=int)
    p.set_defaults(handler=cmd_fork)

    p = sub.add_parser("diff", help="unified diff of every file between two versions")
    p.add_argument("path", type=Path)
    p.add_argument("old", type=int, metavar="V1")
    p.add_argument("new", type=int, nargs="?", metavar="V2", help="default: the head")
    p.set_defaults(handler=cmd_diff)


def cmd_restore(args: argparse.Namespace) -> int:
    with Project.open(args.path) as project:
        version = project.restore(args.version)
        print(f"restored version {args.version} as version {version.id}")
    return 0


def cmd_fork(args: argparse.Namespace) -> int:
    with Project.open(args.path) as project:
        version = project.fork(args.version)
        print(f"forked version {args.version} as version {version.id}")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    with Project.open(args.path) as project:
        old = project.resolve(args.old)
        new = project.resolve(args.new)  # None: the head
        sys.stdout.write(unified_diff(project, old, new))
    return 0
