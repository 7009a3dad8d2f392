"""API keys typed or forgotten in the Settings dialog, held until Save (Cancel drops them).

Keys are named as the key store names them (`studio.config.keys`): a code-model entry's name, or
the `key_name` a video provider reads. Both tabs of the dialog share one `PendingKeys`, so a
key name used by both shows the same pending state in each.
"""

from __future__ import annotations

from studio.config import keys

KEY_WORDS = {
    "keyring": "A key is stored in the system keyring.",
    "file": "A key is stored in Studio's private key file.",
    "env": "No key stored: OPENAI_API_KEY from the environment is used.",
    "none": "No key stored (a local server may need none).",
    "new": "The key typed here is stored when you press Save.",
    "forget": "The stored key is forgotten when you press Save.",
}


class PendingKeys:
    """Key changes per key name: a typed key to store, or None to forget the stored one."""

    def __init__(self) -> None:
        self._edits: dict[str, str | None] = {}

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
        """A KEY_WORDS key for `name` as it will be after Save (looks at the key store)."""
        if self._edits.get(name):
            return "new"
        stored = keys.key_source(name)
        if name not in self._edits:
            return stored
        if stored in ("keyring", "file"):
            return "forget"
        return stored

    def note(self, name: str) -> tuple[str, bool]:
        """Words for the person about `name`'s key, and whether "Forget key" applies."""
        state = self.state(name)
        text = KEY_WORDS[state]
        problem = keys.keyring_problem()
        if problem and state != "keyring":
            text += (
                f"\n{problem[0].upper()}{problem[1:]}: a key entered here is kept in "
                f"{keys.key_file()}, readable only by you."
            )
        return text, state in ("keyring", "file", "new")

    def save(self) -> dict[str, keys.KeySource]:
        """Store and forget as asked; where each key went. Nothing is pending afterwards."""
        where = {name: keys.set_api_key(name, key) for name, key in self._edits.items()}
        self._edits.clear()
        return where
