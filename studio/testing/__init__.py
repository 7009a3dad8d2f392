"""What tests need, shipped with Studio for plugin authors too: local servers that speak the
services' real protocols (`servers`), pytest fixtures (`fixtures`, the `pytest11` plugin)
and test clips made by ffmpeg (`clips`).

Nothing in Studio's runtime packages imports this package (the import contract checks it);
only the self-test, which makes a clip to try ffmpeg on, and tests do.
"""
