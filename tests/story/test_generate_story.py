"""A story made by the model through the real generation machinery (scripted chat server,
real `openai` client), its clips made offline, and a follow-up edit adding a branch: only the
new scene needs a clip."""

from __future__ import annotations

from studio.operations.generator import Generator
from studio.operations.projects import new_project
from studio.operations.story_clips import make_clips, scenes_needing_clips, story_of
from studio.story.prompts import story_system_prompt
from studio.story.validate import check_files
from tests.ai.chat_server import ChatServer, Scripted

from .stories import ADD_BRANCH, NEW_STORY


def system_message(server: ChatServer, index: int = -1) -> str:
    messages = server.chat_requests[index].body["messages"]
    assert messages[0]["role"] == "system"
    return messages[0]["content"]


async def test_model_writes_a_story_then_adds_a_branch_and_only_that_scene_needs_a_clip(
    story_project, chat_server: ChatServer, chat_provider, title_cards_queue
):
    project = story_project
    generator = Generator(project, chat_provider, "test-model")

    chat_server.script(Scripted.text(NEW_STORY, chunk_size=40))
    outcome = await generator.generate("a clockwork heist with three endings")
    assert outcome.ok, outcome.notice
    # The story prompt went out, with the template's story.json to build on.
    assert system_message(chat_server) == story_system_prompt()
    assert (
        '<current_file path="story.json">'
        in chat_server.chat_requests[-1].body["messages"][-1]["content"]
    )

    files = project.files()
    assert check_files(files) == []
    _, story = story_of(project)
    assert story.title == "The Clockwork Heist"
    assert len(story.scenes) >= 6 and len(story.endings) >= 3
    assert len({p[-1] for p in story.paths_to_endings()}) == 3
    assert scenes_needing_clips(story, files) == [
        "gate",
        "roof",
        "hall",
        "vault",
        "caught",
        "home",
        "chime",
    ]

    made = await make_clips(project, title_cards_queue(project), "title-cards")
    assert [s.status for s in made.scenes] == ["completed"] * 7
    assert made.version is not None and project.head == made.version.id
    assert scenes_needing_clips(story_of(project)[1], project.file_hashes()) == []

    chat_server.script(Scripted.text(ADD_BRANCH))
    outcome = await generator.generate("add a way through the cellar from the hall")
    assert outcome.ok, outcome.notice
    assert system_message(chat_server) == story_system_prompt()
    files = project.files()
    assert check_files(files) == []
    _, story = story_of(project)
    assert [c.next for c in story.scene("hall").choices] == ["vault", "caught", "cellar"]
    assert scenes_needing_clips(story, project.file_hashes()) == ["cellar"]
    clips_before = {s.id: s.clip for s in story.scenes if s.id != "cellar"}

    jobs_before = len(project.jobs())
    again = await make_clips(project, title_cards_queue(project), "title-cards")
    assert [s.scene for s in again.scenes] == ["cellar"]
    assert len(project.jobs()) == jobs_before + 1
    _, story = story_of(project)
    assert story.scene("cellar").clip == "cellar.webm"
    assert {s.id: s.clip for s in story.scenes if s.id != "cellar"} == clips_before
    assert check_files(project.files()) == []


async def test_a_game_project_keeps_the_game_prompt_and_a_story_can_ask_for_it(
    tmp_path, host, chat_server: ChatServer, chat_provider
):
    game = new_project(tmp_path / "runner", host.template("runner"))
    try:
        chat_server.script(Scripted.text("Nothing to change."))
        await Generator(game, chat_provider, "test-model").generate("hello")
        assert "story maker" not in system_message(chat_server)
        assert "game maker" in system_message(chat_server)
    finally:
        game.close()
    # An empty project made from the story template gets the story prompt too …
    from studio.story.prompts import is_story, system_prompt_for

    assert is_story({}, "story") and not is_story({}, "runner")
    assert system_prompt_for({"story.json": b"{}"}) == story_system_prompt()
    # … and any project can be given it through the core API.
    blank = new_project(tmp_path / "blank")
    try:
        chat_server.script(Scripted.text(NEW_STORY))
        generator = Generator(
            blank, chat_provider, "test-model", system_prompt=story_system_prompt()
        )
        outcome = await generator.generate("a heist story")
        assert outcome.ok and system_message(chat_server) == story_system_prompt()
        assert "story.json" in blank.files()
    finally:
        blank.close()


def test_studio_generate_on_a_story_uses_the_story_prompt(tmp_path, chat_server: ChatServer):
    """`studio new --template story` then `studio generate`, as real processes."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from studio.core.store import Project
    from tests.ai.chat_server import TEST_API_KEY

    repo = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env.update(
        STUDIO_CONFIG_DIR=str(tmp_path / "config"),
        PYTHONPATH=str(repo),
        STUDIO_TEST_KEY=TEST_API_KEY,
        QT_QPA_PLATFORM="offscreen",
    )

    def studio(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "studio", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )

    tale = str(tmp_path / "heist")
    assert studio("new", tale, "--template", "story").returncode == 0
    chat_server.script(Scripted.text(NEW_STORY))
    run = studio(
        "generate",
        tale,
        "a clockwork heist",
        "--base-url",
        chat_server.base_url,
        "--model",
        "test-model",
        "--api-key-env",
        "STUDIO_TEST_KEY",
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "version 2" and "wrote story.json" in run.stderr
    assert system_message(chat_server) == story_system_prompt()
    with Project.open(tale) as project:
        assert check_files(project.files()) == []
        assert story_of(project)[1].title == "The Clockwork Heist"
