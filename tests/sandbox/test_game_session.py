"""The game session the AI playtester plays through: real input events (drags carry the held
button), the page as indexed text, a seeded game clock that replays the same way, real time
for a game without advance(), a game that hangs mid-action, and the sandbox still refusing
the network."""

from __future__ import annotations

import json

from studio.sandbox.game_session import GameSession, GameStopped, replay_script
from studio.sandbox.input_script import Action
from tests.qt_asyncio import wait_for

# Random numbers at start and on every key; pointer moves counted with the buttons held.
RANDOM_GAME = """<!DOCTYPE html><html><body style="margin:0;overflow:hidden">
<canvas id=c width=800 height=600 style="display:block"></canvas><script>
const S = {start: Math.random(), keys: [], moves: 0, held: 0, t: 0, path: []};
addEventListener('keydown', (e) => S.keys.push(Math.round(Math.random() * 1000)));
addEventListener('pointermove', (e) => { S.moves++; if (e.buttons === 1) {
  S.held++; S.path.push(Math.round(e.clientX)); } });
window.studio = { state: () => S, advance(ms) { S.t += ms; } };
</script></body></html>"""

PAGE = """<!DOCTYPE html><html><head><title>Shop</title><style>
.card { cursor: pointer; padding: 8px } .card span { display: inline }</style></head><body>
<h2>Pick a card</h2>
<div class=card onclickless>Red <span>card</span></div>
<div class=card>Blue card</div>
<button style="display:none">Hidden</button>
<label>Name <input value="Ada"></label>
<a href="#x">Rules</a>
</body></html>"""

NO_CLOCK = """<!DOCTYPE html><html><body><script>
let t0 = performance.now(), seen = 0;
addEventListener('keydown', () => seen++);
window.studio = { state: () => ({ seen, ms: Math.round(performance.now() - t0) }) };
</script></body></html>"""

HANGS_ON_SPACE = """<!DOCTYPE html><html><body><script>
addEventListener('keydown', (e) => { if (e.key === ' ') for (;;) {} });
window.studio = { state: () => ({ ok: true }), advance() {} };
</script></body></html>"""


def open_session(project, version, **options) -> GameSession:
    session = GameSession(project, version, **options)
    wait_for(session.open())
    return session


def test_a_drag_holds_the_button_and_a_seeded_replay_matches(qloop, make_project) -> None:
    project = make_project("random", {"index.html": RANDOM_GAME})
    session = open_session(project, project.head, seed=7)
    try:
        assert session.game_clock and session.script.seed == 7
        wait_for(session.perform(Action(0, "key", keys=("Space",), hold=0.1)))
        drag = Action(0, "drag", path=((0.1, 0.5), (0.5, 0.5), (0.9, 0.5)), hold=0.2)
        change = wait_for(session.perform(drag))
        assert change.delivered and change.after.game_time == 0.3
        state = change.after.state
        assert state["path"] == [400, 720] and state["held"] == 2  # moves with the button down
        assert len(state["keys"]) == 1
    finally:
        session.close()
    replayed = wait_for(replay_script(project, project.head, session.script))
    assert replayed.after.state == state
    other = session.script
    other.seed = 8
    different = wait_for(replay_script(project, project.head, other))
    assert different.after.state["start"] != state["start"]


def test_the_page_as_indexed_text(qloop, make_project) -> None:
    project = make_project("page", {"index.html": PAGE})
    session = open_session(project, project.head)
    try:
        page = session.last.page
        assert page.title == "Shop" and page.size == (800, 600)
        assert page.lines == (
            '"Pick a card"',
            '[1] div "Red card"',
            '[2] div "Blue card"',
            '"Name"',
            '[3] input text "Name" value "Ada"',
            '[4] link "Rules"',
        )
        assert not session.game_clock and session.script.clock == "real"
        change = wait_for(session.perform(Action(0, "tap", element=2)))
        assert change.action.label == "Blue card" and change.delivered
        x, y = change.action.point
        assert 0 < x < 1 and 0 < y < 0.5
    finally:
        session.close()


def test_a_game_without_advance_plays_in_real_time(qloop, make_project) -> None:
    project = make_project("realtime", {"index.html": NO_CLOCK})
    session = open_session(project, project.head)
    try:
        assert not session.game_clock
        change = wait_for(session.perform(None, 0.3))
        # Qt's timers may wake a few per cent early
        assert change.after.game_time - change.before.game_time >= 0.28
        assert change.after.state["ms"] - change.before.state["ms"] >= 250
    finally:
        session.close()


def test_a_game_that_hangs_mid_action_is_reported(qloop, make_project) -> None:
    project = make_project("hang", {"index.html": HANGS_ON_SPACE})
    session = open_session(project, project.head, watchdog_timeout=1.0)
    try:
        change = wait_for(session.perform(Action(0, "key", keys=("Space",), hold=0.1)))
        assert change.stopped and "stopped responding" in change.stopped
        assert session.stopped() == change.stopped
        try:
            wait_for(session.moment())
        except GameStopped as exc:
            assert "stopped responding" in str(exc)
        else:
            raise AssertionError("a stopped game answered")
    finally:
        session.close()


def test_a_session_keeps_the_sandbox_closed(qloop, make_project, listener) -> None:
    game = f"""<!DOCTYPE html><html><body><script>
    const S = {{refused: false}};
    addEventListener('keydown', () => {{
      fetch('{listener.origin}/leak').catch(() => {{ S.refused = true; }});
      new Image().src = '{listener.origin}/pixel'; }});
    window.studio = {{ state: () => S, advance() {{}} }};
    </script></body></html>"""
    project = make_project("net", {"index.html": game})
    session = open_session(project, project.head)
    try:
        change = wait_for(session.perform(Action(0, "key", keys=("Enter",), hold=0.2)))
        later = wait_for(session.perform(None, 0.5))
        assert change.delivered and later.after.state == {"refused": True}
        assert listener.connections == []
    finally:
        session.close()
    json.dumps(session.script.to_json())
