"""API keys: the system keyring when there is one, else a private file; never settings.json."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.fail import Keyring as FailKeyring
from keyring.errors import PasswordDeleteError

from studio.ai.code_providers import ProviderConfig, save_provider_config
from studio.config import keys
from studio.config.settings import Settings

KEY = "sk-test-keys-8d1e5b"

# Choose the real backend now, before the class below exists: keyring picks the best of all
# KeyringBackend subclasses the first time it is asked, and would pick the test's.
SYSTEM_KEYRING = keyring.get_keyring()


class MemoryKeyring(KeyringBackend):
    """A working keyring that keeps passwords in memory (for the keyring path)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


@pytest.fixture(autouse=True)
def private_config(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh config folder, no key in the environment, and no keyring (as on this CI
    machine; a developer's real keyring is never written to)."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    keyring.set_keyring(FailKeyring())
    try:
        yield config_dir
    finally:
        keyring.set_keyring(SYSTEM_KEYRING)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(SYSTEM_KEYRING)


def test_without_a_keyring_the_key_goes_to_a_file_only_its_owner_can_read(
    private_config: Path,
) -> None:
    assert keys.keyring_problem() == "no system keyring is available on this computer"
    assert keys.get_api_key("openai") is None
    assert keys.set_api_key("openai", f"  {KEY}\n") == "file"
    path = private_config / keys.KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.get_api_key("openai") == KEY
    assert keys.key_source("openai") == "file"
    assert keys.get_api_key("other") is None
    # Widened by someone: made private again when read.
    path.chmod(0o644)
    assert keys.get_api_key("openai") == KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys.delete_api_key("openai")
    assert keys.get_api_key("openai") is None and not path.exists()


def test_with_a_keyring_the_key_lives_there_and_leaves_the_file(
    private_config: Path, memory_keyring: MemoryKeyring
) -> None:
    (private_config / keys.KEY_FILE).write_text('{"openai": "old-key"}')
    (private_config / keys.KEY_FILE).chmod(0o600)
    assert keys.keyring_problem() is None
    assert keys.set_api_key("openai", KEY) == "keyring"
    assert memory_keyring.store == {(keys.SERVICE, "openai"): KEY}
    assert not (private_config / keys.KEY_FILE).exists()  # no plain copy left behind
    assert keys.get_api_key("openai") == KEY and keys.key_source("openai") == "keyring"
    assert keys.set_api_key("openai", "") == "none"
    assert memory_keyring.store == {} and keys.get_api_key("openai") is None


def test_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    assert keys.resolve_api_key("openai") is None and keys.key_source("openai") == "none"
    monkeypatch.setenv("OPENAI_API_KEY", "from-openai-env")
    assert keys.resolve_api_key("openai") == "from-openai-env"
    assert keys.key_source("openai") == "env"
    keys.set_api_key("openai", KEY)
    assert keys.resolve_api_key("openai") == KEY  # a stored key wins over the default variable
    monkeypatch.setenv("MY_GATEWAY_KEY", "from-named-env")
    assert keys.resolve_api_key("openai", env_var="MY_GATEWAY_KEY") == "from-named-env"
    assert keys.resolve_api_key("openai", env_var="UNSET_VARIABLE") == KEY


def test_the_video_provider_finds_the_stored_key() -> None:
    from studio.ai.video_openai import resolve_api_key

    keys.set_api_key("openai", KEY)
    assert resolve_api_key("openai") == KEY


def test_settings_never_hold_the_key(private_config: Path) -> None:
    settings = Settings()
    save_provider_config(settings, ProviderConfig(name="gateway", base_url="http://x/v1"))
    keys.set_api_key("gateway", KEY)
    text = settings.path.read_text()
    assert "gateway" in text and KEY not in text and "api_key" not in text


def test_a_damaged_key_file_is_ignored(private_config: Path) -> None:
    path = private_config / keys.KEY_FILE
    path.write_text("{not json")
    path.chmod(0o600)
    assert keys.get_api_key("openai") is None
    assert keys.set_api_key("openai", KEY) == "file"
    assert keys.get_api_key("openai") == KEY
