"""The generation operation end to end: real HTTP server, real openai client."""

from __future__ import annotations

import asyncio

import pytest

from studio.ai.answer import (
    GenerationEvent,
    RetryStarted,
    Waiting,
    continue_generation,
    join_continuation,
    run_generation,
)
from studio.ai.blocks import FileComplete, FileDelta, FileStarted, MessageText
from studio.ai.chat_provider import OpenAIChatProvider
from studio.ai.prompts import continue_prompt
from studio.ai.providers import ChatMessage
from tests.ai.chat_server import TEST_API_KEY as API_KEY
from tests.ai.chat_server import ChatServer, Scripted

MESSAGES: list[ChatMessage] = [
    {"role": "system", "content": "SYSTEM"},
    {"role": "user", "content": "make a game"},
]

INDEX = """<!DOCTYPE html>
<html>
<head><style>canvas { touch-action: none; }</style></head>
<body>
  <canvas id="c"></canvas>
  <script>
    const SPEED = 2;
    let score = 0;
    function update(dt) {
      ball.x += SPEED * dt;
      if (ball.x > W) {
        ball.x = 0;
        score += 1;
      }
    }
    function draw() {
      ctx.fillStyle = 'black';
      ctx.fillRect(0, 0, W, H);
      ctx.fillStyle = 'white';
      ctx.fillText('Score: ' + score, 10, 20);
    }
    window.studio = { state: () => ({ score }), advance: (ms) => update(ms / 1000) };
  </script>
</body>
</html>
"""

NEW_GAME = f'Here is a ball game. Tap or press space.\n\n<file path="index.html">\n{INDEX}</file>\n'


@pytest.fixture
def provider(chat_provider: OpenAIChatProvider) -> OpenAIChatProvider:
    return chat_provider


def edit(*pairs: tuple[str, str], path: str = "index.html") -> str:
    blocks = "".join(f"<<<<<<< SEARCH\n{s}=======\n{r}>>>>>>> REPLACE\n" for s, r in pairs)
    return f'<edit path="{path}">\n{blocks}</edit>\n'


class Recorder:
    def __init__(self) -> None:
        self.events: list[GenerationEvent] = []

    def __call__(self, event: GenerationEvent) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


async def generate(provider: OpenAIChatProvider, files: dict[str, str] | None = None, **kwargs):
    return await run_generation(provider, "test-model", MESSAGES, files or {}, **kwargs)


async def test_new_game_as_a_whole_file(chat_server: ChatServer, provider) -> None:
    chat_server.script(Scripted.text(NEW_GAME, chunk_size=5, usage=(100, 400)))
    events = Recorder()
    result = await generate(provider, on_event=events)
    assert result.status == "ok", result.error
    assert result.files == {"index.html": INDEX}
    assert result.message == "Here is a ball game. Tap or press space."
    assert result.written == ["index.html"] and result.changed == ["index.html"]
    assert result.finish_reason == "stop"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (100, 400)
    assert result.ttft is not None and result.total_time >= result.ttft
    assert result.partial is None and result.text == NEW_GAME
    assert events.of(FileStarted) == [FileStarted("index.html")]
    assert len(events.of(FileDelta)) > 10  # the editor sees the code as it is written
    assert "".join(e.text for e in events.of(FileDelta)) == INDEX
    assert events.of(FileComplete) == [FileComplete("index.html", INDEX)]


async def test_follow_up_with_several_edit_blocks(chat_server: ChatServer, provider) -> None:
    answer = (
        "Faster ball, and a blue background.\n"
        + edit(
            ("    const SPEED = 2;\n", "    const SPEED = 4;\n"),
            ("      ctx.fillStyle = 'black';\n", "      ctx.fillStyle = 'navy';\n"),
        )
        + edit(("", "body { margin: 0 }\n"), path="style.css")
    )
    chat_server.script(Scripted.text(answer))
    files = {"index.html": INDEX}
    result = await generate(provider, files)
    assert result.status == "ok", result.failed
    assert [r.how for r in result.applied] == ["exact", "exact", "created"]
    new = result.files["index.html"]
    assert "const SPEED = 4;" in new and "'navy'" in new and "'black'" not in new
    assert result.files["style.css"] == "body { margin: 0 }\n"
    assert sorted(result.changed) == ["index.html", "style.css"]
    assert files == {"index.html": INDEX}  # the caller's files are not touched
    assert len(chat_server.chat_requests) == 1


