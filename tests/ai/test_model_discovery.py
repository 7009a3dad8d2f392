"""Finding local model servers by real requests to 127.0.0.1, and keys in the environment."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import pytest

from studio.ai.model_discovery import (
    USUAL_PORTS,
    LocalServer,
    find_local_servers,
    keys_in_environment,
)
from studio.testing.servers.local_models import LocalModelServer


@contextlib.contextmanager
def serving(flavour: str, models: tuple[str, ...], port: int = 0) -> Iterator[LocalModelServer]:
    server = LocalModelServer(flavour, models=models)
    try:
        server.start(port)
    except OSError:  # the usual port is taken on this machine: any free one
        server.start()
    try:
        yield server
    finally:
        server.stop()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


@pytest.mark.parametrize(
    ("flavour", "kind"),
    [("ollama", "Ollama"), ("lmstudio", "LM Studio"), ("llama.cpp", "llama.cpp"), ("vllm", "vLLM")],
)
def test_each_local_server_is_found_and_told_apart(flavour, kind):
    with serving(flavour, ("qwen2.5-coder:7b", "nomic-embed-text")) as server:
        found = asyncio.run(find_local_servers([server.port, _closed_port()]))
    assert found == [LocalServer(kind, server.base_url, ("qwen2.5-coder:7b",))]
    assert found[0].best_model() == "qwen2.5-coder:7b"
    assert f"127.0.0.1:{server.port}" in found[0].describe()
    # The embedding model was never offered: a chat request cannot use it.
    assert any(r.path == "/v1/models" for r in server.requests)


def test_ollama_on_its_usual_port_is_found_with_the_usual_list(monkeypatch):
    port = dict((name, p) for p, name in USUAL_PORTS)["Ollama"]
    with serving("ollama", ("llama3.2:latest", "qwen2.5-coder:1.5b")) as server:
        if server.port != port:  # the usual port was taken: tell Studio where to look
            monkeypatch.setenv("STUDIO_MODEL_PORTS", f"9, {server.port}")
        found = [s for s in asyncio.run(find_local_servers()) if s.base_url == server.base_url]
    assert [s.kind for s in found] == ["Ollama"]
    assert found[0].models == ("llama3.2:latest", "qwen2.5-coder:1.5b")
    assert found[0].best_model() == "qwen2.5-coder:1.5b"  # the one made for code
    assert found[0].name == "ollama"


def test_nothing_listening_finds_nothing_quickly():
    assert asyncio.run(find_local_servers([_closed_port(), _closed_port()])) == []


def test_keys_in_the_environment_are_named_never_read_out():
    env = {"OPENROUTER_API_KEY": "sk-or-secret", "GROQ_API_KEY": "  ", "HOME": "/tmp"}
    found = keys_in_environment(env)
    assert [s.name for s in found] == ["openrouter"]
    assert found[0].base_url == "https://openrouter.ai/api/v1"
    assert "sk-or-secret" not in repr(found)
