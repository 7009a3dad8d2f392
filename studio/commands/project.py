"""Project commands: new, open, versions, show, import, templates."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from studio.core.store import Project
from studio.errors import StudioError
from studio.operations.projects import import_source, new_project, version_tree
from studio.plugins.host import PluginHost


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("new", help="create a project, from a starter template if given")
    p.add_argument("path", type=Path)
    p.add_argument("--template", help="template name (see `studio templates`)")
    p.set_defaults(handler=cmd_new)

    p = sub.add_parser("open", help="open a project in the app")
    p.add_argument("path", type=Path)
    p.set_defaults(handler=cmd_open)

    p = sub.add_parser("versions", help="list a project's versions as a tree")
    p.add_argument("path", type=Path)
    p.set_defaults(handler=cmd_versions)

    p = sub.add_parser("show", help="list a version's files, or print one file")
    p.add_argument("path", type=Path)
    p.add_argument("file", nargs="?")
    p.add_argument("--version", type=int, dest="version_id", help="version id (default: head)")
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("import", help="make an HTML file or a folder a new version")
    p.add_argument("path", type=Path)
    p.add_argument("source", type=Path)
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("templates", help="list the starter templates")
    p.set_defaults(handler=cmd_templates)


def load_host() -> PluginHost:
    """The plugin host as the person's settings leave it (disabled plugins stay out)."""
    from studio.plugins.control import load_host as load_configured_host

    return load_configured_host()


def cmd_new(args: argparse.Namespace) -> int:
    template = None
    if args.template:
        host = load_host()
        try:
            template = host.template(args.template)
        except KeyError as exc:
            raise StudioError(exc.args[0]) from None
    with new_project(args.path, template) as project:
        head = project.head
        print(f"created {project.path}" + (f" (version {head}, {template.name})" if head else ""))
    return 0


def cmd_open(args: argparse.Namespace) -> int:
    from studio.export import default_import_dest, import_archive, inspect_archive, is_archive

    if is_archive(args.path):  # a .studioproj: unpack it beside itself first, then open that
        print(inspect_archive(args.path).describe())  # what it holds, before writing anything
        with import_archive(args.path, default_import_dest(args.path)) as project:
            print(f"imported {args.path} as {project.path}")
            args.path = project.path
    Project.open(args.path).close()  # a bad path fails here with one clear line, before Qt loads
    from studio.app import run_app

    return run_app(args.path)


def cmd_versions(args: argparse.Namespace) -> int:
    with Project.open(args.path) as project:
        head = project.head
        for depth, v in version_tree(project):
            mark = "*" if v.id == head else " "
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(v.created))
            model = f"  [{v.info.model}]" if v.info.model else ""
            print(f"{mark} {'  ' * depth}{v.id:>4}  {v.kind:<8} {when}  {v.title}{model}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with Project.open(args.path) as project:
        if args.file:
            sys.stdout.buffer.write(project.read_file(args.version_id, args.file))
            sys.stdout.flush()
        else:
            vid = project.resolve(args.version_id)
            for path, sha in sorted(project.file_hashes(vid).items()):
                print(f"{project.blobs.size(sha):>10}  {path}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    with Project.open(args.path) as project:
        version = import_source(project, args.source)
        print(f"imported {args.source} as version {version.id}")
    return 0


def cmd_templates(args: argparse.Namespace) -> int:
    for t in load_host().templates():
        print(f"{t.name:<12} {t.title:<22} {t.description}")
    return 0
