"""Running ffmpeg: where it comes from, progress, cancellation, errors."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import ffmpeg
import pytest

from studio.config.settings import Settings
from studio.media import (
    FFmpegNotFoundError,
    MediaError,
    export_mp4,
    ffmpeg_path,
    make_proxy,
    probe,
    set_ffmpeg_path,
    thumbnail,
)
from studio.media.ffmpeg import (
    ENV_VAR,
    SETTING,
    compile_command,
    failure,
    ffmpeg_version,
    meaningful_lines,
    run_ffmpeg,
)
from studio.media.files import atomic_output
from studio.testing.clips import make_test_clip


def test_the_default_ffmpeg_is_the_one_from_imageio_ffmpeg() -> None:
    import imageio_ffmpeg

    assert ffmpeg_path() == imageio_ffmpeg.get_ffmpeg_exe()


def test_the_override_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real = ffmpeg_path()
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "not-here"))
    with pytest.raises(FFmpegNotFoundError, match=ENV_VAR):
        ffmpeg_path()
    set_ffmpeg_path(real)
    assert ffmpeg_path() == real


def _linked_ffmpeg(folder: Path) -> Path:
    """The real ffmpeg under another path, so a test can tell which source was used."""
    link = folder / "my-ffmpeg"
    link.symlink_to(ffmpeg_path())
    return link


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_the_setting_is_used_and_the_environment_wins_over_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, config_dir: Path
) -> None:
    import imageio_ffmpeg

    settings = Settings()
    settings.set(SETTING, "")  # empty: the default
    assert ffmpeg_path() == imageio_ffmpeg.get_ffmpeg_exe()
    link = _linked_ffmpeg(tmp_path)
    settings.set(SETTING, f"  {link}  ")
    assert ffmpeg_path() == str(link)  # read from settings.json as it is now
    monkeypatch.setenv(ENV_VAR, imageio_ffmpeg.get_ffmpeg_exe())
    assert ffmpeg_path() == imageio_ffmpeg.get_ffmpeg_exe()
    monkeypatch.delenv(ENV_VAR)
    settings.set(SETTING, str(tmp_path / "gone" / "ffmpeg"))
    with pytest.raises(FFmpegNotFoundError) as caught:
        ffmpeg_path()
    assert str(caught.value) == (
        f"ffmpeg was not found: {tmp_path / 'gone' / 'ffmpeg'} (from the ffmpeg path in "
        "Settings) does not exist. Install ffmpeg or correct the path."
    )
    set_ffmpeg_path(link)  # the override still beats both
    assert ffmpeg_path() == str(link)


def test_a_damaged_settings_file_leaves_the_default(config_dir: Path) -> None:
    import imageio_ffmpeg

    (config_dir / "settings.json").write_text('{"ffmpeg_path": ')
    assert ffmpeg_path() == imageio_ffmpeg.get_ffmpeg_exe()
    assert (config_dir / "settings.json").exists()  # only read: set aside by Settings alone


async def test_version_check_of_a_real_ffmpeg() -> None:
    assert (await ffmpeg_version(ffmpeg_path())).startswith("ffmpeg version ")


@pytest.mark.skipif(sys.platform == "win32", reason="uses shell scripts as fake binaries")
async def test_version_check_says_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "none" / "ffmpeg"
    with pytest.raises(FFmpegNotFoundError, match=f"{missing} .*does not exist"):
        await ffmpeg_version(str(missing))
    other = tmp_path / "other"
    other.write_text("#!/bin/sh\necho 'GNU bash, version 5'\n")
    other.chmod(0o755)
    with pytest.raises(FFmpegNotFoundError) as caught:
        await ffmpeg_version(str(other))
    assert str(caught.value) == (
        f"{other} does not seem to be ffmpeg: `-version` answered 'GNU bash, version 5'."
    )
    failing = tmp_path / "failing"
    failing.write_text("#!/bin/sh\necho 'bad option' >&2\nexit 3\n")
    failing.chmod(0o755)
    with pytest.raises(FFmpegNotFoundError, match="answered 'bad option'"):
        await ffmpeg_version(str(failing))
    stuck = tmp_path / "stuck"
    stuck.write_text("#!/bin/sh\nexec sleep 30\n")
    stuck.chmod(0o755)
    monkeypatch.setattr("studio.media.ffmpeg.VERSION_TIMEOUT", 0.3)
    with pytest.raises(FFmpegNotFoundError, match="did not answer `-version` within"):
        await ffmpeg_version(str(stuck))


async def test_a_missing_binary_gives_a_clear_error(tmp_path: Path, clips: dict[str, Path]) -> None:
    missing = tmp_path / "bin" / "ffmpeg"
    set_ffmpeg_path(missing)
    with pytest.raises(MediaError) as caught:
        await probe(clips["mp4"])
    assert str(caught.value).startswith(f"ffmpeg was not found: {missing}")
    assert isinstance(caught.value, FFmpegNotFoundError)
    with pytest.raises(FFmpegNotFoundError):
        await make_proxy(clips["mp4"], tmp_path / "p.webm")
    assert not (tmp_path / "p.webm").exists()


def test_a_missing_binary_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "no-such-ffmpeg-anywhere")
    with pytest.raises(FFmpegNotFoundError, match="no program named 'no-such-ffmpeg-anywhere'"):
        ffmpeg_path()


@pytest.mark.skipif(sys.platform == "win32", reason="execute permission is a POSIX notion")
def test_a_file_that_is_not_executable(tmp_path: Path) -> None:
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\n")
    set_ffmpeg_path(fake)
    with pytest.raises(FFmpegNotFoundError, match="is not executable"):
        ffmpeg_path()


@pytest.mark.skipif(sys.platform == "win32", reason="uses a shell script as a fake ffmpeg")
async def test_a_binary_that_cannot_start(tmp_path: Path, clips: dict[str, Path]) -> None:
    broken = tmp_path / "ffmpeg"
    broken.write_text("#!/nonexistent/interpreter\n")
    broken.chmod(0o755)
    set_ffmpeg_path(broken)
    with pytest.raises(FFmpegNotFoundError, match="ffmpeg could not be started"):
        await thumbnail(clips["mp4"])


def _endless_pattern(duration: float | None = None, *, realtime: bool = True) -> ffmpeg.Stream:
    """A test pattern read at its own pace (-re), so progress arrives over time."""
    options = {"re": None} if realtime else {}
    spec = "testsrc2=size=64x36:rate=25" + (f":duration={duration}" if duration else "")
    return ffmpeg.input(spec, format="lavfi", **options)


async def test_progress_increases_and_ends_at_one() -> None:
    seen: list[float] = []
    command = ffmpeg.output(_endless_pattern(1.2), "-", format="null")
    result = await run_ffmpeg(compile_command(command), duration=1.2, on_progress=seen.append)
    assert result.ok
    assert len(seen) >= 3
    assert seen == sorted(set(seen))
    assert all(0 <= value < 1 for value in seen[:-1])
    assert seen[-1] == 1.0
    assert result.out_time == pytest.approx(1.2, abs=0.05)


async def test_progress_of_an_export(clips: dict[str, Path], tmp_path: Path) -> None:
    seen: list[float] = []
    await export_mp4(clips["mp4"], tmp_path / "x.mp4", on_progress=seen.append)
    assert seen and seen == sorted(set(seen)) and seen[-1] == 1.0


async def test_no_progress_is_reported_for_a_failed_run(tmp_path: Path) -> None:
    seen: list[float] = []
    pattern = _endless_pattern(0.2, realtime=False)
    command = ffmpeg.output(pattern, str(tmp_path / "x.mp4"), **{"c:v": "no-such-encoder"})
    result = await run_ffmpeg(compile_command(command), duration=0.2, on_progress=seen.append)
    assert not result.ok
    assert 1.0 not in seen
    error = failure("Could not export", result)
    assert str(error).startswith("Could not export: ")
    assert "no-such-encoder" in str(error)
    assert "Traceback" not in str(error)


async def _cancel_when_running(
    task: asyncio.Task[object], folder: Path, children: Callable[[], list[int]]
) -> list[int]:
    """Wait until ffmpeg runs and writes its temporary file, then cancel; return its pids."""
    for _ in range(2000):
        pids = children()
        if pids and any(p.name.startswith(".") for p in folder.iterdir()):
            break
        assert not task.done(), "the run finished before it could be cancelled"
        await asyncio.sleep(0.005)
    else:
        raise AssertionError("ffmpeg never started")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return pids


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_cancelling_an_export_kills_ffmpeg_and_leaves_no_file(
    tmp_path: Path, children: Callable[[], list[int]]
) -> None:
    src = make_test_clip(tmp_path / "src.mp4", 2, (640, 360), 25)
    out = tmp_path / "out"
    out.mkdir()
    # veryslow keeps ffmpeg busy for seconds: time enough to cancel it midway.
    task = asyncio.create_task(export_mp4(src, out / "film.mp4", preset="veryslow"))
    pids = await _cancel_when_running(task, out, children)
    assert all(_gone(pid) for pid in pids)
    assert children() == []
    assert list(out.iterdir()) == []


async def test_cancelling_a_run_kills_ffmpeg(
    tmp_path: Path, children: Callable[[], list[int]]
) -> None:
    seen: list[float] = []

    async def endless() -> None:
        with atomic_output(tmp_path / "forever.webm") as tmp:
            command = ffmpeg.output(_endless_pattern(), str(tmp), format="webm")
            await run_ffmpeg(compile_command(command), duration=60, on_progress=seen.append)

    task = asyncio.create_task(endless())
    pids = await _cancel_when_running(task, tmp_path, children)
    assert all(_gone(pid) for pid in pids)
    assert children() == []
    assert list(tmp_path.iterdir()) == []


async def test_a_failing_progress_callback_stops_ffmpeg(
    tmp_path: Path, children: Callable[[], list[int]]
) -> None:
    def explode(fraction: float) -> None:
        raise RuntimeError("the progress bar is gone")

    output = atomic_output(tmp_path / "forever.webm")
    with pytest.raises(RuntimeError, match="progress bar"), output as tmp:
        command = ffmpeg.output(_endless_pattern(), str(tmp), format="webm")
        await run_ffmpeg(compile_command(command), duration=60, on_progress=explode)
    assert children() == []
    assert list(tmp_path.iterdir()) == []


def test_meaningful_lines_drop_prefixes_and_generic_lines() -> None:
    lines = [
        "[in#0 @ 0x55cb84f1f040] moov atom not found",
        "",
        "[in#0 @ 0x55cb84f1ecc0] Error opening input: Invalid data found when processing input",
        "Error opening input file clip.mp4.",
        "[fatal] Error opening input files: Invalid data found when processing input",
        "Conversion failed!",
        "[h264 @ 0x1] [error] moov atom not found",
    ]
    assert meaningful_lines(lines) == [
        "moov atom not found",
        "Error opening input: Invalid data found when processing input",
    ]


def test_the_media_package_does_not_import_qt() -> None:
    code = "import sys, studio.media; sys.exit('PySide6' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
