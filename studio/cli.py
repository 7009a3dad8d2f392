"""Command line: the same operations the UI uses, for scripts, CI and headless machines.

Each command group is a module in `studio/commands/` with `add_commands(subparsers)`; every
module there is picked up. A command's handler returns an exit code. Errors a person can act
on print one line. `studio PATH` (a project folder or a `.studioproj` archive, as a file
manager or the desktop entry passes it) is `studio open PATH`.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from pathlib import Path

from studio import __version__, commands
from studio.errors import StudioError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studio",
        description="Make mini-games and videos with AI. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"studio {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="start the app offscreen and check preview, video and export (exit 0 when all pass)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{info.name}").add_commands(subparsers)
    return parser


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    return {
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    }


def _opens_a_path(args_list: list[str], parser: argparse.ArgumentParser) -> bool:
    """`studio PATH`: one argument that is no command or option but a project or archive."""
    if len(args_list) != 1 or args_list[0].startswith("-") or args_list[0] in _commands(parser):
        return False
    path = Path(args_list[0])
    return path.exists() or path.suffix in (".studio", ".studioproj")


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if _opens_a_path(args_list, parser):
        args_list = ["open", *args_list]
    args = parser.parse_args(args_list)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.self_test:
        from studio.commands.selftest import run_self_test

        return run_self_test()
    if args.command is None:
        from studio.app import run_app

        return run_app(None)
    try:
        return int(args.handler(args) or 0)
    except StudioError as exc:
        print(f"studio: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file the command reads or writes directly (--out, inputs)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"studio: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("studio: interrupted", file=sys.stderr)
        return 130
