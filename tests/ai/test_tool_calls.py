"""Tool calling through the real openai client against the scripted chat server: streamed in
pieces as OpenAI streams calls, parallel calls, arguments that are not JSON, a whole
(non-streamed) answer, a stream cut off mid-call, image parts refused by a text-only model."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from studio.ai.chat_provider import OpenAIChatProvider
from studio.ai.code_providers import create_openai_chat_provider
from studio.ai.errors import GenerationError
from studio.ai.tool_calls import (
    ToolArgumentsError,
    ToolCallAssembler,
    function_tool,
    image_message,
    tool_result_message,
)
from studio.testing.servers.chat import TEST_API_KEY, ChatServer, Scripted, ScriptedCall

TOOLS = [
    function_tool("press", "Press keys.", {"keys": {"type": "array"}}, ["keys"]),
    function_tool("state", "Read the state."),
]
MESSAGES = [{"role": "user", "content": "play"}]


@pytest.fixture(params=["plain", "light"])
async def provider(
    request, chat_server: ChatServer, make_chat_provider: Callable[..., OpenAIChatProvider]
):
    """Both decoders: the client's pydantic chunks and Studio's plain-JSON reading."""
    if request.param == "plain":
        yield make_chat_provider()
        return
    light = create_openai_chat_provider(
        {"base_url": chat_server.base_url, "api_key": TEST_API_KEY, "timeout": 5.0}
    )
    yield light
    await light.aclose()


async def test_parallel_calls_arrive_whole_from_pieces(
    chat_server: ChatServer, provider: OpenAIChatProvider
) -> None:
    chat_server.script(
        Scripted.calls(
            ScriptedCall("press", {"keys": ["ArrowRight", "Space"], "hold_ms": 250}),
            ScriptedCall("state", {}),
            text="Trying to jump.",
            argument_chunk=4,
            usage=(321, 45),
        )
    )
    turn = await provider.tool_turn(MESSAGES, model="test-model", tools=TOOLS)
    assert turn.text == "Trying to jump."
    assert [c.name for c in turn.calls] == ["press", "state"]
    assert turn.calls[0].arguments() == {"keys": ["ArrowRight", "Space"], "hold_ms": 250}
    assert turn.calls[1].arguments() == {}
    assert [c.id for c in turn.calls] == ["call_1", "call_2"]
    assert turn.finish_reason == "tool_calls"
    assert (turn.usage.prompt_tokens, turn.usage.completion_tokens) == (321, 45)
    body = chat_server.chat_requests[0].body
    assert body["tools"] == TOOLS and body["stream"] is True
    # The turn goes back into the conversation with its calls, then their results.
    message = turn.assistant_message()
    assert message["tool_calls"][0]["function"] == {
        "name": "press",
        "arguments": '{"keys": ["ArrowRight", "Space"], "hold_ms": 250}',
    }
    assert tool_result_message("call_1", "ok") == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "ok",
    }


async def test_malformed_arguments_are_kept_and_explained(
    chat_server: ChatServer, provider: OpenAIChatProvider
) -> None:
    chat_server.script(Scripted.calls(ScriptedCall("press", '{"keys": ["Space"], "hold_ms": 2')))
    turn = await provider.tool_turn(MESSAGES, model="test-model", tools=TOOLS)
    (call,) = turn.calls
    assert call.arguments_text == '{"keys": ["Space"], "hold_ms": 2'
    with pytest.raises(ToolArgumentsError, match="not valid JSON"):
        call.arguments()
    assert ToolCallAssembler().calls() == []


async def test_a_whole_answer_without_streaming(
    chat_server: ChatServer, provider: OpenAIChatProvider
) -> None:
    chat_server.script(
        Scripted.calls(ScriptedCall("state", {}), ScriptedCall("press", {"keys": ["Enter"]}))
    )
    turn = await provider.tool_turn(MESSAGES, model="test-model", tools=TOOLS, stream=False)
    assert [c.name for c in turn.calls] == ["state", "press"]
    assert turn.calls[1].arguments() == {"keys": ["Enter"]}
    assert turn.finish_reason == "tool_calls" and turn.usage is not None
    assert chat_server.chat_requests[0].body["stream"] is False


async def test_a_stream_cut_off_mid_call_is_an_error(
    chat_server: ChatServer, provider: OpenAIChatProvider
) -> None:
    chat_server.script(Scripted.calls(ScriptedCall("press", {"keys": ["Space"]}), drop_after=2))
    with pytest.raises(GenerationError) as info:
        await provider.tool_turn(MESSAGES, model="test-model", tools=TOOLS)
    assert info.value.kind in ("cut_off", "connection")


async def test_a_text_only_model_refuses_image_parts() -> None:
    with ChatServer(text_only=("text-model",)) as server:
        provider = OpenAIChatProvider(base_url=server.base_url, api_key=TEST_API_KEY, timeout=5)
        server.script(Scripted.calls(ScriptedCall("state", {})))
        picture = [*MESSAGES, image_message("the screen", "data:image/jpeg;base64,AAAA")]
        with pytest.raises(GenerationError) as info:
            await provider.tool_turn(picture, model="text-model", tools=TOOLS)
        assert info.value.kind == "bad_request"
        assert "image_url is only supported" in info.value.message
        assert server.pending == 1  # refused before answering: the script is still there
        turn = await provider.tool_turn(MESSAGES, model="text-model", tools=TOOLS)
        assert turn.calls[0].name == "state"
        await provider.aclose()


def test_a_new_id_at_a_used_index_is_a_new_call() -> None:
    """Some servers number every call of a parallel batch 0 and tell them apart by id."""
    assembler = ToolCallAssembler()
    assembler.feed([{"index": 0, "id": "a", "function": {"name": "state", "arguments": "{}"}}])
    assembler.feed([{"index": 0, "id": "b", "function": {"name": "press", "arguments": '{"k'}}])
    assembler.feed([{"index": 0, "function": {"arguments": 'eys": []}'}}])
    calls = assembler.calls()
    assert [(c.id, c.name) for c in calls] == [("a", "state"), ("b", "press")]
    assert calls[1].arguments() == {"keys": []}
