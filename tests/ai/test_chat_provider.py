"""OpenAIChatProvider against a real local HTTP server, through the real openai client."""

from __future__ import annotations

import logging
import socket
import time
import traceback
from collections.abc import Callable
from email.utils import formatdate

import pytest

from studio.ai.chat_provider import OpenAIChatProvider
from studio.ai.errors import GenerationError, parse_retry_after, scrub
from studio.ai.providers import ChatDone, ChatProvider, TextDelta
from tests.ai.chat_server import TEST_API_KEY as API_KEY
from tests.ai.chat_server import ChatServer, Scripted

MESSAGES = [{"role": "system", "content": "S"}, {"role": "user", "content": "make pong"}]

MakeProvider = Callable[..., OpenAIChatProvider]


@pytest.fixture
def provider(chat_provider: OpenAIChatProvider) -> OpenAIChatProvider:
    return chat_provider


async def collect(provider: OpenAIChatProvider, **kwargs) -> tuple[str, ChatDone]:
    text, done = [], None
    async for chunk in provider.stream_chat(MESSAGES, model="test-model", **kwargs):
        if isinstance(chunk, TextDelta):
            text.append(chunk.text)
        else:
            done = chunk
    assert done is not None
    return "".join(text), done


async def failure(provider: OpenAIChatProvider, **kwargs) -> GenerationError:
    with pytest.raises(GenerationError) as info:
        await collect(provider, **kwargs)
    return info.value


def assert_no_key(error: BaseException) -> None:
    text = "".join(traceback.format_exception(error)) + repr(error) + str(error)
    assert API_KEY not in text
    assert API_KEY[-8:] not in text


async def test_streams_text_and_usage(
    chat_server: ChatServer, provider: OpenAIChatProvider
) -> None:
    chat_server.script(Scripted.text("Hello, player!", chunk_size=3, usage=(50, 7)))
    text, done = await collect(provider, temperature=0.2, max_tokens=900)
    assert text == "Hello, player!"
    assert done.finish_reason == "stop"
    assert (done.usage.prompt_tokens, done.usage.completion_tokens) == (50, 7)
    assert done.ttft is not None and 0 <= done.ttft <= done.total_time
    request = chat_server.chat_requests[0]
    assert request.body["stream"] is True
    assert request.body["stream_options"] == {"include_usage": True}
    assert request.body["messages"] == MESSAGES
    assert request.body["temperature"] == 0.2 and request.body["max_tokens"] == 900
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert isinstance(provider, ChatProvider)


async def test_list_models(provider: OpenAIChatProvider) -> None:
    assert await provider.list_models() == ["other-model", "test-model"]


async def test_list_models_auth_error(
    chat_server: ChatServer, provider: OpenAIChatProvider
) -> None:
    chat_server.models_response = Scripted.fail(401, "bad key")
    with pytest.raises(GenerationError) as info:
        await provider.list_models()
    assert info.value.kind == "auth"


