from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from studio.media import (
    MediaError,
    concat,
    export_gif,
    export_mp4,
    make_proxy,
    prepare_clip,
    probe,
    trim,
    verify,
)
from studio.media.ffmpeg import ffmpeg_path

ReadImage = Callable[[bytes], tuple[str, int, int]]


def _only(folder: Path) -> list[str]:
    """Names in a folder, to check that no temporary file was left behind."""
    return sorted(p.name for p in folder.iterdir())


async def test_proxy_is_vp9_and_opus_in_webm_of_the_same_length(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    dest = tmp_path / "proxy.webm"
    assert await make_proxy(clips["mp4"], dest) == dest
    info = await verify(dest)
    assert dest.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"  # EBML: Matroska/WebM
    assert info.container == "matroska,webm"
    assert (info.video_codec, info.audio_codec) == ("vp9", "opus")
    assert info.duration == pytest.approx(2.0, abs=0.1)
    assert info.size == (160, 90)
    assert _only(tmp_path) == ["proxy.webm"]


async def test_proxy_scales_down_to_fit_and_keeps_the_shape(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    dest = await make_proxy(clips["portrait"], tmp_path / "small.webm", max_size=80, fps=12)
    info = await probe(dest)
    assert info.size == (48, 80)
    assert info.fps == 12


async def test_proxy_of_a_silent_clip_has_no_audio(clips: dict[str, Path], tmp_path: Path) -> None:
    info = await probe(await make_proxy(clips["webm"], tmp_path / "p.webm"))
    assert info.audio_codec is None


def _gray(src: Path, at: float) -> bytes:
    """The frame at ``at`` seconds as 32x18 grey bytes, to compare pictures loosely."""
    argv = [ffmpeg_path(), "-v", "error", "-ss", str(at), "-i", str(src), "-frames:v", "1"]
    argv += ["-vf", "scale=32:18", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"]
    return subprocess.run(argv, capture_output=True, check=True).stdout


def _distance(a: bytes, b: bytes) -> float:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


async def test_trim_keeps_the_part_asked_for(clips: dict[str, Path], tmp_path: Path) -> None:
    dest = await trim(clips["mp4"], tmp_path / "part.mp4", 0.52, 1.32)
    info = await probe(dest)
    assert info.duration == pytest.approx(0.8, abs=0.06)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    # The part starts with the source's frame 13 (0.52 s at 25 fps), not its neighbours.
    first = _gray(dest, 0)
    distances = {at: _distance(first, _gray(clips["mp4"], at)) for at in (0.48, 0.52, 0.56)}
    assert min(distances, key=distances.__getitem__) == 0.52


async def test_trim_to_the_end_into_webm(clips: dict[str, Path], tmp_path: Path) -> None:
    info = await probe(await trim(clips["mp4"], tmp_path / "tail.webm", 1.5))
    assert info.duration == pytest.approx(0.5, abs=0.06)
    assert (info.video_codec, info.audio_codec) == ("vp9", "opus")


async def test_trim_refuses_impossible_ranges(clips: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        await trim(clips["mp4"], tmp_path / "x.mp4", 1.0, 0.5)
    with pytest.raises(ValueError, match="lasts 2.00 s"):
        await trim(clips["mp4"], tmp_path / "x.mp4", 3.0)
    with pytest.raises(ValueError, match="export_gif"):
        await trim(clips["mp4"], tmp_path / "x.gif", 0.0, 1.0)
    assert _only(tmp_path) == []


async def test_concat_joins_clips_of_different_sizes_rates_and_sound(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    # 160x90 @25 with sound, 120x120 @30 silent, 96x160 @24 with Opus, and the first again.
    sources = [clips["mp4"], clips["webm"], clips["portrait"], clips["mp4"]]
    progress: list[float] = []
    dest = await concat(sources, tmp_path / "joined.mp4", on_progress=progress.append)
    info = await verify(dest)
    assert info.size == (160, 90)
    assert info.fps == 25
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert info.duration == pytest.approx(2 + 1.5 + 1 + 2, abs=0.15)
    assert progress[-1] == 1.0
    assert _only(tmp_path) == ["joined.mp4"]


async def test_concat_to_a_chosen_size_in_webm_without_sound(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    dest = await concat([clips["webm"], clips["webm"]], tmp_path / "j.webm", size=(64, 36), fps=10)
    info = await probe(dest)
    assert (info.width, info.height, info.fps) == (64, 36, 10)
    assert info.audio_codec is None
    assert info.duration == pytest.approx(3.0, abs=0.15)


async def test_export_mp4_is_h264_and_aac(clips: dict[str, Path], tmp_path: Path) -> None:
    dest = await export_mp4(clips["portrait"], tmp_path / "share.mp4")
    info = await verify(dest)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert info.size == (96, 160)
    data = dest.read_bytes()
    assert data[4:8] == b"ftyp"
    # +faststart: the index (moov) comes before the media data (mdat).
    assert data.index(b"moov") < data.index(b"mdat")


async def test_export_mp4_rounds_odd_sizes_to_even(tmp_path: Path) -> None:
    # 4:4:4 allows odd sizes; MP4 for everyone needs 4:2:0, hence even ones.
    odd = tmp_path / "odd.mkv"
    source = ["-f", "lavfi", "-i", "testsrc=size=101x57:duration=0.5"]
    encode = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p"]
    subprocess.run([ffmpeg_path(), "-v", "error", *source, *encode, str(odd)], check=True)
    assert (await probe(odd)).size == (101, 57)
    info = await probe(await export_mp4(odd, tmp_path / "even.mp4"))
    assert info.width % 2 == 0 and info.height % 2 == 0
    assert abs(info.width - 101) <= 1 and abs(info.height - 57) <= 1


async def test_export_gif_has_the_frames_asked_for(
    clips: dict[str, Path], tmp_path: Path, frames_of: Callable[[Path], int]
) -> None:
    progress: list[float] = []
    dest = await export_gif(
        clips["mp4"], tmp_path / "loop.gif", fps=10, width=80, on_progress=progress.append
    )
    assert dest.read_bytes()[:6] == b"GIF89a"
    info = await probe(dest)
    assert info.size == (80, 45)
    assert info.duration == pytest.approx(2.0, abs=0.15)
    assert frames_of(dest) == pytest.approx(20, abs=1)
    assert progress[-1] == 1.0


async def test_export_gif_of_a_part(
    clips: dict[str, Path], tmp_path: Path, frames_of: Callable[[Path], int]
) -> None:
    dest = await export_gif(clips["mp4"], tmp_path / "bit.gif", fps=5, start=0.5, end=1.5)
    assert frames_of(dest) == pytest.approx(5, abs=1)
    assert (await probe(dest)).size == (160, 90)


async def test_prepare_clip_makes_proxy_and_poster(
    clips: dict[str, Path], tmp_path: Path, read_image: ReadImage
) -> None:
    progress: list[float] = []
    prepared = await prepare_clip(
        clips["mp4"], tmp_path / "p.webm", tmp_path / "p.png", on_progress=progress.append
    )
    assert prepared.info.duration == pytest.approx(2.0, abs=0.05)
    assert (await probe(prepared.proxy)).video_codec == "vp9"
    assert read_image(prepared.poster.read_bytes()) == ("png", 160, 90)
    assert progress == sorted(set(progress)) and progress[-1] == 1.0


async def test_operations_refuse_a_broken_input_with_a_clear_message(tmp_path: Path) -> None:
    broken = tmp_path / "clip.mp4"
    broken.write_text("not a video\n" * 100)
    out = tmp_path / "out"
    for operation in (
        make_proxy(broken, out / "a.webm"),
        export_mp4(broken, out / "a.mp4"),
        trim(broken, out / "a.mp4", 0, 1),
        concat([broken], out / "a.mp4"),
        export_gif(broken, out / "a.gif"),
    ):
        with pytest.raises(MediaError, match=r"^clip\.mp4 is not a video file"):
            await operation
    assert not out.exists() or _only(out) == []
