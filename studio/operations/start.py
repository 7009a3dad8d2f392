"""From one sentence on the start screen to a project and the request that makes its game.

A sentence about a story (an interactive video, a visual novel, choose your own adventure)
starts from the story template, whose `story.json` the model rewrites; anything else starts
empty and the model writes the game. The project's name comes from the sentence's first
words; it goes in the projects folder under a name not taken yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from studio.core.store import project_path
from studio.export.archive_read import projects_dir

__all__ = ["StartPlan", "free_project_path", "plan_start", "projects_dir"]

STORY_TEMPLATE = "story"
_STORY = re.compile(
    r"\b(stor(y|ies)|interactive (video|film|movie)|choose[- ]your[- ]own|visual novel|"
    r"branching (video|tale|narrative))\b",
    re.IGNORECASE,
)
_FILLER = {"make", "create", "build", "write", "me", "us", "please", "a", "an", "the", "i", "want"}
NAME_WORDS = 4
STORY_NOTE = (
    "Write it as this project's story: rewrite story.json (title, style, cast, scenes with "
    "their text, clip prompts, choices and endings) and keep index.html, the player, as it is."
)


@dataclass(frozen=True)
class StartPlan:
    name: str  # the project's name (its folder's, before `.studio`)
    template: str | None  # the template to start from (None: an empty project)
    request: str  # what is sent to the code model


def plan_start(sentence: str) -> StartPlan:
    sentence = " ".join(sentence.split())
    story = bool(_STORY.search(sentence))
    words = re.findall(r"[A-Za-z0-9]+", sentence)
    while words and words[0].lower() in _FILLER:
        words.pop(0)
    name = "-".join(w.lower() for w in words[:NAME_WORDS]) or ("story" if story else "game")
    request = f"{sentence}\n\n{STORY_NOTE}" if story else sentence
    return StartPlan(name, STORY_TEMPLATE if story else None, request)


def free_project_path(folder: Path, name: str) -> Path:
    """`folder/<name>.studio`, or `<name>-2.studio`… when that is taken."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-").lower() or "game"
    path, n = project_path(folder / slug), 2
    while path.exists():
        path, n = project_path(folder / f"{slug}-{n}"), n + 1
    return path
