"""Image providers built by name from the plugin host and the person's settings.

`HostImageProviders(host)` is what `ImageJobs` is given: calling it builds provider `name`
with settings.json's `image_providers.<name>` (read again each time: the Settings dialog
may have changed it), then `overrides[name]` (flags, tests). Picture jobs build a provider
for each job, so a plugin switched off or a setting edited takes effect at the next job.
"""

from __future__ import annotations

from studio.ai.image_provider import ImageProvider, make_image_provider
from studio.ai.provider_sources import HostProviders

__all__ = ["SECTION", "HostImageProviders"]

SECTION = "image_providers"


class HostImageProviders(HostProviders):
    section = SECTION

    def __call__(self, name: str) -> ImageProvider:
        return make_image_provider(self.host, name, self.options(name))
