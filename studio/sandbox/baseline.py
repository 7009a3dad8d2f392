"""What a game does left alone: a twin of it that gets no input, and how input is judged
against it.

A playtest with the default program plays the game in two hidden views at once: the one
that gets the inputs, and a twin that gets none (except what started the game, sent to
both at the same moment). Both are sampled at the same moments. The twin says whether the
game animates *by itself*, and what changes on its own around any moment: a control
changed the picture when the game's picture moved, across it, in places the twin's did
not move around that time; it changed the state when a value moved that the twin's did
not. So a ball that flies on its own is not taken for the paddle the arrows move, and a
tile still sliding from the last key is not taken for animation.

Both views draw `Math.random()` from the same seed, so games that place things at random
place them the same way in both. The twin has its own profile ("baseline"), so nothing one
stores reaches the other, and never takes the keyboard focus (a game that pauses when its
window loses focus would stop).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QImage
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineScript, QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView

from studio.core.store import Project
from studio.sandbox.agent_page import seed_script
from studio.sandbox.frames import PIXELS, changed_pixels, grown, small_frame
from studio.sandbox.page import SandboxPage
from studio.sandbox.profile import sandbox_profile
from studio.sandbox.scheme import version_url
from studio.sandbox.watchdog import Watchdog

SEED = 1_234_567
# How far apart in time two views may show the same moment of the game (their pages load a
# little apart): what the twin changes this long before or after a moment counts as
# changing on its own at that moment.
WINDOW = 0.3
SLACK = 2  # pixels (of 200 x 150) around what changes on its own that count as it too
# A control changed the picture when more than this share of it changed beyond that (and
# beyond how far the game strays from its twin anyway).
THRESHOLD = 0.002
# The game strayed from its twin (an input sent it elsewhere) when, with no input, more than
# this share of its picture moved where the twin's did not.
DRIFT = 0.005
# An input's after-effects (a tile sliding for 300 ms) are over this long after it ended;
# only changes after that count as the game animating by itself.
SETTLE = 0.35


def seed_random(page: QWebEnginePage, seed: int = SEED) -> None:
    """Give the page's games `Math.random()` from `seed` (this page only)."""
    script = QWebEngineScript()
    script.setName("studio-seeded-random")
    script.setSourceCode(seed_script(seed))
    script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
    script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
    script.setRunsOnSubFrames(False)
    page.scripts().insert(script)


@dataclass
class Sample:
    t: float  # seconds on the playtest's clock
    frame: QImage  # small (see studio.sandbox.frames)
    state: Any = None  # window.studio.state(), when the game has that hook


@dataclass
class Track:
    """The samples of one view, oldest first, and when it last got an input."""

    samples: list[Sample] = field(default_factory=list)
    last_input: float = float("-inf")  # when its last input ended (or its page loaded)

    def add(self, t: float, frame: QImage, state: Any = None) -> None:
        self.samples.append(Sample(t, small_frame(frame), parse_state(state)))

    def at(self, t: float, *, with_state: bool = False) -> Sample | None:
        """The last sample taken at or before `t` (the first one, for a `t` before all);
        `with_state`: the last one whose state was read (a busy page may not answer)."""
        found = None
        for sample in self.samples:
            if sample.t > t and found is not None:
                break
            if not with_state or sample.state is not None:
                found = sample
        return found

    def _pairs(self, t0: float, t1: float, within: bool) -> Iterator[tuple[Sample, Sample]]:
        """Neighbouring samples whose span overlaps [t0, t1] (or lies `within` it)."""
        for a, b in zip(self.samples, self.samples[1:], strict=False):
            if (a.t >= t0 and b.t <= t1) if within else (b.t >= t0 and a.t <= t1):
                yield a, b

    def changes(self, t0: float, t1: float, *, within: bool = False) -> int:
        """Every pixel that changed between neighbouring samples around [t0, t1]."""
        mask = 0
        for a, b in self._pairs(t0, t1, within):
            mask |= changed_pixels(a.frame, b.frame)
        return mask

    def changing_paths(self, t0: float, t1: float, *, within: bool = False) -> set[str]:
        """State values (by path) that changed between neighbouring samples around [t0, t1]."""
        paths: set[str] = set()
        for a, b in self._pairs(t0, t1, within):
            if a.state is not None and b.state is not None:
                paths |= _changed_paths(a.state, b.state)
        return paths

    def animates(self, since: float, until: float = float("inf")) -> bool:
        """The picture kept changing in [since, until]: between two pairs of neighbouring
        samples, all taken at least SETTLE after this view's last input (or load). A tile's
        slide or an intro's fade-in, over once settled, is no animation."""
        start = max(since, self.last_input + SETTLE)
        changed = [
            a.t >= start and b.t <= until and changed_pixels(a.frame, b.frame)
            for a, b in zip(self.samples, self.samples[1:], strict=False)
        ]
        return sum(changed) >= 2


