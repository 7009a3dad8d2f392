"""Errors of the domain layer, each with a message a person can act on."""


class StudioError(Exception):
    """Base for errors shown to the person as one clear line."""


class ProjectError(StudioError):
    """A project folder cannot be created, opened or read."""


class NotFoundError(StudioError):
    """A version, file or asset that was asked for does not exist."""
