"""Asking a model's server whether the model reads images, for Settings › Code model › Reads
images "auto" when the model's name does not say (`studio.ai.vision`). Where servers say:

- llama.cpp's server: `GET /props` → `modalities.vision` (true when started with a
  multimodal projector, `--mmproj`; tools/server/README.md);
- Ollama: `POST /api/show` → `capabilities` holds "vision" (docs/api.md, "Show model
  information");
- LM Studio: `GET /api/v0/models` → the model's `type` is "vlm" (REST API v0);
- OpenRouter and gateways like it: `GET <base>/models` → `architecture.input_modalities`
  holds "image".

Local and LAN servers are asked the local servers' ways; every server its model list.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx2

from studio.ai.context_window import get_json, is_local_url, server_root

__all__ = ["server_reads_images"]


def _entry(listing: Any, key: str, model: str) -> Mapping[str, Any] | None:
    entries = listing.get(key) if isinstance(listing, Mapping) else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping) and entry.get("id") == model:
            return entry
    return None


async def _llama_cpp(client: httpx2.AsyncClient, root: str, model: str) -> bool | None:
    props = await get_json(client, "GET", f"{root}/props")
    modalities = props.get("modalities") if isinstance(props, Mapping) else None
    vision = modalities.get("vision") if isinstance(modalities, Mapping) else None
    return vision if isinstance(vision, bool) else None


async def _ollama(client: httpx2.AsyncClient, root: str, model: str) -> bool | None:
    show = await get_json(client, "POST", f"{root}/api/show", json={"model": model})
    capabilities = show.get("capabilities") if isinstance(show, Mapping) else None
    return "vision" in capabilities if isinstance(capabilities, list) else None


async def _lm_studio(client: httpx2.AsyncClient, root: str, model: str) -> bool | None:
    entry = _entry(await get_json(client, "GET", f"{root}/api/v0/models"), "data", model)
    kind = entry.get("type") if entry else None
    return kind == "vlm" if kind in ("vlm", "llm") else None


async def _model_list(client: httpx2.AsyncClient, base: str, model: str) -> bool | None:
    entry = _entry(await get_json(client, "GET", f"{base}/models"), "data", model)
    architecture = entry.get("architecture") if entry else None
    inputs = architecture.get("input_modalities") if isinstance(architecture, Mapping) else None
    return "image" in inputs if isinstance(inputs, list) else None


async def server_reads_images(
    base_url: str, model: str, *, headers: Mapping[str, str] | None = None
) -> bool | None:
    """Whether the server at `base_url` says `model` reads images (None: it does not say)."""
    base = base_url.rstrip("/")
    async with httpx2.AsyncClient(headers=dict(headers or {})) as client:
        probes = [_model_list(client, base, model)]
        if is_local_url(base):
            root = server_root(base)
            probes += [_llama_cpp(client, root, model), _ollama(client, root, model),
                       _lm_studio(client, root, model)]  # fmt: skip
        answers = await asyncio.gather(*probes)
    return next((a for a in answers if a is not None), None)
