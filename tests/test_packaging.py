"""The wheel: built with `pip wheel --no-deps` from a copy of the checkout, it holds every
module of studio/ and every file of resources/ (as `studio._resources`), and installed on
its own it finds its templates."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "studio", "resources")


def source_files(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and p.suffix != ".pyc"
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # A copy, so the build's own build/ and egg-info folders never land in the checkout.
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(ROOT / name, src / name, ignore=ignore)
        else:
            (src / name).write_bytes((ROOT / name).read_bytes())
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (found,) = out.glob("studio-*.whl")
    return found


def test_the_wheel_holds_every_module_of_studio(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"studio/{rel}" for rel in source_files(ROOT / "studio")}
    missing = sorted(expected - names)
    assert not missing, (
        f"missing from the wheel: {missing}; a new subpackage goes into the packages list "
        "under [tool.setuptools] in pyproject.toml"
    )
    packages = {p.parent for p in (ROOT / "studio").rglob("__init__.py")}
    assert len(packages) >= 9  # studio, ai, commands, core, core/export, media, ...


def test_the_wheel_holds_every_resource(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    resources = source_files(ROOT / "resources")
    for folder in ("templates", "prompts", "theme"):
        assert any(r.startswith(f"{folder}/") for r in resources)
    missing = sorted({f"studio/_resources/{r}" for r in resources} - names)
    assert not missing, f"resources missing from the wheel: {missing}"
    entry_points = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    (text,) = (zipfile.ZipFile(wheel).read(n).decode() for n in entry_points)
    assert "studio = studio.cli:main" in text


def test_the_installed_wheel_lists_its_templates(wheel, tmp_path):
    target = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", target, wheel],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # Its dependencies come from this environment; `studio` itself from the target only.
    env = {**os.environ, "PYTHONPATH": str(target), "STUDIO_CONFIG_DIR": str(tmp_path / "cfg")}
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import studio, studio.config.resources as r; "
            "print(studio.__file__, r.resource_root())",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    module, root = probe.stdout.split()
    assert Path(module).is_relative_to(target)
    assert Path(root) == target / "studio" / "_resources"
    listed = subprocess.run(
        [sys.executable, "-m", "studio", "templates"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    names = {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}
    assert {"arena", "breakout", "runner"} <= names
