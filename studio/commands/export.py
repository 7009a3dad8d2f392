"""Export commands: `export` (html, zip, folder, archive) and `import-archive`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from studio.core.store import Project
from studio.errors import StudioError
from studio.export import (
    Exporter,
    ExportError,
    default_file_name,
    exporter_broke,
    get_exporter,
    human_size,
    import_archive,
    inspect_archive,
    size_warning,
)


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a version as one HTML file, a web zip, a folder, or the project archive",
    )
    p.add_argument("path", type=Path, help="the project")
    p.add_argument(
        "--format",
        default="html",
        help="html (one file), zip (web folder for itch.io), folder, archive (.studioproj)",
    )
    p.add_argument("--out", type=Path, help="file to write (default: beside the project)")
    p.add_argument("--version", type=int, dest="version_id", help="version id (default: head)")
    p.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="PATTERN",
        help="html: also carry the files this glob names (levels/*), for names the game "
        "builds in ways Studio cannot see (it carries only the files the game reaches)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print only the written path")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser(
        "import-archive", help="unpack a .studioproj archive as a new project (checked first)"
    )
    p.add_argument("archive", type=Path)
    p.add_argument("dest", type=Path, help="the new project folder (NAME or NAME.studio)")
    p.add_argument("--dry-run", action="store_true", help="only show what the archive holds")
    p.set_defaults(handler=cmd_import_archive)


def cmd_export(args: argparse.Namespace) -> int:
    from studio.commands.project import load_host

    host = load_host()
    exporter = get_exporter(host, args.format)
    try:
        return _export(args, exporter)
    except (StudioError, OSError):
        raise
    except Exception as exc:  # a plugin exporter's bug: one clear line, the plugin marked
        raise ExportError(exporter_broke(host, exporter, exc)) from exc


def _export(args: argparse.Namespace, exporter: Exporter) -> int:
    with Project.open(args.path) as project:
        version = args.version_id
        if version is not None or exporter.name != "archive":
            version = project.resolve(version)
        out = args.out or project.path.parent / default_file_name(project, version, exporter)
        keep = {"keep": args.keep} if args.keep else {}
        if keep and not getattr(exporter, "keeps", False):
            raise StudioError(f"--keep applies to the single HTML file, not to {exporter.title}")
        size = exporter.estimate(project, version, **keep)
        if not args.quiet:
            what = f"version {version}" if version is not None else "the whole project"
            print(f"exporting {what} as {exporter.title}: about {human_size(size)}")
            warning = size_warning(exporter, size)
            if warning:
                print(f"warning: {warning}", file=sys.stderr)
        result = asyncio.run(exporter.export(project, version, out, **keep))
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    print(result.path if args.quiet else f"wrote {result.path} ({human_size(result.size)})")
    return 0


def cmd_import_archive(args: argparse.Namespace) -> int:
    summary = inspect_archive(args.archive)
    print(summary.describe())
    if args.dry_run:
        return 0
    with import_archive(args.archive, args.dest) as project:
        print(f"imported as {project.path}")
    return 0