@dataclass(frozen=True)
class Change:
    """What an input did: the share of the picture it changed beyond what changes on its
    own, the share that counts as a change there, and whether it changed a value of the
    state (None without a state hook)."""

    share: float
    needed: float
    state: bool | None

    @property
    def picture(self) -> bool:
        return self.share > self.needed


def response(played: Track, twin: Track | None, t0: float, t1: float, quiet_from: float) -> Change:
    """What was sent to the played view between t0 and t1 changed (see the module doc).

    The quiet stretch [quiet_from, t0] before it says how far the played game strays from
    its twin with no input (effects drawn from Math.random per frame, timing): a change must
    stand out from that. Without a twin (it could not play), what the played view changed
    in that stretch stands for what changes on its own."""
    before, after = played.at(t0), played.at(t1)
    if before is None or after is None:
        return Change(0.0, THRESHOLD, None)
    if twin is not None:
        own = twin.changes(t0 - WINDOW, t1 + WINDOW)
        stray, stray_paths = _strays(played, twin, quiet_from, t0)
        paths = twin.changing_paths(t0 - WINDOW, t1 + WINDOW) | stray_paths
    else:
        own, stray = played.changes(quiet_from, t0), 0.0
        paths = played.changing_paths(quiet_from, t0)
    changed = changed_pixels(before.frame, after.frame) & ~grown(own, SLACK)
    share = changed.bit_count() / PIXELS
    first, last = played.at(t0, with_state=True), played.at(t1, with_state=True)
    if first is None or last is None or first is last:
        return Change(share, THRESHOLD + stray, None)
    return Change(share, THRESHOLD + stray, bool(_changed_paths(first.state, last.state) - paths))


def drifted(played: Track, twin: Track, since: float, now: float) -> bool:
    """With no input since `since`, the played game moved where its twin did not: an input
    before sent it elsewhere (a ball launched, or bounced off the paddle), and what moves on
    its own there can no longer be told from the twin."""
    stray, paths = _strays(played, twin, since, now)
    return bool(paths) or stray > DRIFT


def _strays(played: Track, twin: Track, since: float, now: float) -> tuple[float, set[str]]:
    """What the played view changed in [since, now] that its twin did not around then: the
    share of the picture, and the state's paths."""
    own = grown(twin.changes(since - WINDOW, now + WINDOW), SLACK)
    moved = (played.changes(since, now, within=True) & ~own).bit_count() / PIXELS
    paths = played.changing_paths(since, now, within=True)
    return moved, paths - twin.changing_paths(since - WINDOW, now + WINDOW)


def _changed_paths(a: Any, b: Any, path: str = "") -> set[str]:
    """Paths (`player.x`, `tiles.3`) whose values differ between two states."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: set[str] = set()
        for key in a.keys() | b.keys():
            out |= _changed_paths(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = set()
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out |= _changed_paths(x, y, f"{path}.{i}" if path else str(i))
        return out
    return set() if a == b else {path or "."}


def parse_state(value: Any) -> Any:
    """What `window.studio.state()` returned, as it arrives from the page (JSON text)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class Twin(QObject):
    """The same version in a second hidden view, left alone (see the module doc)."""

    def __init__(
        self,
        project: Project,
        version_id: int,
        viewport: tuple[int, int],
        watchdog_timeout: float,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.project = project
        self.url = version_url(project, version_id)
        self.profile = sandbox_profile("baseline")
        self.profile.handler.mount(project)
        self.view = QWebEngineView()
        self.view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        self.page = SandboxPage(self.profile, self.view)
        self.page.settings().setAttribute(
            QWebEngineSettings.WebAttribute.FocusOnNavigationEnabled, False
        )
        seed_random(self.page)
        self.view.setPage(self.page)
        self.view.resize(*viewport)
        self.view.show()
        self.track = Track()
        self.loaded: bool | None = None
        self.alive = True
        self.page.game_loaded.connect(self._loaded)
        self.page.renderProcessTerminated.connect(self._gone)
        self.watchdog = Watchdog(self.page, timeout=watchdog_timeout, parent=self)
        self.watchdog.hung.connect(self._gone)
        self.watchdog.memory_exceeded.connect(self._gone)

    def load(self) -> None:
        self.loaded = None
        self.page.load_game(self.url)

    def _loaded(self, ok: bool, _error: str, _code: int) -> None:
        self.loaded = ok

    def _gone(self, *_args: Any) -> None:
        self.alive = False

    @property
    def ready(self) -> bool:
        return self.alive and bool(self.loaded)

    def grab(self) -> QImage:
        return self.view.grab().toImage()

    def close(self) -> None:
        self.watchdog.disarm()
        self.profile.handler.unmount(self.project)
        self.view.close()
        self.view.deleteLater()  # the page is its child: deleted with it
