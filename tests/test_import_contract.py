"""The import contract: studio.core, studio.ai and studio.media never import Qt.

Two checks, because each misses what the other sees: importing every module in a fresh
interpreter catches Qt pulled in indirectly (through a helper module or a dependency); reading
the source with `ast` catches imports on paths an import does not run (inside functions,
behind `if`). Both are also run against a throw-away package with planted violations, so the
checks themselves are known to fail when they should.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
QT_FREE = ("studio.core", "studio.ai", "studio.media")
BANNED = ("PySide6", "shiboken6")

# Runs in a fresh interpreter: imports every module of the given packages, then reports which
# banned modules are loaded and which module first asked for one.
_PROBE = textwrap.dedent(
    """
    import importlib, importlib.abc, json, pkgutil, sys, traceback

    packages, banned = json.loads(sys.argv[1]), tuple(json.loads(sys.argv[2]))
    importers, errors, imported = {}, [], []

    class Watch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in banned and name not in importers:
                frames = [f.filename for f in traceback.extract_stack()[:-1]]
                ours = [f for f in frames if "importlib" not in f and "<frozen" not in f]
                importers[name] = ours[-1] if ours else "?"
            return None  # let the real import go ahead: we only watch

    sys.meta_path.insert(0, Watch())
    already = sorted(m for m in sys.modules if m.split(".")[0] in banned)

    def onerror(name):
        errors.append(f"{name}: {sys.exc_info()[1]!r}")

    for package in packages:
        try:
            pkg = importlib.import_module(package)
        except ModuleNotFoundError as exc:
            if exc.name == package:
                continue  # the package does not exist (yet): nothing to check
            errors.append(f"{package}: {exc!r}")
            continue
        except Exception as exc:
            errors.append(f"{package}: {exc!r}")
            continue
        imported.append(package)
        path = getattr(pkg, "__path__", [])
        for info in pkgutil.walk_packages(path, package + ".", onerror=onerror):
            try:
                importlib.import_module(info.name)
                imported.append(info.name)
            except Exception as exc:
                errors.append(f"{info.name}: {exc!r}")

    loaded = sorted(m for m in sys.modules if m.split(".")[0] in banned)
    print(json.dumps({"already": already, "loaded": loaded, "importers": importers,
                      "errors": errors, "imported": imported}))
    """
)


def dynamic_check(packages: tuple[str, ...], *, pythonpath: Path = REPO) -> dict:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    env.pop("QT_API", None)
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(list(packages)), json.dumps(BANNED)],
        cwd=pythonpath,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _banned(module: str) -> bool:
    return module.split(".")[0] in BANNED


def _import_call_target(call: ast.Call) -> str | None:
    """The module named by `importlib.import_module("x")` or `__import__("x")`."""
    func = call.func
    named = (isinstance(func, ast.Name) and func.id == "__import__") or (
        isinstance(func, ast.Attribute) and func.attr == "import_module"
    )
    if named and call.args and isinstance(call.args[0], ast.Constant):
        value = call.args[0].value
        return value if isinstance(value, str) else None
    return None


def static_check(root: Path, packages: tuple[str, ...]) -> list[str]:
    """`file:line: statement` for each import of a banned module in the packages' source."""
    found: list[str] = []
    for package in packages:
        folder = root.joinpath(*package.split("."))
        for source in sorted(folder.rglob("*.py")) if folder.is_dir() else []:
            tree = ast.parse(source.read_bytes(), filename=str(source))
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                elif isinstance(node, ast.Call) and (target := _import_call_target(node)):
                    names = [target]
                for name in names:
                    if _banned(name):
                        rel = source.relative_to(root).as_posix()
                        found.append(f"{rel}:{node.lineno}: imports {name}")
    return found


# -- the real packages -------------------------------------------------------------------


