"""Make clips: one video job per scene that has none, through any registered video provider.

    outcome = await make_clips(project, queue, "title-cards", continuity=True)

Each scene's job gets `clip_prompt` (the scene with the story's style and cast). With
`continuity`, a scene starts from the last frame of the previous scene's clip (the scene it
is first reached from) as the reference picture, so its job waits for that clip when it is
being made in the same batch. Jobs run in the project's video queue (stored, resumable,
limited per provider) and become clips in the library as usual. When the batch is over,
one new version sets the finished scenes' `clip` fields in story.json and carries their
WebM files in `assets/`; a scene whose job failed keeps `clip: null` and can be made again.

`scenes=[id]` re-makes the given scenes even when they have a clip already.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.ai.video_provider import VideoError
from studio.core import assets
from studio.core.errors import StudioError
from studio.core.store import Project, Version, VideoJob
from studio.media.errors import MediaError
from studio.story.model import ASSET_DIR, STORY_FILE, Story, load_story, parse_story, set_clips
from studio.story.prompts import clip_prompt

__all__ = ["ClipsOutcome", "SceneClip", "make_clips", "scenes_needing_clips", "story_of"]

log = logging.getLogger(__name__)

ACTIVE = ("queued", "submitted", "running", "downloading")


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

    @property
    def done(self) -> bool:
        return self.status in ("completed", "failed", "cancelled")


@dataclass
class ClipsOutcome:
    scenes: list[SceneClip]
    version: Version | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def made(self) -> list[SceneClip]:
        return [s for s in self.scenes if s.status == "completed" and s.clip]

    @property
    def failed(self) -> list[SceneClip]:
        return [s for s in self.scenes if s.status != "completed"]


ProgressCallback = Callable[[SceneClip], object]


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


async def make_clips(
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
) -> ClipsOutcome:
    """Make the clips (see the module doc). `queue` is the project's `VideoQueue`."""
    try:
        capabilities = queue.provider(provider).capabilities
    except VideoError as exc:
        raise StudioError(str(exc)) from None
    base, story = await asyncio.to_thread(story_of, project, version)
    files = await asyncio.to_thread(project.file_hashes, base)
    notes: list[str] = []
    if scenes:
        targets = list(dict.fromkeys(scenes))
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
        return ClipsOutcome([], None, notes)

    if continuity and not capabilities.image_reference:
        notes.append(f"{provider} cannot start from a picture: clips are made without continuity")
        continuity = False

    progress = {scene_id: SceneClip(scene_id) for scene_id in targets}
    by_job: dict[int, SceneClip] = {}
    finished = {scene_id: asyncio.Event() for scene_id in targets}
    parents = story.parents() if continuity else {}
    listening = True

    def tell(item: SceneClip) -> None:
        if on_progress is not None:
            try:
                on_progress(item)
            except Exception:  # a broken listener must not stop the batch
                log.exception("clip progress listener failed")

    def job_changed(job: VideoJob) -> None:
        item = by_job.get(job.id)
        if not listening or item is None:
            return
        item.status, item.progress, item.error = job.status, job.progress, job.error
        if job.status == "completed" and job.result:
            item.clip = job.result[0]
        tell(item)

    queue.subscribe(job_changed)

    async def one(scene_id: str) -> None:
        item = progress[scene_id]
        try:
            scene = story.scene(scene_id)
            image = None
            parent = parents.get(scene_id)
            if parent is not None:
                try:
                    image = await _reference(project, story, parent, progress, finished, files)
                except (StudioError, MediaError) as exc:  # made without it, and said so
                    notes.append(
                        f"scene {scene_id}: no last frame of {parent} to start from: {exc}"
                    )
                item.reference = parent if image else None
            job = queue.generate(
                provider,
                clip_prompt(story, scene),
                seconds=scene.seconds or seconds,
                size=size,
                model=model,
                image=image,
                image_name=f"{parent}-last-frame.png" if image else "reference.png",
                name=scene_id,
            )
            by_job[job.id] = item
            await asyncio.to_thread(
                project.update_job, job.id, params={**job.params, "story_scene": scene_id}
            )
            item.job, item.status = job.id, job.status
            tell(item)
            final = await queue.wait(job.id)
            item.status, item.progress, item.error = final.status, final.progress, final.error
            if final.status == "completed" and final.result:
                item.clip = final.result[0]
            elif final.status in ACTIVE:
                item.error = item.error or "not finished yet: `studio jobs --resume` finishes it"
            tell(item)
        except (StudioError, VideoError) as exc:  # e.g. the provider refused the request
            item.status, item.error = "failed", str(exc)
            tell(item)
        except Exception as exc:  # one scene's surprise must not stop the others
            log.exception("the clip of scene %s failed", scene_id)
            item.status, item.error = "failed", f"{type(exc).__name__}: {exc}"
            tell(item)
        finally:
            finished[scene_id].set()

    try:
        await asyncio.gather(*(one(scene_id) for scene_id in targets))
    finally:
        listening = False
        unsubscribe = getattr(queue, "unsubscribe", None)
        if unsubscribe is not None:
            with contextlib.suppress(Exception):
                unsubscribe(job_changed)

    made = {s.scene: s.clip for s in progress.values() if s.status == "completed" and s.clip}
    result = ClipsOutcome([progress[s] for s in targets], None, notes)
    if made:
        result.version = await asyncio.to_thread(_commit, project, made)
    return result


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
    head = project.resolve(None)
    hashes = project.file_hashes(head)
    if STORY_FILE not in hashes:
        raise StudioError(
            f"version {head} has no story.json any more: the clips stay in the library"
        )
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
