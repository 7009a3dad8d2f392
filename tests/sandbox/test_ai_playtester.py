"""The AI playtester end to end: a scripted model on the local chat server (tool calls
streamed in pieces) plays real games in the playtest sandbox. Each game with a known bug
gets a finding that names it, with inputs that show it again when replayed; the same play
on the game without the bug gets no such finding. A text-only model plays a DOM game by
page item; a model that takes images gets screenshots as image parts; a fix made from the
findings is confirmed by replaying them."""

from __future__ import annotations

import base64
import json

import pytest
from PySide6.QtGui import QImage

from studio.ai.chat_provider import OpenAIChatProvider
from studio.core.playtests import playtest_runs, screenshot
from studio.operations.agent_playtest import AgentPlaytest
from studio.operations.agent_report import AgentReport, Budget
from studio.operations.agent_runs import fix_findings, kept_findings, run_and_keep
from studio.operations.generator import Generator
from studio.operations.playtest_findings import judge
from studio.sandbox.game_session import GameSession, replay_script
from studio.sandbox.input_script import InputScript
from studio.testing.servers.chat import TEST_API_KEY, ChatServer, Scripted
from studio.testing.servers.chat import ScriptedCall as Call
from tests.qt_asyncio import wait_for
from tests.sandbox.playtester_games import climb, counter

WATCHDOG = 1.5  # seconds a frozen game gets before it is stopped


def press(keys, ms, reason=""):
    return Call("press", {"keys": keys, "hold_ms": ms, "reason": reason})


def report(kind, title, check, **words):
    return Call(
        "report",
        {"kind": kind, "title": title, "expected": "", "actual": "", "check": check, **words},
    )


FINISH = Scripted.calls(Call("finish", {"summary": "done"}))
TO_THE_PLATFORM = [
    Scripted.calls(Call("state", {}), Call("page", {}), text="First a look at the game."),
    Scripted.calls(press(["ArrowRight"], 1000, "walk to the coin")),
    Scripted.calls(
        press(["ArrowRight", "Space"], 700, "jump onto the platform"), Call("state", {})
    ),
]
# What the scripted model does for each bug: it plays, then reports what it expects to fail.
PLAYS = {
    "unreachable": [
        *TO_THE_PLATFORM,
        Scripted.calls(
            report("unwinnable", "the platform cannot be reached", {"state": "won", "equals": True})
        ),
        FINISH,
    ],
    "no_score": [
        *TO_THE_PLATFORM[:2],
        Scripted.calls(
            report("unwinnable", "the score never increases", {"state": "score", "min": 1})
        ),
        FINISH,
    ],
    "dead_key": [
        Scripted.calls(press(["ArrowRight"], 500, "walk right")),
        Scripted.calls(press(["ArrowLeft"], 300, "walk back")),
        Scripted.calls(
            report(
                "control_does_nothing", "ArrowLeft does nothing", {"state": "x", "changes": True}
            )
        ),
        FINISH,
    ],
    "freeze": [
        *[
            Scripted.calls(Call("wait", {"ms": 4000, "reason": "see what happens"}))
            for _ in range(3)
        ],
        FINISH,
    ],
}
NAMED = {
    "unreachable": ("unwinnable", "the platform cannot be reached"),
    "no_score": ("unwinnable", "the score never increases"),
    "dead_key": ("control_does_nothing", "ArrowLeft does nothing"),
    "freeze": ("stuck", "the game stopped responding"),
}


@pytest.fixture
def server():
    with ChatServer(text_only=("text-model",)) as chat:
        yield chat


def agent_play(
    project, version, server, *, vision=False, model="test-model", steps=12
) -> AgentReport:
    async def go() -> AgentReport:
        session = GameSession(project, version, watchdog_timeout=WATCHDOG)
        provider = OpenAIChatProvider(base_url=server.base_url, api_key=TEST_API_KEY, timeout=10)
        try:
            await session.open()
            agent = AgentPlaytest(
                provider,
                model,
                session,
                lambda script: replay_script(project, version, script, watchdog_timeout=WATCHDOG),
                budget=Budget(steps=steps),
                vision=vision,
                project=project.name,
                version=version,
            )
            return await run_and_keep(project, version, agent)
        finally:
            session.close()
            await provider.aclose()

    return wait_for(go(), 120)


@pytest.mark.parametrize("bug", list(PLAYS))
def test_a_known_bug_is_found_and_replays_and_the_good_game_has_none(
    qloop, make_project, server, bug
) -> None:
    project = make_project(f"climb-{bug}")
    broken = project.commit({"index.html": climb(bug)}, parent=None, kind="manual").id
    good = project.commit({"index.html": climb()}, parent=None, kind="manual").id

    server.script(*PLAYS[bug])
    found = agent_play(project, broken, server)
    kind, title = NAMED[bug]
    assert [(f.kind, f.title) for f in found.findings] == [(kind, title)], found.text()
    finding = found.findings[0]
    assert finding.confirmed is True, finding.replay
    if bug == "freeze":
        assert found.stop == "game" and "stopped responding at 10." in found.stop_detail
        assert finding.by == "studio"

    # Kept with the version: the exact inputs, which show the problem again.
    (kept,) = kept_findings(project, broken)
    assert kept.script == finding.script and kept.script[0]["clock"] == "game"
    replayed = wait_for(
        replay_script(project, broken, kept.input_script(), watchdog_timeout=WATCHDOG)
    )
    assert judge(kept, replayed)[0] is True

    server.script(*PLAYS[bug])
    clean = agent_play(project, good, server)
    assert clean.findings == [], clean.text()
    assert clean.stop == "finished"


