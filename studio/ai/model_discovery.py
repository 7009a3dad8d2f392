"""What code models this computer can reach without being told: local OpenAI-compatible
servers on their usual ports, and keys for hosted services already in the environment.

Each usual port is asked `GET /v1/models` (every one of these servers answers it, OpenAI's
shape: `{"data": [{"id": ...}]}`); a server that answers is then told apart by what only it
serves: Ollama's `GET /api/version` (docs.ollama.com/api-reference/get-version), LM Studio's
`GET /api/v0/models` (lmstudio.ai/docs/developer/rest/endpoints), llama.cpp's `GET /props`
(tools/server/README.md) and vLLM's `GET /version` (vllm/entrypoints/openai/api_server.py).
A port nobody listens on refuses at once, so looking costs a few milliseconds. More ports
to look at (a server started on another one) go in STUDIO_MODEL_PORTS, comma-separated.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx2

__all__ = [
    "HOSTED_SERVICES",
    "USUAL_PORTS",
    "HostedService",
    "LocalServer",
    "find_local_servers",
    "keys_in_environment",
]

# (port, the server that listens there unless told otherwise), from each one's docs.
USUAL_PORTS: tuple[tuple[int, str], ...] = (
    (11434, "Ollama"),
    (1234, "LM Studio"),
    (8080, "llama.cpp"),
    (8000, "vLLM"),
)
PORTS_VARIABLE = "STUDIO_MODEL_PORTS"
LOOK_TIMEOUT = httpx2.Timeout(2.0, connect=0.5)
# Models a chat request cannot use (Ollama and LM Studio list their embedding models too).
_NOT_CHAT = ("embed", "embedding", "rerank", "whisper", "tts")


@dataclass(frozen=True)
class LocalServer:
    kind: str  # "Ollama", "LM Studio", "llama.cpp", "vLLM" or "Local server"
    base_url: str  # the OpenAI-compatible address, ".../v1"
    models: tuple[str, ...]

    @property
    def name(self) -> str:
        """A name for the Settings entry made for it: "ollama", "lm-studio"…"""
        return self.kind.lower().replace(" ", "-").replace(".", "-")

    @property
    def address(self) -> str:
        return self.base_url.removeprefix("http://").removesuffix("/v1")

    def best_model(self) -> str | None:
        """The model to start with: one made for code when there is one, else the first."""
        coder = [m for m in self.models if "coder" in m.lower() or "code" in m.lower()]
        return (coder or list(self.models) or [None])[0]

    def describe(self) -> str:
        models = ", ".join(self.models[:4]) + (" …" if len(self.models) > 4 else "")
        return f"{self.kind} at {self.address}" + (f" ({models})" if models else " (no model)")


async def _json(client: httpx2.AsyncClient, url: str) -> Any:
    try:
        response = await client.get(url, timeout=LOOK_TIMEOUT)
        return response.json() if response.status_code == 200 else None
    except (httpx2.HTTPError, ValueError):
        return None


async def _kind(client: httpx2.AsyncClient, root: str) -> str:
    version, v0, props, vllm = await asyncio.gather(
        _json(client, f"{root}/api/version"),
        _json(client, f"{root}/api/v0/models"),
        _json(client, f"{root}/props"),
        _json(client, f"{root}/version"),
    )
    # LM Studio's listing last: its shape is the most common one.
    if isinstance(props, Mapping) and "default_generation_settings" in props:
        return "llama.cpp"
    if isinstance(version, Mapping) and "version" in version:
        return "Ollama"
    if isinstance(vllm, Mapping) and "version" in vllm:
        return "vLLM"
    if isinstance(v0, Mapping) and isinstance(v0.get("data"), list):
        return "LM Studio"
    return "Local server"


async def _look(client: httpx2.AsyncClient, host: str, port: int) -> LocalServer | None:
    root = f"http://{host}:{port}"
    listing = await _json(client, f"{root}/v1/models")
    if not isinstance(listing, Mapping) or not isinstance(listing.get("data"), list):
        return None
    models = tuple(
        str(entry["id"])
        for entry in listing["data"]
        if isinstance(entry, Mapping)
        and entry.get("id")
        and not any(word in str(entry["id"]).lower() for word in _NOT_CHAT)
    )
    return LocalServer(await _kind(client, root), f"{root}/v1", models)


def _ports_to_look_at() -> list[int]:
    extra = os.environ.get(PORTS_VARIABLE, "")
    more = [int(p) for p in extra.replace(" ", "").split(",") if p.isdigit()]
    return list(dict.fromkeys([p for p, _name in USUAL_PORTS] + more))


async def find_local_servers(
    ports: Sequence[int] | None = None, host: str = "127.0.0.1"
) -> list[LocalServer]:
    """The OpenAI-compatible servers answering on `ports` of `host` (by default the usual
    ones and STUDIO_MODEL_PORTS'), in the order given."""
    numbers = list(ports) if ports is not None else _ports_to_look_at()
    async with httpx2.AsyncClient() as client:
        found = await asyncio.gather(*(_look(client, host, port) for port in numbers))
    return [server for server in found if server is not None]


@dataclass(frozen=True)
class HostedService:
    """A hosted OpenAI-compatible service whose key people keep in an environment variable."""

    name: str  # the Settings entry's name
    label: str
    key_env: str
    base_url: str
    model: str  # a capable model to start with (the person can pick another)


# Addresses from each service's documentation of its OpenAI-compatible API.
HOSTED_SERVICES: tuple[HostedService, ...] = (
    HostedService("openai", "OpenAI", "OPENAI_API_KEY", "https://api.openai.com/v1", "gpt-4.1"),
    HostedService(
        "openrouter",
        "OpenRouter",
        "OPENROUTER_API_KEY",
        "https://openrouter.ai/api/v1",
        "openai/gpt-4.1",
    ),  # fmt: skip
    HostedService(
        "gemini",
        "Google Gemini",
        "GEMINI_API_KEY",
        "https://generativelanguage.googleapis.com/v1beta/openai",
        "gemini-2.5-flash",
    ),  # fmt: skip
    HostedService(
        "deepseek", "DeepSeek", "DEEPSEEK_API_KEY", "https://api.deepseek.com/v1", "deepseek-chat"
    ),
    HostedService(
        "mistral", "Mistral", "MISTRAL_API_KEY", "https://api.mistral.ai/v1", "codestral-latest"
    ),
    HostedService(
        "groq",
        "Groq",
        "GROQ_API_KEY",
        "https://api.groq.com/openai/v1",
        "llama-3.3-70b-versatile",
    ),  # fmt: skip
)


def keys_in_environment(env: Mapping[str, str] | None = None) -> list[HostedService]:
    """The hosted services whose key variable is set (never the keys themselves)."""
    env = os.environ if env is None else env
    return [s for s in HOSTED_SERVICES if (env.get(s.key_env) or "").strip()]
