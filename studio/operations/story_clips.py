"""Make clips: one video job per scene that has none, through any registered video provider.

    outcome = await make_clips(project, queue, "title-cards", continuity=True)

Each scene's job gets `clip_prompt` (the scene with the story's style and cast). With
`continuity`, a scene starts from the last frame of the previous scene's clip (the scene it
is first reached from) as the reference picture, so its job waits for that clip when it is
being made in the same batch. Jobs run in the project's video queue (stored, resumable,
limited per provider) and become clips in the library as usual; each job is tagged with its
scene (`params["story_scene"]`).

Clips land as they arrive: a new version on top of the head sets the scene's `clip` in
story.json and carries its WebM file in `assets/` (clips that arrive while one is being
written go into the next version together). A batch that is stopped (`ClipBatch.land_now`,
or cancelling `run`) first writes what has arrived, so no finished clip is left out of the
story. A scene whose job failed keeps `clip: null` and can be made again.

Nothing is paid for twice: before queuing a scene, a job of the same scene, provider and
request that is still running is waited for, and one that completed with its clip still in
the library is used as it is. `scenes=[id]` re-makes the given scenes even when they have a
clip already (waiting for a running job of theirs, never reusing a finished one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.ai.video_provider import VideoError
from studio.core import assets
from studio.core.records import Version, VideoJob
from studio.core.store import Project
from studio.errors import StudioError
from studio.media.errors import MediaError
from studio.story.model import ASSET_DIR, STORY_FILE, Story, load_story, parse_story, set_clips
from studio.story.prompts import clip_prompt

__all__ = [
    "ClipBatch",
    "ClipsOutcome",
    "SceneClip",
    "make_clips",
    "reusable_job",
    "scenes_needing_clips",
    "story_of",
]

log = logging.getLogger(__name__)

ACTIVE = ("queued", "submitted", "running", "downloading")
SCENE_TAG = "story_scene"  # the job parameter naming the scene a job makes a clip for
# One version at a time, also between a commit in a worker thread and one made by a batch
# being stopped: each builds on the head the previous one left.
_LANDING = threading.Lock()


@dataclass
class SceneClip:
    """Progress of one scene's clip, as the UI and the CLI show it."""

    scene: str
    status: str = "waiting"  # waiting (for the previous clip) or a video job's status
    progress: float = 0.0
    job: int | None = None
    clip: str | None = None  # the new clip's WebM name, once made
    error: str | None = None
    reference: str | None = None  # the scene whose last frame it starts from
    reused: bool = False  # the job was there already (running or finished): nothing new paid

    @property
    def done(self) -> bool:
        return self.status in ("completed", "failed", "cancelled")


@dataclass
class ClipsOutcome:
    scenes: list[SceneClip]
    versions: list[Version] = field(default_factory=list)  # as the clips landed, oldest first
    notes: list[str] = field(default_factory=list)

    @property
    def version(self) -> Version | None:
        """The last version written: the story with every clip that landed."""
        return self.versions[-1] if self.versions else None

    @property
    def made(self) -> list[SceneClip]:
        return [s for s in self.scenes if s.status == "completed" and s.clip]

    @property
    def failed(self) -> list[SceneClip]:
        return [s for s in self.scenes if s.status != "completed"]


ProgressCallback = Callable[[SceneClip], object]
VersionCallback = Callable[[Version], object]


def story_of(project: Project, version: int | None = None) -> tuple[int, Story]:
    """(version id, story) of the given version or the head; StudioError without a story."""
    vid = project.resolve(version)
    try:
        text = project.read_file(vid, STORY_FILE)
    except StudioError:
        raise StudioError(f"version {vid} of {project.name} has no story.json") from None
    return vid, parse_story(text)


def scenes_needing_clips(story: Story, files: Mapping[str, object]) -> list[str]:
    """Scenes (start first, then as reached) whose clip is not set or not in the files.
    Scenes without a prompt are left out: there is nothing to make."""
    wanted = []
    for scene_id in story.order():
        scene = story.scene(scene_id)
        if not scene.prompt.strip():
            continue
        if scene.clip_path is None or scene.clip_path not in files:
            wanted.append(scene_id)
    return list(dict.fromkeys(wanted))


