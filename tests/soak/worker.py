"""The child process of the kill soak: Studio's real operations, one after another, until it
is killed.

It works on two projects: a game (generations against the local chat server, the person's
edits, imports of a folder and of a clip, video jobs against the local Videos API server,
restores) and a story (a scene's clip made again with the offline title-cards provider).
When it starts it resumes the video jobs the last run left. Everything it has seen committed
it writes to the journal, one JSON line each, after the operation returned: the parent
checks that all of it is still there after the kill.

Imported once by the fork server (`multiprocessing`'s "forkserver", preloaded): a child
starts in milliseconds, so the soak spends its time working and being killed.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.ai.chat_provider import OpenAIChatProvider
from studio.ai.video_openai import OpenAIVideoProvider
from studio.ai.video_provider import make_provider
from studio.core import assets
from studio.core.records import Version
from studio.core.store import Project
from studio.operations.generator import Generator
from studio.operations.projects import import_source, save_edit
from studio.operations.story_clips import make_clips, story_of
from studio.operations.video_queue import PollPolicy, VideoQueue
from studio.plugins.host import PluginHost

HOST = PluginHost()
HOST.load_all(entry_points=True)  # in the fork server, once

FAST = PollPolicy(first=0.02, longest=0.1, max_transient=3)
ANCHOR = "// soak-anchor"  # in every version of the game: the scripted edits apply to it


@dataclass(frozen=True)
class Setup:
    game: str  # project folders
    tale: str
    chat_url: str
    chat_key: str
    video_url: str
    video_key: str
    clip: str  # a small real MP4 to import
    source: str  # a folder with index.html to import
    work: str  # temporary files, title cards
    journal: str


def run(setup: Setup, seed: int, finish: bool = False) -> None:
    """The child's entry point: work until killed (or, with `finish`, resume every job to
    its end and return)."""
    os.setsid()  # a group of its own: ffmpeg children die with it
    tempfile.tempdir = setup.work
    with open(setup.journal, "a", encoding="utf-8", buffering=1) as journal:

        def note(**record: Any) -> None:
            journal.write(json.dumps(record) + "\n")

        asyncio.run(_work(setup, random.Random(seed), note, finish))


class _Run:
    def __init__(self, setup: Setup, note: Callable[..., None]) -> None:
        self.setup, self.note = setup, note
        self.game = Project.open(setup.game)
        self.tale = Project.open(setup.tale)
        self.chat = OpenAIChatProvider(
            base_url=setup.chat_url, api_key=setup.chat_key, timeout=10, backoff=0.05
        )
        self.generator = Generator(self.game, self.chat, "test-model")

        def videos(name: str) -> OpenAIVideoProvider:
            return OpenAIVideoProvider(
                base_url=setup.video_url, api_key=setup.video_key, max_retries=0, timeout=10
            )

        def cards(name: str):
            options = {"work_dir": setup.work, "size": "160x90", "seconds": 1}
            return make_provider(HOST, name, options)

        self.videos = VideoQueue(self.game, videos, poll=FAST)
        self.cards = VideoQueue(self.tale, cards, poll=FAST)

    def version(self, project: Project, version: Version | None) -> None:
        if version is not None:
            files = project.file_hashes(version.id)
            self.note(version=version.id, project=project.path.name, files=files)

    def clip(self, project: Project, name: str) -> None:
        clip = assets.clip(project, name)
        for part in (clip.name, clip.original, clip.thumbnail):
            if part:
                blob = project.asset(part).blob
                self.note(asset=part, project=project.path.name, blob=blob)

    # -- the operations, each as a person (or the app) would run it ---------------------

    async def generate(self, rng: random.Random) -> None:
        outcome = await self.generator.generate(f"change number {rng.randrange(10**6)}")
        self.version(self.game, outcome.version)

    async def edit(self, rng: random.Random) -> None:
        files = await asyncio.to_thread(self.game.files)
        text = files["index.html"].decode()
        files["index.html"] = text.replace(ANCHOR, f"{ANCHOR}\n// typed {rng.random()}", 1)
        self.version(self.game, await asyncio.to_thread(save_edit, self.game, files))

    async def import_folder(self, rng: random.Random) -> None:
        version = await asyncio.to_thread(import_source, self.game, Path(self.setup.source))
        self.version(self.game, version)

    async def import_clip(self, rng: random.Random) -> None:
        clip = await assets.import_video(
            self.game, self.setup.clip, name=f"take-{rng.randrange(99)}"
        )
        self.clip(self.game, clip.name)

    async def video_job(self, rng: random.Random) -> None:
        job = self.videos.generate("openai", f"a fox number {rng.randrange(99)}", seconds=4)
        self.note(job=job.id, project=self.game.path.name)
        job = await self.videos.wait(job.id)
        if job.status == "completed":
            self.clip(self.game, job.result[0])

    async def restore(self, rng: random.Random) -> None:
        versions = await asyncio.to_thread(self.game.versions)
        old = rng.choice(versions)
        self.version(self.game, await asyncio.to_thread(self.game.restore, old.id))

    async def story_clip(self, rng: random.Random) -> None:
        _, story = await asyncio.to_thread(story_of, self.tale)
        scene = rng.choice([s.id for s in story.scenes if s.prompt.strip()])
        outcome = await make_clips(self.tale, self.cards, "title-cards", scenes=[scene])
        for version in outcome.versions:
            self.version(self.tale, version)

    async def close(self) -> None:
        await self.videos.aclose()
        await self.cards.aclose()
        await self.chat.aclose()
        self.game.close()
        self.tale.close()


WEIGHTS = {
    "generate": 4,
    "edit": 3,
    "import_folder": 1,
    "import_clip": 2,
    "video_job": 2,
    "restore": 1,
    "story_clip": 2,
}


async def _work(setup: Setup, rng: random.Random, note: Callable[..., None], finish: bool) -> None:
    work = _Run(setup, note)
    work.videos.start()  # what the last run left: resumed
    work.cards.start()
    if finish:
        await asyncio.gather(work.videos.run(), work.cards.run())
        await work.close()
        note(finished=True)
        return
    names, weights = list(WEIGHTS), list(WEIGHTS.values())
    while True:
        name = rng.choices(names, weights)[0]
        note(op=name)
        await getattr(work, name)(rng)
        note(done=name)
