"""Story mode: branching interactive video (Qt-free).

A story project is a game whose `index.html` is the story player and whose `story.json`
holds the scenes (see resources/story/story.schema.json). This package reads and checks
that file (`model`, `validate`), tells the models about it (`prompts`) and makes a clip
per scene through the video queue (`clips`). The graph view is `studio.ui.story.story_graph`;
the commands are `studio clips` and `studio story` (studio/commands/story.py).
"""

from studio.story.model import STORY_FILE, Choice, Scene, Story, load_story, parse_story
from studio.story.validate import Problem, as_errors, check_files, check_story

__all__ = [
    "STORY_FILE",
    "Choice",
    "Problem",
    "Scene",
    "Story",
    "as_errors",
    "check_files",
    "check_story",
    "load_story",
    "parse_story",
]
