"""The one error type of the media layer: its message is meant for a person."""

from __future__ import annotations

from pathlib import Path

from studio.errors import StudioError


class MediaError(Exception):
    """A media operation failed.

    ``str(error)`` is a short sentence a person can act on; ``details`` keeps the last
    meaningful lines ffmpeg wrote, for a "details" disclosure or the log.
    """

    def __init__(self, message: str, *, path: Path | None = None, details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.details = details


class FFmpegNotFoundError(MediaError):
    """The ffmpeg binary is missing or cannot be started."""


class PictureError(MediaError, StudioError):
    """A picture that cannot be read or used; the message is meant for a person (a
    StudioError too: the faces show it as one line)."""
