"""Shared clips and small checks for the media tests (real ffmpeg, tiny clips)."""

from __future__ import annotations

import struct
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from studio.media import set_ffmpeg_path
from studio.media.ffmpeg import ENV_VAR, ffmpeg_path
from studio.testing.clips import make_test_clip


@pytest.fixture(autouse=True)
def default_ffmpeg(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts and ends with the default ffmpeg."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    set_ffmpeg_path(None)
    yield
    set_ffmpeg_path(None)


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Read-only clips shared by the session; copy one before changing it."""
    folder = tmp_path_factory.mktemp("clips")
    return {
        # 2 s, 160x90, 25 fps, H.264 + AAC, index at the end (as a plain ffmpeg run writes it)
        "mp4": make_test_clip(folder / "clip.mp4", 2, (160, 90), 25),
        # the same with the index first, as downloads usually are
        "faststart": make_test_clip(folder / "fast.mp4", 2, (160, 90), 25, faststart=True),
        # 1.5 s, 120x120, 30 fps, VP9, silent
        "webm": make_test_clip(folder / "clip.webm", 1.5, (120, 120), 30, "vp9", audio=False),
        # 1 s, 96x160 portrait, 24 fps, VP9 + Opus
        "portrait": make_test_clip(folder / "portrait.webm", 1, (96, 160), 24, "vp9"),
    }


def image_size(data: bytes) -> tuple[str, int, int]:
    """(format, width, height) of PNG or JPEG bytes, read from their headers."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        assert data[12:16] == b"IHDR"
        width, height = struct.unpack(">II", data[16:24])
        assert data.endswith(b"IEND\xaeB`\x82")
        return "png", width, height
    if data.startswith(b"\xff\xd8"):
        assert data.rstrip(b"\x00").endswith(b"\xff\xd9")
        pos = 2
        while pos < len(data):
            assert data[pos] == 0xFF
            marker = data[pos + 1]
            length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
                return "jpeg", width, height
            pos += 2 + length
    raise AssertionError(f"not a PNG or JPEG: {data[:8]!r}")


def count_frames(path: Path) -> int:
    """Frames of the first video stream, by decoding it with ffmpeg."""
    argv = [ffmpeg_path(), "-v", "error", "-nostdin", "-i", str(path), "-map", "0:v:0"]
    argv += ["-fps_mode", "passthrough", "-f", "null", "-progress", "pipe:1", "-nostats", "-"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    frames = [line for line in out.splitlines() if line.startswith("frame=")]
    return int(frames[-1].split("=", 1)[1])


def ffmpeg_children() -> list[int]:
    """Pids of ffmpeg processes that are children of this test process (Linux /proc)."""
    import os

    me = os.getpid()
    exe = ffmpeg_path()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == me and cmdline and cmdline[0].decode(errors="replace") == exe:
            found.append(int(entry.name))
    return found


@pytest.fixture
def read_image() -> Callable[[bytes], tuple[str, int, int]]:
    return image_size


@pytest.fixture
def frames_of() -> Callable[[Path], int]:
    return count_frames


@pytest.fixture
def children() -> Callable[[], list[int]]:
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to see child processes")
    return ffmpeg_children
