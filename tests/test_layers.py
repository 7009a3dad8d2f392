"""The layer contracts in pyproject.toml hold, and each fails on a planted violation.

`lint-imports` (import-linter) reads the contracts; here it runs on the real tree, then on
copies of `studio/` with one bad import planted, so the check is known to catch what it is
there to catch: an upward import, two packages of one layer importing each other, a module
that imports nothing of Studio's starting to, Qt below the faces, and test servers in the
running app.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT), "--no-cache", "--no-logo", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_contracts_hold() -> None:
    done = lint(REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 3 kept, 0 broken." in done.stdout


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package and its contracts, to plant violations in."""
    root = tmp_path_factory.mktemp("layers")
    shutil.copytree(REPO / "studio", root / "studio", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


PLANTED = [
    # (module to add, its import, the contract that must break)
    ("studio/core/planted.py", "import studio.operations.session\n", "Layers"),
    ("studio/ai/planted.py", "from studio.media import probe\n", "Layers"),
    ("studio/config/planted.py", "from studio.core import errors\n", "Layers"),
    ("studio/story/planted.py", "def later():\n    import studio.export.bundle\n", "Layers"),
    ("studio/operations/planted.py", "import studio.sandbox.playtest\n", "Qt-free"),
    ("studio/export/planted.py", "from PySide6 import QtCore\n", "Qt-free"),
    ("studio/plugins/planted.py", "import studio.testing.servers.chat\n", "The running app"),
]


@pytest.mark.parametrize(("path", "line", "contract"), PLANTED)
def test_a_planted_violation_breaks_its_contract(
    tree: Path, path: str, line: str, contract: str
) -> None:
    planted = tree / path
    planted.write_text(line)
    try:
        done = lint(tree)
    finally:
        planted.unlink()
    assert done.returncode != 0
    broken = [row for row in done.stdout.splitlines() if " BROKEN" in row]
    assert len(broken) == 1 and broken[0].startswith(contract), done.stdout
    assert path.removesuffix(".py").replace("/", ".") in done.stdout  # it names the culprit


def test_the_copy_is_clean_without_a_plant(tree: Path) -> None:
    done = lint(tree)
    assert done.returncode == 0, done.stdout