def test_qt_free_packages_do_not_load_qt_when_imported() -> None:
    report = dynamic_check(QT_FREE)
    assert report["already"] == [], "the probe itself started with Qt loaded"
    assert "studio.core" in report["imported"]
    assert "studio.core.store" in report["imported"]  # the walk really reached the modules
    assert report["errors"] == [], "modules that cannot be imported cannot be checked"
    assert report["loaded"] == [], f"Qt loaded by: {report['importers']}"


def test_qt_free_packages_do_not_mention_qt_in_their_source() -> None:
    assert len(list((REPO / "studio" / "core").rglob("*.py"))) >= 5  # it reads real files
    assert static_check(REPO, QT_FREE) == []


# -- the checks themselves fail on violations --------------------------------------------


def _package(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


CLEAN = {
    "fake/__init__.py": "",
    "fake/core/__init__.py": "",
    "fake/core/store.py": "import json\nfrom pathlib import Path\n",
    "fake/core/sub/__init__.py": "from . import deep\n",
    "fake/core/sub/deep.py": "import sqlite3\n",
    "fake/ui/__init__.py": "",
    "fake/ui/window.py": "from PySide6 import QtWidgets\n",  # allowed outside the contract
}


def test_checks_pass_a_clean_package(tmp_path: Path) -> None:
    _package(tmp_path, CLEAN)
    assert static_check(tmp_path, ("fake.core", "fake.ai")) == []
    report = dynamic_check(("fake.core", "fake.ai"), pythonpath=tmp_path)
    assert report["loaded"] == [] and report["errors"] == []
    assert set(report["imported"]) == {"fake.core", "fake.core.store", "fake.core.sub",
                                       "fake.core.sub.deep"}  # fmt: skip


@pytest.mark.parametrize(
    "line",
    [
        "import PySide6\n",
        "import PySide6.QtCore as qc\n",
        "from PySide6.QtCore import QObject\n",
        "from PySide6 import QtGui\n",
        "import json, shiboken6\n",
        "def later():\n    from PySide6.QtWidgets import QWidget\n",
        "try:\n    import PySide6.QtCore\nexcept ImportError:\n    pass\n",
        "import importlib\nqt = importlib.import_module('PySide6.QtCore')\n",
        "qt = __import__('PySide6')\n",
    ],
)
def test_static_check_finds_a_planted_import(tmp_path: Path, line: str) -> None:
    _package(tmp_path, {**CLEAN, "fake/core/sub/bad.py": line})
    found = static_check(tmp_path, ("fake.core",))
    assert len(found) == 1 and found[0].startswith("fake/core/sub/bad.py:")


def test_dynamic_check_finds_a_direct_import(tmp_path: Path) -> None:
    _package(tmp_path, {**CLEAN, "fake/core/sub/bad.py": "from PySide6 import QtCore\n"})
    report = dynamic_check(("fake.core",), pythonpath=tmp_path)
    assert "PySide6.QtCore" in report["loaded"]
    assert report["importers"]["PySide6"].endswith(os.path.join("sub", "bad.py"))


def test_dynamic_check_finds_qt_pulled_in_through_another_module(tmp_path: Path) -> None:
    # The core module itself says nothing about Qt, so only the import run can see it.
    files = {
        **CLEAN,
        "fake/helpers.py": "import PySide6.QtCore\n",
        "fake/core/uses_helper.py": "from fake import helpers\n",
    }
    _package(tmp_path, files)
    assert static_check(tmp_path, ("fake.core",)) == []
    report = dynamic_check(("fake.core",), pythonpath=tmp_path)
    assert "PySide6.QtCore" in report["loaded"]
    assert report["importers"]["PySide6"].endswith("helpers.py")


def test_dynamic_check_reports_modules_that_fail_to_import(tmp_path: Path) -> None:
    _package(tmp_path, {**CLEAN, "fake/core/broken.py": "import no_such_module_xyz\n"})
    report = dynamic_check(("fake.core",), pythonpath=tmp_path)
    assert [e.split(":")[0] for e in report["errors"]] == ["fake.core.broken"]
