"""`studio --self-test` as a person runs it: the installed package, in a fresh process.

The subprocess starts in a temporary folder with no PYTHONPATH, so `studio` comes from the
installation (in CI the editable install of this checkout), as it would for a person.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from studio.commands import selftest

EXPECTED = [
    r"ok   app: window shown \d+\.\d\d s after start, [\d.]+ s CPU \(Qt [\d.]+, offscreen\)",
    r"ok   plugins: builtin\b.* enabled; \d+ templates \(.*\brunner\b.*\)",
    r"ok   template: runner opened in a temporary project; the Preview painted in [\d.]+ s",
    r"ok   preview: runner animates \(\d+ fps\), no console errors",
    r"ok   video: vp9 320x180 WebM made with \S+; QtWebEngine played it \(currentTime [\d.]+ s\)",
    r"ok   export: single HTML file runner\.html \([\d.]+ KB\)",
]


def run_self_test(tmp_path: Path, **env_extra: str) -> subprocess.CompletedProcess[str]:
    try:
        importlib.metadata.distribution("studio")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("studio is not installed (pip install -e . first)")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "STUDIO_FFMPEG")}
    env.update(QT_QPA_PLATFORM="offscreen", **env_extra)
    return subprocess.run(
        [sys.executable, "-m", "studio", "--self-test"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=selftest.HARD_LIMIT + 30,
    )


def check_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith(("ok   ", "FAIL "))]


def test_self_test_passes_from_the_installed_package(tmp_path):
    done = run_self_test(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    lines = check_lines(done.stdout)
    assert len(lines) == len(EXPECTED), done.stdout
    for pattern, line in zip(EXPECTED, lines, strict=True):
        assert re.fullmatch(pattern, line), f"{line!r} does not match {pattern!r}"
    assert re.search(r"^self-test passed: 6 checks in [\d.]+ s$", done.stdout, re.M)
    assert list(tmp_path.iterdir()) == []  # it wrote nothing where it was started


def test_a_failing_check_fails_the_self_test_with_a_clear_line(tmp_path):
    missing = tmp_path / "no-such-ffmpeg"
    done = run_self_test(tmp_path, STUDIO_FFMPEG=str(missing))
    assert done.returncode == 1, done.stdout + done.stderr[-3000:]
    lines = check_lines(done.stdout)
    video = [line for line in lines if line.startswith("FAIL video:")]
    assert video == [
        f"FAIL video: ffmpeg was not found: {missing} (from the STUDIO_FFMPEG environment "
        "variable) does not exist. Install ffmpeg or correct the path."
    ]
    # The other checks still ran, and passed: one failure does not hide the rest.
    assert [line.split(":")[0] for line in lines if line.startswith("ok")] == [
        "ok   app",
        "ok   plugins",
        "ok   template",
        "ok   preview",
        "ok   export",
    ]
    assert "self-test FAILED: video (1 of 6 checks)" in done.stdout


def test_a_check_that_hangs_fails_at_its_timeout(tmp_path, monkeypatch):
    monkeypatch.setitem(selftest.TIMEOUTS, "video", 0.2)
    test = selftest.SelfTest(tmp_path, print)

    async def hang() -> str:
        await asyncio.sleep(30)
        return "never"

    async def broken() -> str:
        raise RuntimeError("the codec went away")

    result = asyncio.run(test._one("video", hang))
    assert result.line() == "FAIL video: timed out after 0 s"
    result = asyncio.run(test._one("video", broken))
    assert result.line() == "FAIL video: RuntimeError: the codec went away"


def test_process_age_is_measured_from_the_process_start():
    """A fresh process that waited a second is a second old, not as old as the machine
    (the suite itself runs long, so it asks a new process rather than its own)."""
    code = (
        "import time; from studio.commands.selftest import process_age; "
        "time.sleep(1.0); print(process_age())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    age = float(done.stdout)
    assert 1.0 <= age < 60.0
