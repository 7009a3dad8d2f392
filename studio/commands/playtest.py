"""`studio playtest`: play a version headlessly and report (exit 0 only when it passed)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from studio.errors import StudioError


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "playtest",
        help="play a version headlessly: loads, animates or responds to input, no errors",
        description="Load a version in the sandbox without a window and play it: without "
        "--inputs, start it the usual ways (Enter, Space, a Play button, a click) and try "
        "each control alone, judged against a twin of the game left alone. Exit code 0 only "
        "when it loaded, animates by itself or responds to input, and logged no errors "
        "(requests the sandbox blocked are a warning).",
    )
    p.add_argument("path", type=Path, help="the project")
    p.add_argument("--version", type=int, dest="version_id", help="version id (default: head)")
    p.add_argument(
        "--seconds", type=float, default=5.0, help="how long to play at least (default 5)"
    )
    p.add_argument("--inputs", type=Path, help="JSON list of steps (key, tap, drag, wait)")
    p.add_argument("--viewport", default="800x600", help="viewport WxH (default 800x600)")
    p.add_argument("--screenshot", type=Path, help="where to save the last frame (PNG)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=cmd_playtest)


def _viewport(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise StudioError(f"--viewport must look like 800x600, not {text!r}") from None
    if not (64 <= w <= 8192 and 64 <= h <= 8192):
        raise StudioError("--viewport sizes go from 64 to 8192")
    return w, h


def cmd_playtest(args: argparse.Namespace) -> int:
    inputs = None
    if args.inputs is not None:
        try:
            inputs = json.loads(args.inputs.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StudioError(f"could not read {args.inputs}: {exc}") from None
    viewport = _viewport(args.viewport)
    from studio.core.store import Project

    project = Project.open(args.path)  # a bad path fails here, before Qt starts
    try:
        version_id = project.resolve(args.version_id)
        report = _run(project, version_id, args.seconds, inputs, viewport, args.screenshot)
    finally:
        project.close()
    if args.json:
        print(report.to_json())
    else:
        print(report.summary())
    return 0 if report.passed else 1


def _run(project, version_id, seconds, inputs, viewport, screenshot):
    from studio.qt.startup import run_headless
    from studio.sandbox.inputs import parse_inputs
    from studio.sandbox.playtest import playtest

    if inputs is not None:
        parse_inputs(inputs)  # refuse a bad file before starting Chromium
    return run_headless(
        lambda: playtest(
            project,
            version_id,
            seconds=seconds,
            inputs=inputs,
            viewport=viewport,
            screenshot=screenshot,
        )
    )
