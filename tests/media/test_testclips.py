from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from studio.media import MediaError, ffmpeg_path, probe, set_ffmpeg_path
from studio.testing.clips import make_test_clip


async def test_h264_clip_with_sound(tmp_path: Path) -> None:
    clip = make_test_clip(tmp_path / "a.mp4", 1.2, (64, 48), 20)
    info = await probe(clip)
    assert info.duration == pytest.approx(1.2, abs=0.05)
    assert (info.width, info.height, info.fps) == (64, 48, 20)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")


async def test_vp9_clip_without_sound_in_webm(tmp_path: Path) -> None:
    clip = make_test_clip(tmp_path / "b.webm", 0.5, (34, 18), 10, codec="vp9", audio=False)
    info = await probe(clip)
    assert (info.width, info.height, info.video_codec, info.audio_codec) == (34, 18, "vp9", None)


async def test_faststart_puts_the_index_first(tmp_path: Path) -> None:
    data = make_test_clip(tmp_path / "c.mp4", 0.2, faststart=True).read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")


def test_impossible_clips_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        make_test_clip(tmp_path / "x.webm", 1, codec="h264")
    with pytest.raises(ValueError):
        make_test_clip(tmp_path / "x.webm", 1, (33, 17), codec="vp9")
    with pytest.raises(ValueError):
        make_test_clip(tmp_path / "x.mp4", 0)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_ffmpeg_is_reported(tmp_path: Path) -> None:
    set_ffmpeg_path(tmp_path / "nowhere" / "ffmpeg")
    with pytest.raises(MediaError, match="ffmpeg was not found"):
        make_test_clip(tmp_path / "x.mp4")
    assert list(tmp_path.iterdir()) == []


def test_keyframe_interval(tmp_path: Path) -> None:
    clip = make_test_clip(tmp_path / "k.mp4", 2, fps=25, audio=False, keyframe_interval=10)
    argv = [ffmpeg_path(), "-v", "error", "-skip_frame", "nokey", "-i", str(clip)]
    argv += ["-fps_mode", "passthrough", "-f", "null", "-progress", "pipe:1", "-"]
    report = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    keyframes = [line for line in report.splitlines() if line.startswith("frame=")][-1]
    assert keyframes == "frame=5"