async def test_edits_needing_whitespace_and_fuzzy_matching(
    chat_server: ChatServer, provider
) -> None:
    whitespace = (
        "if (ball.x > W) {\n  ball.x = 0;\n  score += 1;\n}\n",
        "if (ball.x > W) {\n  ball.x = 0;\n  score += 2;\n}\n",
    )
    fuzzy = (
        "function draw() {\n"
        '  ctx.fillStyle = "black";\n'
        "  ctx.fillRect(0, 0, W, H);\n"
        '  ctx.fillStyle = "white";\n'
        "  ctx.fillText('Score: ' + score, 10, 20);\n"
        "}\n",
        "function draw() {\n"
        '  ctx.fillStyle = "black";\n'
        "  ctx.fillRect(0, 0, W, H);\n"
        '  ctx.fillStyle = "gold";\n'
        "  ctx.fillText('Score: ' + score, 10, 20);\n"
        "}\n",
    )
    chat_server.script(Scripted.text(edit(whitespace, fuzzy), chunk_size=11))
    result = await generate(provider, {"index.html": INDEX})
    assert result.status == "ok", result.failed
    assert [r.how for r in result.applied] == ["whitespace", "fuzzy"]
    new = result.files["index.html"]
    # Re-indented to the file's own indentation.
    assert "      if (ball.x > W) {\n        ball.x = 0;\n        score += 2;\n      }\n" in new
    assert '\n      ctx.fillStyle = "gold";\n' in new
    assert "ctx.fillStyle = 'white'" not in new


async def test_edit_matching_nothing_is_retried_once_then_fails(
    chat_server: ChatServer, provider
) -> None:
    good = ("    const SPEED = 2;\n", "    const SPEED = 3;\n")
    bad = ("function explode() {\n  particles.burst(100);\n}\n", "function explode() {}\n")
    chat_server.script(
        Scripted.text("Done.\n" + edit(good, bad)),
        Scripted.text("Here again:\n" + edit(bad)),
    )
    events = Recorder()
    result = await generate(provider, {"index.html": INDEX}, on_event=events)
    assert result.status == "edit_failed"
    assert result.files is None
    assert result.retried and events.of(RetryStarted) == [RetryStarted(1)]
    assert len(result.failed) == 1 and "does not match" in result.failed[0].reason
    requests = chat_server.chat_requests
    assert len(requests) == 2
    retry = requests[1].body["messages"]
    assert [m["role"] for m in retry] == ["system", "user"]
    assert retry[0]["content"] == "SYSTEM"
    assert "particles.burst(100);" in retry[1]["content"]  # the failing block
    assert "const SPEED = 3;" in retry[1]["content"]  # the current text, with good edits in
    assert "const SPEED = 3;" not in edit(bad)
    assert "make a game" not in retry[1]["content"]  # alone, not the whole conversation


async def test_failed_edit_fixed_by_the_retry(chat_server: ChatServer, provider) -> None:
    bad = ("let lives = 3;\n", "let lives = 5;\n")
    fixed = ("    let score = 0;\n", "    let score = 0;\n    let lives = 5;\n")
    chat_server.script(Scripted.text(edit(bad)), Scripted.text(edit(fixed)))
    result = await generate(provider, {"index.html": INDEX})
    assert result.status == "ok" and result.retried
    assert "    let lives = 5;\n" in result.files["index.html"]
    assert result.failed == []
    assert result.usage.completion_tokens == 68  # both requests counted


