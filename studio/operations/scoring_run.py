"""Running a bench: every task of a suite with every model, `repeat` times. Qt-free.

For each task × model × repeat (a *unit*) the runner

1. creates a project in the out folder (from the task's template or start folder, with its
   assets), so every game made is a real project to open later;
2. sends the task's prompt through the same operation as the Chat panel
   (`studio.operations.generator.Generator`), with a check that plays the new version: when it
   shows errors, one automatic fix follows (at most once per prompt, never chained);
3. plays the resulting version by the step's plan and judges the step's checks;
4. does the same for each follow-up prompt, on top of the previous version;
5. writes the unit's result to `results/<unit>.json` at once, so a run can be resumed.

Units run `jobs` at a time; playtests are limited separately by the player. A game that
hangs or crashes fails its checks and the bench goes on; a unit that could not be run
(the service refused, the bench itself failed) is recorded as "error", not counted, and
run again by `--resume`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from studio.ai.context import TokenBudget
from studio.ai.providers import ChatProvider
from studio.ai.vision import takes_images
from studio.config.resources import resource_path
from studio.core.store import Project
from studio.core.templates import Template, load_template
from studio.errors import StudioError
from studio.operations.agent_checks import agent_verdict, goal_check
from studio.operations.agent_playtest import AgentPlaytest, GameTools
from studio.operations.agent_report import Budget
from studio.operations.generator import Generator
from studio.operations.outcomes import Outcome
from studio.operations.projects import new_project, read_source
from studio.sandbox.game_moments import Replay
from studio.sandbox.input_script import InputScript
from studio.scoring.checks import Check
from studio.scoring.evaluate import CheckResult, evaluate_all, reaction
from studio.scoring.observe import Observation
from studio.scoring.plan import Plan, Timing, build_plan
from studio.scoring.results import (
    INFRA_ERRORS,
    BenchRun,
    GenRecord,
    OutDir,
    PlayRecord,
    StepResult,
    UnitResult,
    summarise,
    unit_id,
)
from studio.scoring.suite import Price, Suite, Task

__all__ = ["Bench", "BenchConfig", "BenchEvent", "Player"]

log = logging.getLogger(__name__)

STATE_TEXT_LIMIT = 600


class Player(Protocol):
    async def play(
        self, project: Project, version_id: int, plan: Plan, shots: Path, name: str
    ) -> Observation: ...

    async def open_game(
        self, project: Project, version_id: int, viewport: tuple[int, int]
    ) -> GameTools:
        """A game held open for the AI playtester (agent checks); StudioError if it won't."""
        ...

    async def replay(self, project: Project, version_id: int, script: InputScript) -> Replay: ...


@dataclass
class BenchConfig:
    models: list[str]
    repeat: int = 1
    jobs: int = 2
    resume: bool = False
    tasks: list[str] | None = None  # only these task ids
    seconds: float | None = None  # playtest length, instead of the suite's
    timing: Timing = field(default_factory=Timing)
    temperature: float | None = None
    max_tokens: int | None = None
    budget: TokenBudget | None = None  # None: planned from the model's context window
    context_window: int | None = None  # Settings' number for the model, if any
    prices: dict[str, Price] = field(default_factory=dict)
    provider: str = ""  # what the report says the models were reached through
    base_url: str = ""
    agent_model: str | None = None  # who plays agent checks (None: the model under test)
    agent_seconds: float = 300.0  # wall-clock limit of one agent check


@dataclass
class BenchEvent:
    """Progress: `kind` is "start", "unit", "step", "unit_done", "warning" or "done"."""

    kind: str
    text: str
    done: int = 0
    total: int = 0
    unit: str | None = None
    result: UnitResult | None = None


