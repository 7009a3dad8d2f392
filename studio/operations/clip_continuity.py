"""How a clip joins the clips around it ("continuity"), with the best tool the model offers.

In order of preference, by what the chosen model can do:

1. `extend`: the previous clip is extended (the model continues it itself). Only a clip
   the same provider made, whose result the service still keeps, can be; the new clip is
   the extension's new seconds.
2. `first_frame`: the clip starts on the previous clip's last frame.
3. `cast`: pictures of the cast members the scene names (a story's `cast[].picture`) go
   with the request as reference pictures, up to the model's number.
4. `end_frame`: the clip ends on the first frame of the next scene's clip, when that clip
   stays (a scene re-made between others); it goes along with `first_frame` too.

The choice made is kept with the job (`params["continuity"]`) and shown (`describe`).
"Continue this clip" in the Video pane follows the same order (`continue_method`).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from studio.ai.video_provider import VideoCapabilities
from studio.core import assets
from studio.core.records import VideoJob
from studio.core.store import Project
from studio.story.model import Scene, Story

__all__ = [
    "CONTINUITY",
    "Continuity",
    "Neighbours",
    "cast_pictures",
    "choose",
    "continue_method",
    "describe",
    "extendable",
    "frame_of_file",
    "named_cast",
]

CONTINUITY = "continuity"  # the job parameter keeping the choice made
Method = Literal["extend", "first_frame", "cast", "end_frame"]
# A result whose expiry the service did not say is taken to be kept this long.
KEPT_WITHOUT_EXPIRY = 3600.0
MARGIN = 120.0  # an extension must start well before the result expires


@dataclass(frozen=True)
class Neighbours:
    """What there is around a scene to join its clip to."""

    previous: str | None = None  # the scene it follows, whose clip there is (or will be)
    previous_extendable: bool = False  # that clip can be extended by this provider
    cast: tuple[str, ...] = ()  # cast members the scene names who have a picture
    next: str | None = None  # a following scene whose clip stays


@dataclass(frozen=True)
class Continuity:
    """The choice for one clip: its `method` (None: nothing joins it), the scene (or clip)
    it continues (`source`), the cast pictures sent, and the scene it ends on (`end`)."""

    method: Method | None = None
    source: str | None = None
    cast: tuple[str, ...] = ()
    end: str | None = None

    def as_params(self) -> dict[str, Any]:
        data: dict[str, Any] = {"method": self.method}
        if self.source:
            data["from"] = self.source
        if self.cast:
            data["cast"] = list(self.cast)
        if self.end:
            data["end"] = self.end
        return data

    @classmethod
    def from_params(cls, data: Any) -> Continuity:
        if not isinstance(data, Mapping) or data.get("method") not in _WORDS:
            return cls()
        return cls(
            method=data["method"],
            source=data.get("from"),
            cast=tuple(str(c) for c in data.get("cast") or ()),
            end=data.get("end"),
        )

    def words(self) -> str:
        """`starts on the last frame of shore`; "" when nothing joins the clip."""
        parts = []
        if self.method in ("extend", "first_frame"):
            parts.append(_WORDS[self.method].format(self.source))
        if self.cast:
            parts.append(_WORDS["cast"].format(", ".join(self.cast)))
        if self.end:
            parts.append(_WORDS["end_frame"].format(self.end))
        return "; ".join(parts)


_WORDS = {
    "extend": "extends the clip of {}",
    "first_frame": "starts on the last frame of {}",
    "cast": "with the pictures of {}",
    "end_frame": "ends on the first frame of {}",
}


def choose(caps: VideoCapabilities, around: Neighbours) -> Continuity:
    """The best continuity the model offers for a clip with these neighbours."""
    if around.previous and around.previous_extendable and caps.extend:
        return Continuity("extend", source=around.previous)
    if around.previous and caps.image_reference:
        choice = Continuity("first_frame", source=around.previous)
    elif around.cast and caps.reference_images > 0:
        return Continuity("cast", cast=around.cast[: caps.reference_images])
    else:
        choice = Continuity()
    if around.next and caps.last_frame:
        choice = replace(choice, method=choice.method or "end_frame", end=around.next)
    return choice


def continue_method(caps: VideoCapabilities, *, extendable_here: bool) -> str | None:
    """How the Video pane continues a clip with a model: "extend" (the clip came from this
    provider and the service keeps it), "first_frame", "reference" (its last frame as a
    reference picture), or None (the model cannot)."""
    if extendable_here and caps.extend:
        return "extend"
    if caps.image_reference:
        return "first_frame"
    if caps.reference_images > 0:
        return "reference"
    return None


def extendable(job: VideoJob | None, provider: str, *, now: float | None = None) -> bool:
    """Whether `job`'s clip can be extended by `provider` now: the same provider made it,
    and the service still keeps the result (its expiry, if the service said one)."""
    if job is None or job.status != "completed" or not job.remote_id or job.provider != provider:
        return False
    now = time.time() if now is None else now
    expires = job.params.get("expires_at")
    if isinstance(expires, int | float) and not isinstance(expires, bool):
        return now + MARGIN < expires
    return now - job.updated < KEPT_WITHOUT_EXPIRY


def describe(params: Mapping[str, Any]) -> str:
    """The continuity a job used, in words ("" when none)."""
    return Continuity.from_params(params.get(CONTINUITY)).words()


def named_cast(story: Story, scene: Scene, files: Mapping[str, str]) -> tuple[str, ...]:
    """The cast members `scene` names whose picture is among the version's `files`."""
    return tuple(
        member.name
        for member in story.cast
        if member.named_in(scene.prompt) and member.picture_path in files
    )


def cast_pictures(
    project: Project, story: Story, names: Sequence[str], files: Mapping[str, str]
) -> list[bytes]:
    """The pictures of the named cast members, read from the version's files (hashes)."""
    by_name = {m.name: m for m in story.cast}
    return [
        project.blobs.read(files[by_name[name].picture_path])  # type: ignore[index]
        for name in names
        if name in by_name and by_name[name].picture_path in files
    ]


async def frame_of_file(project: Project, sha: str, name: str, *, last: bool) -> bytes:
    """The first or last frame (PNG) of a version's clip file (blob `sha`, named `name`):
    through the library when the clip is there, else from the file itself."""
    library = {a.blob: a.name for a in await asyncio.to_thread(project.assets)}
    if last and sha in library:
        return await assets.last_frame_png(project, library[sha])
    from studio.media import last_frame, thumbnail

    with tempfile.TemporaryDirectory(prefix="studio-story-") as folder:
        copy = Path(folder) / Path(name).name
        await asyncio.to_thread(shutil.copyfile, project.blobs.path(sha), copy)
        if last:
            return await last_frame(copy, image_format="png")
        return await thumbnail(copy, 0.0, image_format="png")
