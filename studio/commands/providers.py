"""`studio providers`: the code, video and image providers, their models, what each model
takes and costs, and whether a key is set."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

_KEY_WORDS = {
    "keyring": "key in the keyring",
    "file": "key in Studio's key file",
    "env": "key from the environment",
    "none": "no key set",
}


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "providers",
        help="list the code, video and image providers, their models, what they take and "
        "cost, and whether a key is set",
        description="The code providers set up in Settings and the video and image "
        "providers the plugins registered: models, what each model takes (lengths, shapes, "
        "pictures, sound...), prices (yours from Settings win), and whether a key is set "
        "(never the key).",
    )
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(handler=cmd_providers)


def cmd_providers(args: argparse.Namespace) -> int:
    from studio.config.settings import Settings
    from studio.operations.provider_catalog import code_windows, provider_catalog
    from studio.plugins.control import load_host

    settings = Settings()
    host = load_host(settings)
    catalog = provider_catalog(host, settings, asyncio.run(code_windows(host, settings)))
    if args.json:
        print(json.dumps(catalog, indent=2))
        return 0
    print("Code providers")
    for entry in catalog["code"]:
        window = (
            f" · context {entry['context_window']:,} tokens ({entry['context_source']})"
            if "context_window" in entry
            else ""
        )
        print(
            f"  {entry['name']} ({entry['type']}): {entry['base_url']} · model {entry['model']} · "
            f"{_KEY_WORDS[entry['key']]}{window}"
        )
    for kind in ("video", "image"):
        print(f"\n{kind.capitalize()} providers")
        if not catalog[kind]:
            print("  none registered")
        for entry in catalog[kind]:
            _print_media(entry)
    return 0


def _print_media(entry: dict[str, Any]) -> None:
    name = entry["name"]
    label = entry.get("label")
    head = name if not label or label == name else f"{name}: {label}"
    if "error" in entry:
        print(f"  {head} · cannot be made: {entry['error']}")
        return
    facts = [_KEY_WORDS[entry["key"]]]
    if entry.get("base_url"):
        facts.insert(0, str(entry["base_url"]))
    facts.append("Test connection" if entry["can_test"] else "cannot test its connection")
    print(f"  {head} · " + " · ".join(facts))
    for model in entry["models"]:
        price = model["price"] or "price unknown"
        if model.get("price_from") == "settings":
            price += " (yours)"
        takes = "; ".join(model["takes"]) or "-"
        print(f"    {model['model'] or '(default)'}: {takes} · {price}")
