from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from studio.media import MediaError, last_frame, thumbnail
from studio.media.ffmpeg import ffmpeg_path

ReadImage = Callable[[bytes], tuple[str, int, int]]


def _frame_by_number(src: Path, number: int) -> bytes:
    """Frame ``number`` as PNG, picked by counting every frame from the start."""
    argv = [ffmpeg_path(), "-v", "error", "-i", str(src), "-map", "0:v:0"]
    argv += ["-vf", f"select=eq(n\\,{number})", "-fps_mode", "passthrough", "-frames:v", "1"]
    argv += ["-f", "image2pipe", "-c:v", "png", "pipe:1"]
    return subprocess.run(argv, capture_output=True, check=True).stdout


async def test_thumbnail_is_a_png_of_the_video_size(
    clips: dict[str, Path], read_image: ReadImage
) -> None:
    data = await thumbnail(clips["mp4"], 1.0)
    assert read_image(data) == ("png", 160, 90)


async def test_thumbnail_is_the_frame_at_that_time(clips: dict[str, Path]) -> None:
    # 25 fps: the frame shown at 1.0 s is frame 25.
    assert await thumbnail(clips["mp4"], 1.0) == _frame_by_number(clips["mp4"], 25)
    assert await thumbnail(clips["mp4"]) == _frame_by_number(clips["mp4"], 0)


async def test_thumbnail_as_jpeg_scaled_down_to_a_file(
    clips: dict[str, Path], tmp_path: Path, read_image: ReadImage
) -> None:
    dest = tmp_path / "posters" / "poster.jpg"
    data = await thumbnail(clips["portrait"], 0.5, dest=dest, max_size=80)
    assert read_image(data) == ("jpeg", 48, 80)
    assert dest.read_bytes() == data
    assert [p.name for p in dest.parent.iterdir()] == ["poster.jpg"]


async def test_thumbnail_never_scales_up(clips: dict[str, Path], read_image: ReadImage) -> None:
    data = await thumbnail(clips["mp4"], image_format="jpeg", max_size=(1000, 1000))
    assert read_image(data) == ("jpeg", 160, 90)


async def test_thumbnail_past_the_end_says_how_long_the_clip_is(clips: dict[str, Path]) -> None:
    with pytest.raises(
        MediaError, match=r"^clip\.mp4 has no frame at 5\.00 s \(it lasts 2\.00 s\)"
    ):
        await thumbnail(clips["mp4"], 5.0)


async def test_thumbnail_of_a_non_video_says_so(tmp_path: Path) -> None:
    fake = tmp_path / "clip.mp4"
    fake.write_text("not a video\n" * 100)
    with pytest.raises(MediaError, match=r"^clip\.mp4 is not a video file"):
        await thumbnail(fake)


async def test_thumbnail_refuses_an_unknown_image_suffix(clips: dict[str, Path]) -> None:
    with pytest.raises(ValueError, match="use .png or .jpg"):
        await thumbnail(clips["mp4"], dest=Path("poster.bmp"))


@pytest.mark.parametrize("name", ["mp4", "webm", "portrait"])
async def test_last_frame_is_exactly_the_last_frame(
    clips: dict[str, Path], frames_of: Callable[[Path], int], name: str
) -> None:
    src = clips[name]
    count = frames_of(src)
    data = await last_frame(src)
    assert data == _frame_by_number(src, count - 1)
    assert data != _frame_by_number(src, count - 2)  # every test-pattern frame differs


@pytest.mark.parametrize(
    ("pattern", "frames"),
    [
        # shorter than the one-second search window: the whole clip is searched
        ("testsrc2=size=64x64:rate=10:duration=0.7", 7),
        # one frame every two seconds: the last second holds no frame at all
        ("testsrc2=size=64x64:rate=1/2:duration=6", 3),
    ],
)
async def test_last_frame_when_the_last_second_is_not_enough(
    tmp_path: Path, frames_of: Callable[[Path], int], pattern: str, frames: int
) -> None:
    clip = tmp_path / "sparse.mp4"
    source = ["-f", "lavfi", "-i", pattern, "-pix_fmt", "yuv420p"]
    subprocess.run([ffmpeg_path(), "-v", "error", *source, str(clip)], check=True)
    assert frames_of(clip) == frames
    assert await last_frame(clip) == _frame_by_number(clip, frames - 1)


async def test_last_frame_to_a_jpeg_file(
    clips: dict[str, Path], tmp_path: Path, read_image: ReadImage
) -> None:
    dest = tmp_path / "end.jpeg"
    data = await last_frame(clips["mp4"], dest=dest, max_size=80)
    assert read_image(dest.read_bytes()) == ("jpeg", 80, 45)
    assert dest.read_bytes() == data
