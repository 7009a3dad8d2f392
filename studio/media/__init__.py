"""Qt-free video work with ffmpeg: probe, verify, stills, proxies, trims, joins, exports.

Everything slow is ``async``, reports progress through an optional ``on_progress(fraction)``
callback, and can be cancelled: cancelling the awaiting task kills ffmpeg and leaves no
partial output. Failures raise :class:`MediaError`, whose message is meant for a person.
"""

from studio.media.errors import FFmpegNotFoundError, MediaError, PictureError
from studio.media.ffmpeg import ProgressCallback, ffmpeg_path, set_ffmpeg_path
from studio.media.filters import MaxSize
from studio.media.frames import ImageFormat, last_frame, thumbnail
from studio.media.ingest import PreparedClip, prepare_clip
from studio.media.probe import MediaInfo, probe, verify
from studio.media.transcode import concat, export_gif, export_mp4, make_proxy, trim

__all__ = [
    "FFmpegNotFoundError",
    "ImageFormat",
    "MaxSize",
    "MediaError",
    "MediaInfo",
    "PictureError",
    "PreparedClip",
    "ProgressCallback",
    "concat",
    "export_gif",
    "export_mp4",
    "ffmpeg_path",
    "last_frame",
    "make_proxy",
    "prepare_clip",
    "probe",
    "set_ffmpeg_path",
    "thumbnail",
    "trim",
    "verify",
]
