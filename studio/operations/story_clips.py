"""Make clips: one video job per scene that has none, through any registered video provider.

    outcome = await make_clips(project, queue, "title-cards", continuity=True)

Each scene's job gets `clip_prompt` (the scene with the story's style and cast). With
`continuity`, each clip joins the previous scene's (the scene it is first reached from)
with the best tool the model offers (`studio.operations.clip_continuity`: extending that
clip, starting on its last frame, pictures of the cast, ending on the next clip's first
frame), so its job waits for that clip when it is being made in the same batch; the choice
is kept with the job. Jobs run in the project's video queue (stored, resumable, limited per
provider) and become clips in the library as usual; each job is tagged with its scene
(`params["story_scene"]`).

Before anything is queued, `ClipBatch.plan()` says what will be made, how, and about what
it costs (`ClipPlan.estimate`), so the app and `studio clips` can ask once before a batch
that costs money; `run()` makes what the plan says.

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
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from studio.ai.video_provider import VideoCapabilities, VideoError
from studio.core.records import Version, VideoJob
from studio.core.store import Project
from studio.errors import StudioError
from studio.media.errors import MediaError
from studio.operations.clip_continuity import (
    CONTINUITY,
    Continuity,
    Neighbours,
    cast_pictures,
    choose,
    extendable,
    frame_of_file,
    named_cast,
)
from studio.operations.clip_plan import (
    ACTIVE,
    SCENE_TAG,
    ClipPlan,
    PlannedClip,
    clip_sha,
    job_of_clip,
    plan_clips,
    reusable_job,
    scenes_needing_clips,
    story_of,
)
from studio.story.model import ASSET_DIR, STORY_FILE, Story, load_story, parse_story, set_clips

__all__ = [
    "ClipBatch",
    "ClipPlan",
    "ClipsOutcome",
    "PlannedClip",
    "SceneClip",
    "make_clips",
    "reusable_job",
    "scenes_needing_clips",
    "story_of",
]

log = logging.getLogger(__name__)

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
    continuity: str = ""  # how the clip joins the others, in words (planned, then made)

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
        aspect: str | None = None,
        resolution: str | None = None,
        audio: bool | None = None,
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
        self.seconds, self.model, self.version = seconds, model, version
        # The clip's shape and sound, as every scene's request carries them.
        shape = {"size": size, "aspect": aspect, "resolution": resolution, "audio": audio}
        self.shape = {k: v for k, v in shape.items() if v is not None}
        self._plan: ClipPlan | None = None
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

    # -- planning -------------------------------------------------------------------------

    async def plan(self) -> ClipPlan:
        """What `run()` will make, how, and about what it costs; queues nothing
        (`studio.operations.clip_plan`)."""
        if self._plan is None:
            self._plan = await plan_clips(
                self.project,
                self.queue,
                self.provider,
                scenes=self.scenes,
                continuity=self.continuity,
                seconds=self.seconds,
                model=self.model,
                shape=self.shape,
                version=self.version,
            )
        return self._plan

    # -- running --------------------------------------------------------------------------

    async def run(self) -> ClipsOutcome:
        plan = await self.plan()
        story, files, caps, queue = plan.story, plan.files, plan.caps, self.queue
        self.outcome.notes.extend(plan.notes)
        if not plan.clips:
            self.outcome.notes.append("every scene has its clip")
            return self.outcome

        self.progress = {
            c.scene: SceneClip(c.scene, continuity=c.continuity.words()) for c in plan.clips
        }
        self.outcome.scenes = list(self.progress.values())
        by_job: dict[int, SceneClip] = {}
        finished = {c.scene: asyncio.Event() for c in plan.clips}
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

        async def one(planned: PlannedClip) -> None:
            item = self.progress[planned.scene]
            try:
                if planned.reuse is not None:
                    item.reused = True
                    if planned.reuse.status in ACTIVE:
                        queue.resume(planned.reuse.id)  # driven already, or again after a restart
                    await follow(item, planned.reuse)
                else:
                    job = await self._new_job(planned, item, story, files, caps, finished)
                    await follow(item, job)
            except (StudioError, VideoError) as exc:  # e.g. the provider refused the request
                item.status, item.error = "failed", str(exc)
                self._tell(item)
            except Exception as exc:  # one scene's surprise must not stop the others
                log.exception("the clip of scene %s failed", planned.scene)
                item.status, item.error = "failed", f"{type(exc).__name__}: {exc}"
                self._tell(item)
            finally:
                finished[planned.scene].set()
            if item.status == "completed" and item.clip:
                await self._land()

        try:
            await asyncio.gather(*(one(planned) for planned in plan.clips))
        finally:
            listening = False
            unsubscribe = getattr(queue, "unsubscribe", None)
            if unsubscribe is not None:
                with contextlib.suppress(Exception):
                    unsubscribe(job_changed)
            self.land_now()  # stopped partway: what arrived goes into the story now
        return self.outcome

    async def _new_job(
        self,
        planned: PlannedClip,
        item: SceneClip,
        story: Story,
        files: Mapping[str, str],
        caps: VideoCapabilities,
        finished: Mapping[str, asyncio.Event],
    ) -> VideoJob:
        """Queue the scene's job, joined to its neighbours as well as what there is now
        allows (the previous clip may have failed meanwhile)."""
        scene_id, request = planned.scene, dict(planned.request)
        joined = _Joined(Continuity())
        if self._plan is not None and self._plan.continuity:
            joined = await self._join(planned, story, files, caps, finished)
        choice = joined.choice
        item.continuity = choice.words()
        item.reference = choice.source if choice.method == "first_frame" else None
        extra = {SCENE_TAG: scene_id, CONTINUITY: choice.as_params()}
        if choice.method == "extend" and joined.source_job is not None:
            return self.queue.extend(
                joined.source_job,
                request["prompt"],
                int(request["seconds"] or min(caps.extend_durations or caps.durations)),
                keep_last=True,
                extra=extra,
            )
        return self.queue.generate(
            self.provider,
            request.pop("prompt"),
            image=joined.first,
            image_name=f"{choice.source}-last-frame.png" if joined.first else "reference.png",
            last_frame=joined.last,
            references=joined.references,
            name=scene_id,
            extra=extra,
            **request,
        )

    async def _join(
        self,
        planned: PlannedClip,
        story: Story,
        files: Mapping[str, str],
        caps: VideoCapabilities,
        finished: Mapping[str, asyncio.Event],
    ) -> _Joined:
        """The continuity for a scene's clip now, with the pictures it needs."""
        scene_id = planned.scene
        notes = self.outcome.notes
        parent = story.parents().get(scene_id)
        previous, source_job = None, None
        if parent in finished:  # made in this batch: wait for it
            await finished[parent].wait()
            made = self.progress[parent]
            if made.status == "completed" and made.clip and made.job is not None:
                previous, source_job = parent, await asyncio.to_thread(self.project.job, made.job)
        elif clip_sha(story, parent, files):
            previous = parent
            source_job = await asyncio.to_thread(job_of_clip, self.project, story, parent, files)
        around = Neighbours(
            previous=previous,
            previous_extendable=extendable(source_job, self.provider),
            cast=named_cast(story, story.scene(scene_id), files),
            next=planned.continuity.end,
        )
        choice = choose(caps, around)
        joined = _Joined(choice, source_job=source_job.id if source_job else None)
        try:
            if choice.method == "first_frame" and previous is not None:
                joined.first = await self._previous_frame(story, previous, files)
            if choice.end:
                sha = clip_sha(story, choice.end, files)
                assert sha is not None
                joined.last = await frame_of_file(
                    self.project, sha, story.scene(choice.end).clip or "", last=False
                )
        except (StudioError, MediaError) as exc:  # made without it, and said so
            notes.append(f"scene {scene_id}: made without continuity: {exc}")
            return _Joined(Continuity())
        if choice.cast:
            joined.references = cast_pictures(self.project, story, choice.cast, files)
        return joined

    async def _previous_frame(self, story: Story, parent: str, files: Mapping[str, str]) -> bytes:
        made = self.progress.get(parent)
        if made is not None and made.clip:
            from studio.core import assets

            return await assets.last_frame_png(self.project, made.clip)
        sha = clip_sha(story, parent, files)
        assert sha is not None
        return await frame_of_file(self.project, sha, story.scene(parent).clip or "", last=True)


@dataclass
class _Joined:
    """A continuity choice with the pictures it sends."""

    choice: Continuity
    source_job: int | None = None  # the job whose clip is extended
    first: bytes | None = None
    last: bytes | None = None
    references: list[bytes] = field(default_factory=list)


async def make_clips(project: Project, queue: Any, provider: str, **options: Any) -> ClipsOutcome:
    """Make the clips (see the module doc and `ClipBatch` for the options)."""
    return await ClipBatch(project, queue, provider, **options).run()


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
