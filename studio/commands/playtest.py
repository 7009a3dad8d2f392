"""`studio playtest`: play a version headlessly and report (exit 0 only when it passed).

With `--agent`, a language model plays it through tools instead
(`studio.operations.agent_playtest`), reports what it found and the run is kept with the
version; `--fix` then asks the code model to fix the findings and replays them on the new
version. `--inputs` replays a recorded input script (or a finding, which holds one).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from studio.errors import StudioError


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "playtest",
        help="play a version headlessly: loads, animates or responds to input, no errors",
        description="Load a version in the sandbox without a window and play it: without "
        "--inputs, start it the usual ways (Enter, Space, a Play button, a click) and try "
        "each control alone, judged against a twin of the game left alone. Exit code 0 only "
        "when it loaded, animates by itself or responds to input, and logged no errors "
        "(requests the sandbox blocked are a warning). With --agent, a model plays it "
        "through tools and reports the problems it found (exit 1 when it found any).",
    )
    p.add_argument("path", type=Path, help="the project")
    p.add_argument("--version", type=int, dest="version_id", help="version id (default: head)")
    p.add_argument(
        "--seconds", type=float, default=5.0, help="how long to play at least (default 5)"
    )
    p.add_argument(
        "--inputs",
        type=Path,
        help="JSON list of steps (key, tap, drag, wait), a recorded input script, or a finding "
        "(replayed: exit 1 when its problem is still there)",
    )
    p.add_argument("--viewport", default="800x600", help="viewport WxH (default 800x600)")
    p.add_argument("--screenshot", type=Path, help="where to save the last frame (PNG)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    agent = p.add_argument_group("AI playtester")
    agent.add_argument("--agent", action="store_true", help="a model plays the game with tools")
    agent.add_argument(
        "--goal", default="", help="what the model should try (default: play as a new player would)"
    )
    agent.add_argument("--steps", type=int, default=30, help="turns of the model at most (30)")
    agent.add_argument("--budget", type=float, metavar="USD", help="money limit (needs a price)")
    agent.add_argument("--tokens", type=int, help="token limit (prompt + completion)")
    agent.add_argument("--minutes", type=float, default=10.0, help="wall-clock limit (10)")
    agent.add_argument("--price-in", type=float, help="$ per million prompt tokens")
    agent.add_argument("--price-out", type=float, help="$ per million completion tokens")
    agent.add_argument(
        "--vision", choices=("auto", "yes", "no"), help="send screenshots (auto: by model)"
    )
    agent.add_argument("--no-stream", action="store_true", help="ask for whole answers")
    agent.add_argument("--fix", action="store_true", help="then fix the findings and replay them")
    agent.add_argument(
        "--findings", action="store_true", help="list the findings kept with the version"
    )
    agent.add_argument("--provider", help="code provider entry of the settings (or a plugin's)")
    agent.add_argument("--base-url", help="the service's API base URL (OpenAI-compatible)")
    agent.add_argument("--model", help="the model name")
    agent.add_argument("--api-key-env", metavar="VAR", help="read the API key from this variable")
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
    if args.agent and inputs is not None:
        raise StudioError("use --agent or --inputs, not both")
    if args.api_key_env and not os.environ.get(args.api_key_env):
        raise StudioError(f"the environment variable {args.api_key_env} is not set")
    from studio.core.store import Project

    project = Project.open(args.path)  # a bad path fails here, before Qt starts
    try:
        version_id = project.resolve(args.version_id)
        if args.findings:
            return _list_findings(project, version_id, args.json)
        if args.agent:
            return _agent(project, version_id, viewport, args)
        if _recorded(inputs):
            return _replay(project, version_id, inputs, args.json)
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


# -- recorded scripts and findings ------------------------------------------------------


def _recorded(inputs: Any) -> bool:
    from studio.sandbox.input_script import is_recorded_script

    return is_recorded_script(inputs) or (isinstance(inputs, dict) and "script" in inputs)


def _replay(project: Any, version_id: int, inputs: Any, as_json: bool) -> int:
    """Replay a recorded script, or a finding's script and judge its check."""
    from studio.operations.playtest_findings import Finding, judge
    from studio.qt.startup import run_headless
    from studio.sandbox.game_session import replay_script
    from studio.sandbox.input_script import InputScript

    finding = Finding.from_dict(inputs) if isinstance(inputs, dict) else None
    script = InputScript.from_json(finding.script if finding else inputs)
    replay = run_headless(lambda: replay_script(project, version_id, script))
    there, seen = judge(finding, replay) if finding else (None, "")
    out: dict[str, Any] = {
        "version": version_id,
        "clock": script.clock,
        "inputs": len(script.actions),
        "game_time": script.length,
        "state": replay.after.state if replay.after else None,
        "errors": replay.errors,
        "stopped": replay.stopped,
    }
    if finding:
        out.update(finding=finding.headline(), still_there=there, seen=seen)
    if as_json:
        print(json.dumps(out, indent=2, default=str))
    else:
        print(
            f"Replayed {len(script.actions)} inputs over {script.length:.2f} s on "
            f"v{version_id} ({script.clock} clock)"
        )
        if replay.after is not None and replay.after.state is not None:
            print(f"state at the end: {json.dumps(replay.after.state, default=str)[:400]}")
        for error in replay.errors[:5]:
            print(f"- error: {error.get('message')}")
        if replay.stopped:
            print(f"- the game stopped: {replay.stopped}")
        if finding:
            verdict = {True: "still there", False: "gone", None: "cannot tell"}[there]
            print(f"{finding.headline()}: {verdict} ({seen})")
    if finding:
        return 1 if there else 0
    return 1 if replay.errors or replay.stopped else 0


