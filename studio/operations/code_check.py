"""Test connection for a code model (Settings › Code model): one real request, one line.

The server's model list is asked first (`GET /models`: cheap, and it needs the key); when
the model is not listed, or the server lists nothing, a one-token answer is asked for,
which says whether the model exists (llama.cpp answers with whatever it loaded, whatever
the name). Each way it can fail has its own words: no key (nothing is sent), the key
refused, the model unknown, the server unreachable.
"""

from __future__ import annotations

import asyncio
from typing import Any

from studio.ai.code_providers import ProviderConfig, make_code_provider
from studio.ai.errors import GenerationError
from studio.ai.providers import close_provider
from studio.ai.service_check import CheckResult
from studio.errors import StudioError
from studio.operations.model_setup import missing_key

__all__ = ["check_code_model"]

TIMEOUT = 20.0
SHOWN_MODELS = 5  # of a long model list, the first few are named


def _listed(models: list[str]) -> str:
    more = f" and {len(models) - SHOWN_MODELS} more" if len(models) > SHOWN_MODELS else ""
    return ", ".join(models[:SHOWN_MODELS]) + more


def _failed(error: GenerationError, model: str, models: list[str]) -> CheckResult:
    if error.kind == "auth":
        return CheckResult("key_refused", error.message)
    if error.kind in ("connection", "timeout"):
        return CheckResult("unreachable", error.message)
    if error.kind == "unknown_model":
        has = f" It has: {_listed(models)}." if models else ""
        return CheckResult("unknown_model", f"No model “{model}” there: check the name.{has}")
    if error.kind == "rate_limited":  # the key was taken: only the pace is too fast
        return CheckResult("works", f"Works (the server asks to slow down: {error.message})")
    return CheckResult("failed", f"Failed: {error.message}")


async def _one_token(provider: Any, model: str) -> None:
    messages = [{"role": "user", "content": "Say OK."}]
    async for _chunk in provider.stream_chat(messages, model=model, max_tokens=1):
        pass


async def _check(provider: Any, model: str) -> CheckResult:
    models: list[str] = []
    try:
        models = await provider.list_models()
    except GenerationError as error:
        if error.kind != "unknown_model":  # 404 on the list: a server without one
            return _failed(error, model, [])
    if model in models:
        return CheckResult("works", f"Works: the server answered and has {model}.")
    try:
        await _one_token(provider, model)
    except GenerationError as error:
        return _failed(error, model, models)
    return CheckResult("works", f"Works: {model} answered.")


async def check_code_model(
    host: Any, config: ProviderConfig, *, api_key: str | None = None
) -> CheckResult:
    """Test `config` (with `api_key` typed in the form, if any). Never raises but for
    cancellation; the key store is read on a worker thread."""
    if not api_key:
        problem = await asyncio.to_thread(missing_key, config)
        if problem is not None:
            return CheckResult("no_key", problem)
    try:
        provider = await asyncio.to_thread(
            make_code_provider, host, config, api_key=api_key, timeout=TIMEOUT
        )
    except StudioError as exc:
        return CheckResult("failed", f"The provider cannot be made: {exc}")
    try:
        return await asyncio.wait_for(_check(provider, config.effective_model), TIMEOUT * 2)
    except TimeoutError:
        return CheckResult("unreachable", f"Cannot reach the server: no answer in {TIMEOUT:g} s.")
    except Exception as exc:  # a plugin provider's bug: said, not raised into the dialog
        return CheckResult("failed", f"The test itself failed: {type(exc).__name__}: {exc}")
    finally:
        await close_provider(provider)
