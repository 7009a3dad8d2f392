"""Providers built by name from the plugin host and the person's settings: what picture jobs
and video jobs are given (`studio.ai.image_sources`, `studio.ai.video_sources`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from studio.ai.video_provider import provider_options

__all__ = ["HostProviders"]


def _settings() -> Any:
    from studio.config.settings import Settings

    return Settings()  # read again each time: the Settings dialog writes the file


class HostProviders:
    """The providers of one kind the host registers (`section`, also settings.json's key
    for their options). The options of provider `name`: settings.json's
    `<section>.<name>`, then `overrides[name]` (flags, tests)."""

    section: ClassVar[str]

    def __init__(
        self,
        host: Any,
        *,
        settings: Callable[[], Any] = _settings,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.host = host
        self._settings = settings
        # Kept by reference: a caller may change its overrides later (the panes do).
        self.overrides = overrides if overrides is not None else {}

    def names(self) -> list[str]:
        return [r.name for r in self.host.registrations(self.section)]

    def options(self, name: str) -> dict[str, Any]:
        return provider_options(
            self._settings(), name, self.overrides.get(name), section=self.section
        )