class _StepPlayer:
    """The automatic fix's player (a `studio.operations.autofix.VersionPlayer`) for one step
    of a task: it plays a version with the step's input plan and keeps what it saw."""

    def __init__(self, bench: Bench, project: Project, plan: Plan, uid: str) -> None:
        self.bench, self.project, self.plan, self.uid = bench, project, plan, uid
        self.played: dict[int, Observation] = {}

    async def play_for_errors(self, version_id: int) -> list[dict]:
        obs = await self.bench._play(self.project, version_id, self.plan, self.uid)
        self.played[version_id] = obs
        return obs.errors()


class _NotRun(Exception):
    """The service failed (not the model): the unit is recorded as not run."""


def _builtin_template(name: str) -> Template:
    folder = resource_path("templates", name)
    if not (folder / "template.json").is_file():
        raise StudioError(f"no template named {name!r}")
    return load_template(folder)


def _gen_record(outcome: Outcome) -> GenRecord:
    result = outcome.result
    record = GenRecord(
        status=outcome.status,
        error=None if outcome.ok else outcome.notice,
        error_kind=outcome.error_kind,
        version=outcome.version.id if outcome.version else None,
    )
    if result is not None:
        record.ttft = result.ttft
        record.total_time = round(result.total_time, 3)
        record.tokens_in = result.usage.prompt_tokens
        record.tokens_out = result.usage.completion_tokens
        record.retried = result.retried
        record.edits_applied = len(result.applied)
        record.edits_failed = len(result.failed)
        record.files_written = len(set(result.written))
    return record


def _state_text(value: Any) -> str:
    import json

    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= STATE_TEXT_LIMIT else text[: STATE_TEXT_LIMIT - 1] + "…"


def _not_run(check: Check, why: str) -> dict[str, Any]:
    return CheckResult(check.kind, check.label, False, why).to_dict()


