from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from studio.media import MediaError, probe, verify
from studio.media.ffmpeg import ffmpeg_path
from studio.media.probe import parse_header
from studio.testing.clips import make_test_clip


async def test_probe_reads_an_mp4(clips: dict[str, Path]) -> None:
    info = await probe(clips["mp4"])
    assert info.duration == pytest.approx(2.0, abs=0.05)
    assert info.size == (160, 90)
    assert info.fps == 25
    assert info.video_codec == "h264"
    assert info.audio_codec == "aac"
    assert info.has_audio
    assert info.path == clips["mp4"]


async def test_probe_reads_a_silent_webm(clips: dict[str, Path]) -> None:
    info = await probe(clips["webm"])
    assert info.duration == pytest.approx(1.5, abs=0.05)
    assert (info.width, info.height, info.fps) == (120, 120, 30)
    assert info.video_codec == "vp9"
    assert info.audio_codec is None
    assert not info.has_audio


async def test_probe_reads_vp9_with_opus(clips: dict[str, Path]) -> None:
    info = await probe(clips["portrait"])
    assert (info.width, info.height, info.fps) == (96, 160, 24)
    assert (info.video_codec, info.audio_codec) == ("vp9", "opus")


async def test_probe_reports_the_displayed_size_of_a_rotated_video(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    rotated = tmp_path / "phone.mp4"
    argv = [ffmpeg_path(), "-v", "error", "-display_rotation:v:0", "90", "-i", str(clips["mp4"])]
    subprocess.run([*argv, "-c", "copy", str(rotated)], check=True)
    info = await probe(rotated)
    assert info.rotation in (90, -90)
    assert info.size == (90, 160)


async def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "clip.mp4"
    empty.touch()
    with pytest.raises(MediaError, match=r"^clip\.mp4 is empty$"):
        await probe(empty)


async def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"^gone\.mp4 does not exist$"):
        await probe(tmp_path / "gone.mp4")


@pytest.mark.parametrize("suffix", [".mp4", ".webm", ".mov"])
async def test_a_text_file_named_as_a_video_is_refused(tmp_path: Path, suffix: str) -> None:
    fake = tmp_path / f"clip{suffix}"
    fake.write_text("these are notes, not a video\n" * 40)
    with pytest.raises(MediaError) as caught:
        await probe(fake)
    assert str(caught.value) == f"clip{suffix} is not a video file (ffmpeg could not read it)"
    assert caught.value.path == fake


async def test_an_audio_file_is_refused(tmp_path: Path) -> None:
    song = tmp_path / "song.m4a"
    argv = [ffmpeg_path(), "-v", "error", "-f", "lavfi", "-i", "sine=d=1", str(song)]
    subprocess.run(argv, check=True)
    with pytest.raises(MediaError, match=r"^song\.m4a has no video track"):
        await probe(song)


async def test_an_image_is_refused(tmp_path: Path, clips: dict[str, Path]) -> None:
    picture = tmp_path / "still.png"
    argv = [ffmpeg_path(), "-v", "error", "-i", str(clips["mp4"]), "-frames:v", "1", str(picture)]
    subprocess.run(argv, check=True)
    with pytest.raises(MediaError, match=r"^still\.png is an image, not a video$"):
        await probe(picture)


def _cut(src: Path, dest: Path, keep: float) -> Path:
    data = src.read_bytes()
    dest.write_bytes(data[: int(len(data) * keep)])
    return dest


