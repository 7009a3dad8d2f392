"""Command groups of the `studio` command line."""
