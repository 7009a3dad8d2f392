"""`studio bench default` with a scripted model; run by hand:
``python benchmarks/bench_suite_run.py [--jobs 2] [--playtest-jobs 1] [--task ID ...]``.

The built-in `default` suite (resources/bench/default.toml) goes through the real bench
runner (`studio.operations.scoring_run.Bench` with `studio.scoring.play.QtPlayer`, set up as
`studio bench` sets them up, with the CLI's default timing and its `--jobs` /
`--playtest-jobs`) against the scripted OpenAI-compatible server of
`studio.testing.servers.chat` on 127.0.0.1, through the real `openai` client.

What the scripted model answers: every request (first prompt, follow-up, automatic fix)
gets one whole `index.html` in a `<file>` block, streamed in 400-character pieces: the
task's own starting code where it has one (its template, or its starter folder), else the
built-in `runner` template. The server finds the task by the step prompt in the request's
user messages. So every game loads and plays, no game does what its prompt asked, and many
checks fail: the point is the time the runner takes and that its verdicts stay the same.
One kind of verdict depends on the moment even in serial runs: "reacts to taps" of the
`runner` game (a tap jumps, and what else changes then depends on where the run is), so
compare runs on the other verdicts (up to three of those differed between two runs).

The bench runs in a child process (this script run with `--child`) whose process tree is
read from /proc four times a second, so that QtWebEngine's processes are counted in the CPU
time. It prints the wall
time, the CPU time (Studio's process, and all of it with QtWebEngine's), the number of
tasks, generations and playtests, the verdict counts, and where the time went: generation
(sum of the answers' times), playtests (the time at least one game was playing, and the sum),
saving results and writing the report. `--verdicts FILE` writes every check's verdict, one
a line, to compare two runs with `diff`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from studio.testing.servers.chat import TEST_API_KEY, ChatServer, Scripted  # noqa: E402

CHUNK = 400  # characters per streamed piece, as the bench tests' answers
# The game of the tasks that start from nothing. Not `arena`: whether a tap changes its
# state depends on the moment (two serial runs gave different "reacts to taps" verdicts).
FALLBACK = "runner"


def task_answers(suite: Any) -> tuple[dict[str, str], str]:
    """Each step prompt -> the HTML of its task's starting game, and the fallback game."""
    from studio.config.resources import resource_path
    from studio.core.templates import load_template
    from studio.operations.projects import read_source

    def template_html(name: str) -> str:
        return load_template(resource_path("templates", name)).files()["index.html"].decode()

    fallback = template_html(FALLBACK)
    answers: dict[str, str] = {}
    for task in suite.tasks:
        if task.template:
            html = template_html(task.template)
        elif task.start is not None:
            html = read_source(task.start)["index.html"].decode()
        else:
            html = fallback
        for step in task.steps:
            answers[step.prompt] = html
    return answers, fallback


class SuiteChatServer(ChatServer):
    """Answers each chat request with its task's starting game (see the module doc)."""

    def __init__(self, answers: dict[str, str], fallback: str) -> None:
        super().__init__()
        self.answers, self.fallback = answers, fallback
        self._current = threading.local()

    def _record(self, request: Any) -> None:
        super()._record(request)
        self._current.body = request.body  # the same handler thread asks _next() next

    def _next(self) -> Scripted:
        body = getattr(self._current, "body", None)
        messages = body.get("messages", []) if isinstance(body, dict) else []
        users = [str(m.get("content", "")) for m in messages if m.get("role") == "user"]
        html = next(
            (a for text in reversed(users) for p, a in self.answers.items() if p in text),
            self.fallback,
        )
        answer = f'Here is the game.\n\n<file path="index.html">\n{html}</file>\n'
        return Scripted.text(answer, chunk_size=CHUNK)


