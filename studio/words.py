"""Counting words for messages: "1 line", "2 lines", "1 scene", "3 scenes"."""

from __future__ import annotations

__all__ = ["plural"]

_IRREGULAR = {"entry": "entries", "copy": "copies", "story": "stories", "this": "these"}


def plural(n: int, word: str, many: str | None = None) -> str:
    """`n` and `word`, in the plural unless `n` is 1 (`many` for a word with its own plural);
    thousands are grouped: "1,204 lines"."""
    if n == 1:
        return f"1 {word}"
    return f"{n:,} {many or _IRREGULAR.get(word) or word + 's'}"
