"""The OpenAI Videos API server; it ships with Studio (for plugin authors' tests) as
`studio.testing.servers.video`, re-exported here for the tests that import it from here.
Change the server there."""

from studio.testing.servers.video import (
    EXTEND_SECONDS,
    SECONDS,
    SIZES,
    FakeVideo,
    Recorded,
    VideoServer,
    server_clip,
)

__all__ = [
    "EXTEND_SECONDS",
    "SECONDS",
    "SIZES",
    "FakeVideo",
    "Recorded",
    "VideoServer",
    "server_clip",
]
