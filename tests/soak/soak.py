"""The kill soak: a child process runs Studio's real operations (tests/soak/worker.py) against
local servers and is killed with SIGKILL at random moments; after each kill the projects are
opened and checked (`check_project`). The moments and the child's choices come from one seed.

    figures = Soak(folder, seed=1234).run(kills=40)

Run by `tests/soak/test_random_kills.py` (40 kills in the normal suite; `--soak-kills 220`
for the long run).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from studio.core.blobs import sha256_file
from studio.core.errors import NotFoundError
from studio.core.orphans import find_orphans
from studio.core.store import Project
from studio.operations.projects import new_project
from studio.operations.video_queue import ACTIVE
from studio.plugins.host import PluginHost
from studio.testing.clips import make_test_clip
from studio.testing.servers.chat import TEST_API_KEY, ChatServer, Scripted
from studio.testing.servers.video import VideoServer, server_clip
from tests.soak import worker

LONGEST_WAIT = 2.5  # seconds from a child's start to its kill, at most
FINISH_TIMEOUT = 300.0  # for the last run, which resumes every job to its end

GAME = f"""<!DOCTYPE html>
<html><body><canvas id="c"></canvas>
<script>
{worker.ANCHOR}
const ctx = document.getElementById('c').getContext('2d');
let x = 0;
function frame() {{ x = (x + 2) % 300; ctx.fillRect(x, 10, 20, 20);
  requestAnimationFrame(frame); }}
