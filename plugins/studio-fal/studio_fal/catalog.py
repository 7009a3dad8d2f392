"""What the video and picture model tables share: finding a model by its id or one of its
endpoints, and picture shapes (fal's models take an aspect ratio where Studio may hold a
size)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

__all__ = ["aspect_of", "find_model", "parse_size"]


class _Model(Protocol):
    id: str

    @property
    def endpoints(self) -> tuple[str, ...]: ...


M = TypeVar("M", bound=_Model)


def find_model(model_id: str, models: Iterable[M]) -> M | None:
    """The model named by `model_id`: its id, or one of its endpoints
    ("fal-ai/veo3.1/image-to-video" is Veo 3.1)."""
    return next((m for m in models if model_id in (m.id, *m.endpoints)), None)


_RATIOS = {
    "21:9": 21 / 9,
    "16:9": 16 / 9,
    "4:3": 4 / 3,
    "3:2": 3 / 2,
    "1:1": 1.0,
    "2:3": 2 / 3,
    "3:4": 3 / 4,
    "9:16": 9 / 16,
}


def parse_size(size: str | None) -> tuple[int, int] | None:
    """(width, height) of a "WIDTHxHEIGHT" size; None if it is not one."""
    try:
        width, height = (int(n) for n in (size or "").lower().split("x"))
    except ValueError:
        return None
    return (width, height) if width > 0 and height > 0 else None


def aspect_of(size: str | None, choices: tuple[str, ...]) -> str | None:
    """The ratio among `choices` nearest to the size (None if there is none or no size)."""
    shape = parse_size(size)
    known = [c for c in choices if c in _RATIOS]
    if shape is None or not known:
        return None
    return min(known, key=lambda c: abs(_RATIOS[c] - shape[0] / shape[1]))