async def test_whole_file_with_placeholders_is_refused(chat_server: ChatServer, provider) -> None:
    lazy = '<file path="index.html">\n<html>\n<script>\n// ... rest of code unchanged ...\n'
    lazy += "</script>\n</html>\n</file>"
    chat_server.script(Scripted.text(lazy))
    result = await generate(provider, {"index.html": INDEX})
    assert result.status == "placeholder_refused"
    assert result.files is None
    assert result.refused == {"index.html": ["// ... rest of code unchanged ..."]}
    assert len(chat_server.chat_requests) == 1


async def test_blocks_split_at_every_chunk_boundary(chat_server: ChatServer, provider) -> None:
    answer = (
        "Small tweak.\r\n```html\r\n"
        + edit(("    const SPEED = 2;\n", "    const SPEED = 7;\n")).replace("\n", "\r\n")
        + "```\r\n<file path='extra.js'>\r\nlet a = 1;\r\n</file>\r\nBye."
    )
    for cut in range(len(answer) + 1):
        chat_server.script(Scripted(chunks=[answer[:cut], answer[cut:]]))
        result = await generate(provider, {"index.html": INDEX})
        assert result.status == "ok", (cut, result.status, result.failed)
        assert "const SPEED = 7;" in result.files["index.html"], cut
        assert result.files["extra.js"] == "let a = 1;\n", cut
        assert result.message == "Small tweak.\n\nBye.", cut
    chat_server.script(Scripted.text(answer, chunk_size=1))
    result = await generate(provider, {"index.html": INDEX})
    assert result.status == "ok" and result.files["extra.js"] == "let a = 1;\n"


async def test_prose_only_is_no_code(chat_server: ChatServer, provider) -> None:
    chat_server.script(Scripted.text("What kind of game would you like? A platformer?"))
    events = Recorder()
    result = await generate(provider, {"index.html": INDEX}, on_event=events)
    assert result.status == "no_code"
    assert result.files is None and result.error.kind == "no_code"
    assert result.message == "What kind of game would you like? A platformer?"
    assert "".join(e.text for e in events.of(MessageText)) == result.message


async def test_length_limit_then_continue(chat_server: ChatServer, provider) -> None:
    cut = NEW_GAME.index("function draw()") + 5
    partial_text, rest = NEW_GAME[:cut], NEW_GAME[cut:]
    chat_server.script(Scripted.text(partial_text, finish_reason="length"))
    first = await generate(provider)
    assert first.status == "cut_off" and first.files is None
    assert first.finish_reason == "length" and first.partial == partial_text
    assert first.error.kind == "cut_off"

    # The model repeats the start of the line it was writing, as models do.
    repeated = "    function draw()" + rest[len("ion draw()") :]
    assert rest.startswith("ion draw()")
    chat_server.script(Scripted.text(repeated, chunk_size=9))
    events = Recorder()
    result = await continue_generation(
        provider, "test-model", MESSAGES, {}, first.partial, on_event=events
    )
    assert result.status == "ok", (result.status, result.error)
    assert result.files == {"index.html": INDEX}
    assert result.text == NEW_GAME
    assert not events.of(FileStarted)  # the file goes on, it does not start again
    request = chat_server.chat_requests[1].body["messages"]
    assert request[:2] == MESSAGES
    assert request[2] == {"role": "assistant", "content": partial_text}
    assert request[3] == {"role": "user", "content": continue_prompt()}


async def test_continue_that_starts_the_block_over(chat_server: ChatServer, provider) -> None:
    partial_text = NEW_GAME[: NEW_GAME.index("let score")]
    restart = '```html\n<file path="index.html">\n' + INDEX + "</file>\n```\n"
    chat_server.script(Scripted.text(restart))
    result = await continue_generation(provider, "test-model", MESSAGES, {}, partial_text)
    assert result.status == "ok"
    assert result.files == {"index.html": INDEX}


