"""The preview runtime: URL scheme, profile, watchdog, headless playtest."""
