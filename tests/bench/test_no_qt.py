"""studio.scoring is Qt-free but for `studio.scoring.play`, the runner that plays games."""

from __future__ import annotations

import pkgutil

import studio.scoring
from tests.test_import_contract import REPO, dynamic_check, static_check

QT_MODULES = {"studio.scoring.play"}
MODULES = tuple(
    info.name
    for info in pkgutil.iter_modules(studio.scoring.__path__, "studio.scoring.")
    if info.name not in QT_MODULES
)


def test_the_bench_modules_are_found():
    assert {
        "studio.scoring.suite",
        "studio.scoring.evaluate",
        "studio.scoring.report",
    } <= set(MODULES)


def test_bench_modules_other_than_the_player_do_not_load_qt():
    report = dynamic_check(MODULES)
    assert report["errors"] == [] and set(MODULES) <= set(report["imported"])
    assert report["loaded"] == [], f"Qt loaded by: {report['importers']}"


def test_bench_sources_other_than_the_player_do_not_import_qt(tmp_path):
    # static_check reads whole packages: copy the Qt-free modules into one to read.
    package = tmp_path / "benchcopy"
    package.mkdir()
    for name in MODULES:
        source = REPO / (name.replace(".", "/") + ".py")
        (package / source.name).write_text(source.read_text(encoding="utf-8"))
    assert len(list(package.iterdir())) == len(MODULES)
    assert static_check(tmp_path, ("benchcopy",)) == []
    (package / "planted.py").write_text("from PySide6.QtCore import QTimer\n")
    assert len(static_check(tmp_path, ("benchcopy",))) == 1
