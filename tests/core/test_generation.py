"""The generation operation on a real project, against the scripted chat server through the
real `openai` client: versions only on success, the conversation kept, Continue/Discard,
rate limits, errors, automatic fix, variations, and the API key kept out of everything."""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path

import pytest

from studio.ai.answer import Waiting
from studio.ai.blocks import FileDelta
from studio.ai.code_providers import (
    ProviderConfig,
    create_openai_chat_provider,
    make_code_provider,
    provider_config,
    save_provider_config,
)
from studio.ai.context import TokenBudget
from studio.config import keys
from studio.config.settings import Settings
from studio.core.store import Project
from studio.operations.conversation import conversation_for_model, pending_partial
from studio.operations.generator import Generator
from studio.plugins.host import PluginHost
from tests.ai.chat_server import TEST_API_KEY as API_KEY
from tests.ai.chat_server import ChatServer, Scripted
from tests.ai.conftest import chat_server, make_chat_provider  # noqa: F401 - fixtures

GAME = """<!DOCTYPE html>
<html>
<head><title>Ball</title></head>
<body>
<canvas id="c"></canvas>
<script>
const SPEED = 2;
let score = 0;
function update(dt) {
  score += SPEED * dt;
}
window.studio = { state: () => ({ score }), advance: (ms) => update(ms / 1000) };
</script>
</body>
</html>
"""
NEW_GAME = f'A ball game: tap or press space.\n\n<file path="index.html">\n{GAME}</file>\n'
FASTER = (
    "Faster now.\n"
    '<edit path="index.html">\n'
    "<<<<<<< SEARCH\nconst SPEED = 2;\n=======\nconst SPEED = 5;\n>>>>>>> REPLACE\n"
    "</edit>\n"
)
NO_MATCH = (
    "Changed the colour.\n"
    '<edit path="index.html">\n'
    "<<<<<<< SEARCH\nctx.fillStyle = 'pink';\n=======\nctx.fillStyle = 'red';\n"
    ">>>>>>> REPLACE\n</edit>\n"
)


@pytest.fixture
def project(tmp_path: Path):
    with Project.create(tmp_path / "game") as project:
        yield project


@pytest.fixture(params=["light", "sdk"])
async def make_provider(request, chat_server: ChatServer, make_chat_provider):  # noqa: F811
    """Make providers for `chat_server`: the built-in one (plain-JSON stream decoding, what
    the app uses), and one on the client's own decoding. The operation must not depend on
    which."""
    if request.param == "sdk":
        yield make_chat_provider
        return
    made = []

    def make(**options):
        options = {"base_url": chat_server.base_url, "api_key": API_KEY, "timeout": 5.0} | options
        made.append(create_openai_chat_provider({"backoff": 0.05, **options}))
        return made[-1]

    yield make
    for provider in made:
        await provider.aclose()


@pytest.fixture
def gen(project: Project, make_provider) -> Generator:
    return Generator(project, make_provider(), "test-model")


