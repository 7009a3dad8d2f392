"""How many tokens the model on the other end takes, and where Studio learned it.

Local servers run models with a context window smaller than the model could take (llama.cpp,
Ollama and LM Studio load 4,096 or 8,192 tokens unless told more), and a request longer than
that fails, or worse, is cut silently (Ollama). So Studio asks the server, where it says:

- llama.cpp's server: `GET /props` → `default_generation_settings.n_ctx` (the loaded size);
- Ollama: `POST /api/show` → `num_ctx` among the model's parameters, else Ollama's default
  (4,096), never more than `model_info.<arch>.context_length`;
- LM Studio: `GET /api/v1/models` → a loaded instance's `config.context_length`, or
  `GET /api/v0/models` → `loaded_context_length` / `max_context_length`;
- OpenRouter and other gateways: `GET <base>/models` → `context_length`; vLLM: `max_model_len`;

then a built-in table of well-known hosted models. A number the person sets in Settings
wins over all of these. A server that only tells when it refuses (llama-cpp-python's
"Requested tokens (15231) exceed context window of 8192") is remembered for the rest of the
session once it has said it (`learn`), and so is how far Studio's token count was from the
server's own (`scale`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx2

from studio.ai.tls import http_client
from studio.ai.tokens import count_tokens

__all__ = [
    "OLLAMA_DEFAULT",
    "compare_counts",
    "UNKNOWN_LOCAL",
    "UNKNOWN_REMOTE",
    "ContextWindow",
    "discover",
    "forget",
    "get_json",
    "is_local_url",
    "known_window",
    "learn",
    "learned",
    "parse_context_error",
    "resolve_scale",
    "resolve_window",
    "server_root",
    "server_tokens",
]

# When nobody says: what local servers commonly load, and what hosted models all take.
UNKNOWN_LOCAL = 8_192
UNKNOWN_REMOTE = 32_768
OLLAMA_DEFAULT = 4_096  # Ollama's num_ctx when the model file sets none (docs/faq.md)
PROBE_TIMEOUT = httpx2.Timeout(2.0, connect=1.0)
log = logging.getLogger(__name__)

# Hosted models by name prefix, longest first wins (published limits, late 2026).
KNOWN: dict[str, int] = {
    "gpt-5": 400_000,
    "gpt-4.1": 1_047_576,
    "gpt-4o": 128_000,
    "o3": 200_000,
    "o4-mini": 200_000,
    "claude-": 200_000,
    "gemini-2.5": 1_048_576,
    "gemini-3": 1_048_576,
    "deepseek-chat": 128_000,
    "deepseek-reasoner": 128_000,
    "mistral-large": 128_000,
    "grok-4": 256_000,
}


@dataclass(frozen=True, slots=True)
class ContextWindow:
    tokens: int
    source: str  # where the figure comes from, in words
    known: bool = True  # False: nobody said; `tokens` is the safe default

    def describe(self) -> str:
        return f"{self.tokens:,} tokens ({self.source})"


# What servers said in this session, by (base URL, model): their window and how many of
# their tokens one of Studio's counted tokens turned out to be.
_windows: dict[tuple[str, str], ContextWindow] = {}
_scales: dict[tuple[str, str], float] = {}


def learn(
    base_url: str, model: str, *, window: ContextWindow | None = None, scale: float | None = None
) -> None:
    key = (base_url.rstrip("/"), model)
    if window is not None:
        _windows[key] = window
    if scale is not None:
        _scales[key] = min(2.0, max(0.7, scale))


def forget() -> None:
    """Drop what servers said (a new session; tests that reuse a port)."""
    _windows.clear()
    _scales.clear()


def learned(base_url: str, model: str) -> tuple[ContextWindow | None, float | None]:
    """The window the server said, and its tokens per token Studio counts (None: not yet)."""
    key = (base_url.rstrip("/"), model)
    return _windows.get(key), _scales.get(key)


def known_window(model: str) -> ContextWindow | None:
    matches = [p for p in KNOWN if model.lower().startswith(p)]
    if not matches:
        return None
    return ContextWindow(KNOWN[max(matches, key=len)], "Studio's table of hosted models")


# Servers' own words when a request is longer than the window (numbers: prompt, window).
_ERRORS = (
    # llama-cpp-python: "Requested tokens (15231) exceed context window of 8192"
    re.compile(r"requested tokens \((\d+)\) exceed context window of (\d+)", re.I),
    # llama.cpp's server: "request (13392 tokens) exceeds the available context size (8192 tokens)"
    re.compile(
        r"request \((\d+) tokens\) exceeds the available context size \((\d+) tokens\)", re.I
    ),
    # vLLM and OpenAI: "This model's maximum context length is 8192 tokens. However, you
    # requested 15231 tokens (...)" (prompt first in the text, window second: swapped below)
    re.compile(
        r"maximum context length is (\d+) tokens[^.]*\.\s*however,? you requested (\d+)", re.I
    ),
    # Ollama: "the input length (9000 tokens) exceeds the model's context length (8192)"
    re.compile(r"input length \((\d+)[^)]*\) exceeds[^(]*context length \((\d+)", re.I),
)
_CONTEXT_WORDS = re.compile(
    r"context[ _-]?(?:length|window|size)|exceed_context_size|n_ctx|maximum context|"
    r"too many tokens|prompt is too long|reduce the length|input is too long|"
    r"exceeds? the (?:model's )?(?:max|limit)",
    re.I,
)


def parse_context_error(text: str) -> tuple[int | None, int | None] | None:
    """(tokens asked for, window) from a server's message about a request too long for its
    context window (either may be None when it did not say); None: not that kind of error."""
    for i, pattern in enumerate(_ERRORS):
        match = pattern.search(text)
        if match:
            first, second = int(match.group(1)), int(match.group(2))
            return (second, first) if i == 2 else (first, second)
    return (None, None) if _CONTEXT_WORDS.search(text) else None


def server_root(base_url: str) -> str:
    """The server's root: `http://host:port/v1` → `http://host:port`."""
    parts = urlsplit(base_url.rstrip("/"))
    path = re.sub(r"/v1$", "", parts.path)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def is_local_url(base_url: str) -> bool:
    """A server on this computer or the local network (it needs no key, and may be asked
    the local servers' ways)."""
    host = urlsplit(base_url).hostname or ""
    if host == "localhost" or host.endswith((".local", ".localhost", ".lan")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


async def get_json(client: httpx2.AsyncClient, method: str, url: str, **kw: Any) -> Any:
    """A probe's JSON answer, or None (any failure: the server just does not say)."""
    try:
        response = await client.request(method, url, timeout=PROBE_TIMEOUT, **kw)
        if response.status_code != 200:
            return None
        return response.json()
    except (httpx2.HTTPError, ValueError):
        return None


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


async def _llama_cpp(client: httpx2.AsyncClient, root: str, model: str) -> ContextWindow | None:
    props = await get_json(client, "GET", f"{root}/props")
    if not isinstance(props, Mapping):
        return None
    settings = props.get("default_generation_settings")
    n_ctx = _positive(settings.get("n_ctx")) if isinstance(settings, Mapping) else None
    n_ctx = n_ctx or _positive(props.get("n_ctx"))
    return ContextWindow(n_ctx, "llama.cpp's /props (n_ctx)") if n_ctx else None


async def _ollama(client: httpx2.AsyncClient, root: str, model: str) -> ContextWindow | None:
    show = await get_json(client, "POST", f"{root}/api/show", json={"model": model})
    if not isinstance(show, Mapping) or "model_info" not in show:
        return None
    info = show.get("model_info") or {}
    most = next((_positive(v) for k, v in info.items() if k.endswith(".context_length")), None)
    params = str(show.get("parameters") or "")
    match = re.search(r"^\s*num_ctx\s+(\d+)", params, re.M)
    if match:
        tokens, source = int(match.group(1)), "Ollama's /api/show (num_ctx)"
    else:
        tokens, source = OLLAMA_DEFAULT, "Ollama's default num_ctx (the model sets none)"
    return ContextWindow(min(tokens, most) if most else tokens, source)


async def _lm_studio(client: httpx2.AsyncClient, root: str, model: str) -> ContextWindow | None:
    listing = await get_json(client, "GET", f"{root}/api/v1/models")
    for entry in (listing or {}).get("models", []) if isinstance(listing, Mapping) else []:
        if isinstance(entry, Mapping) and model in (entry.get("key"), entry.get("id")):
            for instance in entry.get("loaded_instances") or []:
                config = instance.get("config") if isinstance(instance, Mapping) else None
                size = (
                    _positive(config.get("context_length")) if isinstance(config, Mapping) else None
                )
                if size:
                    return ContextWindow(size, "LM Studio (the loaded model's context length)")
            size = _positive(entry.get("max_context_length"))
            if size:
                return ContextWindow(size, "LM Studio (the model's maximum context length)")
    listing = await get_json(client, "GET", f"{root}/api/v0/models")
    for entry in (listing or {}).get("data", []) if isinstance(listing, Mapping) else []:
        if isinstance(entry, Mapping) and entry.get("id") == model:
            loaded = _positive(entry.get("loaded_context_length"))
            if loaded:
                return ContextWindow(loaded, "LM Studio (the loaded model's context length)")
            size = _positive(entry.get("max_context_length"))
            if size:
                return ContextWindow(size, "LM Studio (the model's maximum context length)")
    return None


async def _model_list(client: httpx2.AsyncClient, base: str, model: str) -> ContextWindow | None:
    listing = await get_json(client, "GET", f"{base}/models")
    for entry in (listing or {}).get("data", []) if isinstance(listing, Mapping) else []:
        if isinstance(entry, Mapping) and entry.get("id") == model:
            for field, what in (
                ("context_length", "context_length"),
                ("max_model_len", "max_model_len"),
            ):
                size = _positive(entry.get(field))
                if size:
                    return ContextWindow(size, f"the server's model list ({what})")
    return None


async def server_tokens(
    base_url: str, model: str, text: str, *, headers: Mapping[str, str] | None = None
) -> int | None:
    """How many tokens the server at `base_url` cuts `text` into, where it can say: llama.cpp's
    `POST /tokenize {"content"}` → `tokens`, vLLM's `POST /tokenize {"model", "prompt"}` →
    `count`. Local servers only (a hosted one is not asked to count)."""
    if not is_local_url(base_url):
        return None
    root = server_root(base_url)
    async with await http_client(headers=dict(headers or {})) as client:
        for body in ({"content": text, "add_special": False}, {"model": model, "prompt": text}):
            answer = await get_json(client, "POST", f"{root}/tokenize", json=body)
            if isinstance(answer, Mapping):
                count = _positive(answer.get("count"))
                tokens = answer.get("tokens")
                if count or isinstance(tokens, list):
                    return count or len(tokens)  # type: ignore[arg-type]
    return None


async def discover(
    base_url: str,
    model: str,
    *,
    headers: Mapping[str, str] | None = None,
    client: httpx2.AsyncClient | None = None,
) -> ContextWindow | None:
    """The window the server at `base_url` says `model` has; None when it says nothing.
    Local and LAN servers are asked the local servers' ways; every server its model list."""
    base = base_url.rstrip("/")
    remembered, _ = learned(base, model)
    if remembered is not None:
        return remembered
    own = client is None
    client = client or await http_client(headers=dict(headers or {}))
    try:
        probes = [_model_list(client, base, model)]
        if is_local_url(base):
            root = server_root(base)
            probes = [_llama_cpp(client, root, model), _ollama(client, root, model),
                      _lm_studio(client, root, model), *probes]  # fmt: skip
        for found in await asyncio.gather(*probes):
            if found is not None:
                learn(base, model, window=found)
                return found
        return None
    finally:
        if own:
            await client.aclose()


def compare_counts(base_url: str, model: str, built: Any, reported: int) -> str | None:
    """Compare the prompt's tokens as the server counted them (`reported`) with Studio's
    count of the request it sent (`built`, a `studio.ai.context.BuiltContext`): the ratio
    corrects the next count for this model. Far fewer means the server cut the request to
    fit its window without saying (Ollama does): then the warning to show is returned."""
    estimated = built.estimated_tokens
    if reported < 200 or estimated < 200:
        return None
    if reported < 0.75 * estimated:
        return (
            f"The server read only {reported:,} tokens of the about {estimated:,} sent: it "
            "probably cut the request to its context window without saying so, and the "
            "model did not see all of the game. Give the model a larger context window "
            "(Ollama: num_ctx) or set the window in Settings › Code model."
        )
    learn(base_url, model, scale=built.scale * reported / estimated)
    return None


# Local models' tokenizers cut code finer than the one Studio's count follows (by 12% for the
# Llama model of issue 22's report): until the server has counted, assume so.
LOCAL_SCALE = 1.15
SAMPLE_CHARS = 30_000  # what a server is given to count, to learn its ratio


async def resolve_scale(provider: Any, model: str, sample: str) -> float:
    """How many of the server's tokens one of Studio's counted tokens is: what it reported
    before, else what it counts `sample` to (servers with /tokenize), else a guess."""
    base_url = str(getattr(provider, "base_url", ""))
    _, scale = learned(base_url, model)
    if scale is not None:
        return scale
    count = getattr(provider, "count_tokens", None)
    sample = sample[:SAMPLE_CHARS]
    if callable(count) and sample.strip():
        try:
            counted = await count(model, sample)
        except Exception:  # noqa: BLE001 (a server that cannot count is no failure)
            counted = None
        if counted:
            learn(base_url, model, scale=counted / max(1, count_tokens(sample)))
            return learned(base_url, model)[1] or 1.0
    return LOCAL_SCALE if is_local_url(base_url) else 1.0


async def resolve_window(provider: Any, model: str, setting: int | None) -> ContextWindow:
    """`model`'s context window: the number set in Settings, else what its server says
    (`provider.context_window(model)`, where the provider can ask), else Studio's table of
    hosted models, else a safe default that says it is a guess."""
    if setting:
        return ContextWindow(setting, "set in Settings › Code model")
    ask = getattr(provider, "context_window", None)
    if callable(ask):
        try:
            found = await ask(model)
        except Exception:  # noqa: BLE001 (a server that cannot say is no failure)
            log.info("asking %s for its context window failed", model, exc_info=True)
            found = None
        if found is not None:
            return found
    local = is_local_url(str(getattr(provider, "base_url", "")))
    guess = UNKNOWN_LOCAL if local else UNKNOWN_REMOTE
    return known_window(model) or ContextWindow(
        guess, "unknown: a safe guess; set it in Settings › Code model", known=False
    )
