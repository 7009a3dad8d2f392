"""Whether a code model is set up, and setting one up in one step when it is not.

The chosen entry of Settings › Code model can be used when it speaks to a server on this
computer (or the local network: no key needed) or when its key resolves. When it cannot,
Studio takes what it found (`studio.ai.model_discovery`): a local server with a model first,
then a hosted service whose key is in the environment; the entry it makes is chosen and
said. When nothing is found, the line says what to do before the person types.

A request to a hosted service without a key is never sent (`missing_key`): the message says
the key is missing, not that the network failed. Both look the key up in the keyring, which
may take tens of milliseconds: call them off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from studio.ai.code_providers import (
    DEFAULT_PROVIDER,
    ProviderConfig,
    provider_config,
    provider_configs,
    save_provider_config,
)
from studio.ai.context_window import is_local_url
from studio.ai.model_discovery import LocalServer, keys_in_environment
from studio.config import keys

__all__ = ["NOTHING_FOUND", "ModelSetup", "assess", "missing_key", "where"]

NOTHING_FOUND = (
    "No code model is set up yet. Start a model server on this computer (Ollama, LM Studio, "
    "llama.cpp or vLLM) and press Look again, or add an API key in Settings › Code model."
)
# What to run when a server has no model to chat with (each one's own way to get one).
_GET_A_MODEL = {
    "Ollama": "run `ollama pull qwen2.5-coder`",
    "LM Studio": "download and load a model in LM Studio",
    "llama.cpp": "start llama-server with a model (-m FILE.gguf)",
    "vLLM": "start vLLM with a model (vllm serve MODEL)",
}


@dataclass(frozen=True)
class ModelSetup:
    ready: bool
    line: str  # one line for the prompt box and the start screen
    adopted: str | None = None  # the entry Studio set up just now, if it did


def _host(url: str) -> str:
    parts = urlsplit(url)
    return (parts.hostname or url) + (f":{parts.port}" if parts.port else "")


def where(config: ProviderConfig) -> str:
    """The model and where it runs, in words: "gpt-4.1 at api.openai.com"."""
    url = config.effective_base_url
    place = " (this computer)" if is_local_url(url) else ""
    if config.type != DEFAULT_PROVIDER:  # a plugin's provider: its own address and key
        return f"{config.effective_model} ({config.type})"
    return f"{config.effective_model} ({config.name}) at {_host(url)}{place}"


def missing_key(config: ProviderConfig) -> str | None:
    """Why a request with `config` would surely be refused before it is sent: a hosted
    service and no key anywhere. None when it may go (a local server needs no key; a
    plugin's provider finds its own)."""
    url = config.effective_base_url
    if config.type != DEFAULT_PROVIDER or is_local_url(url):
        return None
    if keys.resolve_api_key(config.name, env_var=config.key_env or None):
        return None
    return (
        f"No API key for “{config.name}” ({_host(url)}): add it in Settings › Code model, or "
        "use a model server on this computer (Ollama, LM Studio, llama.cpp, vLLM)."
    )


def _adopt(settings: object, config: ProviderConfig) -> ProviderConfig:
    """Choose `config`, keeping what the person set in an entry of that name before."""
    known = {c.name: c for c in provider_configs(settings)}.get(config.name)
    if known is not None and known.base_url == config.base_url:
        config = replace(known, model=known.model or config.model, key_env=config.key_env)
    save_provider_config(settings, config, current=True)
    return config


def assess(
    settings: object,
    servers: Sequence[LocalServer],
    env: Mapping[str, str] | None = None,
    *,
    usable: bool | None = None,
) -> ModelSetup:
    """Whether the chosen code model can be used; when not, set up the first thing found
    (`servers`: the local servers found; `env`: where keys may be, os.environ by default;
    `usable`: whether the chosen entry has what it needs, when it was looked up already on
    a worker thread)."""
    config = provider_config(settings)
    if usable is None:
        usable = missing_key(config) is None
    if usable:
        return ModelSetup(True, f"Model: {where(config)}")
    for server in servers:
        model = server.best_model()
        if model is not None and server.base_url:
            made = _adopt(
                settings, ProviderConfig(server.name, base_url=server.base_url, model=model)
            )
            return ModelSetup(
                True,
                f"Using {made.model} on {server.kind}, found on this computer "
                f"({server.address}). Change it in Settings › Code model.",
                made.name,
            )
    for service in keys_in_environment(env):
        found = ProviderConfig(
            service.name, base_url=service.base_url, model=service.model, key_env=service.key_env
        )
        made = _adopt(settings, found)
        return ModelSetup(
            True,
            f"Using {made.model} on {service.label}, with the key in {service.key_env}. "
            "Change it in Settings › Code model.",
            made.name,
        )
    empty = next((s for s in servers if not s.models), None)
    if empty is not None:
        get = _GET_A_MODEL.get(empty.kind, "load a model in it")
        return ModelSetup(
            False,
            f"{empty.kind} runs on this computer ({empty.address}) but has no model yet: "
            f"{get}, then press Look again.",
        )
    return ModelSetup(False, NOTHING_FOUND)