async def test_env_vars_are_honoured(
    chat_server: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", chat_server.base_url)
    provider = OpenAIChatProvider(timeout=5)
    try:
        chat_server.script(Scripted.text("hi"))
        text, _ = await collect(provider)
    finally:
        await provider.aclose()
    assert text == "hi"
    assert chat_server.chat_requests[0].headers["authorization"] == "Bearer sk-from-env"


async def test_rate_limit_retry_after_is_honoured(
    chat_server: ChatServer, provider: OpenAIChatProvider
) -> None:
    chat_server.script(
        Scripted.fail(429, "slow down", code="rate_limit_exceeded", headers={"Retry-After": "1"}),
        Scripted.text("after the wait"),
    )
    waits: list[float] = []
    text, _ = await collect(provider, on_wait=waits.append)
    assert text == "after the wait"
    assert waits == [1.0]
    first, second = chat_server.chat_requests
    assert second.at - first.at >= 0.95


async def test_rate_limit_gives_up_after_max_attempts(
    chat_server: ChatServer, make_chat_provider: MakeProvider
) -> None:
    provider = make_chat_provider(max_rate_limit_retries=2)
    chat_server.script(*[Scripted.fail(429, "slow down") for _ in range(3)])
    waits: list[float] = []
    error = await failure(provider, on_wait=waits.append)
    assert error.kind == "rate_limited"
    assert waits == [0.05, 0.1]  # exponential backoff without Retry-After
    assert len(chat_server.chat_requests) == 3


async def test_rate_limit_wait_too_long_is_not_waited(
    chat_server: ChatServer, make_chat_provider: MakeProvider
) -> None:
    provider = make_chat_provider(max_retry_wait=5)
    chat_server.script(Scripted.fail(429, "slow down", headers={"Retry-After": "120"}))
    waits: list[float] = []
    error = await failure(provider, on_wait=waits.append)
    assert error.kind == "rate_limited" and error.retry_after == 120
    assert waits == [] and len(chat_server.chat_requests) == 1
    assert "120 s" in error.message


async def test_out_of_quota_is_not_retried(
    chat_server: ChatServer, provider: OpenAIChatProvider
) -> None:
    chat_server.script(Scripted.fail(429, "You exceeded your quota", code="insufficient_quota"))
    error = await failure(provider)
    assert error.kind == "rate_limited" and "quota" in error.message
    assert len(chat_server.chat_requests) == 1


@pytest.mark.parametrize(
    ("scripted", "kind", "words"),
    [
        (Scripted.fail(401, "Incorrect API key provided"), "auth", "refused the API key"),
        (Scripted.fail(403, "Forbidden"), "auth", "refused the API key"),
        (
            Scripted.fail(404, "The model does not exist", code="model_not_found"),
            "unknown_model",
            "“test-model” was not found",
        ),
        (
            Scripted.fail(
                400,
                "This model's maximum context length is 8192 tokens",
                code="context_length_exceeded",
            ),
            "context_too_long",
            "context window",
        ),
        (
            Scripted.fail(400, "Please reduce the length of the messages."),
            "context_too_long",
            "context window",
        ),
        (Scripted.fail(400, "messages must not be empty"), "bad_request", "rejected"),
        (Scripted.fail(500, "boom", type="server_error"), "server", "server error (500)"),
        (Scripted.fail(503, "overloaded", type="server_error"), "server", "(503)"),
    ],
)
async def test_status_errors(
    chat_server: ChatServer,
    provider: OpenAIChatProvider,
    scripted: Scripted,
    kind: str,
    words: str,
) -> None:
    chat_server.script(scripted)
    error = await failure(provider)
    assert error.kind == kind
    assert words in error.message
    assert len(chat_server.chat_requests) == 1  # only rate limits are retried


async def test_unsupported_parameter_is_dropped_once(
    chat_server: ChatServer, provider: OpenAIChatProvider
) -> None:
    chat_server.script(
        Scripted.fail(400, "Unrecognized request argument supplied: stream_options"),
        Scripted.text("ok"),
    )
    text, done = await collect(provider)
    assert text == "ok" and done.usage is None
    assert "stream_options" not in chat_server.chat_requests[1].body


async def test_server_that_never_answers_times_out(
    chat_server: ChatServer, make_chat_provider: MakeProvider
) -> None:
    provider = make_chat_provider(timeout=0.5)
    chat_server.script(Scripted(hang=True))
    started = time.monotonic()
    error = await failure(provider)
    assert error.kind == "timeout"
    assert time.monotonic() - started < 4


async def test_connection_refused(make_chat_provider: MakeProvider) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = make_chat_provider(base_url=f"http://127.0.0.1:{port}/v1")
    error = await failure(provider)
    assert error.kind == "connection"
    assert f"127.0.0.1:{port}" in error.message


async def test_dropped_connection_mid_stream_is_cut_off(
    chat_server: ChatServer, provider: OpenAIChatProvider
) -> None:
    chat_server.script(Scripted(chunks=["one ", "two ", "three"], drop_after=2))
    seen: list[str] = []
    with pytest.raises(GenerationError) as info:
        async for chunk in provider.stream_chat(MESSAGES, model="test-model"):
            if isinstance(chunk, TextDelta):
                seen.append(chunk.text)
    assert info.value.kind == "cut_off"
    assert seen == ["one ", "two "]


async def test_api_key_never_appears(
    chat_server: ChatServer, provider: OpenAIChatProvider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    chat_server.script(
        Scripted.fail(401, f"Incorrect API key provided: {API_KEY}. Bearer {API_KEY}"),
        Scripted.fail(500, f"internal: key={API_KEY}"),
        Scripted.fail(404, f"no model for {API_KEY}"),
    )
    for _ in range(3):
        error = await failure(provider)
        assert_no_key(error)
        assert "***" in error.message
    assert API_KEY not in caplog.text


def test_scrub() -> None:
    assert scrub("key sk-abc123 and Bearer xyz", ["sk-abc123", None]) == "key *** and Bearer ***"


def test_parse_retry_after() -> None:
    now = time.time()
    assert parse_retry_after("7") == 7
    assert parse_retry_after(None, value_ms="1500") == 1.5
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    date = formatdate(now + 30, usegmt=True)
    assert 28 <= parse_retry_after(date, now=now) <= 31
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0
