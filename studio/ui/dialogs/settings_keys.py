"""API keys typed or forgotten in the Settings dialog, held until Save (Cancel drops them).

Keys are named as the key store names them (`studio.config.keys`): a code-model entry's name, or
the `key_name` a video provider reads. Both tabs of the dialog share one `PendingKeys`, so a
key name used by both shows the same pending state in each.

The key store is never touched on the GUI thread (a system keyring may take a second to
answer, or wait for the person to unlock it): what it holds is read on a worker thread, the
notes say "looking…" meanwhile and `on_read` listeners hear when it arrived; `write()` is
what the dialog runs on a worker thread at Save.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from studio.config import keys

KEY_WORDS = {
    "keyring": "A key is stored in the system keyring.",
    "file": "A key is stored in Studio's private key file.",
    "env": "No key stored: OPENAI_API_KEY from the environment is used.",
    "none": "No key stored (a local server may need none).",
    "new": "The key typed here is stored when you press Save.",
    "forget": "The stored key is forgotten when you press Save.",
    "reading": "Looking for a stored key…",
}


class PendingKeys:
    """Key changes per key name: a typed key to store, or None to forget the stored one."""

    def __init__(self) -> None:
        self._edits: dict[str, str | None] = {}
        self._stored: dict[str, keys.KeySource] = {}  # what the key store holds, once read
        self._problem: str | None = None  # why the keyring cannot be used, once read
        self._reading: dict[str, asyncio.Future[None]] = {}
        self.on_read: list[Callable[[], None]] = []  # told when a key's state arrived

    def typed(self, name: str) -> str:
        """The key typed for `name` and not saved yet ("" when none)."""
        return self._edits.get(name) or ""

    def take(self, name: str, text: str, shown: str) -> None:
        """What a key field holds for `name` now (`shown`: what it held when it was filled):
        a key to store, or empty (no change). An untouched field changes nothing, so the
        other tab's field for the same name keeps its say."""
        text = text.strip()
        if text == shown.strip():
            return
        if text:
            self._edits[name] = text
        elif self._edits.get(name):  # a typed key was cleared again: nothing to store
            del self._edits[name]

    def forget(self, name: str) -> None:
        self._edits[name] = None

    def state(self, name: str) -> str:
        """A KEY_WORDS key for `name` as it will be after Save ("reading" until the key
        store answered)."""
        if self._edits.get(name):
            return "new"
        stored = self._stored.get(name)
        if stored is None:
            self._read(name)
            stored = self._stored.get(name)  # read at once where no loop runs
            if stored is None:
                return "reading"
        if name not in self._edits:
            return stored
        if stored in ("keyring", "file"):
            return "forget"
        return stored

    def note(self, name: str) -> tuple[str, bool]:
        """Words for the person about `name`'s key, and whether "Forget key" applies."""
        state = self.state(name)
        text = KEY_WORDS[state]
        problem = self._problem
        if problem and state not in ("keyring", "reading"):
            text += (
                f"\n{problem[0].upper()}{problem[1:]}: a key entered here is kept in "
                f"{keys.key_file()}, readable only by you."
            )
        return text, state in ("keyring", "file", "new")

    def _read(self, name: str) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop, so no GUI to hold: read at once
            self._stored[name], self._problem = _look_up(name)
            return
        if name not in self._reading:
            self._reading[name] = asyncio.ensure_future(self._read_in_a_thread(name))

    async def _read_in_a_thread(self, name: str) -> None:
        try:
            self._stored[name], self._problem = await asyncio.to_thread(_look_up, name)
        finally:
            self._reading.pop(name, None)
        for listener in list(self.on_read):
            with contextlib.suppress(RuntimeError):  # its widget went with the dialog
                listener()

    def stop(self) -> None:
        """Stop reading (the dialog is closing)."""
        self.on_read.clear()
        for reading in list(self._reading.values()):
            reading.cancel()

    def write(self) -> dict[str, keys.KeySource]:
        """Store and forget as asked; where each key went. Blocking (a worker thread's job);
        nothing is pending afterwards."""
        where = {name: keys.set_api_key(name, key) for name, key in self._edits.items()}
        self._stored.update(where)
        self._edits.clear()
        return where


def _look_up(name: str) -> tuple[keys.KeySource, str | None]:
    return keys.key_source(name), keys.keyring_problem()
