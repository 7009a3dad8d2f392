"""`studio providers` as a real process: code, video and image providers with their models,
what each takes, prices (the person's from Settings win) and whether a key is set, never
the key itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SECRET = "sk-test-providers-SECRET-19bd"


def studio(config: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    return subprocess.run(
        [sys.executable, "-m", "studio", "providers", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        env={
            **clean,
            "STUDIO_CONFIG_DIR": str(config),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            **env,
        },
    )


def test_providers_lists_models_capabilities_prices_and_keys(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    settings = {
        "code_providers": {"local": {"type": "openai", "base_url": "http://127.0.0.1:1/v1"}},
        "video_providers": {"openai": {"base_url": "http://127.0.0.1:2/v1", "key_name": "gw"}},
        "video_prices": {"openai": {"sora-2": {"per_second": 0.07}}},
    }
    (config / "settings.json").write_text(json.dumps(settings))
    (config / "keys.json").write_text(json.dumps({"gw": SECRET}))
    (config / "keys.json").chmod(0o600)

    run = studio(config, "--json")
    assert run.returncode == 0, run.stderr
    assert SECRET not in run.stdout
    catalog = json.loads(run.stdout)
    code = {c["name"]: c for c in catalog["code"]}
    assert code["local"]["base_url"] == "http://127.0.0.1:1/v1" and code["local"]["key"] == "none"
    assert code["openai"]["model"] == "gpt-4.1"
    video = {v["name"]: v for v in catalog["video"]}
    gateway = video["openai"]
    assert gateway["label"] == "OpenAI-compatible /v1/videos (gateways)"
    assert (gateway["base_url"], gateway["key_name"], gateway["key"]) == (
        "http://127.0.0.1:2/v1",
        "gw",
        "file",
    )
    assert gateway["can_test"] is True
    models = {m["model"]: m for m in gateway["models"]}
    assert models["sora-2"]["price"] == "$0.07/s" and models["sora-2"]["price_from"] == "settings"
    assert models["sora-2-pro"]["price"].startswith("$0.30/s")
    assert (
        "first frame" in models["sora-2"]["takes"] and "4, 8 or 12 s" in models["sora-2"]["takes"]
    )
    cards = video["title-cards"]
    assert cards["can_test"] is False and cards["models"][0]["price"] == "free"
    assert isinstance(catalog["image"], list)

    text = studio(config)
    assert text.returncode == 0, text.stderr
    assert "openai: OpenAI-compatible /v1/videos (gateways) · http://127.0.0.1:2/v1" in text.stdout
    assert "key in Studio's key file · Test connection" in text.stdout
    assert "sora-2: 4, 8 or 12 s;" in text.stdout and "$0.07/s (yours)" in text.stdout
    assert "title-cards · no key set · cannot test its connection" in text.stdout
    assert SECRET not in text.stdout + text.stderr


def test_providers_tell_each_code_models_context_window_and_its_source(tmp_path: Path) -> None:
    from studio.testing.servers.local_models import LocalModelServer

    config = tmp_path / "config"
    config.mkdir()
    with LocalModelServer("llama.cpp", 8192) as server:
        settings = {
            "code_providers": {
                "llama": {"type": "openai", "base_url": server.base_url, "model": "local-model"},
                "set": {"type": "openai", "base_url": server.base_url, "context_window": 12000},
            }
        }
        (config / "settings.json").write_text(json.dumps(settings))
        run = studio(config, "--json")
        text = studio(config)
    assert run.returncode == 0, run.stderr
    code = {c["name"]: c for c in json.loads(run.stdout)["code"]}
    assert (code["llama"]["context_window"], code["llama"]["context_source"]) == (
        8192,
        "llama.cpp's /props (n_ctx)",
    )
    assert code["set"]["context_window"] == 12000
    assert code["set"]["context_source"] == "set in Settings › Code model"
    assert "context 8,192 tokens (llama.cpp's /props (n_ctx))" in text.stdout
