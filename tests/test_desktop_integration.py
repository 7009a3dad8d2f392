"""Desktop integration: the menu entry opens the file it is given and registers the project
archive's type; the installer puts entry, icons and type in place for the user; the system
libraries Qt's X11 window needs are all in `.ci/apt-packages.txt` (which `.ci/run` installs).
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"


def desktop_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_entry_opens_files_and_names_the_archive_type():
    entry = desktop_entry(PACKAGING / "studio.desktop")
    assert entry["Exec"] == "studio %f"  # `studio PATH` opens a project or an archive
    types = [t for t in entry["MimeType"].split(";") if t]
    # Not every folder's type: the entry would become some desktops' folder opener.
    assert types == ["application/x-studio-project-archive"]
    mime = ET.parse(PACKAGING / "studio-mime.xml").getroot()
    (archive,) = mime.findall(f"{MIME_NS}mime-type")
    assert archive.get("type") == "application/x-studio-project-archive"
    assert archive.find(f"{MIME_NS}glob").get("pattern") == "*.studioproj"


def test_the_installer_puts_entry_icons_and_type_in_place(tmp_path):
    """The unpacked bundle's layout (as packaging/build.sh makes it), installed for a user."""
    app = tmp_path / "studio"
    (app / "share/applications").mkdir(parents=True)
    (app / "share/icons/hicolor/scalable/apps").mkdir(parents=True)
    (app / "share/mime/packages").mkdir(parents=True)
    shutil.copy(PACKAGING / "install-desktop-entry.sh", app)
    shutil.copy(PACKAGING / "studio.desktop", app / "share/applications/studio.desktop")
    shutil.copy(PACKAGING / "icons/studio.svg", app / "share/icons/hicolor/scalable/apps")
    shutil.copy(PACKAGING / "studio-mime.xml", app / "share/mime/packages/studio.xml")
    data = tmp_path / "data"
    env = {**os.environ, "XDG_DATA_HOME": str(data), "HOME": str(tmp_path / "home")}
    done = subprocess.run(
        ["sh", str(app / "install-desktop-entry.sh")], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    installed = desktop_entry(data / "applications/studio.desktop")
    assert installed["Exec"] == f'"{app}/studio" %f'
    assert (data / "mime/packages/studio.xml").read_bytes() == (
        PACKAGING / "studio-mime.xml"
    ).read_bytes()
    if shutil.which("update-mime-database"):  # the type is known to the desktop now
        globs = (data / "mime/globs2").read_text()
        assert "application/x-studio-project-archive:*.studioproj" in globs
    removed = subprocess.run(
        ["sh", str(app / "install-desktop-entry.sh"), "--remove"], env=env, capture_output=True
    )
    assert removed.returncode == 0
    assert not (data / "applications/studio.desktop").exists()
    assert not (data / "mime/packages/studio.xml").exists()


def test_the_xcb_libraries_a_bare_x_session_lacks_are_listed_and_named_in_readme():
    """Without these two the window does not open on a bare Debian X session (issue 20)."""
    listed = set((ROOT / ".ci/apt-packages.txt").read_text().split())
    readme = (ROOT / "README.md").read_text()
    for package in ("libxcb-icccm4", "libxcb-keysyms1"):
        assert package in listed and package in readme, package


def _owner(library: str) -> str | None:
    found = subprocess.run(["dpkg", "-S", library], capture_output=True, text=True)
    return found.stdout.split(":")[0] if found.returncode == 0 else None


@pytest.mark.skipif(not (shutil.which("dpkg") and shutil.which("ldd")), reason="Debian only")
def test_the_window_s_system_libraries_are_all_listed():
    """Every library Qt's X11 platform plugin and its XCB glue load comes from a package of
    .ci/apt-packages.txt, or from one every Debian has (priority required or important)."""
    import PySide6

    qt = Path(PySide6.__file__).parent / "Qt"
    listed = set((ROOT / ".ci/apt-packages.txt").read_text().split())
    missing = set()
    for binary in (qt / "plugins/platforms/libqxcb.so", qt / "lib/libQt6XcbQpa.so.6"):
        for line in subprocess.run(
            ["ldd", str(binary)], capture_output=True, text=True
        ).stdout.splitlines():
            parts = line.split("=>")
            if len(parts) != 2 or not parts[1].strip().startswith("/"):
                continue
            library = Path(parts[1].split()[0]).resolve()
            if qt in library.parents:
                continue  # shipped in the wheel
            package = _owner(str(library))
            if package is None or package in listed:
                continue
            priority = subprocess.run(
                ["dpkg-query", "-W", "-f=${Priority}", package], capture_output=True, text=True
            ).stdout
            if priority not in ("required", "important"):
                missing.add(package)
    assert not missing, f"add to .ci/apt-packages.txt: {sorted(missing)}"
