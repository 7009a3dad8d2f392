"""The default playtest program: start the game the usual ways, then try each control alone.

Run by `PlaytestRunner` when no inputs are given, beside a twin of the game that gets no
input (`studio.sandbox.baseline`):

1. Look: both views are watched a moment without input.
2. Start: the usual ways to start a game are tried on the played view, one at a time, until
   one changes the game beyond what the twin changes meanwhile: Enter, Space, a click on
   the biggest button that reads like Play/Start, a click at the centre.
3. Both views load again, and the way that started the game (if one did) is sent to both
   at the same moment, so the twin is the started game left alone; then both are watched
   without input: does it animate by itself?
4. Each control is tried on its own, with a quiet moment after it: each arrow held, Space,
   Enter, a click at the centre and on the biggest button, a drag across the middle. Each is
   judged against the twin at the same moments (did the picture or the state change beyond
   what changes on its own?) and reported.

Inputs are written as in an inputs file (`{"key": "ArrowLeft", "hold": 0.3}`), so this
module needs nothing of the runner but the few calls of `Player`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Protocol

from studio.sandbox.baseline import SETTLE, Track, drifted, response

LOOK = 0.8  # seconds watched before the first input
AFTER_START = 0.5  # seconds watched after a way to start
QUIET = 1.2  # seconds the started game is watched without input
# After each control: its after-effects settle, then a quiet part that shows what the game
# does on its own (at least three samples, however busy the machine is).
QUIET_PART = 0.3
# Times the game may be loaded again because it drifted from its twin (each takes a load).
MAX_RESTARTS = 5
# A way to start started the game when it changed this share of the picture (beyond what
# changes on its own): a title screen giving way to the game, not a paddle's step.
START_SHARE = 0.01
ARROW_HOLD = 0.25

# Visible things a person would press, biggest first: (x, y as fractions of the view,
# area, text). Only the page's own document.
BUTTONS_JS = """(() => {
  const found = [];
  const picks = 'button, [role=button], input[type=button], input[type=submit], a[href], '
    + '[onclick], .btn, .button';
  for (const el of document.querySelectorAll(picks)) {
    const r = el.getBoundingClientRect(), css = getComputedStyle(el);
    if (r.width < 8 || r.height < 8 || css.visibility === 'hidden' || css.display === 'none'
        || r.right <= 0 || r.bottom <= 0 || r.left >= innerWidth || r.top >= innerHeight) continue;
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.title || '');
    found.push([(r.left + r.width / 2) / innerWidth, (r.top + r.height / 2) / innerHeight,
                r.width * r.height, text.trim().replace(/\\s+/g, ' ').slice(0, 40)]);
  }
  return JSON.stringify(found.sort((a, b) => b[2] - a[2]));
})()"""
# Where the page is scrolled: Space and the arrows scroll a page taller than the view, which
# changes the picture but starts nothing.
SCROLL_JS = "JSON.stringify([scrollX, scrollY])"
START_WORDS = ("play", "start", "begin", "new game", "go", "continue", "tap", "click", "press")

Input = dict[str, Any]  # one step as an inputs file writes it
Wait = Any  # what a step of the runner's script yields (see studio.sandbox.playtest)


class Player(Protocol):
    """What the program needs of the runner."""

    track: Track  # the played view's samples
    twin_track: Track | None  # the twin's, while it plays
    result: Any  # what `evaluate` found

    def clock(self) -> float: ...
    def observe(self, seconds: float, samples: int = 1) -> Iterator[Wait]: ...
    def send(self, step: Input, *, twin: bool = False) -> Iterator[Wait]: ...
    def restart(self) -> Iterator[Wait]: ...
    def evaluate(self, script: str) -> Iterator[Wait]: ...


def start_ways(buttons: list[list[Any]]) -> list[tuple[str, Input]]:
    ways: list[tuple[str, Input]] = [("Enter", {"key": "Enter"}), ("Space", {"key": "Space"})]
    for x, y, _area, text in buttons:
        if any(word in text.lower() for word in START_WORDS):
            ways.append((f"a click on {text!r}", {"tap": [x, y]}))
            break
    ways.append(("a click at the centre", {"tap": [0.5, 0.5]}))
    return ways


def controls(buttons: list[list[Any]]) -> list[tuple[str, Input]]:
    """Each control alone, moves first: the action keys (which often launch or shoot, and
    so send the game another way than its twin) last."""
    out: list[tuple[str, Input]] = [
        (arrow, {"key": arrow, "hold": ARROW_HOLD})
        for arrow in ("ArrowRight", "ArrowLeft", "ArrowUp", "ArrowDown")
    ]
    out.append(("a drag across the middle", {"drag": [[0.3, 0.5], [0.7, 0.5]]}))
    if buttons:
        x, y, _area, text = buttons[0]
        out.append((f"a click on the biggest button ({text or 'no text'})", {"tap": [x, y]}))
    out.append(("a click at the centre", {"tap": [0.5, 0.5]}))
    out += [("Enter", {"key": "Enter"}), ("Space", {"key": "Space"})]
    return out


def play_default(player: Player) -> Iterator[Wait]:
    """The program (see the module doc); returns what it found."""
    outcome = Outcome()
    yield from player.observe(LOOK, samples=4)
    yield from player.evaluate(BUTTONS_JS)
    buttons = _buttons(player.result)
    for name, way in start_ways(buttons):
        t0 = player.clock()
        yield from player.evaluate(SCROLL_JS)
        scrolled = player.result
        yield from player.send(way)
        yield from player.observe(AFTER_START, samples=3)
        yield from player.evaluate(SCROLL_JS)
        if player.result == scrolled and _started(player, t0):
            outcome.started_with, outcome.start = name, way
            break
    yield from _start_again(player, outcome)
    outcome.quiet_from = player.clock()
    yield from player.observe(QUIET, samples=6)
    outcome.controls_from = player.clock()
    quiet_from, restarts, twin_fits = outcome.quiet_from, 0, True
    for name, step in controls(buttons):
        twin = player.twin_track if twin_fits else None
        if twin is not None and drifted(player.track, twin, quiet_from, player.clock()):
            # A control before sent the game elsewhere (a ball launched, a ball bounced
            # off the paddle): what moves on its own no longer matches the twin's. Past
            # MAX_RESTARTS, the game's own quiet part stands for what moves on its own.
            twin_fits = restarts < MAX_RESTARTS
            if twin_fits:
                restarts += 1
                yield from _start_again(player, outcome)
                quiet_from = player.clock()
                yield from player.observe(QUIET_PART, samples=3)
        t0 = player.clock()
        yield from player.send(step)
        yield from player.observe(SETTLE)  # its after-effects (a tile sliding)
        settled = player.clock()
        yield from player.observe(QUIET_PART, samples=3)
        twin = player.twin_track if twin_fits else None
        change = response(player.track, twin, t0, player.clock(), quiet_from)
        outcome.controls.append({"control": name, "picture": change.picture, "state": change.state})
        quiet_from = settled
    return outcome


def _start_again(player: Player, outcome: Outcome) -> Iterator[Wait]:
    """Load the game again in both views and start it (if it needs that) in both at once."""
    yield from player.restart()
    if outcome.start is not None:
        yield from player.send(outcome.start, twin=True)
        yield from player.observe(SETTLE)


class Outcome:
    """What the program found, for the runner's report."""

    def __init__(self) -> None:
        self.started_with: str | None = None
        self.start: Input | None = None
        self.quiet_from = 0.0  # when the game, started again, was left alone
        self.controls_from = 0.0  # when the first control went out
        self.controls: list[dict[str, Any]] = []


def _started(player: Player, t0: float) -> bool:
    """A way to start changed the game a lot: much of its picture, beyond what the twin
    changed meanwhile, or a value of its state the twin did not change."""
    change = response(player.track, player.twin_track, t0, player.clock(), t0 - LOOK)
    return bool(change.state) or change.share >= max(START_SHARE, change.needed)


def _buttons(result: Any) -> list[list[Any]]:
    try:
        found = json.loads(result) if isinstance(result, str) else []
    except ValueError:
        return []
    return [b for b in found if isinstance(b, list) and len(b) == 4]