async def test_a_truncated_mp4_with_its_index_first_is_caught_by_probe(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    # The header is intact and promises 2 s; the data stops early (an interrupted download).
    cut = _cut(clips["faststart"], tmp_path / "download.mp4", 0.7)
    expected = r"^download\.mp4 is damaged or incomplete \(its end is missing or unreadable\)$"
    with pytest.raises(MediaError, match=expected) as caught:
        await probe(cut)
    assert caught.value.details  # what ffmpeg said, for a log or a details box


async def test_a_truncated_mp4_without_its_index_is_caught(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    cut = _cut(clips["mp4"], tmp_path / "copy.mp4", 0.7)
    with pytest.raises(MediaError, match=r"^copy\.mp4 is incomplete or damaged"):
        await probe(cut)


async def test_a_truncated_webm_is_caught(tmp_path: Path) -> None:
    whole = make_test_clip(tmp_path / "whole.webm", 2, (160, 90), 25, "vp9")
    cut = _cut(whole, tmp_path / "cut.webm", 0.6)
    with pytest.raises(MediaError, match=r"^cut\.webm is damaged or incomplete"):
        await probe(cut)


async def test_verify_accepts_a_good_file_and_reports_progress(clips: dict[str, Path]) -> None:
    seen: list[float] = []
    info = await verify(clips["mp4"], on_progress=seen.append)
    assert info.size == (160, 90)
    assert seen and seen[-1] == 1.0


async def test_verify_catches_damage_in_the_middle_that_probe_misses(tmp_path: Path) -> None:
    # A keyframe every second and no audio: probe decodes only the last second, which is fine.
    clip = make_test_clip(
        tmp_path / "long.mp4", 4, audio=False, faststart=True, keyframe_interval=25
    )
    data = bytearray(clip.read_bytes())
    middle = len(data) // 3
    data[middle : middle + 4000] = bytes(range(256)) * 15 + bytes(160)
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))

    await probe(damaged)  # header and ending are fine
    expected = r"^damaged\.mp4 is damaged \(ffmpeg found errors while decoding it\)$"
    with pytest.raises(MediaError, match=expected) as caught:
        await verify(damaged)
    assert caught.value.details


async def test_verify_refuses_what_probe_refuses(tmp_path: Path) -> None:
    empty = tmp_path / "nothing.webm"
    empty.touch()
    with pytest.raises(MediaError, match="is empty"):
        await verify(empty)


async def test_probe_copes_with_odd_names(clips: dict[str, Path], tmp_path: Path) -> None:
    # A colon would make ffmpeg take "pipe:" for a protocol; a dash for an option.
    odd = tmp_path / "pipe:-x ü.mp4"
    shutil.copy(clips["mp4"], odd)
    assert (await probe(odd)).duration == pytest.approx(2.0, abs=0.05)


OLD_FFMPEG_LOG = """\
Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'old.mp4':
  Metadata:
    major_brand     : isom
    title           : Stream #0:9: Video: fake, 1x1
  Duration: 00:01:02.50, start: 0.000000, bitrate: 1205 kb/s
    Stream #0:0(und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709), \
1920x1080 [SAR 1:1 DAR 16:9], 1071 kb/s, 29.97 fps, 29.97 tbr, 30k tbn, 59.94 tbc (default)
    Side data:
      displaymatrix: rotation of -90.00 degrees
    Stream #0:1(eng): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo, fltp, 128 kb/s
    Stream #0:2: Video: mjpeg (Baseline), yuvj420p(pc), 600x600, 90k tbr (attached pic)
At least one output file must be specified
"""


def test_parse_header_reads_an_older_ffmpeg_layout() -> None:
    header = parse_header(OLD_FFMPEG_LOG.splitlines())
    assert header is not None
    assert header.container == "mov,mp4,m4a,3gp,3g2,mj2"
    assert header.duration == pytest.approx(62.5)
    video, audio = header.video, header.audio
    assert video is not None and audio is not None
    assert (video.codec, video.width, video.height, video.fps) == ("h264", 1920, 1080, 29.97)
    assert video.rotation == -90
    assert audio.codec == "aac"
    assert [s.attached_pic for s in header.streams] == [False, False, True]


def test_parse_header_reads_level_tags_and_missing_values() -> None:
    lines = [
        "[in#0/h264 @ 0x5568a0856d00] [warning] Cannot use -sseof, file duration not known",
        "[info] Input #0, h264, from 'raw.h264':",
        "[info]   Duration: N/A, bitrate: N/A",
        "[info]   Stream #0:0: Video: h264 (Constrained Baseline), yuv420p(progressive), "
        "160x90 [SAR 1:1 DAR 16:9], 50 tbr, 1200k tbn",
        "[info] Stream mapping:",
        "[info]   Stream #0:0 -> #0:0 (h264 (native) -> wrapped_avframe (native))",
    ]
    header = parse_header(lines)
    assert header is not None
    assert header.duration is None
    assert header.video is not None
    assert (header.video.width, header.video.height, header.video.fps) == (160, 90, 50)
    assert len(header.streams) == 1


def test_parse_header_without_an_input_section() -> None:
    lines = ["[error] Error opening input file x.mp4.", "[fatal] Error opening input files: x"]
    assert parse_header(lines) is None
