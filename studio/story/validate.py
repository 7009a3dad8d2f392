"""Checking a story: what would break it or leave a player stuck, named by scene id.

    problems = check_story(text, files)

Kinds of problem (`Problem.kind`):

- `json`: story.json is not JSON at all;
- `schema`: a field is missing, misspelt or of the wrong type (story.schema.json);
- `duplicate_id`: two scenes share an id;
- `bad_start`: the start scene does not exist;
- `dangling_choice`: a choice leads to a scene that does not exist;
- `unreachable`: no path of choices leads from the start to the scene;
- `dead_end`: a scene with no choices that is not marked as an ending;
- `no_prompt`: a scene with no video prompt (its clip cannot be made);
- `missing_clip`: a scene names a clip that is not in the project's files;
- `missing_picture`: a cast member's picture is not in the project's files.

`as_errors` gives them in the shape the Fix feature reads for runtime errors
(message, source, line, kind), so a broken story is offered to the model like a crash.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from studio.core.store import Project
from studio.story.jsonpos import parse_with_lines
from studio.story.model import ASSET_DIR, STORY_FILE, Story
from studio.story.schema import schema_errors

__all__ = ["KINDS", "Problem", "as_errors", "check_files", "check_story"]

KINDS = (
    "json",
    "schema",
    "duplicate_id",
    "bad_start",
    "dangling_choice",
    "unreachable",
    "dead_end",
    "no_prompt",
    "missing_clip",
    "missing_picture",
)
ERROR_KIND = "story"  # the `kind` of the error dicts offered to Fix


@dataclass(frozen=True)
class Problem:
    kind: str
    message: str
    scene: str | None = None
    line: int | None = None

    def as_error(self) -> dict[str, Any]:
        return {
            "message": f"story.json: {self.message}",
            "source": STORY_FILE,
            "line": self.line or 0,
            "kind": ERROR_KIND,
        }


def as_errors(problems: Iterable[Problem]) -> list[dict[str, Any]]:
    return [p.as_error() for p in problems]


def _scene_label(data: Any, index: int) -> str:
    try:
        scene_id = data["scenes"][index]["id"]
    except (KeyError, IndexError, TypeError):
        scene_id = None
    return f"scene {scene_id!r}" if isinstance(scene_id, str) else f"scene #{index + 1}"


def _describe(data: Any, path: tuple, message: str) -> tuple[str, str | None]:
    """A schema error in words that name the scene: (message, scene id)."""
    if len(path) >= 2 and path[0] == "scenes" and isinstance(path[1], int):
        label = _scene_label(data, path[1])
        scene_id = label[7:-1] if label.startswith("scene '") else None
        rest = path[2:]
        if len(rest) >= 2 and rest[0] == "choices" and isinstance(rest[1], int):
            where = f"choice {rest[1] + 1}" + "".join(f" {p}" for p in rest[2:])
        else:
            where = ".".join(str(p) for p in rest) or "the scene"
        return f"{label}: {where} {message}", scene_id
    if len(path) >= 2 and path[0] == "cast" and isinstance(path[1], int):
        rest = ".".join(str(p) for p in path[2:])
        return f"cast member {path[1] + 1}{' ' + rest if rest else ''} {message}", None
    where = ".".join(str(p) for p in path) or "the story"
    return f"{where} {message}", None


def check_story(text: str | bytes, files: Mapping[str, Any] | None = None) -> list[Problem]:
    """Every problem of a story.json text. With the version's `files`, clips are checked too."""
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig", errors="replace")
    try:
        data, lines = parse_with_lines(text)
    except json.JSONDecodeError as exc:
        return [
            Problem("json", f"is not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno)
        ]
    problems: list[Problem] = []
    for error in schema_errors(data):
        message, scene = _describe(data, error.path, error.message)
        line = _line(lines, error.path)
        problems.append(Problem("schema", message, scene, line))
    story = Story.from_data(data)
    if not isinstance(data, dict):
        return problems

    def scene_line(index: int) -> int | None:
        return lines.get(("scenes", index, "id")) or lines.get(("scenes", index))

    raw_scenes = [s for s in data.get("scenes") or [] if isinstance(s, dict)]
    index_of: dict[str, int] = {}
    for i, raw in enumerate(data.get("scenes") or []):
        scene_id = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(scene_id, str):
            continue
        if scene_id in index_of:
            problems.append(
                Problem(
                    "duplicate_id",
                    f"scene {scene_id!r} is defined twice (scenes #{index_of[scene_id] + 1} and "
                    f"#{i + 1}); give each scene its own id",
                    scene_id,
                    scene_line(i),
                )
            )
        else:
            index_of[scene_id] = i
    if not raw_scenes:
        return problems

    if story.start and story.start not in index_of:
        problems.append(
            Problem(
                "bad_start",
                f"the start scene {story.start!r} does not exist",
                None,
                lines.get(("start",)),
            )
        )
    reachable = story.reachable() if story.start in index_of else {}
    for i, raw in enumerate(data.get("scenes") or []):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            continue
        scene = Story.from_data({"scenes": [raw]}).scenes[0]
        first = index_of.get(scene.id) == i  # a duplicate is reported once, above
        for n, choice in enumerate(scene.choices):
            if choice.next and choice.next not in index_of:
                problems.append(
                    Problem(
                        "dangling_choice",
                        f"scene {scene.id!r}: choice {n + 1} ({choice.label!r}) leads to "
                        f"{choice.next!r}, which is not a scene",
                        scene.id,
                        lines.get(("scenes", i, "choices", n, "next")) or scene_line(i),
                    )
                )
        if first and story.start in index_of and scene.id not in reachable:
            problems.append(
                Problem(
                    "unreachable",
                    f"scene {scene.id!r} cannot be reached: no choice leads to it from the "
                    f"start scene {story.start!r}",
                    scene.id,
                    scene_line(i),
                )
            )
        if not scene.choices and not scene.ending:
            problems.append(
                Problem(
                    "dead_end",
                    f"scene {scene.id!r} is a dead end: it has no choices and is not an "
                    'ending (add choices, or "ending": true)',
                    scene.id,
                    scene_line(i),
                )
            )
        if not scene.prompt.strip():
            problems.append(
                Problem(
                    "no_prompt",
                    f"scene {scene.id!r} has no video prompt, so its clip cannot be made",
                    scene.id,
                    lines.get(("scenes", i, "prompt")) or scene_line(i),
                )
            )
        if files is not None and scene.clip and (ASSET_DIR + scene.clip) not in files:
            problems.append(
                Problem(
                    "missing_clip",
                    f"scene {scene.id!r} plays assets/{scene.clip}, which is not in the project",
                    scene.id,
                    lines.get(("scenes", i, "clip")) or scene_line(i),
                )
            )
    if files is not None:
        problems += _missing_pictures(story, files, lines)
    return problems


def _missing_pictures(
    story: Story, files: Mapping[str, Any], lines: Mapping[tuple, int]
) -> list[Problem]:
    return [
        Problem(
            "missing_picture",
            f"cast member {member.name!r} has the picture assets/{member.picture}, which is "
            "not in the project",
            None,
            _line(lines, ("cast", i, "picture")),
        )
        for i, member in enumerate(story.cast)
        if member.picture_path and member.picture_path not in files
    ]


def _line(lines: Mapping[tuple, int], path: tuple) -> int | None:
    while True:
        if path in lines:
            return lines[path]
        if not path:
            return None
        path = path[:-1]


def version_problems(project: Project, version_id: int) -> list[Problem]:
    """The problems of a stored version's story (none when it has no story.json); its other
    files are only named, not read."""
    hashes = project.file_hashes(version_id)
    if STORY_FILE not in hashes:
        return []
    return check_story(project.blobs.read(hashes[STORY_FILE]), hashes)


def check_files(files: Mapping[str, bytes | str]) -> list[Problem]:
    """The problems of a version's story (none when it has no story.json)."""
    text = files.get(STORY_FILE)
    return [] if text is None else check_story(text, files)
