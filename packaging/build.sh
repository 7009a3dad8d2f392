#!/usr/bin/env bash
# Build Studio's Linux desktop bundle (a one-folder PyInstaller app) and its .tar.gz.
#
#   packaging/build.sh [BUILD_DIR]        default BUILD_DIR: build/desktop (gitignored)
#
# Works from a clean checkout: it copies the sources into BUILD_DIR/src (so nothing is
# written into the checkout), makes its own venv there, installs Studio, the first-party
# plugins in plugins/ and PyInstaller (a build tool only: never a runtime dependency), runs
# packaging/studio.spec, adds the desktop entry and icons, and packs the folder.
# Needs Python 3.11+ (PYTHON=python3.12 to choose) with venv, and PyPI for the packages.
# Output: BUILD_DIR/dist/studio/ (run ./studio) and BUILD_DIR/studio-VERSION-linux-ARCH.tar.gz
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=$(mkdir -p "${1:-$ROOT/build/desktop}" && cd "${1:-$ROOT/build/desktop}" && pwd)
PYTHON=${PYTHON:-python3}
PYINSTALLER=${PYINSTALLER:-pyinstaller>=6.10}
started=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$*" "$(($(date +%s) - started))"; }

step "sources -> $BUILD/src"
rm -rf "$BUILD/src" "$BUILD/venv" "$BUILD/work" "$BUILD/dist"
mkdir -p "$BUILD/src"
tar -C "$ROOT" --exclude='__pycache__' --exclude='*.pyc' --exclude='*.egg-info' \
    --exclude='build' --exclude='dist' --exclude='.venv' \
    -cf - pyproject.toml README.md studio resources plugins | tar -C "$BUILD/src" -xf -

step "venv with Studio, its first-party plugins and PyInstaller"
"$PYTHON" -m venv "$BUILD/venv"
VPY="$BUILD/venv/bin/python"
"$VPY" -m pip install -q --upgrade pip
plugins=()
for plugin in "$BUILD"/src/plugins/*/; do
    [ -f "$plugin/pyproject.toml" ] && plugins+=("$plugin")
done
# Not editable: the bundle is made of installed packages, never of a source tree.
"$VPY" -m pip install -q "$BUILD/src" "${plugins[@]}" "$PYINSTALLER"
VERSION=$("$VPY" -c 'import studio; print(studio.__version__)')
ARCH=$(uname -m)

step "PyInstaller"
(cd "$BUILD" && "$BUILD/venv/bin/pyinstaller" --noconfirm --log-level WARN \
    --distpath "$BUILD/dist" --workpath "$BUILD/work" "$HERE/studio.spec")
APP="$BUILD/dist/studio"

step "desktop entry, icons, plugins folder"
install -Dm644 "$HERE/studio.desktop" "$APP/share/applications/studio.desktop"
install -Dm644 "$HERE/studio-mime.xml" "$APP/share/mime/packages/studio.xml"
for png in "$HERE"/icons/studio-*.png; do
    size=$(basename "$png" .png); size=${size#studio-}
    install -Dm644 "$png" "$APP/share/icons/hicolor/${size}x${size}/apps/studio.png"
done
install -Dm644 "$HERE/icons/studio.svg" "$APP/share/icons/hicolor/scalable/apps/studio.svg"
install -Dm755 "$HERE/install-desktop-entry.sh" "$APP/install-desktop-entry.sh"
mkdir -p "$APP/plugins"
cat > "$APP/plugins/README.txt" <<'EOF'
Studio plugins placed here are loaded at start-up, like installed ones. Install one with a
Python of the same version as the bundle's (see `studio --version` and --self-test):

    python3.11 -m pip install --target /path/to/studio/plugins studio-some-plugin

A person without write access here can use ~/.local/share/studio/plugins instead.
EOF

step "archive"
ARCHIVE="$BUILD/studio-$VERSION-linux-$ARCH.tar.gz"
# pigz (both cores) when the machine has it; the output is an ordinary .tar.gz either way.
if command -v pigz >/dev/null; then
    tar -C "$BUILD/dist" -cf - studio | pigz -6 > "$ARCHIVE"
else
    tar -C "$BUILD/dist" -czf "$ARCHIVE" studio
fi

took=$(($(date +%s) - started))
printf '\nbuilt Studio %s in %dm%02ds\n' "$VERSION" $((took / 60)) $((took % 60))
printf 'folder:  %s  %s\n' "$(du -sh "$APP" | cut -f1)" "$APP"
printf 'archive: %s  %s\n' "$(du -h "$ARCHIVE" | cut -f1)" "$ARCHIVE"
