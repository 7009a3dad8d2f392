"""What the models are told about stories: the code model's system prompt, clip prompts.

A story is generated with the same machinery as a game (context builder, stream parser,
edit applier, provider); only the system prompt differs. `system_prompt_for` picks it for a
project whose version has `story.json`, or that was made from the story template, so the
Chat panel and `studio generate` need no switch. `clip_prompt` is what a video provider is
asked for one scene: the scene's prompt with the story's shared style and cast.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from studio.config.resources import resource_path
from studio.story.model import STORY_FILE, Scene, Story

__all__ = [
    "STORY_TEMPLATE",
    "clip_prompt",
    "is_story",
    "story_system_prompt",
    "system_prompt_for",
]

STORY_TEMPLATE = "story"  # the built-in template's name (resources/templates/story)


@cache
def story_system_prompt() -> str:
    """The code model's system prompt for stories (resources/story/prompts/system.md)."""
    path = resource_path("story", "prompts", "system.md")
    return path.read_text(encoding="utf-8").strip() + "\n"


def is_story(files: Mapping[str, object], template: str | None = None) -> bool:
    """A version is a story when it has story.json, or (empty yet) came from the template."""
    return STORY_FILE in files or (not files and template == STORY_TEMPLATE)


def system_prompt_for(files: Mapping[str, object], template: str | None = None) -> str | None:
    """The story prompt for a story's files; None means the default (game) prompt."""
    return story_system_prompt() if is_story(files, template) else None


def clip_prompt(story: Story, scene: Scene) -> str:
    """The video prompt for one scene: the scene's title and prompt, then the shared style
    and cast (the members the scene's prompt names, or all of them when it names none), so
    every clip of the story looks alike. One item a line: the title-card provider reads
    the first line as its title."""
    lines = [scene.title.strip() or scene.id, scene.prompt.strip()]
    if story.style.strip():
        lines.append(f"Visual style: {story.style.strip()}")
    named = [c for c in story.cast if c.named_in(scene.prompt)]
    cast = [
        f"{c.name} ({c.description.strip()})"
        for c in named or list(story.cast)
        if c.name and c.description.strip()
    ]
    if cast:
        lines.append("Cast: " + "; ".join(cast))
    return "\n".join(line for line in lines if line)
