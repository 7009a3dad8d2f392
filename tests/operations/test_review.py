"""Review before keeping (issue 17), Qt-free: the generator waits for the person's review of
an answer and keeps only the files they chose; dropping everything keeps nothing."""

from __future__ import annotations

from pathlib import Path

from studio.core.store import Project
from studio.operations.generator import Generator
from tests.ai.chat_server import ChatServer, Scripted

FILES = {
    "index.html": "<h1>Hi</h1>\n<script src=game.js></script>\n",
    "game.js": "let speed = 2;\n",
}
ANSWER = (
    "Faster and louder.\n"
    '<edit path="index.html">\n<<<<<<< SEARCH\n<h1>Hi</h1>\n=======\n<h1>Hello</h1>\n'
    ">>>>>>> REPLACE\n</edit>\n"
    '<edit path="game.js">\n<<<<<<< SEARCH\nlet speed = 2;\n=======\nlet speed = 5;\n'
    ">>>>>>> REPLACE\n</edit>\n"
)


async def test_only_the_files_kept_make_the_version(
    tmp_path: Path, chat_server: ChatServer, chat_provider
) -> None:
    asked: list[tuple[dict, dict]] = []

    async def review(before, changed):
        asked.append((dict(before), dict(changed)))
        return {"game.js"}

    with Project.create(tmp_path / "g") as project:
        project.commit(FILES, parent=None, kind="import")
        generator = Generator(project, chat_provider, "test-model", context_window=32_000)
        generator.review = review
        chat_server.script(Scripted.text(ANSWER))
        outcome = await generator.generate("faster", base=1)
        assert outcome.ok, outcome.notice
        assert asked[0][0] == FILES and set(asked[0][1]) == {"index.html", "game.js"}
        assert project.read_file(2, "game.js").decode() == "let speed = 5;\n"
        assert project.read_file(2, "index.html").decode() == FILES["index.html"]
        assert project.version(2).meta["changed"] == ["game.js"]
        assert outcome.notice.endswith("Dropped after review: index.html.")
        assert "edit to game.js" in outcome.notice and "index.html;" not in outcome.notice

        async def drop(before, changed):
            return None

        generator.review = drop
        chat_server.script(Scripted.text(ANSWER))
        outcome = await generator.generate("faster again", base=2)
        assert outcome.status == "dropped" and outcome.version is None
        assert [v.id for v in project.versions()] == [1, 2]
        last = project.messages()[-2:]
        assert last[0].role == "assistant" and last[0].meta["status"] == "dropped"
        assert "nothing was saved" in last[1].content