requestAnimationFrame(frame);
</script></body></html>
"""
EDIT = (
    'Faster.\n<edit path="index.html">\n<<<<<<< SEARCH\n'
    f"{worker.ANCHOR}\n=======\n{worker.ANCHOR}\nconst speed = {{n}};\n>>>>>>> REPLACE\n</edit>\n"
)


def answers(n: int) -> list[Scripted]:
    """Scripted model answers: new games and edits, streamed in small pieces."""
    out = []
    for i in range(n):
        if i % 2:
            text = EDIT.format(n=i)
        else:
            text = f'A new game.\n<file path="index.html">\n{GAME}<!-- {i} -->\n</file>\n'
        out.append(Scripted.text(text, chunk_size=40, chunk_delay=0.002))
    return out


@dataclass
class Figures:
    seed: int
    kills: int = 0
    kill_points: Counter[str] = field(default_factory=Counter)  # what the child was doing
    versions_reported: int = 0
    versions_lost: int = 0
    assets_reported: int = 0
    assets_lost: int = 0
    leftovers_cleaned: Counter[str] = field(default_factory=Counter)  # assets, blobs
    jobs: Counter[str] = field(default_factory=Counter)  # final status of every job
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        points = ", ".join(f"{op} {n}" for op, n in self.kill_points.most_common())
        return (
            f"seed {self.seed}: {self.kills} kills ({points}); "
            f"versions reported {self.versions_reported}, lost {self.versions_lost}; "
            f"assets reported {self.assets_reported}, lost {self.assets_lost}; "
            f"left by cut-off work and cleaned at open: {self.leftovers_cleaned['assets']} "
            f"asset rows, {self.leftovers_cleaned['blobs']} blobs; "
            f"jobs at the end: {dict(self.jobs)}; problems: {len(self.problems)}"
        )


class Soak:
    def __init__(self, folder: Path, seed: int) -> None:
        self.folder = folder
        self.seed = seed
        self.rng = random.Random(seed)
        self.figures = Figures(seed)
        self.reported_versions: dict[tuple[str, int], dict[str, str]] = {}
        self.reported_assets: dict[tuple[str, str], str] = {}
        self._journal_read = 0

    def run(self, kills: int) -> Figures:
        with ChatServer() as chat, VideoServer(server_clip(), steps=3) as videos:
            setup = self._setup(chat, videos)
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["tests.soak.worker"])
            for number in range(kills):
                if chat.pending < 40:
                    chat.script(*answers(80))
                wait = self.rng.uniform(0.05, LONGEST_WAIT)
                self._child(context, setup, number, wait)
                self._check(f"kill {number + 1} after {wait:.2f} s")
                if len(self.figures.problems) > 20:
                    break  # enough to go on
            chat.script(*answers(20))
            self._child(context, setup, kills, None)
            self._check("the last run, which finished every job", final=True)
        return self.figures

    def _setup(self, chat: ChatServer, videos: VideoServer) -> worker.Setup:
        work = self.folder / "work"
        work.mkdir(parents=True)
        source = self.folder / "source"
        source.mkdir()
        (source / "index.html").write_text(GAME.replace("x + 2", "x + 5"), encoding="utf-8")
        (source / "sprite.png").write_bytes(b"\x89PNG sprite")
        clip = make_test_clip(self.folder / "holiday.mp4", 1, (160, 90))
        with Project.create(self.folder / "game") as game:
            game.commit({"index.html": GAME}, parent=None, kind="manual")
        host = PluginHost()
        host.load_all(entry_points=True)
        new_project(self.folder / "tale", host.template("story")).close()
        return worker.Setup(
            game=str(self.folder / "game.studio"),
            tale=str(self.folder / "tale.studio"),
            chat_url=chat.base_url,
            chat_key=TEST_API_KEY,
            video_url=videos.base_url,
            video_key=videos.api_key,
            clip=str(clip),
            source=str(source),
            work=str(work),
            journal=str(self.folder / "journal.jsonl"),
        )

    def _child(self, context, setup: worker.Setup, number: int, wait: float | None) -> None:
        with open(setup.journal, "a", encoding="utf-8") as journal:
            # (after a line the kill cut short, which stays unread: it was never reported)
            journal.write("\n" + json.dumps({"run": number, "wait": wait}) + "\n")
        child = context.Process(
            target=worker.run, args=(setup, self.seed * 100_003 + number, wait is None)
        )
        child.start()
        if wait is None:
            child.join(FINISH_TIMEOUT)
            if child.exitcode != 0:
                self.figures.problems.append(
                    f"seed {self.seed}: the last run did not finish its jobs in "
                    f"{FINISH_TIMEOUT:.0f} s (exit code {child.exitcode})"
                )
                self._kill(child)
            return
        child.join(wait)
        if child.exitcode is not None:
            self.figures.problems.append(
                f"seed {self.seed}, run {number}: the child ended by itself ({child.exitcode})"
            )
            return
        self._kill(child)
        self.figures.kills += 1

    @staticmethod
    def _kill(child) -> None:
        """SIGKILL for the child and the ffmpeg it started (its process group, once it made
        one; before that, only the child exists)."""
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            child.kill()
        child.join(30)

    def _read_journal(self) -> list[dict]:
        with (self.folder / "journal.jsonl").open("rb") as f:
            f.seek(self._journal_read)
            data = f.read()
        complete = data[: data.rfind(b"\n") + 1]  # a line cut by the kill is not a report
        self._journal_read += len(complete)
        records = []
        for line in complete.decode(errors="replace").splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue  # empty, or cut short by a kill
        return records

    def _check(self, moment: str, final: bool = False) -> None:
        doing = None
        for record in self._read_journal():
            if "op" in record:
                doing = record["op"]
            elif "done" in record:
                doing = None
            elif "version" in record:
                key = (record["project"], record["version"])
                self.reported_versions[key] = record["files"]
            elif "asset" in record:
                self.reported_assets[(record["project"], record["asset"])] = record["blob"]
        if not final:
            self.figures.kill_points[doing or "starting or resuming jobs"] += 1
        self.figures.versions_reported = len(self.reported_versions)
        self.figures.assets_reported = len(self.reported_assets)
        for name in ("game.studio", "tale.studio"):
            problems = self._check_project(self.folder / name, final)
            self.figures.problems += [f"seed {self.seed}, {moment}, {name}: {p}" for p in problems]

    def _check_project(self, folder: Path, final: bool) -> list[str]:
        try:
            project = Project.open(folder)
        except Exception as exc:  # noqa: BLE001 (that is the finding)
            return [f"does not open: {exc}"]
        with project:
            self.figures.leftovers_cleaned["assets"] += len(project.cleaned.assets)
            self.figures.leftovers_cleaned["blobs"] += len(project.cleaned.blobs)
            problems = check_project(project)
            for (where, vid), files in self.reported_versions.items():
                if where != folder.name:
                    continue
                try:
                    kept = project.file_hashes(vid)
                except NotFoundError:
                    kept = None
                if kept != files:
                    self.figures.versions_lost += 1
                    problems.append(f"version {vid} was reported committed and is {kept}")
            for (where, name), blob in self.reported_assets.items():
                if where != folder.name:
                    continue
                try:
                    kept_blob = project.asset(name).blob
                except NotFoundError:
                    kept_blob = None
                if kept_blob != blob:
                    self.figures.assets_lost += 1
                    problems.append(f"asset {name} was reported stored and is {kept_blob}")
            if final:
                jobs = project.jobs()
                self.figures.jobs.update(job.status for job in jobs)
                problems += [f"job {j.id} still {j.status}" for j in jobs if j.status in ACTIVE]
        return problems


def check_project(project: Project) -> list[str]:
    """What must hold of any project at any moment, whatever was cut off."""
    problems = []
    rows = project._conn.execute("PRAGMA integrity_check").fetchall()
    if [tuple(r) for r in rows] != [("ok",)]:
        problems.append(f"integrity_check: {[tuple(r) for r in rows]}")
    stored = project.blobs.names()
    for sha in sorted(stored):
        if sha256_file(project.blobs.path(sha)) != sha:
            problems.append(f"blob {sha[:12]} does not hold what its name says (half-written)")
    temporaries = [p.name for p in project.blobs.root.iterdir() if p.name.startswith(".tmp-")]
    if temporaries:
        problems.append(f"temporary files left in the store: {temporaries}")
    named = {r[0] for r in project._conn.execute("SELECT blob FROM version_files")}
    named |= {a.blob for a in project.assets()}
    if named - stored:
        problems.append(f"blobs named and missing: {sorted(named - stored)}")
    left = find_orphans(project._conn, project.blobs)
    if left.assets or left.blobs:
        problems.append(f"leftovers after opening: {left}")
    for job in project.jobs(ACTIVE):
        if job.status != "queued" and not job.remote_id:
            problems.append(f"job {job.id} is {job.status} with no remote id: it cannot resume")
    by_job = Counter(
        a.meta["job"] for a in project.assets() if a.meta.get("role") == "proxy" and "job" in a.meta
    )
    problems += [f"job {job} made {n} clips" for job, n in by_job.items() if n > 1]
    return problems