def _list_findings(project: Any, version_id: int, as_json: bool) -> int:
    from studio.operations.agent_runs import kept_findings

    findings = kept_findings(project, version_id)
    if as_json:
        print(json.dumps([f.to_dict() for f in findings], indent=2, default=str))
    elif not findings:
        print(f"v{version_id}: no findings kept (run studio playtest --agent)")
    for number, finding in enumerate(findings, start=1):
        print(
            f"{number}. [{finding.kind_words}] {finding.title} ({len(finding.script) - 1} inputs)"
        )
    return 0


# -- the AI playtester ------------------------------------------------------------------


def _budget(args: argparse.Namespace, model: str) -> Any:
    from studio.config.settings import Settings
    from studio.operations.agent_report import Budget
    from studio.scoring.prices import prices_from

    price = prices_from(Settings(), [model], args.price_in, args.price_out).get(model)
    return Budget.limits(
        model,
        steps=args.steps,
        tokens=args.tokens,
        money=args.budget,
        minutes=args.minutes,
        price=price,
    )


def _print_event(event: Any) -> None:
    if event.kind == "step" and event.record is not None:
        record = event.record
        why = f" ({record.reason})" if record.reason else ""
        first = record.result.splitlines()[0] if record.result else ""
        print(f"step {record.step} · {record.tool}{why}: {first}", file=sys.stderr, flush=True)
    elif event.kind in ("finding", "warning", "checking"):
        print(f"{event.kind}: {event.text}", file=sys.stderr, flush=True)


def _agent(
    project: Any, version_id: int, viewport: tuple[int, int], args: argparse.Namespace
) -> int:
    from studio.ai.vision import takes_images
    from studio.commands.generate import provider_from_args
    from studio.qt.startup import run_headless

    config, provider = provider_from_args(args)
    model = config.effective_model
    budget = _budget(args, model)
    vision = takes_images(model, args.vision or config.vision)
    report, fixed = run_headless(
        lambda: _play(project, version_id, viewport, args, provider, config, budget, vision)
    )
    if args.json:
        data = report.to_dict()
        if fixed is not None:
            data["fix"] = fixed
        print(json.dumps(data, indent=2, default=str))
    else:
        print(report.text())
        if fixed is not None:
            print(f"\nfix: {fixed['notice']}")
            for check in fixed["checks"]:
                print(f"- {check['finding']}: {check['verdict']} ({check['detail']})")
    if report.stop in ("model_error", "game") and not report.findings:
        return 1
    return 1 if report.findings else 0


async def _play(project, version_id, viewport, args, provider, config, budget, vision) -> tuple:
    from studio.ai.providers import close_provider

    try:
        return await _play_and_fix(
            project, version_id, viewport, args, provider, config, budget, vision
        )
    finally:  # also when the game does not start
        await close_provider(provider)


async def _play_and_fix(
    project, version_id, viewport, args, provider, config, budget, vision
) -> tuple:
    from studio.operations.agent_playtest import AgentPlaytest
    from studio.operations.agent_runs import fix_findings, run_and_keep
    from studio.operations.generator import Generator
    from studio.sandbox.game_session import GameSession, GameStopped, replay_script

    def replayer(version: int) -> Any:
        return lambda script: replay_script(project, version, script)

    session = GameSession(project, version_id, viewport=viewport)
    try:
        try:
            await session.open()
        except GameStopped as exc:
            raise StudioError(f"version {version_id} did not start: {exc}") from None
        agent = AgentPlaytest(
            provider,
            config.effective_model,
            session,
            replayer(version_id),
            goal=args.goal,
            budget=budget,
            vision=vision,
            stream=not args.no_stream,
            temperature=config.temperature,
            project=project.name,
            version=version_id,
            on_event=_print_event,
        )
        report = await run_and_keep(project, version_id, agent)
    finally:
        session.close()
    fixed = None
    if args.fix and report.findings:
        from studio.commands.generate import Progress

        generator = Generator.from_config(project, provider, config)
        outcome, checks = await fix_findings(
            generator, version_id, report.findings, replayer, on_event=Progress(sys.stderr)
        )
        fixed = {
            "notice": outcome.notice,
            "version": outcome.version.id if outcome.version else None,
            "checks": [c.to_dict() for c in checks],
        }
    return report, fixed
