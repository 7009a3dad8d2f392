"""Setting a code model up in one step, and the words for each way it can be missing or
wrong: Qt-free, against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio

import pytest

from studio.ai.code_providers import ProviderConfig, provider_config, save_provider_config
from studio.ai.model_discovery import LocalServer, find_local_servers
from studio.config.settings import Settings
from studio.operations.code_check import check_code_model
from studio.operations.model_setup import NOTHING_FOUND, assess, missing_key
from studio.plugins.host import PluginHost
from studio.testing.servers.chat import ChatServer, Scripted
from studio.testing.servers.local_models import LocalModelServer

HOSTED = "https://models.example.invalid/v1"  # never resolves: nothing may be sent there


@pytest.fixture
def no_keys(monkeypatch, config_dir, no_keyring):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENROUTER_API_KEY", "GEMINI_API_KEY",
                 "DEEPSEEK_API_KEY", "MISTRAL_API_KEY", "GROQ_API_KEY"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def settings(no_keys, config_dir) -> Settings:
    return Settings(config_dir / "settings.json")


@pytest.fixture(scope="module")
def host() -> PluginHost:
    host = PluginHost()
    host.load_all()
    return host


def test_the_default_model_without_a_key_is_not_ready_and_says_what_to_do(settings):
    setup = assess(settings, [])
    assert not setup.ready and setup.line == NOTHING_FOUND
    assert "Ollama" in setup.line and "Settings › Code model" in setup.line
    problem = missing_key(provider_config(settings))
    assert problem is not None and "No API key" in problem and "api.openai.com" in problem


def test_a_local_server_found_is_set_up_and_chosen(settings):
    with LocalModelServer("ollama", models=("llama3.2", "qwen2.5-coder:7b")) as server:
        found = asyncio.run(find_local_servers([server.port]))
    setup = assess(settings, found)
    assert setup.ready and setup.adopted == "ollama"
    assert "qwen2.5-coder:7b on Ollama" in setup.line and str(server.port) in setup.line
    chosen = provider_config(settings)
    assert (chosen.name, chosen.base_url, chosen.model) == (
        "ollama",
        server.base_url,
        "qwen2.5-coder:7b",
    )
    # The next look finds it set up: nothing changes.
    again = assess(settings, found)
    assert again.ready and again.adopted is None
    assert again.line == (
        f"Model: qwen2.5-coder:7b (ollama) at 127.0.0.1:{server.port} (this computer)"
    )


def test_the_model_a_person_chose_for_a_server_is_kept(settings):
    server = LocalServer("Ollama", "http://127.0.0.1:11434/v1", ("a", "b-coder"))
    save_provider_config(
        settings, ProviderConfig("ollama", base_url=server.base_url, model="a"), current=False
    )
    assess(settings, [server])
    assert provider_config(settings).model == "a"


def test_a_key_in_the_environment_is_used(settings, monkeypatch):
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-v1-abc")
    setup = assess(settings, [])
    assert setup.ready and setup.adopted == "openrouter"
    assert "OPENROUTER_API_KEY" in setup.line and "sk-or" not in setup.line
    chosen = provider_config(settings)
    assert chosen.key_env == "OPENROUTER_API_KEY" and missing_key(chosen) is None


def test_a_server_without_a_model_says_how_to_get_one(settings):
    setup = assess(settings, [LocalServer("Ollama", "http://127.0.0.1:11434/v1", ())])
    assert not setup.ready and "ollama pull" in setup.line


def test_a_chosen_model_that_works_is_left_alone(settings, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    setup = assess(settings, [LocalServer("Ollama", "http://127.0.0.1:11434/v1", ("m",))])
    assert setup.ready and setup.adopted is None
    assert "gpt-4.1 (openai) at api.openai.com" in setup.line


# -- Test connection: each set-up error in its own words ----------------------------------


def check(host, config: ProviderConfig, api_key: str | None = None):
    return asyncio.run(check_code_model(host, config, api_key=api_key))


def test_test_connection_works_with_a_listed_model(host, settings):
    with ChatServer(models=("test-model",)) as server:
        result = check(host, ProviderConfig("local", base_url=server.base_url, model="test-model"))
    assert result.verdict == "works" and "test-model" in result.line
    assert [r.path for r in server.requests] == ["/v1/models"]


def test_test_connection_without_a_key_sends_nothing(host, settings):
    result = check(host, ProviderConfig("hosted", base_url=HOSTED, model="m"))
    assert result.verdict == "no_key" and "No API key" in result.line


def test_test_connection_says_the_key_was_refused(host, settings):
    with ChatServer() as server:
        server.models_response = Scripted.fail(401, "Incorrect API key provided")
        result = check(host, ProviderConfig("x", base_url=server.base_url), api_key="sk-wrong")
    assert result.verdict == "key_refused" and "refused the API key" in result.line


def test_test_connection_says_the_model_is_unknown(host, settings):
    with ChatServer(models=("llama3.2",)) as server:
        server.script(Scripted.fail(404, "model 'lama3' not found", code="model_not_found"))
        result = check(host, ProviderConfig("x", base_url=server.base_url, model="lama3"))
    assert result.verdict == "unknown_model"
    assert "lama3" in result.line and "llama3.2" in result.line  # what it has instead


def test_test_connection_says_the_server_is_unreachable(host, settings):
    with ChatServer() as server:
        url = server.base_url
    result = check(host, ProviderConfig("x", base_url=url))  # stopped: nothing listens
    assert result.verdict == "unreachable" and "Could not connect" in result.line
