"""`studio plugins`: the list, and switching a plugin off and on, in a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BROKEN = "STUDIO_API = 1\nraise ImportError('needs the frobnicate package')\n"


@pytest.fixture
def studio(site: Path, config_dir: Path):
    """Run `studio ARGS` with the throw-away distributions on its path and private settings."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
        env["STUDIO_CONFIG_DIR"] = str(config_dir)
        return subprocess.run(
            [sys.executable, "-m", "studio", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

    return run


def table(output: str) -> dict[str, list[str]]:
    """Rows of the plugin table by name: [version, state, adds] (plus following lines)."""
    rows: dict[str, list[str]] = {}
    last = None
    for line in output.splitlines()[1:]:
        if line.startswith("    ") and last:
            rows[last].append(line.strip())
        elif line and not line.startswith("warning:"):
            name, version, state, adds = line.split(maxsplit=3)
            rows[name] = [version, state, adds]
            last = name
    return rows


def test_lists_every_plugin_with_version_what_it_adds_and_state(
    studio, make_dist, good_plugin
) -> None:
    make_dist(BROKEN, entry="broken", distribution="studio-broken", version="0.3")
    done = studio("plugins")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["NAME", "VERSION", "STATE", "ADDS"]
    rows = table(done.stdout)
    assert list(rows)[0] == "builtin" and rows["builtin"][1] == "enabled"
    assert "video provider: openai" in rows["builtin"][2]
    assert rows["title-cards"][:3] == ["0.1.0", "enabled", "video provider: title-cards"]
    assert rows["template-pack"][:2] == ["0.1.0", "enabled"]
    assert rows["demo"][:3] == [
        "1.2.3",
        "enabled",
        "template: demo-game; video provider: demo-video",
    ]
    assert rows["broken"][:2] == ["0.3", "failed"]
    assert rows["broken"][3].startswith(
        "failed: could not be imported: ImportError: needs the frobnicate package"
    )


def test_disable_and_enable_persist(studio, good_plugin, config_dir: Path) -> None:
    done = studio("plugins", "--disable", "demo")
    assert (done.returncode, done.stdout.strip()) == (0, "demo: disabled"), done.stderr
    assert json.loads((config_dir / "settings.json").read_text())["disabled_plugins"] == ["demo"]
    rows = table(studio("plugins").stdout)
    assert rows["demo"][:3] == ["1.2.3", "disabled", "-"]
    # The same choice holds for the other commands: the template is gone from `templates`.
    assert "demo-game" not in studio("templates").stdout

    done = studio("plugins", "--enable", "demo")
    assert (done.returncode, done.stdout.strip()) == (0, "demo: enabled"), done.stderr
    assert table(studio("plugins").stdout)["demo"][1] == "enabled"
    assert "demo-game" in studio("templates").stdout
    assert json.loads((config_dir / "settings.json").read_text())["disabled_plugins"] == []


def test_unknown_and_built_in_names_are_refused_in_one_line(studio) -> None:
    done = studio("plugins", "--disable", "nope")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]  # after any logged warnings
    assert last.startswith("studio: error: no plugin named 'nope' (installed: builtin")
    done = studio("plugins", "--disable", "builtin")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "studio: error: the built-in plugin is part of Studio and cannot be disabled"
    )


def test_json_output(studio, make_dist) -> None:
    make_dist(BROKEN, entry="broken")
    done = studio("plugins", "--json")
    assert done.returncode == 0, done.stderr
    data = {p["name"]: p for p in json.loads(done.stdout)}
    assert data["title-cards"]["distribution"] == "studio-title-cards"
    assert data["broken"]["state"] == "failed" and "frobnicate" in data["broken"]["error"]
