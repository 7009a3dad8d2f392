"""Image providers built by name from the plugin host and the person's settings.

`HostImageProviders(host)` is what `ImageJobs` is given: calling it builds provider `name`
with settings.json's `image_providers.<name>` (read again each time: the Settings dialog
may have changed it), then `overrides[name]` (flags, tests). Picture jobs build a provider
for each job, so a plugin switched off or a setting edited takes effect at the next job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from studio.ai.image_provider import ImageProvider, make_image_provider
from studio.ai.video_provider import provider_options

__all__ = ["SECTION", "HostImageProviders"]

SECTION = "image_providers"


def _settings() -> Any:
    from studio.config.settings import Settings

    return Settings()


class HostImageProviders:
    def __init__(
        self,
        host: Any,
        *,
        settings: Callable[[], Any] = _settings,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.host = host
        self._settings = settings
        # Kept by reference: the Images tab changes its overrides later.
        self.overrides = overrides if overrides is not None else {}

    def names(self) -> list[str]:
        return [r.name for r in self.host.registrations(SECTION)]

    def options(self, name: str) -> dict[str, Any]:
        return provider_options(self._settings(), name, self.overrides.get(name), section=SECTION)

    def __call__(self, name: str) -> ImageProvider:
        return make_image_provider(self.host, name, self.options(name))
