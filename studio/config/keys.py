"""API keys for model providers: in the system keyring, or a private file when there is none.

Keys never go into settings.json, a project, an export or a log line. Where a machine has
no keyring (containers, some Linux desktops), `keyring` raises `NoKeyringError`; Studio then
keeps the key in `keys.json` in its config folder, created readable by its owner only (0600),
and says so (`keyring_problem()`). The environment is the last resort: OPENAI_API_KEY, or a
variable the person names (`studio generate --api-key-env VAR`).

Keys are stored per provider entry (the name a person gave it in Settings), so two
OpenAI-compatible services keep two keys.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import Literal

__all__ = [
    "ENV_KEY",
    "KEY_FILE",
    "SERVICE",
    "KeySource",
    "delete_api_key",
    "get_api_key",
    "key_file",
    "key_source",
    "keyring_problem",
    "resolve_api_key",
    "set_api_key",
]

log = logging.getLogger(__name__)

SERVICE = "studio"  # the keyring's service name; the user name is the provider entry
KEY_FILE = "keys.json"
ENV_KEY = "OPENAI_API_KEY"

KeySource = Literal["keyring", "file", "env", "none"]


def key_file() -> Path:
    from studio.config.settings import config_dir

    return config_dir() / KEY_FILE


# -- the keyring ------------------------------------------------------------------------


def _keyring():  # imported late: finding its backends costs start-up time
    import keyring

    return keyring


def keyring_problem() -> str | None:
    """Why the system keyring cannot be used (None when it can), in words for the person."""
    try:
        keyring = _keyring()
        backend = keyring.get_keyring()
    except Exception as exc:  # a broken backend configuration must not stop the app
        return f"the system keyring could not be opened ({type(exc).__name__})"
    if getattr(backend, "priority", 1) <= 0 or type(backend).__module__.endswith(".fail"):
        return "no system keyring is available on this computer"
    return None


def _keyring_get(provider: str) -> str | None:
    """The key from the keyring; None when absent or when there is no usable keyring."""
    try:
        return _keyring().get_password(SERVICE, provider) or None
    except Exception as exc:  # NoKeyringError, a locked or broken keyring
        log.debug("keyring unavailable for reading: %s", type(exc).__name__)
        return None


def _keyring_set(provider: str, key: str) -> bool:
    try:
        _keyring().set_password(SERVICE, provider, key)
    except Exception as exc:
        log.info("keyring unavailable (%s): keeping the key in %s", type(exc).__name__, KEY_FILE)
        return False
    return True


def _keyring_delete(provider: str) -> None:
    with contextlib.suppress(Exception):  # absent, or no keyring: nothing to delete there
        _keyring().delete_password(SERVICE, provider)


# -- the private file -------------------------------------------------------------------


def _read_file() -> dict[str, str]:
    path = key_file()
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return {}
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        # Someone widened it: take it back to owner-only before trusting it with more.
        log.warning("%s was readable by others; made it private again", path)
        with contextlib.suppress(OSError):
            path.chmod(0o600)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("could not read %s; ignoring it", path)
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items() if isinstance(v, str) and v}


def _write_file(keys: dict[str, str]) -> None:
    path = key_file()
    if not keys:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    # Created 0600 from the start (no window in which it is readable by others), then
    # renamed over the old file so a crash leaves either the old or the new keys.
    fd, tmp = tempfile.mkstemp(prefix=".keys-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(keys, f, indent=2, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# -- the interface ----------------------------------------------------------------------


def get_api_key(provider: str) -> str | None:
    """The key stored for `provider` (keyring first, then the private file), or None."""
    return _keyring_get(provider) or _read_file().get(provider)


def set_api_key(provider: str, key: str | None) -> KeySource:
    """Store (or, with an empty key, forget) the key for `provider`. Returns where it went."""
    key = (key or "").strip()
    if not key:
        delete_api_key(provider)
        return "none"
    stored = _read_file()
    if _keyring_set(provider, key):
        if provider in stored:  # moved into the keyring: no plain copy left behind
            del stored[provider]
            _write_file(stored)
        return "keyring"
    stored[provider] = key
    _write_file(stored)
    return "file"


def delete_api_key(provider: str) -> None:
    _keyring_delete(provider)
    stored = _read_file()
    if provider in stored:
        del stored[provider]
        _write_file(stored)


def key_source(provider: str, env_var: str | None = None) -> KeySource:
    """Where the key `resolve_api_key` would use comes from (never the key itself)."""
    if env_var and os.environ.get(env_var):
        return "env"
    if _keyring_get(provider):
        return "keyring"
    if _read_file().get(provider):
        return "file"
    return "env" if os.environ.get(ENV_KEY) else "none"


def resolve_api_key(provider: str, *, env_var: str | None = None) -> str | None:
    """The key to send for `provider`: the variable the person named, else the stored key,
    else OPENAI_API_KEY. None when there is none (local servers often need no key)."""
    if env_var:
        value = os.environ.get(env_var)
        if value:
            return value.strip()
    return get_api_key(provider) or os.environ.get(ENV_KEY) or None
