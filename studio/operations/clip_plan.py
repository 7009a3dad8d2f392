"""Planning Make clips: which scenes get a clip, with what request, joined how to the
clips around them, and about what it all costs, before anything is queued or paid for.

A scene needs a clip when its clip is not set or not in the version's files (or when it is
named to be re-made). Its request is the scene's prompt with the story's style and cast
(`clip_prompt`), its length (snapped to what the model makes, and said so), and the shape
and sound the batch asks for. A job already made for the same scene and request is used
again (nothing paid twice, `reusable_job`). The continuity each clip is meant to have is
chosen as if the clips before it are made (`studio.operations.clip_continuity`); the batch
chooses again when it queues the job, with what there is then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from studio.ai.video_cost import money
from studio.ai.video_options import model_words, nearest
from studio.ai.video_provider import (
    VideoCapabilities,
    VideoError,
    strict_capabilities,
)
from studio.core.records import VideoJob
from studio.core.store import Project
from studio.errors import StudioError
from studio.operations.clip_continuity import (
    Continuity,
    Neighbours,
    choose,
    describe,
    extendable,
    named_cast,
)
from studio.operations.video_costs import Estimate
from studio.story.model import STORY_FILE, Story, parse_story
from studio.story.prompts import clip_prompt

__all__ = [
    "ACTIVE",
    "SCENE_TAG",
    "ClipPlan",
    "PlannedClip",
    "clip_sha",
    "job_of_clip",
    "plan_clips",
    "reusable_job",
    "scene_continuity",
    "scenes_needing_clips",
    "story_of",
]

ACTIVE = ("queued", "submitted", "running", "downloading")
SCENE_TAG = "story_scene"  # the job parameter naming the scene a job makes a clip for


@dataclass(frozen=True)
class PlannedClip:
    """One scene's clip as planned: the request, the continuity it is meant to have (if
    the clips before it are made), and about what it costs (0 for a job reused)."""

    scene: str
    request: Mapping[str, Any]
    continuity: Continuity = Continuity()
    estimate: float | None = None
    reuse: VideoJob | None = None

    def words(self) -> str:
        """`shore: 8 s, starts on the last frame of tower, about $3.20`."""
        parts = [f"{self.request['seconds']} s" if self.request.get("seconds") else ""]
        parts.append(self.continuity.words())
        if self.reuse is not None:
            parts.append(f"job {self.reuse.id} made it already: nothing to pay")
        elif self.estimate is None:
            parts.append("price unknown")
        else:
            parts.append(f"about {money(self.estimate)}")
        return f"{self.scene}: " + ", ".join(p for p in parts if p)


@dataclass
class ClipPlan:
    """What a batch will make (`clips`, in order), notes on what it will not, and what it
    was planned from (the story of version `base`, its files, the model's capabilities)."""

    provider: str
    clips: list[PlannedClip]
    notes: list[str] = field(default_factory=list)
    continuity: bool = False
    base: int = 0
    story: Story = field(default_factory=Story, repr=False)
    files: Mapping[str, str] = field(default_factory=dict, repr=False)
    caps: VideoCapabilities = field(default_factory=VideoCapabilities, repr=False)

    @property
    def estimate(self) -> Estimate:
        """About what the new jobs cost together (reused ones cost nothing more)."""
        return Estimate.of(c.estimate for c in self.clips if c.reuse is None)

    @property
    def new(self) -> int:
        return sum(c.reuse is None for c in self.clips)

    def summary(self) -> str:
        """`5 clips with veo: about $12.00`, for a question before the batch starts."""
        count = len(self.clips)
        text = f"{count} clip{'s' if count != 1 else ''} with {self.provider}"
        if self.new < count:
            text += f" ({count - self.new} from earlier jobs)"
        return f"{text}: {self.estimate.words()}"


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
    seconds, size, model...), that is still running, or (with `finished`) completed with
    its clip still in the `library` (asset names)."""
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


def clip_sha(story: Story, scene_id: str | None, files: Mapping[str, str]) -> str | None:
    """The hash of the clip file `scene_id` plays in the version (None: it has none)."""
    if scene_id is None or not story.has(scene_id):
        return None
    path = story.scene(scene_id).clip_path
    return files.get(path) if path else None


def job_of_clip(
    project: Project, story: Story, scene_id: str | None, files: Mapping[str, str]
) -> VideoJob | None:
    """The job that made the clip `scene_id` plays now (None: not a generated clip)."""
    sha = clip_sha(story, scene_id, files)
    if sha is None:
        return None
    for asset in project.assets():
        if asset.blob == sha and asset.meta.get("job"):
            try:
                return project.job(int(asset.meta["job"]))
            except StudioError:  # the job row is gone: no extension
                return None
    return None


def scene_continuity(project: Project, story: Story, files: Mapping[str, str]) -> dict[str, str]:
    """How the clip each scene plays now was joined to the others, in words (scenes whose
    clip no job made, or made without continuity, are left out)."""
    jobs = {
        asset.blob: int(asset.meta["job"])
        for asset in project.assets()
        if asset.meta.get("job") and asset.meta.get("role") == "proxy"
    }
    out = {}
    for scene in story.scenes:
        job_id = jobs.get(clip_sha(story, scene.id, files) or "")
        if job_id is None:
            continue
        try:
            words = describe(project.job(job_id).params)
        except StudioError:
            continue
        if words:
            out[scene.id] = words
    return out


def _kept_next(
    story: Story, scene_id: str, files: Mapping[str, str], targets: set[str]
) -> str | None:
    """A scene a choice of `scene_id` leads to whose clip stays (not re-made now)."""
    for choice in story.scene(scene_id).choices:
        if choice.next not in targets and clip_sha(story, choice.next, files):
            return choice.next
    return None


def _joins_at_all(caps: VideoCapabilities) -> bool:
    return caps.extend or caps.image_reference or caps.reference_images > 0 or caps.last_frame


async def plan_clips(
    project: Project,
    queue: Any,
    provider: str,
    *,
    scenes: Sequence[str] | None = None,
    continuity: bool = False,
    seconds: int | None = None,
    model: str | None = None,
    shape: Mapping[str, Any] | None = None,
    version: int | None = None,
) -> ClipPlan:
    """The plan for making clips (see the module doc); queues nothing. Raises StudioError
    for a provider that is not there or a named scene that cannot be made."""
    try:
        caps = queue.capabilities(provider, model)
        strict = strict_capabilities(queue.provider(provider))
    except VideoError as exc:
        raise StudioError(str(exc)) from None
    base, story = await asyncio.to_thread(story_of, project, version)
    files = await asyncio.to_thread(project.file_hashes, base)
    plan = ClipPlan(provider, [], [], continuity, base, story, files, caps)
    if scenes:
        targets = list(dict.fromkeys(scenes))
        for scene_id in targets:
            if not story.scene(scene_id).prompt.strip():
                raise StudioError(f"scene {scene_id!r} has no video prompt: write one first")
    else:
        targets = scenes_needing_clips(story, files)
        skipped = [s.id for s in story.scenes if not s.prompt.strip()]
        if skipped:
            plan.notes.append(f"no prompt, so no clip: {', '.join(skipped)}")
    if continuity and not _joins_at_all(caps):
        plan.notes.append(
            f"{model_words(provider, model)} cannot start from a picture, take reference "
            "pictures or extend a clip: clips are made without continuity"
        )
        plan.continuity = False
    jobs = await asyncio.to_thread(project.jobs)
    library = {a.name for a in await asyncio.to_thread(project.assets)}
    parents = story.parents()
    wanted = set(targets)
    for scene_id in targets:
        scene = story.scene(scene_id)
        request: dict[str, Any] = {
            "prompt": clip_prompt(story, scene).strip(),
            "seconds": scene.seconds or seconds,
            "model": model,
            **dict(shape or {}),
        }
        choice = Continuity()
        if plan.continuity:
            parent = parents.get(scene_id)
            previous = parent if parent in wanted or clip_sha(story, parent, files) else None
            made_now = previous in wanted
            around = Neighbours(
                previous=previous,
                previous_extendable=made_now
                or extendable(job_of_clip(project, story, previous, files), provider),
                cast=named_cast(story, scene, files),
                next=_kept_next(story, scene_id, files, wanted),
            )
            choice = choose(caps, around)
        lengths = caps.extend_durations if choice.method == "extend" else caps.durations
        asked = request["seconds"]
        if strict and asked and lengths and asked not in lengths:
            request["seconds"] = nearest(lengths, asked)
            plan.notes.append(
                f"scene {scene_id}: {request['seconds']} s rather than {asked} s "
                f"({model_words(provider, model)} makes {', '.join(map(str, lengths))} s)"
            )
        finished = not scenes  # a scene named to be re-made wants a new clip
        reuse = reusable_job(jobs, scene_id, provider, request, library, finished=finished)
        estimate = 0.0 if reuse is not None else queue.estimate(provider, request)
        plan.clips.append(PlannedClip(scene_id, request, choice, estimate, reuse))
    return plan
