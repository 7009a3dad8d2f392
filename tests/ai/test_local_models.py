"""Local models with small context windows (issue 22): Studio learns the window from the
server, fits each request to it (or refuses before sending, with the numbers), never asks
for more answer than the window leaves, and says in one line what went wrong when the
server fails the request, in or out of the stream. Against local servers that answer as
llama.cpp, llama-cpp-python, Ollama, LM Studio and vLLM do
(`studio.testing.servers.local_models`), through the real `openai` client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from studio.ai.code_providers import create_openai_chat_provider
from studio.ai.context_window import (
    UNKNOWN_LOCAL,
    ContextWindow,
    discover,
    learned,
    parse_context_error,
    resolve_window,
)
from studio.core.store import Project
from studio.operations.generator import Generator
from studio.operations.outcomes import ContextReady, Outcome
from studio.testing.servers.chat import Scripted
from studio.testing.servers.local_models import LocalModelServer

MODEL = "local-model"


def big_game(lines: int = 3_000, special: int = 1_500) -> str:
    """A long game whose jump strength sits at line `special`."""
    body = [f"  ctx.fillRect({i % 90}, {i % 70}, 4, 4); // sprite part {i}" for i in range(lines)]
    body[special] = "  const jumpPower = 12;  // how high the hero jumps"
    return (
        "<!DOCTYPE html>\n<script>\nfunction draw(ctx) {\n" + "\n".join(body) + "\n}\n</script>\n"
    )


EDIT = (
    "Higher now.\n"
    '<edit path="index.html">\n'
    "<<<<<<< SEARCH\n  const jumpPower = 12;  // how high the hero jumps\n=======\n"
    "  const jumpPower = 18;  // how high the hero jumps\n>>>>>>> REPLACE\n</edit>\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with Project.create(tmp_path / "game") as project:
        project.commit({"index.html": big_game()}, parent=None, kind="import")
        yield project


def serve(flavour: str, context: int, **kw) -> LocalModelServer:
    return LocalModelServer(flavour, context, **kw).start()


@pytest.fixture
async def servers() -> AsyncIterator[list[LocalModelServer]]:
    started: list[LocalModelServer] = []
    yield started
    for server in started:
        server.stop()


def provider_for(server: LocalModelServer):
    return create_openai_chat_provider({"base_url": server.base_url, "timeout": 10.0})


# -- learning the window --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flavour", "kw", "tokens", "source"),
    [
        ("llama.cpp", {}, 4096, "llama.cpp's /props (n_ctx)"),
        ("ollama", {"ollama_num_ctx": 6144}, 6144, "Ollama's /api/show (num_ctx)"),
        ("ollama", {}, 4096, "Ollama's default num_ctx (the model sets none)"),
        ("lmstudio", {}, 4096, "LM Studio (the loaded model's context length)"),
        ("vllm", {}, 4096, "the server's model list (max_model_len)"),
    ],
)
async def test_the_server_says_its_window(servers, flavour, kw, tokens, source) -> None:
    server = serve(flavour, 4096, **kw)
    servers.append(server)
    found = await discover(server.base_url, MODEL)
    assert found == ContextWindow(tokens, source)


async def test_a_server_that_does_not_say_gets_the_safe_guess(servers) -> None:
    server = serve("llama-cpp-python", 4096)
    servers.append(server)
    provider = provider_for(server)
    assert await discover(server.base_url, MODEL) is None
    window = await resolve_window(provider, MODEL, None)
    assert window.tokens == UNKNOWN_LOCAL and not window.known and "unknown" in window.source
    assert (await resolve_window(provider, MODEL, 12_000)).describe().startswith("12,000 tokens")
    await provider.aclose()


# -- requests that fit ---------------------------------------------------------------------


async def test_a_large_game_and_a_small_change_fit_8k_with_the_lines_around_it(
    servers, project
) -> None:
    server = serve("llama.cpp", 8192)
    servers.append(server)
    server.script(Scripted.text(EDIT, usage=(0, 40)))
    provider = provider_for(server)
    events: list[object] = []
    generator = Generator(project, provider, MODEL)
    outcome = await generator.generate("make the jumpPower stronger", on_event=events.append)
    await provider.aclose()
    assert outcome.ok, outcome.notice
    assert "jumpPower = 18" in project.read_file(outcome.version.id, "index.html").decode()
    (request,) = server.chat_requests
    sent = request.body["messages"][-1]["content"]
    assert "const jumpPower = 12;" in sent  # the line the prompt names, and around it
    assert "sprite part 1490" in sent and "sprite part 1510" in sent
    assert "sprite part 700" not in sent  # the far parts went
    assert any(s.startswith("lines ") for s in outcome.left_out)
    # The server counted the request itself: it fit, and the answer's room with it.
    assert server.prompt_tokens_seen[0] + request.body["max_tokens"] <= 8192
    ready = next(e for e in events if isinstance(e, ContextReady))
    assert ready.window == ContextWindow(8192, "llama.cpp's /props (n_ctx)")


async def test_a_request_that_cannot_fit_is_not_sent(servers, tmp_path) -> None:
    server = serve("llama.cpp", 1024)
    servers.append(server)
    provider = provider_for(server)
    with Project.create(tmp_path / "tiny") as project:
        generator = Generator(project, provider, MODEL, system_prompt="You write games. " * 200)
        outcome = await generator.generate("a pong game")
        assert not outcome.ok and outcome.error_kind == "context_too_long"
        assert "1,024 tokens (llama.cpp's /props (n_ctx))" in outcome.notice
        assert "Nothing was sent" in outcome.notice and "-c 16384" in outcome.notice
        assert server.chat_requests == [] and project.versions() == []
        said = [m.content for m in project.messages() if m.role == "status"]
        assert said and said[-1] == outcome.notice
    await provider.aclose()


async def test_a_guessed_window_never_refuses(servers, tmp_path) -> None:
    """A window nobody stated is a guess: the request is cut to it, but still sent."""
    server = serve("llama-cpp-python", 100_000)
    servers.append(server)
    server.script(Scripted.text('<file path="index.html">\n<p>hi</p>\n</file>\n'))
    provider = provider_for(server)
    with Project.create(tmp_path / "g") as project:
        generator = Generator(project, provider, MODEL, system_prompt="Rules. " * 9000)
        outcome = await generator.generate("a pong game")
    await provider.aclose()
    assert outcome.ok and len(server.chat_requests) == 1


# -- what went wrong, in the server's words -------------------------------------------------


async def ask_for_a_change(
    servers: list[LocalModelServer],
    project: Project,
    flavour: str,
    context: int,
    *answers: Scripted,
) -> tuple[LocalModelServer, Outcome]:
    """A change asked of `flavour`'s server holding `context` tokens (answering `answers`
    when given), by a person who said 32,000 in Settings; the server and the outcome."""
    server = serve(flavour, context)
    servers.append(server)
    if answers:
        server.script(*answers)
    provider = provider_for(server)
    generator = Generator(project, provider, MODEL, context_window=32_000)
    try:
        return server, await generator.generate("make the jumpPower stronger")
    finally:
        await provider.aclose()


async def test_llama_cpp_refusing_is_told_with_its_numbers_and_learned(servers, project) -> None:
    before = project.versions()
    server, outcome = await ask_for_a_change(servers, project, "llama.cpp", 4096)
    assert outcome.error_kind == "context_too_long"
    assert "exceeds the available context size (4096 tokens)" in outcome.notice
    assert "the window holds 4,096" in outcome.notice and "no code" not in outcome.notice
    assert project.versions() == before
    window, _ = learned(server.base_url, MODEL)
    assert window is not None and window.tokens == 4096


async def test_llama_cpp_python_ending_the_stream_empty_is_explained(servers, project) -> None:
    """llama-cpp-python starts the stream, then fails inside it and sends nothing: Studio
    asks once more without streaming, where the server says why."""
    server, outcome = await ask_for_a_change(servers, project, "llama-cpp-python", 4096)
    assert outcome.error_kind == "context_too_long", outcome.notice
    assert "maximum context length is 4096 tokens" in outcome.notice
    assert [r.body.get("stream") for r in server.chat_requests] == [True, False]
    assert server.chat_requests[1].body["max_tokens"] == 1
    assert "no code" not in outcome.notice


async def test_an_error_event_inside_the_stream_is_told(servers, project) -> None:
    _server, outcome = await ask_for_a_change(servers, project, "lmstudio", 4096)
    assert outcome.error_kind == "context_too_long", outcome.notice
    assert "loaded with context length of only 4096 tokens" in outcome.notice


async def test_vllm_refusing_is_told(servers, project) -> None:
    _server, outcome = await ask_for_a_change(servers, project, "vllm", 4096)
    assert outcome.error_kind == "context_too_long"
    assert "This model's maximum context length is 4096 tokens" in outcome.notice


async def test_a_stream_with_no_content_at_all_gets_its_own_message(servers, tmp_path) -> None:
    server = serve("vllm", 100_000)
    servers.append(server)
    server.script(Scripted(chunks=[], finish_reason=None, usage=None), Scripted.text("ok"))
    provider = provider_for(server)
    with Project.create(tmp_path / "g") as project:
        outcome = await Generator(project, provider, MODEL).generate("a pong game")
        assert outcome.error_kind == "empty"
        assert "ended the answer without sending any text" in outcome.notice
        assert project.versions() == []
    await provider.aclose()


async def test_ollama_cutting_the_request_silently_is_noticed(servers, project) -> None:
    """Ollama cuts a prompt longer than num_ctx and answers anyway: the tokens it reports
    tell, and the person is warned that the model did not see all of the game."""
    await ask_for_a_change(servers, project, "ollama", 100_000, Scripted.text(EDIT))
    warned = [m.content for m in project.messages() if m.role == "status"]
    assert any("read only 4,096 tokens" in w for w in warned), warned


def test_the_servers_words_are_read() -> None:
    assert parse_context_error("Requested tokens (15231) exceed context window of 8192") == (
        15231,
        8192,
    )
    assert parse_context_error(
        "request (13392 tokens) exceeds the available context size (8192 tokens), try increasing it"
    ) == (13392, 8192)
    assert parse_context_error(
        "This model's maximum context length is 8192 tokens. However, you requested 15231 "
        "tokens (11304 in the messages, 3927 in the completion)."
    ) == (15231, 8192)
    assert parse_context_error("the prompt is too long for this model") == (None, None)
    assert parse_context_error("model not found") is None


async def test_the_wait_is_told_from_this_models_measured_speed(servers, project) -> None:
    """After an answer, the next request says how long the model will read: its prompt
    speed measured here (tokens in over time to the first token)."""
    from studio.operations.conversation import prompt_speed

    project.add_message(
        "assistant", "done", meta={"model": MODEL, "tokens_in": 11_304, "ttft": 72.9}
    )
    assert prompt_speed(project.messages(), MODEL) == pytest.approx(155.06, abs=0.01)
    assert prompt_speed(project.messages(), "other") is None
    server = serve("llama.cpp", 8192)
    servers.append(server)
    server.script(Scripted.text(EDIT))
    provider = provider_for(server)
    events: list[object] = []
    await Generator(project, provider, MODEL).generate(
        "make the jumpPower stronger", on_event=events.append
    )
    await provider.aclose()
    ready = next(e for e in events if isinstance(e, ContextReady))
    text = ready.waiting()
    assert text.startswith(
        f"Prompt of about {ready.estimated_tokens:,} tokens of a 8,192-token window"
    )
    assert f"~{ready.estimated_tokens / 155.06:,.0f} s at 155 tokens/s here" in text
