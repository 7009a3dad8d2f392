"""`studio generate`: prompt a language model to make or change a project's game.

The same operation as the Chat panel (`studio.operations.generator`). What the model writes
streams to stderr as it arrives; the new version id(s) go to stdout, one per line, so
scripts can read them. A failure is one `studio: error:` line and a non-zero exit.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from studio.errors import StudioError
from studio.words import plural


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "generate",
        help="make or change the game with a language model",
        description="Make or change a project's game with a language model. The model's "
        "words stream to stderr; the new version ids are printed to stdout.",
    )
    p.add_argument("path", type=Path, help="the project")
    p.add_argument(
        "prompt", nargs="?", default="", help="what to make or change (with --fix: a note)"
    )
    p.add_argument(
        "--provider",
        help="code provider: an entry of the settings or one a plugin registers "
        "(default: the one chosen in the settings)",
    )
    p.add_argument("--base-url", help="the service's API base URL (OpenAI-compatible)")
    p.add_argument("--model", help="the model name")
    p.add_argument("--max-tokens", type=int, help="limit on the answer's length, in tokens")
    p.add_argument(
        "--api-key-env",
        metavar="VAR",
        help="read the API key from this environment variable (default: the key stored in "
        "the settings' keyring, then OPENAI_API_KEY)",
    )
    p.add_argument(
        "--fix",
        action="store_true",
        help="fix the errors of the version: from a headless playtest, or --errors FILE",
    )
    p.add_argument(
        "--errors",
        type=Path,
        metavar="FILE",
        help="with --fix: the errors as JSON (a list of {message, source, line} or a "
        "playtest report)",
    )
    p.add_argument(
        "--variations", type=int, metavar="N", help="make N versions at once (the head stays)"
    )
    p.add_argument(
        "--continue",
        dest="continue_",
        action="store_true",
        help="go on with the answer that was cut off last time",
    )
    p.add_argument("--discard", action="store_true", help="drop the answer that was cut off")
    p.add_argument("--version", type=int, dest="version_id", help="version to build on (head)")
    p.add_argument(
        "--image",
        action="append",
        default=[],
        type=Path,
        metavar="F",
        dest="images",
        help="a picture to send with the prompt (a sketch, a screenshot to imitate); repeat "
        "for several. The model must take images (Settings › Code model › Reads images)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print only the version ids")
    p.set_defaults(handler=cmd_generate)


# -- progress ---------------------------------------------------------------------------


class Progress:
    """Shows a generation on stderr: the model's words as they come, a line per file."""

    REFRESH = 0.25  # seconds between updates of the line counter on a terminal

    def __init__(
        self, out: TextIO, *, prose: bool = True, prefix: str = "", price: Any = None
    ) -> None:
        self.out = out
        self.prose = prose
        self.prefix = prefix
        self.price = price  # the model's price per 1M tokens: a request that costs is said
        self.tty = out.isatty()
        self.at_line_start = True
        self.lines = 0
        self.path = ""
        self.shown = 0.0

    def write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()
        if text:
            self.at_line_start = text.endswith("\n")

    def line(self, text: str) -> None:
        if not self.at_line_start:
            self.write("\n")
        self.write(f"{self.prefix}{text}\n")

    def __call__(self, event: Any) -> None:
        from studio.ai.answer import RetryStarted, Waiting
        from studio.ai.blocks import (
            EditBlock,
            FileComplete,
            FileDelta,
            FileStarted,
            Incomplete,
            MessageText,
        )
        from studio.operations.outcomes import ContextReady

        if isinstance(event, ContextReady):
            for item in event.left_out:
                self.line(f"left out of the request to fit the context: {item}")
            if self.price is not None and self.price.input:
                cost = self.price.cost(event.estimated_tokens, 0)
                parts = ", ".join(f"{name} {n:,}" for name, n in event.parts if n)
                self.line(
                    f"sending about {event.estimated_tokens:,} tokens ({parts}): about "
                    f"${cost:,.4f} before the answer"
                )
            if event.prompt_speed:  # a slow model read before: say how long it will take
                self.line(event.waiting())
        elif isinstance(event, MessageText):
            if self.prose and event.text:
                self.write(event.text)
        elif isinstance(event, FileStarted):
            self.path, self.lines = event.path, 0
            self.line(f"writing {event.path} …")
        elif isinstance(event, FileDelta):
            self.lines += event.text.count("\n")
            now = time.monotonic()
            if self.tty and now - self.shown >= self.REFRESH:
                self.shown = now
                self.write(f"\r{self.prefix}writing {self.path}: {plural(self.lines, 'line')}")
        elif isinstance(event, FileComplete):
            if self.tty:
                self.write("\r\033[K")
                self.at_line_start = True
            self.line(f"wrote {event.path} ({plural(event.content.count(chr(10)), 'line')})")
        elif isinstance(event, EditBlock):
            self.line(f"edit to {event.path}")
        elif isinstance(event, Incomplete):
            self.line(f"{event.path} was not finished")
        elif isinstance(event, Waiting):
            self.line(f"rate limited: trying again in {event.seconds:.0f} s")
        elif isinstance(event, RetryStarted):
            self.line(f"{event.blocks} edit(s) did not apply: asking the model again")

    def done(self) -> None:
        if not self.at_line_start:
            self.write("\n")