def reusable_job(
    jobs: Sequence[VideoJob],
    scene_id: str,
    provider: str,
    request: Mapping[str, Any],
    library: set[str],
    *,
    finished: bool = True,
) -> VideoJob | None:
    """The newest job tagged with the scene, of the same provider and request (prompt,
    seconds, size, model), that is still running, or (with `finished`) completed with its
    clip still in the `library` (asset names)."""
    for job in sorted(jobs, key=lambda j: j.id, reverse=True):
        params = job.params
        if params.get(SCENE_TAG) != scene_id or job.provider != provider:
            continue
        if any(params.get(k) != v for k, v in request.items()):
            continue
        if job.status in ACTIVE:
            return job
        if finished and job.status == "completed" and job.result and job.result[0] in library:
            return job
    return None


class ClipBatch:
    """One run of Make clips (see the module doc): `await batch.run()`; `land_now()` when
    it is being stopped."""

    def __init__(
        self,
        project: Project,
        queue: Any,
        provider: str,
        *,
        scenes: Sequence[str] | None = None,
        continuity: bool = False,
        seconds: int | None = None,
        size: str | None = None,
        model: str | None = None,
        version: int | None = None,
        on_progress: ProgressCallback | None = None,
        on_version: VersionCallback | None = None,
        before_landing: Callable[[], object] | None = None,
    ) -> None:
        """`queue` is the project's `VideoQueue`. `on_version` hears of each version written;
        `before_landing` is called on the loop just before one is (the app saves the editor's
        unsaved edits then, so the version builds on them)."""
        self.project, self.queue, self.provider = project, queue, provider
        self.scenes, self.continuity = scenes, continuity
        self.seconds, self.size, self.model, self.version = seconds, size, model, version
        self.on_progress, self.on_version = on_progress, on_version
        self.before_landing = before_landing
        self.progress: dict[str, SceneClip] = {}
        self.outcome = ClipsOutcome([])
        self._taken: set[str] = set()  # scenes whose clip is written (or being written)
        self._landing = asyncio.Lock()

    # -- landing --------------------------------------------------------------------------

    def _arrived(self) -> dict[str, str]:
        """Clips made and not yet taken into a version, by scene."""
        return {
            s: item.clip
            for s, item in self.progress.items()
            if item.status == "completed" and item.clip and s not in self._taken
        }

    def _landed(self, version: Version | None) -> None:
        if version is None:
            return  # every scene was removed from the story meanwhile
        self.outcome.versions.append(version)
        if self.on_version is not None:
            try:
                self.on_version(version)
            except Exception:  # a broken listener must not lose the next clips
                log.exception("clip version listener failed")

    def _not_landed(self, made: Mapping[str, str], exc: Exception) -> None:
        names = ", ".join(f"{s} ({c})" for s, c in made.items())
        self.outcome.notes.append(
            f"not put into the story, kept in the library: {names}: {exc}; "
            "Make clips again uses them"
        )

    async def _land(self) -> None:
        async with self._landing:
            made = self._arrived()
            if not made:
                return  # an earlier call took them along
            if self.before_landing is not None:
                try:
                    self.before_landing()
                except Exception:
                    log.exception("before_landing failed")
                made = self._arrived()  # while it ran, more may have arrived
            self._taken.update(made)
            try:
                version = await asyncio.to_thread(_commit, self.project, made)
            except Exception as exc:  # noqa: BLE001 (a locked database too: the batch goes on)
                if not isinstance(exc, StudioError):
                    log.exception("could not put the arrived clips into the story")
                self._not_landed(made, exc)
                return
            self._landed(version)

    def land_now(self) -> None:
        """Write the clips that arrived and are not in the story yet, now (synchronously):
        the batch is being stopped, its project may close right after."""
        made = self._arrived()
        if not made:
            return
        self._taken.update(made)
        try:
            version = _commit(self.project, made)  # waits for a commit under way, if any
        except StudioError as exc:
            self._not_landed(made, exc)
            return
        except Exception:  # the project closed first: the clips stay in the library
            log.exception("could not put the arrived clips into the story")
            return
        self._landed(version)

    # -- running --------------------------------------------------------------------------

    def _tell(self, item: SceneClip) -> None:
        if self.on_progress is not None:
            try:
                self.on_progress(item)
            except Exception:  # a broken listener must not stop the batch
                log.exception("clip progress listener failed")

    async def run(self) -> ClipsOutcome:
        project, queue, provider = self.project, self.queue, self.provider
        try:
            capabilities = queue.provider(provider).capabilities
        except VideoError as exc:
            raise StudioError(str(exc)) from None
        base, story = await asyncio.to_thread(story_of, project, self.version)
        files = await asyncio.to_thread(project.file_hashes, base)
        notes = self.outcome.notes
        if self.scenes:
            targets = list(dict.fromkeys(self.scenes))
            for scene_id in targets:
                if not story.scene(scene_id).prompt.strip():
                    raise StudioError(f"scene {scene_id!r} has no video prompt: write one first")
        else:
            targets = scenes_needing_clips(story, files)
            skipped = [s.id for s in story.scenes if not s.prompt.strip()]
            if skipped:
                notes.append(f"no prompt, so no clip: {', '.join(skipped)}")
        if not targets:
            notes.append("every scene has its clip")
            return self.outcome

        continuity = self.continuity
        if continuity and not capabilities.image_reference:
            notes.append(
                f"{provider} cannot start from a picture: clips are made without continuity"
            )
            continuity = False

        jobs = await asyncio.to_thread(project.jobs)
        library = {a.name for a in await asyncio.to_thread(project.assets)}
        self.progress = {scene_id: SceneClip(scene_id) for scene_id in targets}
        self.outcome.scenes = [self.progress[s] for s in targets]
        by_job: dict[int, SceneClip] = {}
        finished = {scene_id: asyncio.Event() for scene_id in targets}
        parents = story.parents() if continuity else {}
        listening = True

        def job_changed(job: VideoJob) -> None:
            item = by_job.get(job.id)
            if not listening or item is None:
                return
            item.status, item.progress, item.error = job.status, job.progress, job.error
            if job.status == "completed" and job.result:
                item.clip = job.result[0]
            self._tell(item)

        queue.subscribe(job_changed)

        async def follow(item: SceneClip, job: VideoJob) -> None:
            by_job[job.id] = item
            item.job, item.status, item.progress = job.id, job.status, job.progress
            self._tell(item)
            final = await queue.wait(job.id)
            item.status, item.progress, item.error = final.status, final.progress, final.error
            if final.status == "completed" and final.result:
                item.clip = final.result[0]
            elif final.status in ACTIVE:
                item.error = item.error or "not finished yet: `studio jobs --resume` finishes it"
            self._tell(item)

        async def one(scene_id: str) -> None:
            item = self.progress[scene_id]
            scene = story.scene(scene_id)
            request = {
                "prompt": clip_prompt(story, scene).strip(),
                "seconds": scene.seconds or self.seconds,
                "size": self.size,
                "model": self.model,
            }
            try:
                old = reusable_job(
                    jobs, scene_id, provider, request, library, finished=not self.scenes
                )
                if old is not None:
                    item.reused = True
                    if old.status in ACTIVE:
                        queue.resume(old.id)  # driven already, or again after a restart
                    await follow(item, old)
                else:
                    await follow(item, await new_job(scene_id, item, request))
            except (StudioError, VideoError) as exc:  # e.g. the provider refused the request
                item.status, item.error = "failed", str(exc)
                self._tell(item)
            except Exception as exc:  # one scene's surprise must not stop the others
                log.exception("the clip of scene %s failed", scene_id)
                item.status, item.error = "failed", f"{type(exc).__name__}: {exc}"
                self._tell(item)
            finally:
                finished[scene_id].set()
            if item.status == "completed" and item.clip:
                await self._land()

        async def new_job(scene_id: str, item: SceneClip, request: Mapping[str, Any]) -> VideoJob:
            image = None
            parent = parents.get(scene_id)
            if parent is not None:
                try:
                    image = await _reference(project, story, parent, self.progress, finished, files)
                except (StudioError, MediaError) as exc:  # made without it, and said so
                    notes.append(
                        f"scene {scene_id}: no last frame of {parent} to start from: {exc}"
                    )
                item.reference = parent if image else None
            job = queue.generate(
                provider,
                request["prompt"],
                seconds=request["seconds"],
                size=self.size,
                model=self.model,
                image=image,
                image_name=f"{parent}-last-frame.png" if image else "reference.png",
                name=scene_id,
            )
            by_job[job.id] = item
            return await asyncio.to_thread(
                project.update_job, job.id, params={**job.params, SCENE_TAG: scene_id}
            )

        try:
            await asyncio.gather(*(one(scene_id) for scene_id in targets))
        finally:
            listening = False
            unsubscribe = getattr(queue, "unsubscribe", None)
            if unsubscribe is not None:
                with contextlib.suppress(Exception):
                    unsubscribe(job_changed)
            self.land_now()  # stopped partway: what arrived goes into the story now
        return self.outcome


