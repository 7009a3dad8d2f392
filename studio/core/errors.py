"""Errors of the project store, each with a message a person can act on."""

from studio.errors import StudioError


class ProjectError(StudioError):
    """A project folder cannot be created, opened or read."""


class NotFoundError(StudioError):
    """A version, file or asset that was asked for does not exist."""
