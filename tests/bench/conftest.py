"""Fixtures for the bench tests: a chat server that answers by what is asked, tiny games
that fail one check each, and a helper that runs a bench on Qt's loop (qasync, see
tests/qt_asyncio.py)."""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent

from studio.ai.chat_provider import OpenAIChatProvider
from studio.operations.scoring_run import Bench, BenchConfig
from studio.scoring.plan import Timing
from studio.scoring.results import BenchRun, OutDir
from studio.scoring.suite import load_suite
from tests.ai.chat_server import TEST_API_KEY, ChatServer, Scripted
from tests.qt_asyncio import wait_for

FIX_MARK = "The game reports errors while it runs"  # resources/prompts/fix.md
RETRY_MARK = "did not apply"  # resources/prompts/retry_edit.md

# Short quiet stretches: fast playtests (suites for tests also set `keys` and `taps` short).
FAST = Timing(idle=0.6, gap=0.45, tail=0.2)


def _counting(handler: type) -> type:
    """`handler` (the chat server's) counting the POST requests it is answering."""

    class Counting(handler):
        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            with self.owner.answering():
                super().do_POST()

    return Counting


class RoutedChatServer(ChatServer):
    """The scripted chat server, answering by the request's text instead of in order, so
    tasks running at once each get their own answers; `max_in_flight` is the most requests
    it answered at once.

    `route(text, *answers, kind=...)`: a request whose last user message contains `text`
    (and is a generation, a fix or an edit retry, when `kind` says) takes the next answer
    of the first such route that has one left. Unmatched fix requests get an answer with no
    code (the fix fails); anything else unmatched gets a 500."""

    def __init__(self) -> None:
        super().__init__()
        self._routes: list[tuple[str, str | None, deque[Scripted]]] = []
        self._current = threading.local()
        self.asked: list[tuple[str, str]] = []  # (kind, text) of each chat request
        self.in_flight = 0
        self.max_in_flight = 0
        self._handler = _counting(self._handler)

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1

    def route(self, text: str, *answers: Scripted, kind: str | None = None) -> None:
        with self._lock:
            self._routes.append((text, kind, deque(answers)))

    def _record(self, request: Any) -> None:
        super()._record(request)
        self._current.body = request.body  # the same handler thread asks _next() next

    @staticmethod
    def kind_of(text: str) -> str:
        if FIX_MARK in text:
            return "fix"
        if RETRY_MARK in text and "<<<<<<< SEARCH" in text and "Request:" not in text:
            return "retry"
        return "generate"

    def _next(self) -> Scripted:
        body = getattr(self._current, "body", None) or {}
        messages = body.get("messages") or [] if isinstance(body, dict) else []
        users = [m.get("content", "") for m in messages if m.get("role") == "user"]
        text = users[-1] if users else ""
        kind = self.kind_of(text)
        with self._lock:
            self.asked.append((kind, text))
            for match, wanted, answers in self._routes:
                if answers and match in text and wanted in (None, kind):
                    return answers.popleft()
        if kind == "fix":
            return Scripted.text("I could not find the cause, sorry.")
        return Scripted.fail(500, "the test server has no scripted answer for this request")

    def count(self, kind: str) -> int:
        return sum(1 for k, _ in self.asked if k == kind)


@pytest.fixture
def server() -> Iterator[RoutedChatServer]:
    with RoutedChatServer() as s:
        yield s


# -- games ------------------------------------------------------------------------------

