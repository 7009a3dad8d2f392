"""The story in `story.json`: scenes with choices between them, a start scene, style and cast.

`Story.from_data` reads whatever is there, tolerantly (the validator says what is wrong), so
the graph view and the clip maker can work on a story that is still being written. Changes
go through `update_scene` / `set_clips`, which rewrite the file in one stable layout
(`dump_story`) so that the model's search/replace edits keep matching it.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from studio.errors import StudioError

__all__ = [
    "ASSET_DIR",
    "STORY_FILE",
    "Character",
    "Choice",
    "Scene",
    "Story",
    "dump_story",
    "load_story",
    "parse_story",
    "set_cast",
    "set_clips",
    "update_scene",
]

STORY_FILE = "story.json"
ASSET_DIR = "assets/"
EDITABLE = ("title", "text", "prompt")


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class Choice:
    label: str
    next: str
    at: float | None = None


@dataclass(frozen=True)
class Character:
    name: str
    description: str
    picture: str | None = None  # a picture of them: a file name in assets/

    @property
    def picture_path(self) -> str | None:
        return ASSET_DIR + self.picture if self.picture else None

    def named_in(self, text: str) -> bool:
        """Whether `text` (a scene's prompt) names this character."""
        return bool(self.name) and self.name.lower() in text.lower()


@dataclass(frozen=True)
class Scene:
    id: str
    title: str = ""
    text: str = ""
    prompt: str = ""
    clip: str | None = None
    choices: tuple[Choice, ...] = ()
    ending: bool = False
    seconds: int | None = None

    @property
    def clip_path(self) -> str | None:
        return ASSET_DIR + self.clip if self.clip else None


@dataclass(frozen=True)
class Story:
    title: str = ""
    start: str = ""
    style: str = ""
    cast: tuple[Character, ...] = ()
    scenes: tuple[Scene, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_data(cls, data: Any) -> Story:
        if not isinstance(data, dict):
            return cls(data={})
        scenes = []
        for raw in data.get("scenes") or []:
            if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
                continue
            choices = tuple(
                Choice(
                    _str(c.get("label")),
                    _str(c.get("next")),
                    float(c["at"])
                    if isinstance(c.get("at"), int | float) and not isinstance(c["at"], bool)
                    else None,
                )
                for c in raw.get("choices") or []
                if isinstance(c, dict)
            )
            seconds = raw.get("seconds")
            scenes.append(
                Scene(
                    id=raw["id"],
                    title=_str(raw.get("title")),
                    text=_str(raw.get("text")),
                    prompt=_str(raw.get("prompt")),
                    clip=raw["clip"] if isinstance(raw.get("clip"), str) and raw["clip"] else None,
                    choices=choices,
                    ending=raw.get("ending") is True,
                    seconds=seconds if isinstance(seconds, int) and seconds > 0 else None,
                )
            )
        cast = tuple(
            Character(
                _str(c.get("name")),
                _str(c.get("description")),
                c["picture"] if isinstance(c.get("picture"), str) and c["picture"] else None,
            )
            for c in data.get("cast") or []
            if isinstance(c, dict)
        )
        return cls(
            title=_str(data.get("title")),
            start=_str(data.get("start")),
            style=_str(data.get("style")),
            cast=cast,
            scenes=tuple(scenes),
            data=data,
        )

    # -- lookups -------------------------------------------------------------------------

    def scene(self, scene_id: str) -> Scene:
        for scene in self.scenes:
            if scene.id == scene_id:
                return scene
        raise StudioError(f"the story has no scene {scene_id!r}")

    def has(self, scene_id: str) -> bool:
        return any(s.id == scene_id for s in self.scenes)

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.scenes]

    @property
    def endings(self) -> list[Scene]:
        return [s for s in self.scenes if s.ending]

    # -- the graph -----------------------------------------------------------------------

    def order(self) -> list[str]:
        """Scene ids breadth-first from the start (choices in order), then the unreachable
        ones in file order: the order clips are made and nodes are laid out in."""
        seen = self.reachable()
        rest = [i for i in dict.fromkeys(self.ids) if i not in seen]
        return list(seen) + rest

    def reachable(self) -> dict[str, int]:
        """Each scene reachable from the start, with its depth (choices away from it)."""
        by_id = {s.id: s for s in reversed(self.scenes)}  # the first of duplicates wins
        depth: dict[str, int] = {}
        if self.start not in by_id:
            return depth
        queue = deque([self.start])
        depth[self.start] = 0
        while queue:
            current = queue.popleft()
            for choice in by_id[current].choices:
                if choice.next in by_id and choice.next not in depth:
                    depth[choice.next] = depth[current] + 1
                    queue.append(choice.next)
        return depth

    def parents(self) -> dict[str, str]:
        """For each reachable scene but the start, the scene it is first reached from (on a
        shortest path): "the previous scene" for continuity between clips."""
        by_id = {s.id: s for s in reversed(self.scenes)}
        parent: dict[str, str] = {}
        for current in self.reachable():
            for choice in by_id[current].choices:
                if choice.next in by_id and choice.next != self.start:
                    parent.setdefault(choice.next, current)
        return parent

    def paths_to_endings(self, limit: int = 50) -> list[list[str]]:
        """Simple paths from the start to each ending (at most `limit`), shortest first."""
        by_id = {s.id: s for s in reversed(self.scenes)}
        found: list[list[str]] = []
        queue: deque[list[str]] = deque([[self.start]] if self.start in by_id else [])
        while queue and len(found) < limit:
            path = queue.popleft()
            scene = by_id[path[-1]]
            if scene.ending:
                found.append(path)
                continue
            for choice in scene.choices:
                if choice.next in by_id and choice.next not in path:
                    queue.append([*path, choice.next])
        return found


def parse_story(text: str | bytes) -> Story:
    """The story in a story.json text; a file that is not JSON raises StudioError."""
    return Story.from_data(_json(text))


def load_story(files: Mapping[str, bytes | str]) -> Story | None:
    """The story of a version's files, or None when it has no story.json."""
    if STORY_FILE not in files:
        return None
    return parse_story(files[STORY_FILE])


def dump_story(data: Mapping[str, Any]) -> str:
    """The one layout Studio writes story.json in (2-space indent, UTF-8 as is)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _json(text: str | bytes) -> Any:
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig", errors="replace")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise StudioError(f"story.json is not valid JSON: {exc}") from None


def _data(text: str | bytes) -> dict[str, Any]:
    data = _json(text)
    if not isinstance(data, dict) or not isinstance(data.get("scenes"), list):
        raise StudioError("story.json has no list of scenes")
    return data


def _scene_dict(data: dict[str, Any], scene_id: str) -> dict[str, Any]:
    for raw in data["scenes"]:
        if isinstance(raw, dict) and raw.get("id") == scene_id:
            return raw
    raise StudioError(f"the story has no scene {scene_id!r}")


def update_scene(text: str | bytes, scene_id: str, **changes: str) -> str:
    """story.json with a scene's title, text or prompt changed (other fields as they were)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise StudioError(f"only {', '.join(EDITABLE)} can be edited here, not {sorted(unknown)}")
    data = _data(text)
    scene = _scene_dict(data, scene_id)
    for key, value in changes.items():
        scene[key] = value
    return dump_story(data)


def set_clips(text: str | bytes, clips: Mapping[str, str | None]) -> tuple[str, list[str]]:
    """story.json with the given scenes' clip fields set; returns the text and the scene ids
    that were found (a scene removed meanwhile is skipped)."""
    data = _data(text)
    done = []
    for scene_id, clip in clips.items():
        try:
            _scene_dict(data, scene_id)["clip"] = clip
        except StudioError:
            continue
        done.append(scene_id)
    return dump_story(data), done


def set_cast(text: str | bytes, cast: list[Character]) -> str:
    """story.json with its cast replaced by `cast` (names, descriptions, pictures); an
    empty cast removes the field."""
    data = _data(text)
    members = []
    for member in cast:
        entry: dict[str, Any] = {"name": member.name, "description": member.description}
        if member.picture:
            entry["picture"] = member.picture
        members.append(entry)
    if members:
        data["cast"] = members
    else:
        data.pop("cast", None)
    return dump_story(data)
