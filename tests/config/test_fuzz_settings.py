"""Fuzzing settings.json (issue 18): whatever the file holds (a hand edit, another Studio's
keys, a half-written file, garbage), every reader below the UI ends in a value of the right
kind or a clear error, and the providers built from it are built or refused with a
VideoError, never an unhandled exception.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from studio.ai.code_providers import ProviderConfig, provider_config, provider_configs
from studio.ai.services import ServiceError
from studio.ai.video_provider import make_provider, provider_options
from studio.config.settings import FILE_NAME, Settings
from studio.errors import StudioError
from studio.plugins.control import disabled_plugins
from studio.plugins.host import PluginHost
from studio.scoring.prices import stored_prices
from tests.fuzz import examples

KEYS = [
    "code_provider",
    "code_providers",
    "video_providers",
    "image_providers",
    "bench_prices",
    "disabled_plugins",
    "ffmpeg_path",
    "openai",
    "title-cards",
    "base_url",
    "model",
    "timeout",
    "temperature",
    "max_tokens",
    "context_window",
    "in",
    "out",
    "type",
    "seconds",
    "size",
    "work_dir",
    "durations",
    "sizes",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()  # NaN and ±Infinity too: Python's json writes and reads them
    | st.text(max_size=12)
    | st.sampled_from(KEYS)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)
    ),
    max_leaves=12,
)
options = st.dictionaries(st.sampled_from(KEYS), scalars | values, max_size=6)
# Shaped like Studio's own file more often than chance would make it, so the readers get
# past "not a dict" to the values inside.
shaped = st.fixed_dictionaries(
    {},
    optional={
        "code_provider": scalars,
        "code_providers": st.dictionaries(st.sampled_from(["openai", "local", ""]), options),
        "video_providers": st.dictionaries(st.sampled_from(["openai", "title-cards"]), options),
        "bench_prices": st.dictionaries(st.text(max_size=5), options),
        "disabled_plugins": values,
    },
)
documents = shaped | st.dictionaries(st.sampled_from(KEYS), values, max_size=8)


def files() -> st.SearchStrategy[bytes]:
    as_json = documents.map(lambda d: json.dumps(d).encode())
    broken = as_json.flatmap(lambda b: st.integers(0, len(b)).map(lambda n: b[:n]))
    return as_json | broken | st.binary(max_size=64) | values.map(lambda v: json.dumps(v).encode())


def plugin_host() -> PluginHost:
    host = PluginHost()
    host.load_all(entry_points=True)
    return host


VIDEO_PROVIDERS = [r.name for r in plugin_host().registrations("video_providers")]


@settings(max_examples=examples(150))
@given(files())
@example(b'{"video_providers": [null]}')  # found: AttributeError in provider_options
@example(b'{"video_providers": {"openai": {"durations": true}}}')  # found: TypeError
@example(b'{"video_providers": {"openai": {"sizes": 1}}}')  # found: TypeError
def test_any_settings_file_is_read_into_values_of_the_right_kind(raw):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / FILE_NAME
        path.write_bytes(raw)
        store = Settings(path)  # a damaged file is moved aside, never fatal
        configs = provider_configs(store)
        assert "openai" in [c.name for c in configs]
        for config in configs:
            assert isinstance(config, ProviderConfig)
            assert isinstance(config.base_url, str) and isinstance(config.model, str)
            assert isinstance(config.timeout, float) and 5 <= config.timeout < math.inf
            window = config.context_window  # None: the server is asked
            assert window is None or (isinstance(window, int) and window >= 2000)
            assert config.temperature is None or 0 <= config.temperature <= 2
            assert config.max_tokens is None or config.max_tokens > 0
            config.factory_options()  # what a generation builds its provider with
            assert ProviderConfig.from_dict(config.name, config.to_dict()) == config
        chosen = provider_config(store)
        assert chosen.name in [c.name for c in configs]
        for name, price in stored_prices(store).items():
            assert isinstance(name, str) and math.isfinite(price.input + price.output)
        assert all(isinstance(n, str) for n in disabled_plugins(store))
        host = plugin_host()  # a plugin given options it cannot take is switched off
        for name in VIDEO_PROVIDERS:
            options = provider_options(store, name)
            assert isinstance(options, dict) and "api_key" not in options
            try:
                make_provider(host, name, options)
            except ServiceError as exc:  # a clear refusal of options that make no sense
                assert str(exc)
            except StudioError as exc:
                assert str(exc)
        store.set("last_project", "x")  # and it can be written again
        assert json.loads(path.read_text())["last_project"] == "x"