async def make_clips(project: Project, queue: Any, provider: str, **options: Any) -> ClipsOutcome:
    """Make the clips (see the module doc and `ClipBatch` for the options)."""
    return await ClipBatch(project, queue, provider, **options).run()


async def _reference(
    project: Project,
    story: Story,
    parent: str,
    progress: Mapping[str, SceneClip],
    finished: Mapping[str, asyncio.Event],
    files: Mapping[str, str],
) -> bytes | None:
    """The last frame of the parent scene's clip: the one being made now, else its own."""
    if parent in finished:
        await finished[parent].wait()
        made = progress[parent]
        if made.status != "completed" or not made.clip:
            return None
        return await assets.last_frame_png(project, made.clip)
    path = story.scene(parent).clip_path
    sha = files.get(path) if path else None
    if sha is None:
        return None
    library = {a.blob: a.name for a in project.assets()}
    if sha in library:
        return await assets.last_frame_png(project, library[sha])
    from studio.media import last_frame

    with tempfile.TemporaryDirectory(prefix="studio-story-") as folder:
        copy = Path(folder) / Path(path).name
        await asyncio.to_thread(shutil.copyfile, project.blobs.path(sha), copy)
        return await last_frame(copy, image_format="png")


def _commit(project: Project, made: Mapping[str, str]) -> Version | None:
    """One version on top of the head: story.json's clip fields set, the clips in assets/.
    A clip a scene no longer names (it was re-made) leaves the version's files."""
    with _LANDING:
        return _commit_on_head(project, made)


def _commit_on_head(project: Project, made: Mapping[str, str]) -> Version | None:
    head = project.resolve(None)
    hashes = project.file_hashes(head)
    if STORY_FILE not in hashes:
        raise StudioError(f"version {head} has no story.json any more")
    before = load_story({STORY_FILE: project.blobs.read(hashes[STORY_FILE])})
    text, done = set_clips(project.blobs.read(hashes[STORY_FILE]), made)
    if not done:
        return None
    after = parse_story(text)
    for name in {s.clip for s in before.scenes if s.clip} - {s.clip for s in after.scenes}:
        hashes.pop(ASSET_DIR + name, None)
    for scene_id in done:
        clip = made[scene_id]
        hashes[ASSET_DIR + clip] = project.asset(clip).blob
    hashes[STORY_FILE] = project.blobs.put(text.encode("utf-8"))
    label = f"clips for {len(done)} scene{'s' if len(done) != 1 else ''}"
    return project.commit_hashes(
        hashes,
        parent=head,
        kind="manual",
        meta={"label": label, "story_clips": {s: made[s] for s in done}},
    )