async def test_continue_cut_off_again_keeps_the_joined_partial(
    chat_server: ChatServer, provider
) -> None:
    chat_server.script(Scripted.text("more code", finish_reason="length"))
    partial_text = '<file path="index.html">\n<html>\n'
    result = await continue_generation(provider, "test-model", MESSAGES, {}, partial_text)
    assert result.status == "cut_off"
    assert result.partial == partial_text + "more code"


async def test_dropped_connection_is_cut_off_with_partial(
    chat_server: ChatServer, provider
) -> None:
    chunks = [NEW_GAME[i : i + 20] for i in range(0, len(NEW_GAME), 20)]
    chat_server.script(Scripted(chunks=chunks, drop_after=6))
    result = await generate(provider)
    assert result.status == "cut_off"
    assert result.error.kind == "cut_off"
    assert result.partial == "".join(chunks[:6])
    assert result.files is None


async def test_rate_limit_then_success(chat_server: ChatServer, provider) -> None:
    chat_server.script(
        Scripted.fail(429, "Rate limit reached", headers={"Retry-After": "1"}),
        Scripted.text(NEW_GAME),
    )
    events = Recorder()
    result = await generate(provider, on_event=events)
    assert result.status == "ok"
    assert events.of(Waiting) == [Waiting(1.0)]
    first, second = chat_server.chat_requests
    assert second.at - first.at >= 0.95


async def test_auth_error(chat_server: ChatServer, provider) -> None:
    chat_server.script(Scripted.fail(401, f"Incorrect API key provided: {API_KEY}"))
    result = await generate(provider)
    assert result.status == "error" and result.error.kind == "auth"
    assert API_KEY not in result.error.message and API_KEY not in repr(result)
    assert result.files is None and result.partial is None


async def test_unknown_model(chat_server: ChatServer, provider) -> None:
    chat_server.script(Scripted.fail(404, "The model `gpt-9` does not exist"))
    result = await run_generation(provider, "gpt-9", MESSAGES, {})
    assert result.status == "error" and result.error.kind == "unknown_model"
    assert "gpt-9" in result.error.message


async def test_server_never_answers(chat_server: ChatServer, make_chat_provider) -> None:
    provider = make_chat_provider(timeout=0.5)
    chat_server.script(Scripted(hang=True))
    result = await generate(provider)
    assert result.status == "error" and result.error.kind == "timeout"


async def test_cancel_mid_stream_returns_partial(chat_server: ChatServer, provider) -> None:
    chunks = [NEW_GAME[i : i + 10] for i in range(0, len(NEW_GAME), 10)]
    chat_server.script(Scripted(chunks=chunks, chunk_delay=0.02))
    events = Recorder()
    task = asyncio.create_task(generate(provider, on_event=events))
    while len(events.of(FileDelta)) < 5:
        await asyncio.sleep(0.01)
    task.cancel()
    result = await task
    assert result.status == "cancelled"
    assert result.partial and NEW_GAME.startswith(result.partial)
    assert len(result.partial) < len(NEW_GAME)
    assert result.files is None
    assert not task.cancelled() and task.cancelling() == 0


@pytest.mark.parametrize(
    ("partial", "head", "inside", "expected"),
    [
        ("abc\n  draw(ctx", "  draw(ctx, 1);\n", True, ("abc\n  draw(ctx", ", 1);\n")),
        ("abc\nx", "yz", True, ("abc\nx", "yz")),
        ("a\n\n", "\nb", False, ("a\n\n", "\nb")),  # short overlaps are kept
        ("<file path='a'>\nx", "```js\ny\n", True, ("<file path='a'>\nx", "y\n")),
        ("pre\n<file path='a'>\nx", '<file path="a">\nxy', True, ("pre\n", '<file path="a">\nxy')),
    ],
)
def test_join_continuation(
    partial: str, head: str, inside: bool, expected: tuple[str, str]
) -> None:
    assert join_continuation(partial, head, inside_block=inside) == expected