# -- errors to fix ----------------------------------------------------------------------


def read_errors(path: Path) -> list[dict[str, Any]]:
    """Errors from a JSON file: a list, {"errors": [...]}, or a playtest report."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StudioError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise StudioError(f"{path} is not JSON: {exc}") from None
    if isinstance(data, dict):
        if "errors" in data:
            data = data["errors"]
        else:  # a playtest report (`studio playtest --json`)
            data = [*data.get("load_errors", []), *data.get("console_errors", [])]
    if not isinstance(data, list):
        raise StudioError(f"{path} must hold a list of errors")
    errors = []
    for item in data:
        if isinstance(item, str):
            item = {"message": item}
        if isinstance(item, dict) and str(item.get("message", "")).strip():
            errors.append(item)
    return errors


def playtest_errors(project: Any, version: int) -> list[dict[str, Any]]:
    """What a fix of the version should address: its story's problems and what a headless
    playtest of it showed (offscreen Qt)."""
    from studio.qt.startup import run_headless
    from studio.sandbox.playtest import HeadlessPlayer

    print(f"playtesting version {version} …", file=sys.stderr, flush=True)
    return run_headless(lambda: HeadlessPlayer(project).play_for_errors(version))


# -- the command ------------------------------------------------------------------------


def _check_args(args: argparse.Namespace) -> None:
    modes = [args.fix, args.continue_, args.discard, args.variations is not None]
    if sum(bool(m) for m in modes) > 1:
        raise StudioError("use only one of --fix, --continue, --discard and --variations")
    if args.errors is not None and not args.fix:
        raise StudioError("--errors is for --fix")
    if not args.prompt.strip() and not (args.fix or args.continue_ or args.discard):
        raise StudioError('say what to make or change: studio generate PATH "PROMPT"')
    if args.variations is not None and not 1 <= args.variations <= 8:
        raise StudioError("--variations must be between 1 and 8")
    if args.images and any(modes):
        raise StudioError("--image goes with a prompt, not with --fix, --continue or --variations")
    if args.api_key_env and not os.environ.get(args.api_key_env):
        raise StudioError(f"the environment variable {args.api_key_env} is not set")


def provider_from_args(args: argparse.Namespace) -> tuple[Any, Any]:
    """(config, provider) from --provider, --base-url, --model, --max-tokens, --api-key-env."""
    from studio.ai.code_providers import make_code_provider, provider_config
    from studio.commands.project import load_host
    from studio.config.settings import Settings

    host = load_host()
    config = provider_config(Settings(), args.provider, host)
    changes: dict[str, Any] = {}
    if args.base_url:
        changes["base_url"] = args.base_url
    if args.model:
        changes["model"] = args.model
    if getattr(args, "max_tokens", None):
        changes["max_tokens"] = args.max_tokens
    config = dataclasses.replace(config, **changes)
    provider = make_code_provider(host, config, env_var=args.api_key_env)
    return config, provider


def _hint(kind: str | None) -> str:
    if kind == "auth":
        return " Give the key with --api-key-env VAR or OPENAI_API_KEY, or store it in Settings."
    if kind == "unknown_model":
        return " Choose one with --model."
    return ""


def cmd_generate(args: argparse.Namespace) -> int:
    from studio.core.store import Project

    _check_args(args)
    with Project.open(args.path) as project:
        if args.discard:
            from studio.operations.conversation import discard_partial

            if discard_partial(project) is None:
                raise StudioError("there is no cut-off answer to discard")
            print("discarded the cut-off answer; it stays in the conversation", file=sys.stderr)
            return 0
        base = project.resolve(args.version_id) if args.version_id is not None else project.head
        errors: list[dict[str, Any]] = []
        if args.fix:
            if base is None:
                raise StudioError(f"{project.name} has no version to fix")
            if args.errors is not None:
                errors = read_errors(args.errors)
            else:
                errors = playtest_errors(project, base)
            if not errors:
                print(f"version {base} reported no errors: nothing to fix", file=sys.stderr)
                return 0
        attachments = _pictures(args.images)
        config, provider = provider_from_args(args)
        return asyncio.run(_generate(project, provider, config, args, base, errors, attachments))


def _pictures(paths: list[Path]) -> list[Any]:
    """The pictures given with --image, read and fitted for the model (a clear error for a
    file that is missing or not a picture)."""
    from studio.operations.selections import picture_file_attachment

    return [picture_file_attachment(path) for path in paths]


async def _generate(
    project: Any,
    provider: Any,
    config: Any,
    args: argparse.Namespace,
    base: Any,
    errors: list,
    attachments: list,
) -> int:
    from studio.ai.providers import close_provider
    from studio.config.settings import Settings
    from studio.operations.generator import Generator
    from studio.operations.request_meter import chat_price, tokens_and_cost

    generator = Generator.from_config(project, provider, config)
    price, _source = chat_price(
        Settings(), generator.model, str(getattr(provider, "base_url", "") or "")
    )
    out = sys.stderr
    try:
        if args.variations is not None:
            return await _variations(generator, args, base, out)
        progress: Callable[[Any], None] | None = None if args.quiet else Progress(out, price=price)
        if args.continue_:
            outcome = await generator.continue_answer(on_event=progress)
        elif args.fix:
            outcome = await generator.fix(errors, note=args.prompt, base=base, on_event=progress)
        else:
            outcome = await generator.generate(
                args.prompt, base=base, on_event=progress, attachments=attachments
            )
        if isinstance(progress, Progress):
            progress.done()
    finally:
        await close_provider(provider)
    if not outcome.ok:
        raise StudioError(outcome.notice + _hint(outcome.error_kind))
    if not args.quiet:
        print(outcome.notice, file=out)
        info = outcome.version.info
        if info is not None and (info.tokens_in or info.tokens_out):
            print(tokens_and_cost(info.tokens_in or 0, info.tokens_out or 0, price), file=out)
    print(f"version {outcome.version.id}")
    return 0


async def _variations(generator: Any, args: argparse.Namespace, base: Any, out: TextIO) -> int:
    n = args.variations

    def progress(i: int) -> Any:
        if args.quiet:
            return None
        return Progress(out, prose=False, prefix=f"[{i + 1}] ")

    run = generator.start_variations(args.prompt, n, base=base, on_event_for=progress)
    outcomes = await run.wait()
    made = [o for o in outcomes if o.ok]
    if not args.quiet:
        for o in outcomes:
            print(o.notice, file=out)
    if not made:
        first = outcomes[0]
        raise StudioError(f"no variation succeeded: {first.notice}{_hint(first.error_kind)}")
    for o in made:
        print(f"version {o.version.id}")
    if not args.quiet:
        print(
            f"{len(made)} of {n} variations made; the head stays at version {base} "
            "(open the project to play them and keep one)",
            file=out,
        )
    return 0