def chunks_of(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def texts(project: Project, version: int | None = None) -> dict[str, str]:
    return {p: d.decode() for p, d in project.files(version).items()}


async def test_new_game_as_a_whole_file_commits_a_version_with_metadata(
    gen: Generator,
    project: Project,
    chat_server: ChatServer,  # noqa: F811
) -> None:
    chat_server.script(Scripted.text(NEW_GAME, usage=(120, 480)))
    deltas: list[str] = []
    outcome = await gen.generate(
        "make a ball game",
        on_event=lambda e: isinstance(e, FileDelta) and deltas.append(e.text),
    )
    assert outcome.ok, outcome.notice
    version = outcome.version
    assert version is not None and project.head == version.id
    assert version.kind == "generate" and version.parent is None
    assert version.prompt == "make a ball game"
    info = version.info
    assert (info.provider, info.model) == ("openai", "test-model")
    assert (info.tokens_in, info.tokens_out) == (120, 480)
    assert info.ttft is not None and info.total_time >= info.ttft > 0
    assert texts(project) == {"index.html": GAME}
    assert "".join(deltas) == GAME
    assert outcome.message == "A ball game: tap or press space."
    assert outcome.notice == f"Version {version.id}: wrote index.html."
    roles = [(m.role, m.version) for m in project.messages()]
    assert roles == [("user", None), ("assistant", version.id), ("status", version.id)]
    assert project.messages()[1].content == NEW_GAME  # the answer is kept whole
    body = chat_server.chat_requests[0].body
    assert body["model"] == "test-model" and body["stream"] is True
    assert "The project has no files yet." in body["messages"][-1]["content"]


async def test_follow_up_edit_commits_on_top_and_sends_the_conversation(
    gen: Generator,
    project: Project,
    chat_server: ChatServer,  # noqa: F811
) -> None:
    chat_server.script(Scripted.text(NEW_GAME), Scripted.text(FASTER))
    first = (await gen.generate("make a ball game")).version
    outcome = await gen.generate("make it faster")
    assert outcome.ok, outcome.notice
    assert outcome.version.parent == first.id and project.head == outcome.version.id
    assert "const SPEED = 5;" in texts(project)["index.html"]
    assert outcome.notice == f"Version {outcome.version.id}: 1 edit to index.html."
    sent = chat_server.chat_requests[1].body["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[1]["content"] == "make a ball game"
    assert "(changed index.html)" in sent[2]["content"]  # old code is not sent twice
    assert "const SPEED = 2;" in sent[3]["content"] and "make it faster" in sent[3]["content"]


async def test_edit_that_matches_nothing_makes_no_version(
    gen: Generator,
    project: Project,
    chat_server: ChatServer,  # noqa: F811
) -> None:
    chat_server.script(Scripted.text(NEW_GAME), Scripted.text(NO_MATCH), Scripted.text(NO_MATCH))
    first = (await gen.generate("make a ball game")).version
    outcome = await gen.generate("make it red")
    assert outcome.status == "edit_failed" and outcome.version is None
    assert "did not match" in outcome.notice and "unchanged" in outcome.notice
    assert project.head == first.id and len(project.versions()) == 1
    assert len(chat_server.chat_requests) == 3  # the failed block went back once
    last = project.messages()[-2:]
    assert last[0].role == "assistant" and last[0].content == NO_MATCH  # prose kept
    assert last[1].role == "status" and last[1].meta["error"] == "edit_failed"


async def test_cut_off_then_continue_makes_a_version(
    gen: Generator,
    project: Project,
    chat_server: ChatServer,  # noqa: F811
) -> None:
    half = len(NEW_GAME) // 2
    chat_server.script(
        Scripted.text(NEW_GAME[:half], finish_reason="length", usage=(100, 50)),
        Scripted.text(NEW_GAME[half:], usage=(150, 60)),
    )
    outcome = await gen.generate("make a ball game")
    assert outcome.status == "cut_off" and outcome.pending and outcome.version is None
    assert project.head is None and "Continue" in outcome.notice
    partial = gen.pending()
    assert partial is not None and partial.content == NEW_GAME[:half]

    done = await gen.continue_answer()
    assert done.ok, done.notice
    assert done.kind == "continue" and gen.pending() is None
    version = done.version
    assert version.kind == "generate" and version.prompt == "make a ball game"
    assert version.meta["continued"] is True
    assert (version.info.tokens_in, version.info.tokens_out) == (250, 110)
    assert texts(project) == {"index.html": GAME}
    sent = chat_server.chat_requests[1].body["messages"]
    assert sent[-2] == {"role": "assistant", "content": NEW_GAME[:half]}
    assert "Continue exactly where you stopped" in sent[-1]["content"]
    answers = [m for m in project.messages() if m.role == "assistant"]
    assert [a.meta.get("partial", False) for a in answers] == [True, False]
    assert answers[1].content == NEW_GAME and answers[1].meta["continues"] == answers[0].id
    # The model sees the whole answer once, not the partial as well.
    assert [r for r, _ in conversation_for_model(project.messages())] == ["user", "assistant"]


async def test_cut_off_then_discard_keeps_the_partial_in_the_conversation(
    gen: Generator,
    project: Project,
    chat_server: ChatServer,  # noqa: F811
) -> None:
    chat_server.script(Scripted(chunks=chunks_of(NEW_GAME, 20), drop_after=5))
    outcome = await gen.generate("make a ball game")
    assert outcome.status == "cut_off" and outcome.pending
    assert "connection" in outcome.notice
    note = gen.discard()
    assert note is not None and "Discarded" in note.content
    assert gen.pending() is None and gen.discard() is None
    assert project.head is None and project.versions() == []
    kept = [m for m in project.messages() if m.role == "assistant"]
    assert len(kept) == 1 and kept[0].content == "".join(chunks_of(NEW_GAME, 20)[:5])
    with pytest.raises(Exception, match="no cut-off answer"):
        await gen.continue_answer()


async def test_stop_mid_stream_leaves_no_version_and_offers_continue(
    gen: Generator,
    project: Project,
    chat_server: ChatServer,  # noqa: F811
) -> None:
    chat_server.script(Scripted(chunks=chunks_of(NEW_GAME, 8), chunk_delay=0.02))
    seen: list[FileDelta] = []
    task = asyncio.ensure_future(
        gen.generate(
            "make a ball game", on_event=lambda e: isinstance(e, FileDelta) and seen.append(e)
        )
    )
    while len(seen) < 3:
        await asyncio.sleep(0.01)
    task.cancel()
    outcome = await task
    assert outcome.status == "cancelled" and outcome.pending
    assert project.versions() == [] and project.head is None
    assert gen.pending() is not None
    assert NEW_GAME.startswith(gen.pending().content)


async def test_rate_limited_then_success(
    gen: Generator,
    project: Project,
    chat_server: ChatServer,  # noqa: F811
) -> None:
    chat_server.script(
        Scripted.fail(429, "Rate limit reached", headers={"Retry-After": "1"}),
        Scripted.text(NEW_GAME),
    )
    waits: list[Waiting] = []
    outcome = await gen.generate(
        "make a ball game", on_event=lambda e: isinstance(e, Waiting) and waits.append(e)
    )
    assert outcome.ok and waits == [Waiting(1.0)]
    assert project.head == outcome.version.id


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("case", "kind", "words"),
    [
        ("401", "auth", "refused the API key"),
        ("404", "unknown_model", "was not found"),
        ("timeout", "timeout", "did not answer within"),
        ("stall", "timeout", "did not answer within"),
        ("refused", "connection", "Could not connect"),
        ("500", "server", "server error"),
        ("no_code", "no_code", "no code"),
    ],
)
async def test_failures_say_what_happened_and_leave_the_head(
    case: str,
    kind: str,
    words: str,
    project: Project,
    chat_server: ChatServer,  # noqa: F811
    make_provider,
) -> None:
    chat_server.script(Scripted.text(NEW_GAME))
    first = (await Generator(project, make_provider(), "test-model").generate("a game")).version
    if case == "refused":
        provider = make_provider(base_url=f"http://127.0.0.1:{_closed_port()}/v1")
    else:
        provider = make_provider(timeout=0.5 if case in ("timeout", "stall") else 5.0)
    chat_server.script(
        {
            "401": Scripted.fail(401, "Incorrect API key provided"),
            "404": Scripted.fail(404, "The model `test-model` does not exist"),
            "timeout": Scripted(hang=True),
            # The headers and a first piece come at once, then nothing for longer than the
            # timeout: the stream stalls after the response began.
            "stall": Scripted(chunks=["Here it", " comes"], chunk_delay=2.0),
            "refused": Scripted.text("never asked"),
            "500": Scripted.fail(500, "boom"),
            "no_code": Scripted.text("I can't see a game; what should it be about?"),
        }[case]
    )
    outcome = await Generator(project, provider, "test-model").generate("make it faster")
    assert outcome.status in ("error", "no_code") and outcome.error_kind == kind
    assert words in outcome.notice and "unchanged" in outcome.notice
    assert outcome.version is None and project.head == first.id
    assert len(project.versions()) == 1
    status = project.messages()[-1]
    assert status.role == "status" and status.content == outcome.notice


async def test_auto_fix_runs_once_per_prompt_and_never_after_a_fix(
    gen: Generator,
    project: Project,
    chat_server: ChatServer,  # noqa: F811
) -> None:
    broken = NEW_GAME.replace("score += SPEED * dt;", "scor += SPEED * dt;")
    fixed = (
        'It was a typo.\n<edit path="index.html">\n<<<<<<< SEARCH\n  scor += SPEED * dt;\n'
        "=======\n  score += SPEED * dt;\n>>>>>>> REPLACE\n</edit>\n"
    )
    chat_server.script(Scripted.text(broken), Scripted.text(fixed))
    checked: list[int] = []

    async def check(version):
        checked.append(version.id)
        return [{"message": "ReferenceError: scor is not defined", "source": "index.html",
                 "line": 10, "kind": "uncaught"}]  # fmt: skip

    outcome = await gen.generate("make a ball game", check=check)
    assert outcome.ok and outcome.auto_fix is not None, outcome.notice
    fix = outcome.auto_fix
    assert fix.ok, fix.notice
    assert checked == [outcome.version.id]  # the fix itself is not checked again
    assert fix.version.kind == "fix" and fix.version.parent == outcome.version.id
    assert fix.version.meta["auto_fix_of"] == outcome.version.id
    assert fix.version.prompt.startswith("Fix: ReferenceError: scor is not defined")
    assert project.head == fix.version.id and "score += SPEED" in texts(project)["index.html"]
    request = chat_server.chat_requests[1].body["messages"][-1]["content"]
    assert "ReferenceError: scor is not defined (index.html:10)" in request
    # Once per prompt: asking again for the same version is refused, and so is a fix's.
    again = await gen.fix([{"message": "x"}], base=outcome.version.id, auto=True)
    assert again.status == "skipped"
    assert (await gen.fix([{"message": "x"}], base=fix.version.id, auto=True)).status == "skipped"
    assert len(chat_server.chat_requests) == 2
    # A person's Fix is always allowed.
    chat_server.script(Scripted.text("Nothing to fix, it works."))
    manual = await gen.fix([{"message": "x"}], note="still broken?")
    assert manual.status == "no_code" and len(chat_server.chat_requests) == 3


async def test_auto_fix_not_run_when_the_check_finds_nothing(
    gen: Generator,
    chat_server: ChatServer,  # noqa: F811
) -> None:
    chat_server.script(Scripted.text(NEW_GAME))

    async def check(version):
        return []

    outcome = await gen.generate("make a ball game", check=check)
    assert outcome.ok and outcome.auto_fix is None
    assert len(chat_server.chat_requests) == 1


async def test_variations_are_forks_of_the_base_and_one_is_kept(
    gen: Generator,
    project: Project,
    chat_server: ChatServer,  # noqa: F811
) -> None:
    chat_server.script(Scripted.text(NEW_GAME))
    base = (await gen.generate("make a ball game")).version
    slow = [Scripted(chunks=chunks_of(FASTER, 4), chunk_delay=0.03) for _ in range(3)]
    chat_server.script(*slow)
    streamed: dict[int, int] = {0: 0, 1: 0, 2: 0}

    def counter(i: int):
        def on_event(event) -> None:
            streamed[i] += 1

        return on_event

    run = gen.start_variations("make it faster", 3, on_event_for=counter)
    while streamed[1] < 3:
        await asyncio.sleep(0.01)
    run.cancel(1)
    outcomes = await run.wait()
    assert [o.status for o in outcomes] == ["ok", "cancelled", "ok"]
    assert [o.variation for o in outcomes] == [1, 2, 3]
    made = [o.version for o in outcomes if o.ok]
    assert all(v.parent == base.id and v.kind == "generate" for v in made)
    assert [v.meta["variation"] for v in made] == [1, 3]
    assert project.head == base.id  # none kept yet
    assert len(chat_server.chat_requests) == 4
    users = [m for m in project.messages() if m.role == "user"]
    assert [u.content for u in users] == ["make a ball game", "make it faster"]

    kept = gen.keep_variation(made[1].id)
    assert project.head == kept.id == made[1].id
    assert {v.id for v in project.versions()} >= {v.id for v in made}
    pairs = conversation_for_model(project.messages())
    assert [r for r, _ in pairs] == ["user", "assistant", "user", "assistant"]
    assert pending_partial(project.messages()) is None  # a cancelled variation is no pending


async def test_left_out_context_is_said(
    project: Project,
    chat_server: ChatServer,  # noqa: F811
    make_chat_provider,  # noqa: F811
) -> None:
    long_game = GAME.replace("let score = 0;\n", "".join(f"let v{i} = {i};\n" for i in range(900)))
    project.commit({"index.html": long_game}, parent=None, kind="manual")
    gen = Generator(
        project,
        make_chat_provider(),
        "test-model",
        budget=TokenBudget(context_window=4000, reserved_output=1000),
    )
    chat_server.script(Scripted.text(FASTER))
    outcome = await gen.generate("make it faster")
    assert outcome.ok, outcome.notice
    assert any("of index.html" in item for item in outcome.left_out)
    said = [m for m in project.messages() if m.role == "status" and m.meta.get("left_out")]
    assert said and "Left out to fit the model's context" in said[0].content


async def test_provider_settings_and_the_plugin_host(
    config_dir: Path,
    chat_server: ChatServer,  # noqa: F811
    project: Project,
    monkeypatch: pytest.MonkeyPatch,
    no_keyring: None,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    settings = Settings()
    config = ProviderConfig(
        name="local", base_url=chat_server.base_url, model="other-model", temperature=0.3,
        max_tokens=2000,
    )  # fmt: skip
    save_provider_config(settings, config)
    keys.set_api_key("local", API_KEY)
    assert API_KEY not in settings.path.read_text()
    chosen = provider_config(Settings())
    assert chosen == config
    host = PluginHost()
    host.load_all(entry_points=False)
    provider = make_code_provider(host, chosen)
    try:
        assert await provider.list_models() == ["other-model", "test-model"]
        chat_server.script(Scripted.text(NEW_GAME))
        outcome = await Generator.from_config(project, provider, chosen).generate("a game")
    finally:
        await provider.aclose()
    assert outcome.ok and outcome.version.info.model == "other-model"
    assert outcome.version.info.provider == "local"
    request = chat_server.chat_requests[-1]
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.body["temperature"] == 0.3 and request.body["max_tokens"] == 2000
    with pytest.raises(Exception, match="no code provider named 'nope'"):
        provider_config(settings, "nope")


async def test_api_key_stays_out_of_project_logs_and_export(
    gen: Generator,
    project: Project,
    chat_server: ChatServer,  # noqa: F811
    config_dir: Path,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    no_keyring: None,
) -> None:
    caplog.set_level(logging.DEBUG)
    keys.set_api_key("openai", API_KEY)  # no keyring here: the private file
    chat_server.script(
        Scripted.fail(401, f"Incorrect API key provided: {API_KEY}"),
        Scripted.fail(500, f"internal error for Bearer {API_KEY}"),
        Scripted.text(NEW_GAME),
        Scripted(chunks=chunks_of(FASTER, 10), drop_after=2),
    )
    for _ in range(4):
        outcome = await gen.generate("make a ball game")
        assert API_KEY not in outcome.notice
    assert project.head is not None
    from studio.export import SingleHtmlExporter

    exported = await SingleHtmlExporter().export(project, None, tmp_path / "game.html")
    secret = API_KEY.encode()
    scanned = []
    for path in [*project.path.rglob("*"), exported.path]:
        if path.is_file():
            assert secret not in path.read_bytes(), f"the key is in {path}"
            scanned.append(path.name)
    assert "project.db" in scanned and any(len(n) == 64 for n in scanned)  # db and blobs
    assert b"const SPEED = 2;" in exported.path.read_bytes()  # the game is in it
    assert API_KEY not in caplog.text
    assert (
        not (config_dir / "settings.json").exists()
        or API_KEY not in (config_dir / "settings.json").read_text()
    )
