"""A story's cast with pictures: what the story panel's cast editor writes.

A character's picture (imported from a file, or one of the project's pictures, made by an
image service or not) is kept as an asset in the library (role "cast") and put into the
version's `assets/` under that name, which the cast entry in story.json names
(`cast[].picture`). Make clips sends it with every scene that names the character, to
models that take reference pictures (`studio.operations.clip_continuity`). A picture no
member uses any more leaves the version's files (it stays in the library).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from studio.ai.formats import PICTURE_SUFFIX, picture_mime
from studio.core import assets
from studio.core.store import Project
from studio.errors import StudioError
from studio.story.model import ASSET_DIR, STORY_FILE, Character, load_story, set_cast

__all__ = ["CastEdit", "cast_files"]


@dataclass(frozen=True)
class CastEdit:
    """One member as edited: `picture` is the file name it has now (None: none), or
    `new_picture` the bytes of one chosen now."""

    name: str
    description: str
    picture: str | None = None
    new_picture: bytes | None = None


def _suffix(data: bytes) -> str:
    mime = picture_mime(data)
    if mime is None:
        raise StudioError("A cast picture must be a PNG, JPEG or WebP picture.")
    return PICTURE_SUFFIX[mime]


def cast_files(
    project: Project, files: Mapping[str, bytes], cast: Sequence[CastEdit]
) -> dict[str, bytes]:
    """The version's `files` with its cast as edited: new pictures kept in the library
    and put into `assets/`, story.json's cast rewritten."""
    if STORY_FILE not in files:
        raise StudioError("This version has no story.json.")
    members = []
    for edit in cast:
        name, description = edit.name.strip(), edit.description.strip()
        if not name or not description:
            raise StudioError("Each cast member needs a name and a description.")
        picture = edit.picture
        if edit.new_picture is not None:
            wanted = assets.slug(name, "character") + _suffix(edit.new_picture)
            picture = project.unique_asset_name(wanted)
            meta = {"role": "cast", "character": name}
            project.add_asset(picture, edit.new_picture, meta=meta)
        members.append(Character(name, description, picture))
    out = dict(files)
    before = load_story(files)
    used = {m.picture for m in members if m.picture}
    for old in {m.picture for m in (before.cast if before else ()) if m.picture} - used:
        out.pop(ASSET_DIR + old, None)
    for member in members:
        path = ASSET_DIR + member.picture if member.picture else None
        if path and path not in out:
            out[path] = project.blobs.read(project.asset(member.picture).blob)  # type: ignore[arg-type]
    out[STORY_FILE] = set_cast(files[STORY_FILE], members).encode("utf-8")
    return out