def test_a_replay_plays_exactly_as_the_run_did(qloop, make_project, server) -> None:
    project = make_project("climb-replay")
    version = project.commit({"index.html": climb()}, parent=None, kind="manual").id
    server.script(*TO_THE_PLATFORM, FINISH)
    run = agent_play(project, version, server)
    final = [s for s in run.steps if s.tool == "state"][-1].result.splitlines()[1]
    for _ in range(2):
        replayed = wait_for(replay_script(project, version, InputScript.from_json(run.script)))
        assert replayed.after is not None and replayed.errors == []
        assert json.loads(final) == replayed.after.state
    assert replayed.after.state["won"] is True and replayed.after.state["x"] == 414


def test_a_text_only_model_plays_a_dom_game_by_page_item(qloop, make_project, server) -> None:
    project = make_project("counter")
    broken = project.commit({"index.html": counter("no_score")}, parent=None, kind="manual").id
    good = project.commit({"index.html": counter()}, parent=None, kind="manual").id
    plays = [
        Scripted.calls(Call("page", {}), text="What is on the page?"),
        Scripted.calls(Call("type", {"text": "Ada", "index": 1}), Call("tap", {"index": 2})),
        *[Scripted.calls(Call("tap", {"index": 2, "reason": "press +1"})) for _ in range(3)],
        Scripted.calls(report("unwinnable", "+1 adds no points", {"page_contains": "Score: 3"})),
        FINISH,
    ]
    server.script(*plays)
    found = agent_play(project, broken, server, model="text-model")
    assert [f.title for f in found.findings] == ["+1 adds no points"], found.text()
    assert found.findings[0].confirmed is True and found.clock == "real" and not found.vision
    bodies = [r.body for r in server.chat_requests]
    assert all("look" not in [t["function"]["name"] for t in b["tools"]] for b in bodies)
    assert all(not isinstance(m["content"], list) for b in bodies for m in b["messages"])
    page = [m for m in bodies[1]["messages"] if m["role"] == "tool"][0]["content"]
    assert '[1] input text "Your name" value ""' in page and '[2] button "Start"' in page
    after_start = [m for m in bodies[2]["messages"] if m["role"] == "tool"][-1]["content"]
    assert '+ "Hello Ada"' in after_start and '+ [2] button "+1"' in after_start
    script = found.findings[0].script
    assert (
        script[1]["type"] == "Ada" and script[2]["label"] == "Start" and script[3]["label"] == "+1"
    )

    server.script(*plays)
    assert agent_play(project, good, server, model="text-model").findings == []


def test_a_model_that_takes_images_sees_the_canvas(qloop, make_project, server) -> None:
    project = make_project("climb-look")
    version = project.commit({"index.html": climb()}, parent=None, kind="manual").id
    server.script(
        Scripted.calls(Call("look", {})),
        Scripted.calls(press(["ArrowRight"], 500), Call("look", {})),
        FINISH,
    )
    run = agent_play(project, version, server, vision=True)
    assert run.vision and run.stop == "finished"
    messages = server.chat_requests[1].body["messages"]
    (picture,) = [m for m in messages if isinstance(m["content"], list)]
    url = picture["content"][1]["image_url"]["url"]
    jpeg = base64.b64decode(url.removeprefix("data:image/jpeg;base64,"))
    image = QImage.fromData(jpeg, "JPEG")
    assert (image.width(), image.height()) == (800, 600)
    ground = image.pixelColor(400, 550)
    assert ground.green() > ground.red() and ground.green() > 120  # the green ground is drawn


def test_fixing_the_findings_makes_a_version_and_the_replay_confirms_it(
    qloop, make_project, server
) -> None:
    project = make_project("climb-fix")
    version = project.commit({"index.html": climb("unreachable")}, parent=None, kind="manual").id
    server.script(*PLAYS["unreachable"])
    found = agent_play(project, version, server)
    assert len(found.findings) == 1
    runs = playtest_runs(project, version)
    shot = runs[-1]["findings"][0]["screenshot"]
    assert shot == found.findings[0].screenshot
    assert screenshot(project, shot)[:2] == b"\xff\xd8"  # a JPEG in the blob store

    edit = (
        "The jump was too low to reach the platform.\n"
        '<edit path="index.html">\n<<<<<<< SEARCH\n'
        "const JUMP = BUG === 'unreachable' ? 380 : 520;\n=======\nconst JUMP = 520;\n"
        ">>>>>>> REPLACE\n</edit>\n"
    )
    server.script(Scripted.text(edit))

    async def fix():
        provider = OpenAIChatProvider(base_url=server.base_url, api_key=TEST_API_KEY, timeout=10)
        try:
            generator = Generator(project, provider, "test-model")
            return await fix_findings(
                generator,
                version,
                found.findings,
                lambda v: lambda script: replay_script(project, v, script),
            )
        finally:
            await provider.aclose()

    outcome, checks = wait_for(fix(), 120)
    assert outcome.ok and outcome.version.kind == "fix"
    assert (
        "AI playtester found a problem (unwinnable)"
        in server.chat_requests[-1].body["messages"][-1]["content"]
    )
    assert [(c.verdict, c.detail) for c in checks] == [("fixed", "won = true")]
    status = project.messages()[-1]
    assert status.content == (
        f"Replayed the playtester's 1 finding(s) on version {outcome.version.id}: 1 fixed."
    )
