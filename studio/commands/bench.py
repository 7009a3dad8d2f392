"""`studio bench`: run a suite of game tasks against models, play and check every result.

Progress goes to stderr, the summary table to stdout; results.json, results.csv and
report.html are written to the out folder with a project per result (`studio open` it).
`--shard K/N` runs one slice of the units; `studio bench merge OUT SHARD_DIR...` joins the
slices' out folders into the report a single run writes.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import os
import sys
from pathlib import Path
from typing import Any

from studio.errors import StudioError


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="benchmark models: generate the games of a suite, play and check them",
        description="Run every task of a suite (a TOML file, or `default` for the built-in "
        "one) with each model: generate, follow up, fix once on errors, play headlessly and "
        "check. Writes a project per result and results.json, results.csv and report.html "
        "to the out folder; prints a summary table. `studio bench merge OUT_DIR SHARD_DIR...` "
        "joins the out folders of a run's shards (--shard K/N) into one.",
    )
    p.add_argument(
        "suite",
        help="suite file, or the name of a built-in suite (default); or `merge` followed by "
        "OUT_DIR and the shards' out folders",
    )
    p.add_argument("folders", nargs="*", metavar="DIR", help=argparse.SUPPRESS)
    p.add_argument("--base-url", help="the service's API base URL (OpenAI-compatible)")
    p.add_argument(
        "--model",
        dest="models",
        action="extend",
        nargs="+",
        metavar="NAME",
        help="model(s) to bench (repeatable; default: the suite's list, else the settings')",
    )
    p.add_argument("--provider", help="code provider from the settings (default: the chosen one)")
    p.add_argument(
        "--api-key-env", metavar="VAR", help="read the API key from this environment variable"
    )
    p.add_argument("--repeat", type=int, default=1, metavar="N", help="run each task N times")
    p.add_argument("--out", type=Path, metavar="DIR", help="out folder (default: bench-SUITE-TIME)")
    p.add_argument(
        "--jobs", type=int, default=2, metavar="N", help="tasks generating at once (default 2)"
    )
    p.add_argument(
        "--playtest-jobs",
        type=int,
        metavar="N",
        help="games played at once (default: as many as --jobs; a playtest mostly waits on "
        "its input plan's clock, using a fraction of a core)",
    )
    p.add_argument("--resume", action="store_true", help="go on with the run in --out")
    p.add_argument("--task", dest="tasks", action="append", metavar="ID", help="only this task")
    p.add_argument("--seconds", type=float, help="play each game at least this long")
    # Without these, the prices set in Tools › Benchmark (settings `bench_prices`) count.
    p.add_argument("--price-in", type=float, metavar="USD", help="price per 1M input tokens")
    p.add_argument("--price-out", type=float, metavar="USD", help="price per 1M output tokens")
    p.add_argument("--max-tokens", type=int, help="limit on each answer's length, in tokens")
    p.add_argument(
        "--agent-model",
        metavar="M",
        help="the model that plays agent checks (default: each model plays its own games)",
    )
    p.add_argument(
        "--shard",
        metavar="K/N",
        help="run only the K-th of N disjoint slices of the task × model × repeat units "
        "(merge the N out folders with `studio bench merge`)",
    )
    p.add_argument(
        "--suite-file",
        type=Path,
        metavar="FILE",
        help="merge: the suite file, where it is not at the path the shards recorded",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    p.set_defaults(handler=cmd_bench)


def _check_args(args: argparse.Namespace) -> None:
    if args.repeat < 1:
        raise StudioError("--repeat must be at least 1")
    if args.jobs < 1 or (args.playtest_jobs is not None and args.playtest_jobs < 1):
        raise StudioError("--jobs and --playtest-jobs must be at least 1")
    if args.resume and args.out is None:
        raise StudioError("--resume needs --out DIR: the run to go on with")
    for name in ("price_in", "price_out"):
        value = getattr(args, name)
        if value is not None and value < 0:
            raise StudioError(f"--{name.replace('_', '-')} cannot be negative")
    if args.seconds is not None and not 1 <= args.seconds <= 120:
        raise StudioError("--seconds must be from 1 to 120")
    if args.shard is not None:
        from studio.scoring.shards import parse_shard

        parse_shard(args.shard)  # a mistake is told before anything starts
    if args.api_key_env and not os.environ.get(args.api_key_env):
        raise StudioError(f"the environment variable {args.api_key_env} is not set")


def default_out(suite_name: str) -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in suite_name) or "suite"
    return Path(f"bench-{safe}-{stamp}")


def cmd_bench(args: argparse.Namespace) -> int:
    if args.suite == "merge":
        return cmd_merge(args)
    if args.folders:
        raise StudioError(f"unexpected arguments after the suite: {' '.join(args.folders)}")
    return cmd_run(args)


def cmd_merge(args: argparse.Namespace) -> int:
    from studio.scoring.results import OutDir
    from studio.scoring.shards import merge_shards

    if len(args.folders) < 2:
        raise StudioError("usage: studio bench merge OUT_DIR SHARD_DIR [SHARD_DIR ...]")
    out, *shards = args.folders
    run = merge_shards(
        OutDir(out),
        [Path(d) for d in shards],
        suite_path=args.suite_file,
        on_warning=lambda text: print(f"studio: warning: {text}", file=sys.stderr),
    )
    _report(run)
    return 0


def _report(run: Any) -> None:
    print(_table(run))
    files = run.files
    print(f"\nresults: {files['json']}\n         {files['csv']}", file=sys.stderr)
    print(f"report:  {files['html']}", file=sys.stderr)


def cmd_run(args: argparse.Namespace) -> int:
    from studio.ai.code_providers import make_code_provider, provider_config
    from studio.commands.project import load_host
    from studio.config.settings import Settings
    from studio.scoring.suite import find_suite, load_suite

    _check_args(args)
    suite = load_suite(find_suite(args.suite))
    settings = Settings()
    config = provider_config(settings, args.provider)
    changes: dict[str, Any] = {}
    if args.base_url:
        changes["base_url"] = args.base_url
    if args.max_tokens:
        changes["max_tokens"] = args.max_tokens
    config = dataclasses.replace(config, **changes)
    models = list(dict.fromkeys(args.models or suite.models or [config.effective_model]))
    host = load_host()
    provider = make_code_provider(host, config, env_var=args.api_key_env)
    from studio.operations.scoring_run import BenchConfig
    from studio.scoring.plan import Timing
    from studio.scoring.prices import prices_from
    from studio.scoring.results import OutDir
    from studio.scoring.shards import parse_shard

    bench_config = BenchConfig(
        models=models,
        repeat=args.repeat,
        jobs=args.jobs,
        resume=args.resume,
        tasks=args.tasks,
        seconds=args.seconds,
        timing=Timing(),
        temperature=config.temperature,
        max_tokens=config.max_tokens,
        context_window=config.context_window,
        prices=prices_from(
            settings, [*models, *filter(None, [args.agent_model])], args.price_in, args.price_out
        ),
        provider=config.name,
        base_url=getattr(provider, "base_url", "") or config.base_url,
        agent_model=args.agent_model,
        shard=parse_shard(args.shard) if args.shard else None,
    )
    out = OutDir(args.out or default_out(suite.name))

    def template(name: str) -> Any:
        try:
            return host.template(name)
        except KeyError as exc:
            raise StudioError(str(exc.args[0])) from None

    run = _run_on_qt(suite, out, provider, bench_config, template, args)
    _report(run)
    return 0


def _table(run: Any) -> str:
    from studio.scoring.report import summary_table

    return summary_table(run.summaries)


def _progress(quiet: bool):
    def show(event: Any) -> None:
        if quiet and event.kind not in ("warning",):
            return
        if event.kind in ("unit_done",):
            print(f"[{event.done}/{event.total}] {event.text}", file=sys.stderr, flush=True)
        elif event.kind == "warning":
            print(f"studio: warning: {event.text}", file=sys.stderr, flush=True)
        elif event.kind in ("start", "step", "unit"):
            print(f"  {event.text}", file=sys.stderr, flush=True)

    return show


def _run_on_qt(suite, out, provider, config, template, args) -> Any:
    """Qt (for the playtests) with one asyncio loop on it, as `studio playtest` does."""
    from studio.ai.providers import close_provider
    from studio.operations.scoring_run import Bench
    from studio.qt.startup import run_headless
    from studio.scoring.play import QtPlayer

    bench: list[Bench] = []

    async def main() -> Any:
        bench.append(
            Bench(
                suite,
                out,
                provider,
                QtPlayer(jobs=args.playtest_jobs or args.jobs),
                config,
                templates=template,
                on_event=_progress(args.quiet),
            )
        )
        try:
            return await bench[0].run()
        finally:
            await close_provider(provider)

    try:
        return run_headless(main)
    except KeyboardInterrupt:
        if not bench:
            raise
        # Finished results are on disk: report them, and say how to go on.
        run = bench[0].write_outputs()
        print(_table(run))
        print(
            f"stopped: {len(run.results)} result(s) kept in {out.path}; go on with "
            f"--resume --out {out.path}",
            file=sys.stderr,
        )
        raise
