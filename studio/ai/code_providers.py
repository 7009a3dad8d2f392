"""Code providers as a person sets them up: the entries kept in settings.json under
`code_providers` (base URL, model, temperature, output limit, context window; never the
key, see `studio.config.keys`), the one chosen, and building a provider for an entry
through the plugin host, with its key resolved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from studio.ai.providers import ChatProvider
from studio.ai.vision import VISION_SETTINGS
from studio.config import keys
from studio.errors import StudioError

DEFAULT_PROVIDER = "openai"


DEFAULT_MODEL = "gpt-4.1"


LEGACY_DEFAULT_WINDOW = 128_000  # what every entry kept before Studio asked servers


DEFAULT_TIMEOUT = 120.0


def _number(value: Any, kind: type, default: Any) -> Any:
    if value is None or value == "":
        return default
    try:
        return kind(value)
    except (TypeError, ValueError):
        return default


def _window_setting(value: Any) -> int | None:
    """The context window a person set; None for "ask the server". Settings files written
    before Studio asked kept 128,000 for every entry, which nobody chose: it reads as None."""
    tokens = _number(value, int, 0) or 0
    if tokens <= 0 or tokens == LEGACY_DEFAULT_WINDOW:
        return None
    return max(1_024, tokens)


@dataclass
class ProviderConfig:
    """One configured code provider, as kept in settings.json under `code_providers`.

    `name` is the person's name for the entry (and the key's name in the keyring); `type`
    is the registered provider factory that serves it ("openai" for any OpenAI-compatible
    service). An empty `base_url` means OPENAI_BASE_URL, else the service's own address.
    """

    name: str = DEFAULT_PROVIDER
    type: str = DEFAULT_PROVIDER
    base_url: str = ""
    model: str = ""
    temperature: float | None = None
    max_tokens: int | None = None
    context_window: int | None = None  # None: ask the server (studio.ai.context_window)
    timeout: float = DEFAULT_TIMEOUT
    vision: str = "auto"  # does the model take images: "auto" (by name), "yes" or "no"

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> ProviderConfig:
        temperature = _number(data.get("temperature"), float, None)
        max_tokens = _number(data.get("max_tokens"), int, None)
        return cls(
            name=name,
            type=str(data.get("type") or DEFAULT_PROVIDER),
            base_url=str(data.get("base_url") or "").strip(),
            model=str(data.get("model") or "").strip(),
            temperature=None if temperature is None else min(2.0, max(0.0, temperature)),
            max_tokens=max_tokens if max_tokens and max_tokens > 0 else None,
            context_window=_window_setting(data.get("context_window")),
            timeout=max(5.0, _number(data.get("timeout"), float, DEFAULT_TIMEOUT)),
            vision=vision if (vision := data.get("vision")) in VISION_SETTINGS else "auto",
        )

    def to_dict(self) -> dict[str, Any]:
        """What settings.json keeps: never a key."""
        return {
            "type": self.type,
            "base_url": self.base_url,
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "context_window": self.context_window,
            "timeout": self.timeout,
            "vision": self.vision,
        }

    @property
    def effective_model(self) -> str:
        return self.model or DEFAULT_MODEL

    def factory_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"name": self.name, "timeout": self.timeout}
        if self.base_url:
            options["base_url"] = self.base_url
        return options


def provider_configs(settings: Any) -> list[ProviderConfig]:
    """The configured providers, by name; the built-in "openai" entry is always there."""
    stored = settings.get("code_providers") or {}
    configs = {
        str(name): ProviderConfig.from_dict(str(name), data)
        for name, data in (stored.items() if isinstance(stored, Mapping) else [])
        if isinstance(data, Mapping) and str(name).strip()
    }
    configs.setdefault(DEFAULT_PROVIDER, ProviderConfig())
    return [configs[n] for n in sorted(configs)]


def provider_config(settings: Any, name: str | None = None, host: Any = None) -> ProviderConfig:
    """The entry `name`, or the one chosen in Settings (a clear error for an unknown name).
    With the plugin `host`, a name with no entry may be a registered code provider (a
    plugin's, used with its own defaults)."""
    wanted = name or settings.get("code_provider") or DEFAULT_PROVIDER
    configs = provider_configs(settings)
    for config in configs:
        if config.name == wanted:
            return config
    if name is None:  # the chosen one was removed by hand: fall back quietly
        return provider_config(settings, DEFAULT_PROVIDER)
    registered = [r.name for r in host.registrations("code_providers")] if host else []
    if wanted in registered:
        return ProviderConfig(name=wanted, type=wanted)
    known = ", ".join(dict.fromkeys([*(c.name for c in configs), *registered]))
    raise StudioError(
        f"no code provider named {wanted!r} in the settings or the plugins (known: {known})"
    )


def save_provider_config(settings: Any, config: ProviderConfig, *, current: bool = True) -> None:
    name = config.name.strip()
    if not name:
        raise StudioError("a code provider needs a name")
    stored = dict(settings.get("code_providers") or {})
    stored[name] = config.to_dict()
    settings.set("code_providers", stored)
    if current:
        settings.set("code_provider", name)


def remove_provider_config(settings: Any, name: str) -> None:
    stored = dict(settings.get("code_providers") or {})
    stored.pop(name, None)
    settings.set("code_providers", stored)
    if settings.get("code_provider") == name:
        settings.set("code_provider", DEFAULT_PROVIDER)
    keys.delete_api_key(name)


def create_openai_chat_provider(options: Mapping[str, Any]) -> ChatProvider:
    """The built-in factory (registered as "openai"): any OpenAI-compatible chat service.

    The provider reads the stream as plain JSON (`studio.ai.light_stream`): the client's own
    decoding costs more of the GUI thread than everything else a generation does."""
    from studio.ai.light_stream import LightOpenAIChatProvider

    allowed = ("base_url", "api_key", "timeout", "name", "max_rate_limit_retries", "backoff")
    return LightOpenAIChatProvider(**{k: v for k, v in options.items() if k in allowed})


def make_code_provider(
    host: Any,
    config: ProviderConfig,
    *,
    api_key: str | None = None,
    env_var: str | None = None,
    **extra: Any,
) -> ChatProvider:
    """Build the provider for `config` through the plugin host, with its key resolved now
    (given, the variable named, the keyring/private file, then OPENAI_API_KEY)."""
    try:
        factory = host.get("code_providers", config.type)
    except KeyError as exc:
        raise StudioError(str(exc.args[0])) from None
    options = {**config.factory_options(), **extra}
    key = api_key or keys.resolve_api_key(config.name, env_var=env_var)
    if key:
        options["api_key"] = key
    provider = factory(options)
    if not getattr(provider, "name", None):
        provider.name = config.name
    return provider
