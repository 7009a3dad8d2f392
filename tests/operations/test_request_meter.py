"""The meter (issue 17): before sending, the request's tokens as the generator will send it,
by part, against the window, with a price; after, each answer's cost and the project's. The
count is checked against the local model server's own for the same request (the server
counts text with a finer tokenizer than Studio's rule, 1.2 of Studio's tokens each plus four
a message, and image parts by OpenAI's tile rule from the picture itself:
`studio.testing.servers.local_models`)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from PIL import Image

from studio.ai.code_providers import ProviderConfig, create_openai_chat_provider
from studio.core.records import Message
from studio.core.store import Project
from studio.operations.generator import Generator
from studio.operations.request_build import RequestBuilder
from studio.operations.request_meter import chat_price, measure, project_spend, spend_line
from studio.operations.selections import picture_attachment, region_attachment
from studio.scoring.suite import Price
from studio.testing.servers.chat import Scripted
from studio.testing.servers.local_models import LocalModelServer

MODEL = "local-model"
GAME = "<!DOCTYPE html>\n<script>\n" + "\n".join(
    f"  ctx.fillRect({i % 50}, {i % 30}, 8, 8); // block {i} of the level" for i in range(400)
) + "\n</script>\n"  # fmt: skip
EDIT = (
    'Done.\n<edit path="index.html">\n<<<<<<< SEARCH\n'
    "  ctx.fillRect(0, 0, 8, 8); // block 0 of the level\n=======\n"
    "  ctx.fillRect(0, 0, 9, 9); // block 0 of the level\n>>>>>>> REPLACE\n</edit>\n"
)


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "#884422").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with Project.create(tmp_path / "game") as project:
        project.commit({"index.html": GAME}, parent=None, kind="import")
        yield project


@pytest.fixture
async def server() -> AsyncIterator[LocalModelServer]:
    server = LocalModelServer("llama.cpp", 32_768).start()  # counts with /tokenize too
    yield server
    server.stop()


def config(vision: str = "yes") -> ProviderConfig:
    return ProviderConfig(model=MODEL, vision=vision)


@pytest.mark.parametrize("pictures", [False, True], ids=["text", "text-and-pictures"])
async def test_the_meter_is_within_5_percent_of_the_servers_count(
    server, project, pictures
) -> None:
    provider = create_openai_chat_provider({"base_url": server.base_url, "timeout": 10.0})
    attachments = []
    if pictures:
        attachments = [
            picture_attachment(png(1600, 900), "sketch.png"),
            region_attachment([10, 10, 120, 120], [640, 360], crop=png(120, 120), state='{"x":1}'),
        ]
    builder = RequestBuilder.from_config(project, provider, config())
    before = await measure(builder, "make block 0 bigger", base=1, attachments=attachments)
    server.script(Scripted.text(EDIT, usage=(0, 30)))
    generator = Generator(project, provider, MODEL, requests=builder)
    outcome = await generator.generate("make block 0 bigger", base=1, attachments=attachments)
    await provider.aclose()
    assert outcome.ok, outcome.notice
    (counted,) = server.prompt_tokens_seen
    assert abs(before.tokens - counted) / counted < 0.05, (before.tokens, counted)
    content = server.chat_requests[0].body["messages"][-1]["content"]
    if pictures:
        assert [p["type"] for p in content] == ["text", "image_url", "image_url"]
        # 1600×900 is sent as 1024×576: 2 × 2 tiles; the 120×120 crop one tile.
        assert before.parts["pictures"] == (85 + 170 * 4) + (85 + 170)
    else:
        assert isinstance(content, str) and before.parts["pictures"] == 0
    assert before.parts["code"] > before.parts["request"] > 0 and before.parts["system"] > 0
    assert before.window is not None and before.window.tokens == 32_768
    assert before.price is not None and before.cost == 0  # a server on this computer


async def test_a_request_that_would_cut_the_code_is_warned_before_it_is_sent(server, project):
    small = LocalModelServer("llama.cpp", 10_000).start()
    provider = create_openai_chat_provider({"base_url": small.base_url, "timeout": 10.0})
    try:
        builder = RequestBuilder.from_config(project, provider, config())
        before = await measure(builder, "make it much harder", base=1)
    finally:
        await provider.aclose()
        small.stop()
    assert before.cuts_code and before.refusal is None, (before.window, before.left_out)
    assert before.warning().startswith("To fit the model's context this request would leave out")
    assert "of index.html" in before.warning()
    assert small.chat_requests == []  # measuring sends nothing


async def test_pictures_for_a_text_only_model_are_refused_before_sending(server, project):
    provider = create_openai_chat_provider({"base_url": server.base_url, "timeout": 10.0})
    sketch = picture_attachment(png(64, 64), "sketch.png")
    crop = region_attachment([0, 0, 50, 50], [640, 360], crop=png(50, 50))
    builder = RequestBuilder.from_config(project, provider, config(vision="no"))
    before = await measure(builder, "like this", base=1, attachments=[sketch])
    assert before.refusal and "takes text only" in before.refusal and "sketch.png" in before.refusal
    generator = Generator(project, provider, MODEL, requests=builder)
    outcome = await generator.generate("like this", base=1, attachments=[sketch])
    assert outcome.error_kind == "text_only" and outcome.notice == before.refusal
    assert server.chat_requests == []
    # A pick's crop only helps: its words go, its picture stays home, and that is said.
    server.script(Scripted.text(EDIT))
    outcome = await generator.generate("make this bigger", base=1, attachments=[crop])
    await provider.aclose()
    assert outcome.ok, outcome.notice
    sent = server.chat_requests[0].body["messages"][-1]["content"]
    assert isinstance(sent, str) and "A region the person marked" in sent
    statuses = [m.content for m in project.messages() if m.role == "status"]
    assert any("Not sent: the pictures of region 50×50 at 0,0" in s for s in statuses)


def test_prices_come_from_the_person_then_the_list_then_a_local_server(tmp_path) -> None:
    class Settings(dict):
        def set(self, key, value):
            self[key] = value

    settings = Settings(bench_prices={"gpt-4.1": {"in": 1.0, "out": 2.0}})
    assert chat_price(settings, "gpt-4.1", "https://api.openai.com/v1") == (
        Price(1.0, 2.0),
        "your price",
    )
    assert chat_price(settings, "gpt-4.1-mini", "https://x/v1") == (Price(0.4, 1.6), "list price")
    assert chat_price(settings, "openai/gpt-4o", "https://openrouter.ai/api/v1")[1] == "list price"
    assert chat_price(settings, "llama3", "http://127.0.0.1:8080/v1")[0] == Price(0, 0)
    price, words = chat_price(settings, "mystery-1", "https://mystery.example/v1")
    assert price is None and "Tools › Benchmark" in words


def test_the_projects_spend_adds_up_its_answers() -> None:
    def answer(model: str, tokens_in: int, tokens_out: int) -> Message:
        meta = {"model": model, "tokens_in": tokens_in, "tokens_out": tokens_out}
        return Message(0, 0.0, "assistant", "", None, meta)

    prices = {"a": Price(2.0, 8.0)}
    spend = project_spend(
        [answer("a", 1_000_000, 500_000), answer("a", 10, 0), answer("b", 5, 5)], prices.get
    )
    assert (spend.answers, spend.tokens_in, spend.tokens_out, spend.unpriced) == (
        3,
        1_000_015,
        500_005,
        1,
    )
    assert spend.usd == pytest.approx(2.0 + 4.0 + 10 * 2 / 1e6)
    assert spend.summary() == (
        "This project: 3 answers, 1,500,020 tokens, about $6.00 (1 without a known price)"
    )
    assert spend_line([answer("a", 10, 0), answer("b", 5, 5)], prices.get) == (
        "Last answer: 5 in + 5 out tokens (no price known) · "
        "This project: 2 answers, 20 tokens, about $0.0000 (1 without a known price)"
    )
    assert spend_line([answer("a", 1_000, 100)], prices.get).startswith(
        "Last answer: 1,000 in + 100 out tokens · about $0.0028 · This project: 1 answer"
    )
    assert spend_line([], prices.get) == "No answers yet in this project"


@pytest.mark.parametrize("flavour", ["llama.cpp", "ollama", "lmstudio"])
@pytest.mark.parametrize("vision", [True, False])
async def test_on_auto_the_server_is_asked_whether_the_model_reads_images(
    project, flavour, vision
) -> None:
    server = LocalModelServer(flavour, 32_768, vision=vision, ollama_num_ctx=32_768).start()
    provider = create_openai_chat_provider({"base_url": server.base_url, "timeout": 10.0})
    try:
        builder = RequestBuilder.from_config(project, provider, config(vision="auto"))
        sketch = picture_attachment(png(64, 64), "sketch.png")
        before = await measure(builder, "like this", base=1, attachments=[sketch])
    finally:
        await provider.aclose()
        server.stop()
    if vision:
        assert before.refusal is None and before.parts["pictures"] == 85 + 170
    else:
        assert before.refusal is not None and "(as its server says)" in before.refusal
