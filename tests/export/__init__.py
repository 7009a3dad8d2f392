"""Tests of export and share: exporters, archives, the CLI and dialog, in a real browser."""
