"""The AI playtester: a model plays a game through tools and reports what it found; Studio
confirms each finding by replaying its inputs. Qt-free: the CLI, the Preview and the bench
drive this same loop, each with its own game (a `GameTools`).

    run = AgentPlaytest(provider, model, game, replay, goal=..., budget=Budget(steps=30))
    report = await run.run()      # an AgentReport
    run.stop()                    # from elsewhere: ends within one step

Each turn the model gets the conversation so far and the tools (`playtester_tools`); every
call it makes runs on the game, in order, and its result goes back as a tool message
(screenshots follow as an image part, to models that take images). A call the model gets
wrong (arguments that are not JSON, an unknown tool, a bad value) is answered with what is
wrong, so it can try again. The run ends when the model calls `finish` or stops calling
tools, or at a budget (steps, tokens, money, wall clock), a Stop, a game that hangs or
crashes, or a model that repeats the same call with the same result; the report says which.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from studio.ai.errors import GenerationError
from studio.ai.prompts import load_prompt, render
from studio.ai.tokens import count_tokens
from studio.ai.tool_calls import (
    ToolArgumentsError,
    ToolCall,
    ToolTurn,
    image_message,
    tool_result_message,
)
from studio.ai.vision import is_image_refusal
from studio.errors import StudioError
from studio.operations.agent_report import (
    DEFAULT_GOAL,
    AgentEvent,
    AgentReport,
    Budget,
    StepRecord,
)
from studio.operations.playtest_findings import (
    KINDS,
    Finding,
    judge,
    judge_live,
    parse_finding_check,
)
from studio.operations.playtester_tools import (
    ACTIONS,
    describe_change,
    did_words,
    parse_action,
    state_text,
    tool_specs,
)
from studio.sandbox.game_moments import Change, Moment, Replay
from studio.sandbox.input_script import Action, InputScript

__all__ = ["AgentPlaytest", "GameTools", "ToolModel"]

log = logging.getLogger(__name__)

LOOP_LIMIT = 4  # the same call with the same result this many times in a row ends a run
IMAGES_KEPT = 2  # screenshots kept in the conversation (older ones become a line of text)
MAX_VERIFIED = 10  # findings replayed at the end
MAX_TEXT = 600


class GameTools(Protocol):
    """A game held open for the playtester (`studio.sandbox.game_session.GameSession`)."""

    game_clock: bool
    has_state: bool
    viewport: tuple[int, int]
    script: InputScript
    last: Moment | None

    async def perform(self, action: Action | None, wait: float = 0.0) -> Change: ...
    async def moment(self) -> Moment: ...
    def look(self) -> bytes: ...
    def stopped(self) -> str | None: ...
    def now(self) -> float: ...


class ToolModel(Protocol):
    """A chat provider that can call tools (`OpenAIChatProvider.tool_turn`)."""

    async def tool_turn(self, messages: list[dict[str, Any]], **options: Any) -> ToolTurn: ...


Replayer = Callable[[InputScript], Awaitable[Replay]]


class _End(Exception):
    def __init__(self, stop: str, detail: str = "") -> None:
        super().__init__(detail)
        self.stop, self.detail = stop, detail


class AgentPlaytest:
    def __init__(
        self,
        provider: ToolModel,
        model: str,
        game: GameTools,
        replay: Replayer,
        *,
        goal: str = "",
        budget: Budget | None = None,
        vision: bool = False,
        stream: bool = True,
        temperature: float | None = None,
        project: str = "",
        version: int | None = None,
        on_event: Callable[[AgentEvent], object] | None = None,
        on_screenshot: Callable[[int, bytes], str | None] | None = None,
        goal_check: Callable[[Moment], tuple[bool, str]] | None = None,
    ) -> None:
        if not callable(getattr(provider, "tool_turn", None)):
            name = getattr(provider, "name", type(provider).__name__)
            raise StudioError(
                f"the code provider {name!r} cannot call tools (it needs the OpenAI chat API)"
            )
        self.provider = provider
        self.model = model
        self.game = game
        self.replay = replay
        self.budget = budget or Budget()
        self.stream = stream
        self.temperature = temperature
        self.on_event = on_event
        self.on_screenshot = on_screenshot
        self.goal_check = goal_check  # (held, what was seen) after each action: ends the run
        self.report = AgentReport(
            project=project,
            version=version,
            model=model,
            goal=goal.strip() or DEFAULT_GOAL,
            clock="game" if game.game_clock else "real",
            vision=vision,
        )
        self.messages: list[dict[str, Any]] = []
        self.shots: dict[int, bytes] = {}  # a screenshot per finding (its index in findings)
        self._stopping = False
        self._request: asyncio.Task[ToolTurn] | None = None
        self._repeats: list[str] = []
        self._acted_before: Moment | None = None  # the moment before the last action
        self._seen_errors: set[str] = set()
        self._started = 0.0

    # -- control --------------------------------------------------------------------------

    def stop(self) -> None:
        """End the run at the next step (a request to the model is cancelled now)."""
        self._stopping = True
        if self._request is not None and not self._request.done():
            self._request.cancel()

    def _emit(self, kind: str, text: str, **extra: Any) -> None:
        if self.on_event is not None:
            self.on_event(AgentEvent(kind, text, step=self.report.turns, **extra))

    # -- the run --------------------------------------------------------------------------

    async def run(self) -> AgentReport:
        report = self.report
        self._started = time.monotonic()
        self.messages = [
            {"role": "system", "content": self._system_prompt()},
            {"role": "user", "content": self._opening()},
        ]
        nudged = False
        try:
            while True:
                self._check_budget()
                turn = await self._ask()
                self.messages.append(turn.assistant_message())
                if not turn.calls:
                    if not report.steps and not nudged:
                        nudged = True
                        self.messages.append(
                            {
                                "role": "user",
                                "content": "Use the tools to play the game, then call finish.",
                            }
                        )
                        continue
                    if not report.steps:
                        raise _End("no_tools", "it answered twice without calling a tool")
                    report.summary = report.summary or turn.text.strip()[:MAX_TEXT]
                    raise _End("finished", "it stopped calling tools")
                await self._run_calls(turn)
        except _End as end:
            report.stop, report.stop_detail = end.stop, end.detail
        report.seconds = round(time.monotonic() - self._started, 2)
        report.script = self.game.script.to_json()
        await self._verify()
        self._emit("done", report.stop_words, report=report)
        return report

    def _system_prompt(self) -> str:
        clock = (
            "The game's clock stands still between your actions: time passes only while you "
            "hold keys or wait, so take your time to think."
            if self.game.game_clock
            else "The game runs in real time, also while you think: act promptly."
        )
        look = (
            " `look()` shows you a screenshot of the game view."
            if self.report.vision
            else " You cannot see the screen: read the state and the page text."
        )
        width, height = self.game.viewport
        return render(
            load_prompt("playtester"), clock=clock, look=look, width=str(width), height=str(height)
        )

    def _opening(self) -> str:
        last = self.game.last or Moment(0.0)
        hook = (
            f"The game's state now: {state_text(last, 1500)}"
            if self.game.has_state
            else "The game has no state hook (window.studio.state)."
        )
        return f"Goal: {self.report.goal}\n\n{hook}\n\n{last.page.render()}"

    def _check_budget(self) -> None:
        report, budget = self.report, self.budget
        if self._stopping:
            raise _End("stopped")
        if report.turns >= budget.steps:
            raise _End("steps", f"{budget.steps} steps" + self._nothing_reported())
        used = report.tokens_in + report.tokens_out
        if budget.tokens is not None and used >= budget.tokens:
            raise _End("tokens", f"{used:,} of {budget.tokens:,} tokens")
        if budget.money is not None and report.cost is not None and report.cost >= budget.money:
            raise _End("money", f"{report.cost:.4f} of {budget.money:g}")
        elapsed = time.monotonic() - self._started
        if budget.seconds is not None and elapsed >= budget.seconds:
            raise _End("time", f"{elapsed:.0f} of {budget.seconds:g} s")

    def _nothing_reported(self) -> str:
        return (
            "; the model reported nothing"
            if not self.report.findings and not self.report.dismissed
            else ""
        )

    async def _ask(self) -> ToolTurn:
        """One turn of the model; a request that fails ends the run (a refused picture turns
        screenshots off and asks again)."""
        while True:
            self._emit("thinking", f"step {self.report.turns + 1}: asking {self.model}")
            self._request = asyncio.ensure_future(
                self.provider.tool_turn(
                    self.messages,
                    model=self.model,
                    tools=tool_specs(vision=self.report.vision),
                    stream=self.stream,
                    temperature=self.temperature,
                )
            )
            try:
                turn = await self._request
            except asyncio.CancelledError:
                if self._stopping:
                    raise _End("stopped") from None
                raise
            except GenerationError as error:
                if self.report.vision and is_image_refusal(error):
                    self._no_more_pictures(error)
                    continue
                raise _End("model_error", error.message) from None
            finally:
                self._request = None
            self._count(turn)
            return turn

    def _no_more_pictures(self, error: GenerationError) -> None:
        self.report.vision = False
        self._emit(
            "warning", f"{self.model} does not take images: screenshots are off ({error.message})"
        )
        for message in self.messages:
            if isinstance(message.get("content"), list):
                message["content"] = "(a screenshot: this model cannot read images)"
        self.messages.append(
            {"role": "user", "content": "Screenshots are not available: use state() and page()."}
        )

    def _count(self, turn: ToolTurn) -> None:
        report = self.report
        report.turns += 1
        if turn.usage is not None:
            report.tokens_in += turn.usage.prompt_tokens
            report.tokens_out += turn.usage.completion_tokens
        else:  # a server that does not say: counted the way requests are planned
            report.tokens_in += count_tokens(json.dumps(self.messages, default=str))
            report.tokens_out += count_tokens(
                turn.text + "".join(c.arguments_text for c in turn.calls)
            )
        price = self.budget.price
        if price is not None:
            report.cost = price.cost(report.tokens_in, report.tokens_out)

    # -- calls ----------------------------------------------------------------------------

    async def _run_calls(self, turn: ToolTurn) -> None:
        picture: tuple[str, bytes] | None = None
        ended: _End | None = None
        for call in turn.calls:
            if ended is None and self._stopping:
                ended = _End("stopped")
            if ended is not None:  # after finish, a Stop or a stopped game: answered, not run
                self.messages.append(tool_result_message(call.id, "not run: the playtest ended"))
                continue
            try:
                text, image = await self._call(call, turn)
            except _End as end:
                ended, text, image = end, end.detail or "the playtest ends", None
            self.messages.append(tool_result_message(call.id, text))
            if image is not None:
                picture = (call.id, image)
        if picture is not None and ended is None:
            self._add_picture(picture[1])
        if self.on_screenshot is not None:
            shot = self.game.look() if not self.game.stopped() else None
            if shot:
                path = self.on_screenshot(self.report.turns, shot)
                if path:
                    self.report.screenshots.append(path)
        if ended is not None:
            raise ended

    def _add_picture(self, jpeg: bytes) -> None:
        images = [m for m in self.messages if isinstance(m.get("content"), list)]
        for old in images[: max(0, len(images) - IMAGES_KEPT + 1)]:
            old["content"] = "(an earlier screenshot, left out to save room)"
        data = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()
        width, height = self.game.viewport
        self.messages.append(image_message(f"The screenshot ({width}x{height}):", data))

    async def _call(self, call: ToolCall, turn: ToolTurn) -> tuple[str, bytes | None]:
        """Run one call; (the text for the model, a screenshot)."""
        reason = turn.text.strip().splitlines()[0][:200] if turn.text.strip() else ""
        record = StepRecord(self.report.turns, call.name, {}, reason, "", self.game.now())
        image: bytes | None = None
        try:
            args = call.arguments()
            record.arguments = args
            record.reason = str(args.get("reason") or reason)[:200]
            text, image = await self._dispatch(call.name, args)
        except (ToolArgumentsError, StudioError) as exc:
            text, record.error = f"error: {exc}. Call it again with correct arguments.", True
        except _End as end:
            record.result = end.detail or "the playtest ends"
            self._step(record)
            raise
        record.result, record.game_time = text, self.game.now()
        self._step(record)
        self._watch_loop(call, text)
        return text, image

    def _step(self, record: StepRecord) -> None:
        self.report.steps.append(record)
        self._emit(
            "step",
            f"{record.tool}: {record.result.splitlines()[0] if record.result else ''}",
            record=record,
        )

    def _watch_loop(self, call: ToolCall, result: str) -> None:
        signature = f"{call.name} {call.arguments_text.strip()} -> {result}"
        self._repeats = [*self._repeats[-(LOOP_LIMIT - 1) :], signature]
        if len(self._repeats) == LOOP_LIMIT and len(set(self._repeats)) == 1:
            raise _End(
                "looping", f"it called {call.name} {LOOP_LIMIT} times in a row and nothing changed"
            )

    async def _dispatch(self, name: str, args: dict[str, Any]) -> tuple[str, bytes | None]:
        game = self.game
        if name in ACTIONS:
            action, wait = parse_action(name, args, game.viewport)
            change = await game.perform(action, wait)
            if action is not None:
                self._acted_before = change.before
            self._studio_findings(change)
            text = describe_change(change, did_words(change.action or action, wait, game.viewport))
            if change.stopped:
                raise _End("game", change.stopped)
            if self.goal_check is not None:
                held, seen = self.goal_check(change.after)
                if held:
                    self.report.goal_reached = True
                    raise _End("goal", seen)
            return text, None
        if name == "state":
            if not game.has_state:
                return "this game has no window.studio.state(): use page()" + (
                    " or look()" if self.report.vision else ""
                ), None
            moment = await game.moment()
            return f"game time {moment.game_time:.2f} s\n{state_text(moment)}", None
        if name == "page":
            return (await game.moment()).page.render(), None
        if name == "look" and self.report.vision:
            return "the screenshot follows", game.look()
        if name == "report":
            return self._report(args), None
        if name == "finish":
            self.report.summary = str(args.get("summary") or "")[:MAX_TEXT]
            reached = args.get("goal_reached")
            self.report.goal_reached = reached if isinstance(reached, bool) else None
            raise _End("finished")
        raise StudioError(f"there is no tool {name!r}")

    # -- findings -------------------------------------------------------------------------

    def _report(self, args: dict[str, Any]) -> str:
        kind = str(args.get("kind") or "")
        if kind not in KINDS:
            raise StudioError(f"kind must be one of {', '.join(KINDS)}")
        title = str(args.get("title") or "").strip()
        if not title:
            raise StudioError("a report needs a title")
        check = args.get("check") or None
        if check is not None:
            parse_finding_check(check)
        finding = Finding(
            kind=kind,
            title=title[:200],
            steps=str(args.get("steps") or "")[:MAX_TEXT],
            expected=str(args.get("expected") or "")[:MAX_TEXT],
            actual=str(args.get("actual") or "")[:MAX_TEXT],
            check=dict(check) if check else None,
            script=self.game.script.until(self.game.now()).to_json(),
            game_time=self.game.now(),
        )
        if check is not None and self.game.last is not None:
            there, finding.seen = judge_live(check, self._acted_before, self.game.last)
            if not there:
                self.report.dismissed.append(finding)
                return (
                    f"Studio checked: {finding.seen}. That holds now, so it is not recorded "
                    "as a problem."
                )
        return self._add_finding(finding)

    def _add_finding(self, finding: Finding) -> str:
        known = {(f.kind, f.title) for f in self.report.findings}
        if (finding.kind, finding.title) in known:
            return "Already recorded."
        self.report.findings.append(finding)
        if not self.game.stopped():
            self.shots[len(self.report.findings) - 1] = self.game.look()
        self._emit("finding", finding.headline(), finding=finding)
        number = len(self.report.findings)
        return f"Recorded as finding {number}; Studio will replay your inputs to confirm it."

    def _studio_findings(self, change: Change) -> None:
        """What Studio saw itself: new errors, a hang, a crash."""
        script = self.game.script.until(self.game.now()).to_json()
        for error in change.errors:
            message = str(error.get("message", "")).strip()
            if not message or message in self._seen_errors:
                continue
            self._seen_errors.add(message)
            where = f" ({error['source']}:{error['line']})" if error.get("source") else ""
            self._add_finding(
                Finding(
                    kind="crash",
                    title=message[:200],
                    expected="no errors",
                    actual=f"{message}{where}"[:MAX_TEXT],
                    by="studio",
                    check={"no_error": message[:300]},
                    script=script,
                    game_time=self.game.now(),
                    seen=f"logged at {self.game.now():.2f} s",
                )
            )
        if change.stopped:
            hung = "responding" in change.stopped
            self._add_finding(
                Finding(
                    kind="stuck" if hung else "crash",
                    title="the game stopped responding" if hung else "the game crashed",
                    expected="the game keeps running",
                    actual=change.stopped,
                    by="studio",
                    check={"keeps_running": True},
                    script=script,
                    game_time=self.game.now(),
                    seen=change.stopped,
                )
            )

    async def _verify(self) -> None:
        """Replay each finding's inputs on the same version: one whose check holds again is
        dismissed; the others stay, confirmed or not checkable."""
        kept: list[Finding] = []
        shots: dict[int, bytes] = {}
        findings = self.report.findings
        for index, finding in enumerate(findings):
            if index >= MAX_VERIFIED:
                finding.replay = "not replayed (too many findings)"
            else:
                self._emit(
                    "checking",
                    f"replaying finding {index + 1} of {min(len(findings), MAX_VERIFIED)}",
                )
                try:
                    replay = await self.replay(InputScript.from_json(finding.script))
                    finding.confirmed, finding.replay = judge(finding, replay)
                except StudioError as exc:
                    finding.confirmed, finding.replay = None, f"it could not be replayed: {exc}"
            if finding.confirmed is False:
                self.report.dismissed.append(finding)
                continue
            if index in self.shots:
                shots[len(kept)] = self.shots[index]
            kept.append(finding)
        self.report.findings, self.shots = kept, shots
