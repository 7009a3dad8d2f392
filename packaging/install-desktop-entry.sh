#!/bin/sh
# Add Studio from this folder to the desktop's application menu, for the current user:
# the .desktop file (pointing at this folder's `studio`, which opens the file it is given),
# the icons and the project archive's file type (*.studioproj) go to ~/.local/share.
#   ./install-desktop-entry.sh            install      ./install-desktop-entry.sh --remove
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
if [ "${1:-}" = "--remove" ]; then
    rm -f "$DATA/applications/studio.desktop" "$DATA/mime/packages/studio.xml"
    find "$DATA/icons/hicolor" -path '*/apps/studio.*' -delete 2>/dev/null || true
    command -v update-mime-database >/dev/null && update-mime-database "$DATA/mime" || true
    echo "removed Studio's menu entry"
    exit 0
fi
mkdir -p "$DATA/applications"
sed -e "s|^Exec=studio|Exec=\"$HERE/studio\"|" -e "s|^TryExec=studio|TryExec=$HERE/studio|" \
    "$HERE/share/applications/studio.desktop" > "$DATA/applications/studio.desktop"
(cd "$HERE/share/icons" && find hicolor -type f) | while read -r icon; do
    mkdir -p "$DATA/icons/$(dirname "$icon")"
    cp "$HERE/share/icons/$icon" "$DATA/icons/$icon"
done
mkdir -p "$DATA/mime/packages"
cp "$HERE/share/mime/packages/studio.xml" "$DATA/mime/packages/studio.xml"
command -v update-mime-database >/dev/null && update-mime-database "$DATA/mime" || true
command -v xdg-mime >/dev/null &&
    xdg-mime default studio.desktop application/x-studio-project-archive || true
command -v update-desktop-database >/dev/null && update-desktop-database -q "$DATA/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
echo "Studio is in the application menu (entry: $DATA/applications/studio.desktop)"
