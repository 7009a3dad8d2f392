"""The preview runtime: URL scheme, profile, watchdog, headless playtest."""

import studio.qt.refcount_fix  # noqa: F401, E402  (before any Qt call)
