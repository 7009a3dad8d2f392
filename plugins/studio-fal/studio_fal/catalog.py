"""What the video and picture model tables share: finding a model by its id or one of its
endpoints."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

__all__ = ["find_model"]


class _Model(Protocol):
    id: str

    @property
    def endpoints(self) -> tuple[str, ...]: ...


M = TypeVar("M", bound=_Model)


def find_model(model_id: str, models: Iterable[M]) -> M | None:
    """The model named by `model_id`: its id, or one of its endpoints
    ("fal-ai/veo3.1/image-to-video" is Veo 3.1)."""
    return next((m for m in models if model_id in (m.id, *m.endpoints)), None)
