"""Small widgets every pane uses: rows that wrap, labels that elide, a provider picker that
follows the plugins, and the one helper for background work."""