class Bench:
    """One bench run (see the module doc). `run()` returns what it wrote."""

    def __init__(
        self,
        suite: Suite,
        out: OutDir,
        provider: ChatProvider,
        player: Player,
        config: BenchConfig,
        *,
        templates: Callable[[str], Template] | None = None,
        on_event: Callable[[BenchEvent], object] | None = None,
    ) -> None:
        if not config.models:
            raise StudioError("no model to bench: give --model NAME (or list models in the suite)")
        if config.repeat < 1:
            raise StudioError("--repeat must be at least 1")
        self.suite = suite
        self.out = out
        self.provider = provider
        self.player = player
        self.config = config
        self.templates = templates or _builtin_template
        self.on_event = on_event
        self.tasks = self._chosen_tasks()
        self.done = 0
        self.total = 0
        # Set when the run is cancelled. A generation turns a cancellation into a
        # "cancelled" outcome (and a check's playtest into none) instead of raising, so
        # units look here to stop rather than record a stopped task as a failed one.
        self.stopping = False

    # -- what to run ---------------------------------------------------------------------

    def _chosen_tasks(self) -> list[Task]:
        if not self.config.tasks:
            return list(self.suite.tasks)
        return [self.suite.task(t) for t in dict.fromkeys(self.config.tasks)]

    def units(self) -> list[tuple[Task, str, int]]:
        """Every task × model × repeat, models interleaved so a stopped run stays fair."""
        return [
            (task, model, repeat)
            for repeat in range(1, self.config.repeat + 1)
            for task in self.tasks
            for model in self.config.models
        ]

    def _emit(self, kind: str, text: str, **extra: Any) -> None:
        if self.on_event is not None:
            self.on_event(BenchEvent(kind, text, self.done, self.total, **extra))

    # -- the run -------------------------------------------------------------------------

    async def run(self) -> BenchRun:
        meta = {
            "suite": self.suite.name,
            "suite_path": str(self.suite.path),
            "suite_digest": self.suite.digest,
            "models": list(self.config.models),
            "repeat": self.config.repeat,
            "provider": self.config.provider,
            "base_url": self.config.base_url,
            "started": _dt.datetime.now().isoformat(timespec="seconds"),
        }
        warnings = await asyncio.to_thread(self.out.prepare, meta, resume=self.config.resume)
        for warning in warnings:
            self._emit("warning", warning)
        units = self.units()
        todo = []
        skipped = 0
        for task, model, repeat in units:
            done = self.out.load(unit_id(task.id, model, repeat)) if self.config.resume else None
            if done is not None and done.counted:
                skipped += 1
            else:
                todo.append((task, model, repeat))
        self.total = len(todo)
        self._emit(
            "start",
            f"{len(todo)} to run"
            + (f", {skipped} already done" if skipped else "")
            + f" ({len(self.tasks)} tasks × {len(self.config.models)} models"
            + (f" × {self.config.repeat} repeats" if self.config.repeat > 1 else "")
            + ")",
        )
        limit = asyncio.Semaphore(max(1, self.config.jobs))

        async def one(task: Task, model: str, repeat: int) -> None:
            async with limit:
                result = await self._unit(task, model, repeat)
                await asyncio.to_thread(self.out.save, result)
                self.done += 1
                verdict = (
                    "passed" if result.passed else ("not run" if not result.counted else "failed")
                )
                self._emit(
                    "unit_done",
                    f"{result.unit}: {verdict} ({result.checks_passed}/{result.checks_total} "
                    "checks)" + (f" – {result.error}" if result.error else ""),
                    unit=result.unit,
                    result=result,
                )

        jobs = [asyncio.ensure_future(one(*u)) for u in todo]
        try:
            await asyncio.gather(*jobs)
        except BaseException:
            self.stopping = True
            raise
        finally:
            for job in jobs:
                job.cancel()  # again, now that `stopping` says why
            with contextlib.suppress(BaseException):
                await asyncio.gather(*jobs, return_exceptions=True)
        run = await asyncio.to_thread(self.write_outputs)
        run.ran, run.skipped = len(todo), skipped
        self._emit("done", f"report: {run.files.get('html')}")
        return run

    def write_outputs(self) -> BenchRun:
        """Summarise every result in the out folder and write JSON, CSV and HTML."""
        from studio.scoring.report import write_reports

        meta = self.out.read_meta() or {}
        models = list(dict.fromkeys([*meta.get("models", []), *self.config.models]))
        order = {t.id: i for i, t in enumerate(self.suite.tasks)}
        rank = {m: i for i, m in enumerate(models)}
        results = sorted(
            self.out.load_all(),
            key=lambda r: (order.get(r.task, len(order)), r.task, r.repeat, rank.get(r.model, 99)),
        )
        models += [r.model for r in results if r.model not in models]
        prices = {**self.suite.prices, **self.config.prices}
        summaries = summarise(results, models, prices)
        run = BenchRun(self.out.path, results, summaries, models)
        run.files = write_reports(run, self.suite, self.out, meta, prices)
        return run

    # -- one unit ------------------------------------------------------------------------

    def _new_project(self, task: Task, path: Path, name: str) -> Project:
        if path.exists():  # left by a run that stopped before this unit finished
            shutil.rmtree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        template = self.templates(task.template) if task.template else None
        project = new_project(path, template)
        try:
            project.set_meta("name", name)
            if task.start is not None:
                project.commit(
                    read_source(task.start),
                    parent=None,
                    kind="import",
                    meta={"label": f"bench start: {task.start.name}"},
                )
            for asset in task.assets:
                project.add_asset(asset.name, asset)
        except BaseException:
            project.close()
            raise
        return project

    async def _unit(self, task: Task, model: str, repeat: int) -> UnitResult:
        uid = unit_id(task.id, model, repeat)
        result = UnitResult(
            uid, task.id, model, repeat, title=task.title, kind=task.kind, started=time.time()
        )
        began = time.monotonic()
        self._emit("unit", f"{uid}: starting", unit=uid)
        path = self.out.project_path(uid)
        try:
            project = await asyncio.to_thread(self._new_project, task, path, uid)
        except (StudioError, OSError) as exc:
            result.status, result.error = "error", f"could not make the project: {exc}"
            return result
        result.project = self.out.relative(project.path)
        try:
            await self._steps(task, model, project, result)
        except _NotRun as exc:
            result.status, result.error = "error", str(exc)
        except Exception as exc:  # a bench bug must not stop the other units
            log.exception("bench unit %s failed", uid)
            result.status, result.error = "error", f"the bench failed: {exc!r}"
        finally:
            await asyncio.to_thread(project.close)
        result.elapsed = round(time.monotonic() - began, 2)
        return result

    def _plan(self, task: Task, checks: Sequence[Check]) -> Plan:
        kinds = {c.kind for c in checks if c.kind != "state"}
        extra = [c for c in self.suite.every_step if c.kind == "state" or c.kind not in kinds]
        return build_plan(
            [*extra, *checks],
            seconds=self.config.seconds or task.seconds or self.suite.seconds,
            viewport=task.viewport or self.suite.viewport,
            timing=self.config.timing,
            keys=self.suite.keys,
            taps=self.suite.taps,
        )

    def _go_on(self) -> None:
        if self.stopping:
            raise asyncio.CancelledError

    async def _play(self, project: Project, version: int, plan: Plan, uid: str) -> Observation:
        self._go_on()
        self._emit("step", f"{uid}: playing version {version}", unit=uid)
        try:
            return await self.player.play(
                project, version, plan, self.out.shots, f"{uid}-v{version}"
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # counted against the game, and the bench goes on
            log.exception("playing %s v%s failed", uid, version)
            report = {"loaded": False, "crashed": True, "crash_reason": f"playtest failed: {exc}"}
            return Observation(report)

    def _play_record(self, obs: Observation, plan: Plan) -> PlayRecord:
        keys = reaction(obs, plan.generic("keys"))
        taps = reaction(obs, plan.generic("taps"))
        first, last = obs.first_state(), obs.last_state()
        return PlayRecord(
            loaded=obs.loaded,
            load_errors=obs.load_errors[:5],
            console_errors=obs.console_errors[:5],
            errors_total=len(obs.load_errors) + len(obs.console_errors),
            animated=obs.animated,
            reacts_keys=keys.reacted,
            reacts_taps=taps.reacted,
            keys_detail=keys.detail,
            taps_detail=taps.detail,
            has_hook=obs.has_hook,
            hung=obs.hung,
            crashed=obs.crashed,
            crash_reason=obs.report.get("crash_reason"),
            fps=obs.report.get("fps"),
            seconds=float(obs.report.get("seconds") or 0.0),
            start_state=_state_text(first.state if first else None),
            end_state=_state_text(last.state if last else None),
            screenshot=self.out.relative(obs.screenshot),
            thumbnail=self.out.relative(obs.thumbnail),
            phone_screenshot=self.out.relative(obs.phone.screenshot if obs.phone else None),
        )

    async def _steps(self, task: Task, model: str, project: Project, result: UnitResult) -> None:
        uid = result.unit
        generator = Generator(
            project,
            self.provider,
            model,
            temperature=self.config.temperature
            if self.config.temperature is not None
            else self.suite.temperature,
            max_tokens=self.config.max_tokens,
            budget=self.config.budget,
            context_window=self.config.context_window,
        )
        previous: Observation | None = None
        first_failed = False
        for index, step in enumerate(task.steps):
            record = StepResult(index, step.prompt, followup=step.followup, kind=step.kind)
            result.steps.append(record)
            plan = self._plan(task, step.checks)
            made = "edit applied" if step.followup else "made a game"
            if first_failed:
                record.skipped = True
                why = "not run: the first prompt made no game"
                record.checks = [
                    CheckResult("generated", made, False, why).to_dict(),
                    *[_not_run(c, why) for c in plan.checks],
                ]
                continue
            player = _StepPlayer(self, project, plan, uid)

            what = "follow-up " + str(index) if step.followup else "prompt"
            self._emit("step", f"{uid}: generating ({what})", unit=uid)
            self._go_on()
            outcome = await generator.generate(
                step.prompt, check=lambda version, p=player: p.play_for_errors(version.id)
            )
            if outcome.status == "cancelled" or (
                outcome.auto_fix is not None and outcome.auto_fix.status == "cancelled"
            ):
                self.stopping = True  # only a stopped run cancels a generation
            self._go_on()
            record.generation = _gen_record(outcome)
            self._refuse_infra(outcome)
            final = outcome.version
            fix = outcome.auto_fix
            if fix is not None and fix.status != "skipped":
                self._refuse_infra(fix)
                record.fix = _gen_record(fix)
                first = player.played.get(outcome.version.id) if outcome.version else None
                if first is not None:
                    record.first_play = self._play_record(first, plan)
                    record.fix_errors = [str(e.get("message", ""))[:200] for e in first.errors()][
                        :5
                    ]
                if fix.version is not None:
                    final = fix.version
            if final is None:
                why = outcome.notice or "no version was made"
                unplayed = "not played: " + (
                    "the edit did not apply" if step.followup else "no game was made"
                )
                record.checks = [
                    CheckResult("generated", made, False, why).to_dict(),
                    *[_not_run(c, unplayed) for c in plan.checks],
                ]
                first_failed = index == 0
                continue
            obs = player.played.get(final.id) or await self._play(project, final.id, plan, uid)
            await self._agents(project, final.id, plan, obs, uid, model)
            record.version = final.id
            record.play = self._play_record(obs, plan)
            retried = outcome.result is not None and outcome.result.retried
            detail = outcome.notice + (" (after asking again)" if retried else "")
            record.checks = [
                CheckResult("generated", made, True, detail).to_dict(),
                *[c.to_dict() for c in evaluate_all(plan, obs, previous)],
            ]
            previous = obs

    async def _agents(
        self, project: Project, version: int, plan: Plan, obs: Observation, uid: str, model: str
    ) -> None:
        """Agent checks: the AI playtester tries each goal on the version."""
        for index, check in enumerate(plan.checks):
            if check.kind != "agent":
                continue
            if not obs.loaded or obs.hung or obs.crashed:
                obs.agents[index] = {"passed": False, "detail": "the game did not run"}
                continue
            self._go_on()
            self._emit("step", f"{uid}: the AI playtester tries “{check.goal}”", unit=uid)
            name = f"{uid}-v{version}-agent{index + 1}"
            obs.agents[index] = await self._agent(project, version, plan, check, name, model)

    async def _agent(
        self, project: Project, version: int, plan: Plan, check: Check, name: str, model: str
    ) -> dict[str, Any]:
        player_model = self.config.agent_model or model
        prices = {**self.suite.prices, **self.config.prices}

        def keep(turn: int, jpeg: bytes) -> str | None:
            path = self.out.shots / f"{name}-{turn}.jpg"
            path.write_bytes(jpeg)
            return self.out.relative(path)

        try:
            game = await self.player.open_game(project, version, plan.viewport)
        except StudioError as exc:
            return {"passed": False, "detail": f"the game did not start: {exc}"}
        try:
            agent = AgentPlaytest(
                self.provider,
                player_model,
                game,
                lambda script: self.player.replay(project, version, script),
                goal=check.goal,
                budget=Budget(
                    steps=check.agent_steps,
                    seconds=self.config.agent_seconds,
                    price=prices.get(player_model),
                ),
                vision=takes_images(player_model),
                project=project.name,
                version=version,
                on_screenshot=keep,
                goal_check=goal_check(check) if check.conditions else None,
            )
            report = await agent.run()
        except StudioError as exc:
            return {"passed": False, "detail": str(exc)}
        finally:
            game.close()
        return agent_verdict(check, report)

    @staticmethod
    def _refuse_infra(outcome: Outcome) -> None:
        if outcome.status == "error" and outcome.error_kind in INFRA_ERRORS:
            raise _NotRun(outcome.notice)
