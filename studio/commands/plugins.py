"""`studio plugins`: list every plugin found, and enable or disable one."""

from __future__ import annotations

import argparse
import json

from studio.plugins.control import PluginRow, plugin_rows, set_plugin_enabled


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plugins",
        help="list plugins (name, version, what each adds, state), enable or disable one",
        description="List every plugin Studio found, or switch one on or off. The choice is "
        "saved in the settings and holds for the app and the command line alike.",
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--disable", metavar="NAME", help="switch the plugin NAME off")
    group.add_argument("--enable", metavar="NAME", help="switch the plugin NAME on")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(handler=cmd_plugins)


def cmd_plugins(args: argparse.Namespace) -> int:
    from studio.config.settings import Settings
    from studio.plugins.control import load_host

    settings = Settings()
    host = load_host(settings)
    if args.disable or args.enable:
        name = args.disable or args.enable
        set_plugin_enabled(settings, host, name, enabled=bool(args.enable))
        info = host.plugins.get(name)
        state = info.state.value if info else ("enabled" if args.enable else "disabled")
        print(f"{name}: {state}" + (f" ({info.error})" if info and info.error else ""))
        return 1 if info is not None and info.error else 0
    rows = plugin_rows(host)
    if args.json:
        print(json.dumps([_as_json(r) for r in rows], indent=2))
        return 0
    print_table(rows, host.problems)
    return 0


def _as_json(row: PluginRow) -> dict[str, object]:
    return {
        "name": row.name,
        "version": row.version,
        "distribution": row.distribution,
        "state": row.state.value,
        "adds": row.adds,
        "error": row.error,
        "warnings": list(row.warnings),
    }


def print_table(rows: list[PluginRow], problems: list[str]) -> None:
    header = ("NAME", "VERSION", "STATE", "ADDS")
    cells = [(r.name, r.version or "-", r.state.value, r.adds or "-") for r in rows]
    widths = [max(len(c[i]) for c in [header, *cells]) for i in range(3)]
    for line, row in zip([header, *cells], [None, *rows], strict=True):
        print("  ".join([*(c.ljust(w) for c, w in zip(line, widths, strict=False)), line[3]]))
        if row is not None and row.error:
            print(f"    failed: {row.error}")
        for warning in row.warnings if row is not None else ():
            print(f"    warning: {warning}")
    shown = {w for r in rows for w in r.warnings}
    for problem in problems:
        if problem not in shown:
            print(f"warning: {problem}")