class Spans:
    """Time intervals (monotonic): their sum and the time covered by at least one."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float]] = []

    def add(self, start: float) -> None:
        self.spans.append((start, time.monotonic()))

    @property
    def total(self) -> float:
        return sum(b - a for a, b in self.spans)

    @property
    def covered(self) -> float:
        covered, end = 0.0, float("-inf")
        for a, b in sorted(self.spans):
            if b > end:
                covered += b - max(a, end)
                end = b
        return covered


def _tree_cpu(root: int, seen: dict[int, float]) -> None:
    """The CPU seconds of `root` and every process under it, read from /proc; `seen` keeps
    each process's last figure, so the renderers that ended are counted too (they are reaped
    by QtWebEngine's zygote, so the child's rusage misses them)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    mine = {root}
    for _ in range(8):  # the tree is a few levels deep
        mine |= {pid for pid, (ppid, _) in stats.items() if ppid in mine}
    for pid in mine & stats.keys():
        seen[pid] = stats[pid][1]


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    """The bench itself, in this process; returns the figures."""
    from studio.ai.chat_provider import OpenAIChatProvider
    from studio.operations.scoring_run import Bench, BenchConfig
    from studio.qt.startup import run_headless
    from studio.scoring.plan import Timing
    from studio.scoring.play import QtPlayer
    from studio.scoring.results import OutDir
    from studio.scoring.suite import find_suite, load_suite

    suite = load_suite(find_suite("default"))
    plays, saves, report = Spans(), Spans(), Spans()

    scripted = [0.0]  # the seconds the plans ask the games to be played

    class TimedPlayer(QtPlayer):
        async def _run(self, *a: Any, seconds: float, **kw: Any) -> Any:  # main or phone
            start = time.monotonic()
            scripted[0] += seconds
            try:
                return await super()._run(*a, seconds=seconds, **kw)
            finally:
                plays.add(start)

    class TimedOut(OutDir):
        def save(self, result: Any) -> Any:
            start = time.monotonic()
            try:
                return super().save(result)
            finally:
                saves.add(start)

    class TimedBench(Bench):
        def write_outputs(self) -> Any:
            start = time.monotonic()
            try:
                return super().write_outputs()
            finally:
                report.add(start)

    with SuiteChatServer(*task_answers(suite)) as server, tempfile.TemporaryDirectory() as tmp:
        provider = OpenAIChatProvider(base_url=server.base_url, api_key=TEST_API_KEY)
        config = BenchConfig(
            models=["test-model"],
            jobs=args.jobs,
            tasks=args.tasks,
            timing=Timing(),  # as `studio bench` runs
            provider="scripted",
            base_url=server.base_url,
        )
        bench = TimedBench(
            suite,
            TimedOut(Path(tmp) / "out"),
            provider,
            TimedPlayer(jobs=args.playtest_jobs),
            config,
        )

        async def main() -> Any:
            try:
                return await bench.run()
            finally:
                await provider.aclose()

        wall, cpu = time.perf_counter(), time.process_time()
        run = run_headless(main)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        requests = len(server.chat_requests)

    verdicts: list[str] = []
    generations = []
    for unit in run.results:
        generations += unit.generations()
        for step in unit.steps:
            for check in step.checks:
                mark = "pass" if check["passed"] else "FAIL"
                verdicts.append(f"{unit.unit} step {step.index} {mark} {check['label']}")
    return {
        "wall": wall,
        "cpu": cpu,
        "tasks": len(run.results),
        "units_passed": sum(1 for u in run.results if u.passed),
        "errors": [u.unit for u in run.results if not u.counted],
        "requests": requests,
        "generation": sum(g.total_time or 0.0 for g in generations),
        "playtests": len(plays.spans),
        "play_covered": plays.covered,
        "play_total": plays.total,
        "play_scripted": scripted[0],
        "save": saves.total,
        "report": report.total,
        "verdicts": verdicts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="tasks at once (CLI default 2)")
    parser.add_argument(
        "--playtest-jobs", type=int, default=1, help="games played at once (CLI default 1)"
    )
    parser.add_argument("--task", dest="tasks", action="append", help="only this task")
    parser.add_argument("--verdicts", type=Path, help="write every check's verdict here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args)))
        return
    command = [sys.executable, __file__, "--child", f"--jobs={args.jobs}"]
    command += [f"--playtest-jobs={args.playtest_jobs}"]
    command += [f"--task={t}" for t in args.tasks or []]
    load = os.getloadavg()
    wall = time.perf_counter()
    cpu: dict[int, float] = {}
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:
        while child.poll() is None:
            _tree_cpu(child.pid, cpu)
            time.sleep(0.25)
        out = child.stdout.read() if child.stdout else ""
    wall = time.perf_counter() - wall
    if child.returncode:
        sys.exit(f"the bench failed (exit status {child.returncode})")
    f = json.loads(out.strip().splitlines()[-1])
    verdicts = f["verdicts"]
    passed = sum(1 for v in verdicts if " pass " in v)
    after = os.getloadavg()
    print(
        f"load average (1, 5, 15 min) before: {' '.join(f'{x:.2f}' for x in load)}; "
        f"after: {' '.join(f'{x:.2f}' for x in after)} ({os.cpu_count()} cores)"
    )
    print(f"jobs {args.jobs}, playtest jobs {args.playtest_jobs}")
    print(
        f"tasks: {f['tasks']} ({f['units_passed']} passed every check, "
        f"{len(f['errors'])} not run{': ' + ', '.join(f['errors']) if f['errors'] else ''})"
    )
    print(f"chat requests: {f['requests']}; playtests: {f['playtests']} (phone-size ones too)")
    print(f"checks: {passed} passed, {len(verdicts) - passed} failed, of {len(verdicts)}")
    print(f"bench run: {f['wall']:.1f} s wall (process with Qt start-up: {wall:.1f} s)")
    print(
        f"CPU: {f['cpu']:.1f} s Studio's process during the run; "
        f"{sum(cpu.values()):.1f} s with QtWebEngine's processes (read from /proc every "
        "0.25 s: the last moments of each renderer are missed)"
    )
    print(
        f"where the time went: playtests {f['play_covered']:.1f} s with a game playing "
        f"(sum {f['play_total']:.1f} s, of which the plans' scripted play "
        f"{f['play_scripted']:.1f} s); generation {f['generation']:.1f} s (sum of answers); "
        f"saving results {f['save']:.2f} s; report {f['report']:.2f} s"
    )
    if args.verdicts:
        args.verdicts.write_text("\n".join(verdicts) + "\n", encoding="utf-8")
        print(f"verdicts: {args.verdicts}")


if __name__ == "__main__":
    main()
