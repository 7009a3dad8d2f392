"""The template pack plugin: Snake and Memory in File > New, packaged with their files."""

from __future__ import annotations

import tomllib
from pathlib import Path

import studio_template_pack
import studio_title_cards

from studio.config.settings import Settings
from studio.operations.projects import new_project
from studio.plugins.control import load_host, set_plugin_enabled
from studio.plugins.host import PluginState

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


def test_registers_snake_and_memory(settings: Settings) -> None:
    host = load_host(settings)
    info = host.plugins["template-pack"]
    assert info.state == PluginState.ENABLED, info.error
    assert sorted(info.registered) == [("templates", "memory"), ("templates", "snake")]
    for name in ("snake", "memory"):
        template = host.template(name)
        assert host.owner("templates", name) == "template-pack"
        assert template.title and template.thumbnail is not None
        assert template.files()["index.html"].lstrip().lower().startswith(b"<!doctype html")


def test_a_project_starts_from_a_pack_game(settings: Settings, tmp_path: Path) -> None:
    host = load_host(settings)
    with new_project(tmp_path / "snake", host.template("snake")) as project:
        files = project.file_hashes(project.head)
        assert "index.html" in files
        assert "template.json" not in files and "thumbnail.png" not in files


def test_disabling_the_pack_takes_its_games_out_of_the_gallery(settings: Settings) -> None:
    host = load_host(settings)
    assert {"snake", "memory"} <= {t.name for t in host.templates()}
    set_plugin_enabled(settings, host, "template-pack", enabled=False)
    names = {t.name for t in host.templates()}
    assert not names & {"snake", "memory"}
    assert {t.name for t in load_host(settings).templates()} == names  # after a restart too


def _package_data_covers_every_file(project: Path, package: str, folder: str) -> None:
    config = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"][package]
    root = project / package
    shipped = {p for pattern in patterns for p in root.glob(pattern) if p.is_file()}
    files = {p for p in (root / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert files, f"nothing in {root / folder}"
    assert files <= shipped, f"not in the wheel: {sorted(map(str, files - shipped))}"
    entry = config["project"]["entry-points"]["studio.plugins"]
    assert list(entry.values()) == [package]


def test_the_games_ship_in_the_wheel() -> None:
    project = PLUGINS / "studio-template-pack"
    assert Path(studio_template_pack.__file__).parent == project / "studio_template_pack"
    _package_data_covers_every_file(project, "studio_template_pack", "templates")


def test_the_title_cards_font_ships_in_the_wheel() -> None:
    project = PLUGINS / "studio-title-cards"
    assert Path(studio_title_cards.__file__).parent == project / "studio_title_cards"
    _package_data_covers_every_file(project, "studio_title_cards", "fonts")
