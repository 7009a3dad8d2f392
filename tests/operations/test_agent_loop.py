"""The AI playtester's loop, Qt-free: a scripted model on the real chat server (tool calls
streamed in pieces, parallel, malformed) plays a small simulated game. Budgets, Stop,
loops, a model that never uses the tools, screenshots for models that take images, and
findings that are confirmed or dismissed by replaying them."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest

from studio.ai.chat_provider import OpenAIChatProvider
from studio.operations.agent_playtest import AgentPlaytest
from studio.operations.agent_report import Budget
from studio.sandbox.game_moments import Change, Moment, PageText, Replay
from studio.sandbox.input_script import Action, InputScript
from studio.scoring.suite import Price
from studio.testing.servers.chat import TEST_API_KEY, ChatServer, Scripted
from studio.testing.servers.chat import ScriptedCall as Call

JPEG = b"\xff\xd8\xff\xe0fake-jpeg"


class SimGame:
    """A game in Python: ArrowRight walks 100 px/s, Space scores a point unless
    `broken_space`, ArrowLeft raises an error; the clock is a game clock."""

    game_clock = True
    has_state = True
    viewport = (800, 600)

    def __init__(self, *, broken_space: bool = False) -> None:
        self.broken_space = broken_space
        self.script = InputScript()
        self.x, self.score, self.t = 0.0, 0, 0.0
        self.last: Moment | None = self._moment()
        self.performed = 0

    def _moment(self) -> Moment:
        state = {"x": round(self.x), "score": self.score}
        return Moment(
            round(self.t, 4), state, None, PageText("Sim", (800, 600), ("canvas 800x600 at 0,0",))
        )

    def _apply(self, action: Action) -> list[dict]:
        if "ArrowRight" in action.keys:
            self.x += 100 * action.hold
        if "Space" in action.keys and not self.broken_space:
            self.score += 1
        self.t += action.duration
        return (
            [{"message": "TypeError: left is broken", "source": "index.html", "line": 3}]
            if "ArrowLeft" in action.keys
            else []
        )

    async def perform(self, action: Action | None, wait: float = 0.0) -> Change:
        self.performed += 1
        before, errors = self.last, []
        if action is None:
            self.t += wait
        else:
            action = replace(action, at=self.now())
            errors = self._apply(action)
            self.script.add(action)
        self.script.length = max(self.script.length, self.now())
        self.last = self._moment()
        return Change(action, before, self.last, picture=0.1, errors=errors)

    async def moment(self) -> Moment:
        return self._moment()

    def look(self) -> bytes:
        return JPEG

    def stopped(self) -> str | None:
        return None

    def now(self) -> float:
        return round(self.t, 4)


def replayer(*, broken_space: bool):
    async def replay(script: InputScript) -> Replay:
        game = SimGame(broken_space=broken_space)
        before, errors = game.last, []
        for action in script.actions:
            before = game._moment()
            game.t = action.at
            errors += game._apply(action)
        game.t = script.length
        return Replay(before, game._moment(), errors=errors)

    return replay


@pytest.fixture
async def provider(studio_chat_server: ChatServer):
    made = OpenAIChatProvider(base_url=studio_chat_server.base_url, api_key=TEST_API_KEY, timeout=5)
    yield made
    await made.aclose()


def agent(provider, game=None, **options) -> AgentPlaytest:
    game = game or SimGame()
    options.setdefault("budget", Budget(steps=10))
    return AgentPlaytest(
        provider, "test-model", game, replayer(broken_space=game.broken_space), **options
    )


def press(keys, ms=500, **extra) -> Call:
    return Call("press", {"keys": keys, "hold_ms": ms, **extra})


FINISH = Scripted.calls(Call("finish", {"summary": "played", "goal_reached": True}))


def tool_messages(server: ChatServer, request: int) -> list[dict]:
    return [m for m in server.chat_requests[request].body["messages"] if m["role"] == "tool"]


async def test_parallel_calls_run_in_order_and_each_gets_its_answer(
    studio_chat_server, provider
) -> None:
    studio_chat_server.script(
        Scripted.calls(
            press(["ArrowRight"], reason="walk"), Call("state", {}), text="Walk, then look."
        ),
        FINISH,
    )
    game = SimGame()
    report = await agent(provider, game).run()
    assert report.stop == "finished" and report.summary == "played" and report.goal_reached
    assert [s.tool for s in report.steps] == ["press", "state", "finish"]
    assert report.steps[0].reason == "walk" and report.steps[1].reason == "Walk, then look."
    answers = tool_messages(studio_chat_server, 1)
    assert [a["tool_call_id"] for a in answers] == ["call_1", "call_2"]
    assert "x 0 → 50" in answers[0]["content"] and '"x": 50' in answers[1]["content"]
    assert report.script[1] == {"at": 0.0, "key": "ArrowRight", "hold": 0.5}
    assert report.turns == 2 and report.tokens_in == 24 and report.tokens_out == 68


async def test_a_malformed_call_is_answered_with_what_is_wrong(
    studio_chat_server, provider
) -> None:
    studio_chat_server.script(
        Scripted.calls(Call("press", '{"keys": ["Space"], "hold_ms": 2'), Call("jump", {})),
        Scripted.calls(press(["Hyper"])),
        Scripted.calls(press(["Space"])),
        FINISH,
    )
    report = await agent(provider).run()
    first = tool_messages(studio_chat_server, 1)
    assert "not valid JSON" in first[0]["content"] and "Call it again" in first[0]["content"]
    assert "there is no tool 'jump'" in first[1]["content"]
    assert "unknown key 'Hyper'" in tool_messages(studio_chat_server, 2)[-1]["content"]
    assert [s.error for s in report.steps] == [True, True, True, False, False]
    assert report.stop == "finished"


@pytest.mark.parametrize(
    ("budget", "stop", "words"),
    [
        (
            Budget(steps=3),
            "steps",
            "the step limit was reached: 3 steps; the model reported nothing",
        ),
        (Budget(tokens=100), "tokens", "the token limit was reached: 138 of 100 tokens"),
        (
            Budget(money=0.01, price=Price(100.0, 100.0)),  # $0.0046 a turn
            "money",
            "the money limit was reached: 0.0138 of 0.01",
        ),
    ],
)
async def test_budgets_stop_the_run_and_say_which(
    studio_chat_server, provider, budget, stop, words
) -> None:
    studio_chat_server.script(*[Scripted.calls(press(["ArrowRight"], 100 + i)) for i in range(12)])
    report = await agent(provider, budget=budget).run()
    assert report.stop == stop and report.turns == 3  # 46 tokens a turn
    assert report.stop_words == words


async def test_the_wall_clock_limit(studio_chat_server, provider) -> None:
    studio_chat_server.script(
        *[Scripted.calls(press(["Space"], 100 + i), delay=0.3) for i in range(10)]
    )
    report = await agent(provider, budget=Budget(seconds=0.5)).run()
    assert report.stop == "time" and 1 <= report.turns <= 3
    assert "of 0.5 s" in report.stop_detail


async def test_stop_ends_a_waiting_request_at_once(studio_chat_server, provider) -> None:
    studio_chat_server.script(Scripted.calls(press(["Space"])), Scripted(hang=True))
    run = agent(provider)
    task = asyncio.ensure_future(run.run())
    while len(studio_chat_server.chat_requests) < 2:
        await asyncio.sleep(0.01)
    run.stop()
    report = await asyncio.wait_for(task, 3)
    assert report.stop == "stopped" and report.stop_words == "stopped by you"
    assert report.turns == 1


async def test_stop_during_a_turn_ends_it_after_the_current_call(
    studio_chat_server, provider
) -> None:
    game = SimGame()
    run = agent(provider, game)
    real = game.perform

    async def perform_then_stop(action, wait=0.0):
        run.stop()  # the person presses Stop while this action runs
        return await real(action, wait)

    game.perform = perform_then_stop
    studio_chat_server.script(
        Scripted.calls(press(["Space"]), press(["Space"]), press(["Space"])), FINISH
    )
    report = await run.run()
    assert report.stop == "stopped" and game.performed == 1
    assert [m["content"] for m in tool_messages(studio_chat_server, 0)] == []
    assert len(studio_chat_server.chat_requests) == 1


async def test_a_model_that_repeats_itself_is_stopped(studio_chat_server, provider) -> None:
    studio_chat_server.script(*[Scripted.calls(Call("state", {})) for _ in range(8)])
    report = await agent(provider).run()
    assert report.stop == "looping" and report.turns == 4
    assert "called state 4 times in a row and nothing changed" in report.stop_words


async def test_a_model_that_never_uses_the_tools(studio_chat_server, provider) -> None:
    studio_chat_server.script(Scripted.text("The game looks fun!"), Scripted.text("Really fun."))
    report = await agent(provider).run()
    assert report.stop == "no_tools" and report.turns == 2
    nudge = studio_chat_server.chat_requests[1].body["messages"][-1]
    assert nudge["role"] == "user" and "Use the tools" in nudge["content"]


async def test_a_model_error_ends_the_run_with_its_words(studio_chat_server, provider) -> None:
    studio_chat_server.script(Scripted.fail(401, "bad key"))
    report = await agent(provider).run()
    assert report.stop == "model_error" and "refused the API key" in report.stop_detail


async def test_screenshots_go_as_image_parts_to_a_model_that_takes_images(
    studio_chat_server, provider
) -> None:
    studio_chat_server.script(*[Scripted.calls(Call("look", {})) for _ in range(3)], FINISH)
    report = await agent(provider, vision=True).run()
    assert report.vision and report.stop == "finished"
    names = [t["function"]["name"] for t in studio_chat_server.chat_requests[0].body["tools"]]
    assert "look" in names
    messages = studio_chat_server.chat_requests[3].body["messages"]
    pictures = [m for m in messages if isinstance(m["content"], list)]
    assert len(pictures) == 2  # older screenshots leave the conversation
    part = pictures[-1]["content"][1]
    assert part["type"] == "image_url" and part["image_url"]["url"].startswith(
        "data:image/jpeg;base64,"
    )
    # after the tool answers of the turn: a tool message may carry text only
    assert messages[-1] is pictures[-1] and messages[-2]["role"] == "tool"


async def test_a_text_only_model_gets_no_look_and_a_refusal_turns_pictures_off(provider) -> None:
    with ChatServer(text_only=("test-model",)) as server:
        text_only = OpenAIChatProvider(base_url=server.base_url, api_key=TEST_API_KEY, timeout=5)
        server.script(Scripted.calls(Call("look", {})), Scripted.calls(Call("state", {})), FINISH)
        events = []
        report = await agent(text_only, vision=True, on_event=events.append).run()
        await text_only.aclose()
    assert not report.vision and report.stop == "finished"
    assert any(e.kind == "warning" and "does not take images" in e.text for e in events)
    last = server.chat_requests[-1].body
    assert "look" not in [t["function"]["name"] for t in last["tools"]]
    assert not any(isinstance(m["content"], list) for m in last["messages"])
    assert [s.tool for s in report.steps] == ["look", "state", "finish"]


def report_call(check: dict | None, kind: str = "control_does_nothing") -> Call:
    args = {
        "kind": kind,
        "title": "Space does nothing",
        "expected": "a point",
        "actual": "no point",
    }
    return Call("report", {**args, **({"check": check} if check else {})})


async def test_a_finding_is_kept_only_when_its_check_fails_and_the_replay_agrees(
    studio_chat_server, provider
) -> None:
    check = {"state": "score", "increases": True}
    studio_chat_server.script(Scripted.calls(press(["Space"]), report_call(check)), FINISH)
    broken = await agent(provider, SimGame(broken_space=True)).run()
    assert [f.title for f in broken.findings] == ["Space does nothing"]
    finding = broken.findings[0]
    assert finding.confirmed is True and "score went from 0 to 0" in finding.replay
    assert InputScript.from_json(finding.script).actions[0].keys == ("Space",)

    studio_chat_server.script(Scripted.calls(press(["Space"]), report_call(check)), FINISH)
    working = await agent(provider, SimGame()).run()
    assert working.findings == [] and [f.title for f in working.dismissed] == ["Space does nothing"]
    answer = tool_messages(studio_chat_server, 3)[-1]["content"]
    assert "Studio checked: score: 0 → 1" in answer and "not recorded" in answer


async def test_a_bad_check_is_refused_and_a_finding_without_one_is_kept_unchecked(
    studio_chat_server, provider
) -> None:
    studio_chat_server.script(
        Scripted.calls(report_call({"state": "score"})),
        Scripted.calls(report_call(None, "too_hard")),
        FINISH,
    )
    report = await agent(provider).run()
    assert "has no condition" in tool_messages(studio_chat_server, 1)[0]["content"]
    assert [(f.kind, f.confirmed) for f in report.findings] == [("too_hard", None)]


async def test_errors_the_game_logs_become_findings_of_studio(studio_chat_server, provider) -> None:
    studio_chat_server.script(Scripted.calls(press(["ArrowLeft"])), FINISH)
    report = await agent(provider).run()
    (finding,) = report.findings
    assert finding.by == "studio" and finding.kind == "crash" and finding.confirmed is True
    assert finding.check == {"no_error": "TypeError: left is broken"}
    assert (
        "error: TypeError: left is broken (index.html:3)"
        in tool_messages(studio_chat_server, 1)[0]["content"]
    )
    assert json.loads(json.dumps(report.to_dict()))["findings"][0]["by"] == "studio"