# A tiny game that passes every generic check: it animates, keys and taps change its state
# (beyond the frame counter, which changes on its own), it fills the window exactly.
GOOD = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Tiny</title>
<style>html,body{margin:0;height:100%;overflow:hidden;background:#123}
canvas{display:block;width:100vw;height:100vh}</style></head>
<body><canvas id="c"></canvas><script>
// MARK
const SPEED = 2;
const S = {score: 0, lives: 3, taps: 0, speed: SPEED, frames: 0, player: {x: 40, vy: 0}};
const c = document.getElementById('c'), g = c.getContext('2d');
addEventListener('keydown', e => {
  if (e.key === ' ') S.player.vy = -5;
  if (e.key === 'ArrowRight') S.player.x += 10;
});
addEventListener('pointerdown', () => { S.taps += 1; });
function frame(t) {
  S.frames += 1;
  c.width = innerWidth; c.height = innerHeight;
  g.fillStyle = '#123'; g.fillRect(0, 0, c.width, c.height);
  g.fillStyle = '#fc0'; g.fillRect((t / 3) % c.width, 30, 40, 40);
  g.fillStyle = '#fff'; g.fillRect(S.player.x, 120 + S.player.vy * 4, 30, 30);
  g.fillRect(10, 200, S.taps * 30, 20);
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
// LATER
window.studio = { state: () => JSON.parse(JSON.stringify(S)), advance() {} };
</script></body></html>
"""


def game(mark: str, *changes: tuple[str, str]) -> str:
    text = GOOD.replace("// MARK", f"// game: {mark}")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    return text


def late(code: str, ms: int) -> tuple[str, str]:
    """Run `code` `ms` milliseconds after the game starts."""
    return "// LATER", f"setTimeout(() => {{ {code} }}, {ms});"


GAMES = {
    "good": game("good"),
    "throws": game("throws", late("null.boom;", 900)),
    "still": game("still", ("  requestAnimationFrame(frame);\n}", "}")),
    "deaf_keys": game("deaf_keys", ("addEventListener('keydown'", "void ('keydown'")),
    "deaf_taps": game("deaf_taps", ("addEventListener('pointerdown'", "void ('pointerdown'")),
    "late_errors": game("late_errors", late("console.error('late trouble');", 2000)),
    "overflow": game(
        "overflow",
        ("width:100vw;height:100vh", "width:800px;height:600px"),
        ("overflow:hidden;", ""),
        ("c.width = innerWidth; c.height = innerHeight;", "c.width = 800; c.height = 600;"),
    ),
    "wrong_score": game("wrong_score", ("score: 0,", "score: 5,")),
    "hangs": game("hangs", late("for (;;) {}", 300)),
    # No window.studio: judged by its picture, which every key and tap shades differently.
    "no_hook": game(
        "no_hook",
        ("window.studio = {", "void {"),
        (
            "g.fillStyle = '#123';",
            "g.fillStyle = `hsl(210, 40%, ${10 + (S.player.x - 40 + S.taps * 10) * 2 % 80}%)`;",
        ),
    ),
    "taps_down": game("taps_down", ("S.taps += 1;", "S.taps -= 1;")),  # taps count down
}


def file_answer(html: str, message: str = "Here is your game.") -> Scripted:
    return Scripted.text(f'{message}\n\n<file path="index.html">\n{html}</file>\n', chunk_size=400)


def edit_answer(search: str, replace: str, message: str = "Done.") -> Scripted:
    return Scripted.text(
        f'{message}\n<edit path="index.html">\n<<<<<<< SEARCH\n{search}\n=======\n{replace}\n'
        ">>>>>>> REPLACE\n</edit>\n",
        chunk_size=400,
    )


NO_LOAD = Scripted.text(
    'A game.\n<file path="game.html">\n<!DOCTYPE html><p>no index</p>\n</file>\n'
)


# -- running ----------------------------------------------------------------------------


def write_suite(folder: Path, text: str, name: str = "suite.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def bench_runner(qapp, server: RoutedChatServer) -> Callable[..., BenchRun]:
    """A function that runs a bench against `server` on Qt's loop and returns the run:
    run(suite_path, out, models=[...], events=list, player=..., **BenchConfig options).
    Call it inside `qt_asyncio` (or with the `qloop` fixture)."""
    from studio.scoring.play import QtPlayer

    qapp.setQuitOnLastWindowClosed(False)  # each playtest's hidden view closes: not a quit

    def run(
        suite_path: Path,
        out: Path,
        *,
        models: list[str] | None = None,
        events: list | None = None,
        player: Any = None,
        **options: Any,
    ) -> BenchRun:
        suite = load_suite(suite_path)
        options.setdefault("timing", FAST)
        options.setdefault("jobs", 1)
        config = BenchConfig(models=models or ["test-model"], **options)
        provider = OpenAIChatProvider(
            base_url=server.base_url, api_key=TEST_API_KEY, timeout=10, backoff=0.01
        )
        bench = Bench(
            suite,
            OutDir(out),
            provider,
            player or QtPlayer(jobs=1, watchdog_timeout=2.0),
            config,
            on_event=events.append if events is not None else None,
        )

        async def main() -> BenchRun:
            try:
                return await bench.run()
            finally:
                await provider.aclose()

        result = wait_for(main())
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        return result

    return run


@pytest.fixture
def run_bench(qapp, qloop, server: RoutedChatServer) -> Callable[..., BenchRun]:
    return bench_runner(qapp, server)
