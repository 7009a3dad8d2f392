"""Every provider Studio can use, as `studio providers` lists them: the code providers set
up in Settings, the local model servers running on this computer (`local_servers`), and the
video and image providers the plugins registered, with their models, what each model
takes, its price, and whether a key is set (never the key).

Making a provider and reading its capabilities do no I/O (the provider contract), so the
list costs a settings read and a key-store look-up per provider. A provider whose plugin
breaks while being made is listed with the reason.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import Any

from studio.ai.code_providers import DEFAULT_MODEL, make_code_provider, provider_configs
from studio.ai.context_window import ContextWindow, resolve_window
from studio.ai.image_provider import image_capabilities_of, make_image_provider
from studio.ai.model_discovery import LocalServer
from studio.ai.providers import close_provider
from studio.ai.video_cost import price_for, price_overrides, price_words, usd
from studio.ai.video_openai import DEFAULT_BASE_URL  # OpenAI's, as code providers use it
from studio.ai.video_options import capability_words
from studio.ai.video_provider import (
    capabilities_of,
    label_of,
    make_provider,
    provider_options,
)
from studio.config import keys
from studio.errors import StudioError

__all__ = ["code_windows", "provider_catalog"]


def _key(name: str, options: Mapping[str, Any]) -> dict[str, str]:
    """Whose key a provider reads and where it is (`keyring`, `file`, `env`, `none`)."""
    key_name = str(options.get("key_name") or name)
    return {"key_name": key_name, "key": keys.key_source(key_name, options.get("api_key_env"))}


def _code(settings: Any, windows: Mapping[str, ContextWindow]) -> list[dict[str, Any]]:
    out = []
    for config in provider_configs(settings):
        entry = {
            "name": config.name,
            "type": config.type,
            "base_url": config.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL,
            "model": config.effective_model or DEFAULT_MODEL,
            **_key(config.name, {}),
        }
        window = windows.get(config.name)
        if window is not None:
            entry |= {"context_window": window.tokens, "context_source": window.source}
        out.append(entry)
    return out


async def code_windows(host: Any, settings: Any) -> dict[str, ContextWindow]:
    """Each code provider's context window and where it comes from (its server is asked:
    a few local requests, at most a couple of seconds each)."""
    windows = {}
    for config in provider_configs(settings):
        try:
            provider = await asyncio.to_thread(make_code_provider, host, config)
        except StudioError:
            continue  # a provider that cannot be made has no window to tell
        try:
            windows[config.name] = await resolve_window(
                provider, config.effective_model, config.context_window
            )
        finally:
            await close_provider(provider)
    return windows


def _video(host: Any, settings: Any) -> list[dict[str, Any]]:
    overrides = price_overrides(settings)
    out = []
    for reg in host.registrations("video_providers"):
        options = provider_options(settings, reg.name)
        entry: dict[str, Any] = {"name": reg.name, **_key(reg.name, options)}
        try:
            provider = make_provider(host, reg.name, options)
            models = list(capabilities_of(provider).models) or [None]
            entry |= {
                "label": label_of(provider, reg.name),
                "base_url": getattr(provider, "base_url", None),
                "can_test": callable(getattr(provider, "check", None)),
                "models": [],
            }
            for model in models:
                caps = capabilities_of(provider, model)
                found = price_for(reg.name, caps, model, overrides)
                entry["models"].append(
                    {
                        "model": model,
                        "takes": capability_words(caps),
                        "price": price_words(found[0]) if found else None,
                        "price_from": found[1] if found else None,
                    }
                )
        except Exception as exc:  # a plugin's bug: listed, not raised
            entry["error"] = f"{type(exc).__name__}: {exc}"
        out.append(entry)
    return out


def _image(host: Any, settings: Any) -> list[dict[str, Any]]:
    out = []
    for reg in host.registrations("image_providers"):
        options = provider_options(settings, reg.name, section="image_providers")
        entry: dict[str, Any] = {"name": reg.name, **_key(reg.name, options)}
        try:
            provider = make_image_provider(host, reg.name, options)
            entry |= {
                "label": label_of(provider, reg.name),
                "base_url": getattr(provider, "base_url", None),
                "can_test": callable(getattr(provider, "check", None)),
                "models": [],
            }
            for model in list(image_capabilities_of(provider).models) or [None]:
                caps = image_capabilities_of(provider, model)
                price = caps.prices.get(model or "") or caps.prices.get("")
                takes = [", ".join(caps.sizes)] + [
                    text
                    for offered, text in (
                        (caps.edit, f"edit ({caps.max_inputs} input pictures)"),
                        (caps.mask, "mask"),
                        (caps.transparent, "transparent background"),
                        (caps.seed, "seed"),
                        (caps.max_count > 1, f"up to {caps.max_count} at once"),
                    )
                    if offered
                ]
                entry["models"].append(
                    {
                        "model": model,
                        "takes": takes,
                        "price": _image_price(price.per_image) if price else None,
                    }
                )
        except Exception as exc:  # a plugin's bug: listed, not raised
            entry["error"] = f"{type(exc).__name__}: {exc}"
        out.append(entry)
    return out


def _image_price(per_image: Mapping[str, float]) -> str:
    return ", ".join(f"{usd(v)} ({size or 'any size'})" for size, v in per_image.items()) or "free"


def provider_catalog(
    host: Any,
    settings: Any,
    windows: Mapping[str, ContextWindow] | None = None,
    local_servers: list[LocalServer] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The code, video and image providers (see the module doc), ready for JSON; with
    `windows` (from `code_windows`), the code providers' context windows too, and with
    `local_servers` (from `studio.ai.model_discovery.find_local_servers`), those servers."""
    return {
        "code": _code(settings, windows or {}),
        "local": [
            {"kind": s.kind, "base_url": s.base_url, "models": list(s.models)}
            for s in local_servers or []
        ],
        "video": _video(host, settings),
        "image": _image(host, settings),
    }
