#!/usr/bin/env bash
# Check the frozen Linux bundle the way a machine without Python meets it.
#
#   packaging/check.sh [BUILD_DIR]        default BUILD_DIR: build/desktop (see build.sh)
#
# - unpacks BUILD_DIR/studio-*.tar.gz into a temporary folder outside the source tree, and
#   puts a small plugin in its plugins/ folder (found through its entry point, like any);
# - runs everything with `env -i`: PATH is an empty folder (no python on it), PYTHONPATH and
#   every other variable unset, the working folder a temporary one (no `import studio` from
#   the checkout);
# - where it may (root, or unprivileged user namespaces), it also hides every Python
#   installation of the machine (interpreters, standard libraries, libpython) in a private
#   mount namespace, so the bundle's own libpython is the only Python there is;
# - runs `studio --version`, `studio --help`, `studio templates` and `studio --self-test`
#   and checks their output: exit 0, all checks ok, the first-party plugins and the plugin
#   beside the bundle loaded, the bundled ffmpeg used.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=${1:-$ROOT/build/desktop}
ARCHIVE=$(ls -t "$BUILD"/studio-*-linux-*.tar.gz 2>/dev/null | head -n 1 || true)
[ -n "$ARCHIVE" ] || { echo "check: no studio-*.tar.gz in $BUILD (run packaging/build.sh)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/studio-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
case "$WORK/" in "$ROOT"/*) echo "check: $WORK is inside the checkout" >&2; exit 2 ;; esac
tar -C "$WORK" -xzf "$ARCHIVE"
APP="$WORK/studio"
mkdir -p "$WORK/empty-bin" "$WORK/home" "$WORK/cwd"
echo "bundle:  $ARCHIVE -> $APP"

# A plugin beside the bundle: a package and its dist-info with the studio.plugins entry point.
PLUGIN="$APP/plugins/studio_beside_check"
mkdir -p "$PLUGIN/hello" "$APP/plugins/studio_beside_check-0.1.0.dist-info"
cat > "$PLUGIN/__init__.py" <<'EOF'
"""A plugin installed beside the frozen app (packaging/check.sh): one starter template."""
from pathlib import Path

from studio.plugins import hookimpl

STUDIO_API = 1


@hookimpl
def register_templates(register):
    from studio.core.templates import load_template

    template = load_template(Path(__file__).resolve().parent / "hello")
    register(template.name, template)
EOF
cat > "$PLUGIN/hello/template.json" <<'EOF'
{"name": "beside", "title": "Beside", "description": "A template from a plugin beside the app"}
EOF
cat > "$PLUGIN/hello/index.html" <<'EOF'
<!doctype html><canvas id="c"></canvas><script>
const c = document.getElementById('c').getContext('2d'); let t = 0;
(function f() { c.fillStyle = `hsl(${t++ % 360} 80% 50%)`; c.fillRect(0, 0, 300, 150);
  requestAnimationFrame(f); })();
</script>
EOF
printf 'Metadata-Version: 2.1\nName: studio-beside-check\nVersion: 0.1.0\n' \
    > "$APP/plugins/studio_beside_check-0.1.0.dist-info/METADATA"
printf '[studio.plugins]\nbeside-check = studio_beside_check\n' \
    > "$APP/plugins/studio_beside_check-0.1.0.dist-info/entry_points.txt"

# Every Python installation of this machine, to hide: interpreters, stdlibs, libpython.
hide_dirs=() hide_files=()
collect_python() {
    local exe prefix
    for exe in $(type -ap python3 python python3.11 python3.12 python3.13 2>/dev/null) \
               /usr/bin/python3 /usr/bin/python3.[0-9]* /usr/local/bin/python3*; do
        case "$exe" in *-config) continue ;; esac
        [ -x "$exe" ] || continue
        hide_files+=("$(readlink -f "$exe")")
        real=$("$exe" -c 'import sys; print(sys.executable)' 2>/dev/null || true)
        if [ -x "$real" ]; then hide_files+=("$(readlink -f "$real")"); fi
        for prefix in $("$exe" -c 'import sys; print(sys.prefix, sys.base_prefix)' 2>/dev/null); do
            for d in "$prefix"/lib/python3*; do [ -d "$d" ] && hide_dirs+=("$d"); done
            for f in "$prefix"/lib/libpython3*; do [ -f "$f" ] && hide_files+=("$(readlink -f "$f")"); done
        done
    done
    for d in /usr/lib/python3* /usr/local/lib/python3*; do [ -d "$d" ] && hide_dirs+=("$d"); done
    for f in /usr/lib/*-linux-gnu/libpython3* /usr/lib/libpython3*; do
        [ -f "$f" ] && hide_files+=("$(readlink -f "$f")")
    done
    return 0
}
collect_python
mapfile -t hide_dirs < <(printf '%s\n' "${hide_dirs[@]}" | sort -u)
mapfile -t hide_files < <(printf '%s\n' "${hide_files[@]}" | sort -u)
# Hiding needs a private mount namespace; try it once.
isolated=no
if unshare -m --map-root-user true 2>/dev/null || unshare -m true 2>/dev/null; then
    isolated=yes
fi

# Runs the bundle's executable with no Python anywhere: prints its output, returns its code.
run() {
    local script
    script='set -e
for f in $HIDE_FILES; do mount --bind /dev/null "$f"; done
for d in $HIDE_DIRS; do mount -t tmpfs -o ro,size=4k none "$d"; done
cd "$CWD"
exec env -i HOME="$HOMEDIR" PATH="$EMPTY" LANG=C.UTF-8 "$@"'
    if [ "$isolated" = yes ]; then
        HIDE_DIRS="${hide_dirs[*]}" HIDE_FILES="${hide_files[*]}" CWD="$WORK/cwd" \
        HOMEDIR="$WORK/home" EMPTY="$WORK/empty-bin" \
            unshare -m $( [ "$(id -u)" -eq 0 ] || echo --map-root-user ) \
            /bin/sh -c "$script" sh "$@"
    else
        (cd "$WORK/cwd" && env -i HOME="$WORK/home" PATH="$WORK/empty-bin" LANG=C.UTF-8 "$@")
    fi
}

fail=0
expect() {  # expect DESCRIPTION PATTERN FILE
    if grep -Eq -- "$2" "$3"; then echo "ok   check: $1"; else echo "FAIL check: $1"; fail=1; fi
}

echo "python hidden: $isolated: ${hide_dirs[*]} ${hide_files[*]}"
if [ "$isolated" = yes ]; then
    # The hiding works: the machine's own python cannot start in there, even by full path.
    for exe in "${hide_files[@]}"; do
        case "$exe" in *libpython*) continue ;; esac
        if run "$exe" -c 'print(1)' >/dev/null 2>&1; then
            echo "FAIL check: $exe still runs inside the namespace"; fail=1
        fi
    done
fi
if run /bin/sh -c 'command -v python3 || command -v python' >/dev/null 2>&1; then
    echo "FAIL check: a python is on the PATH given to the app"; fail=1
fi

run "$APP/studio" --version > "$WORK/version.txt" 2>&1 || true
expect "studio --version" '^studio [0-9]' "$WORK/version.txt"
run "$APP/studio" --help > "$WORK/help.txt" 2>&1 || true
expect "studio --help lists the commands (found with pkgutil)" 'templates' "$WORK/help.txt"
run "$APP/studio" templates > "$WORK/templates.txt" 2>&1 || true
expect "studio templates: built-in, first-party plugin and beside-plugin templates" \
    '^beside ' "$WORK/templates.txt"
expect "studio templates: the template pack" '^snake ' "$WORK/templates.txt"

echo
echo "\$ studio --self-test"
started=$(date +%s%N)
set +e
run "$APP/studio" --self-test > "$WORK/self-test.txt" 2> "$WORK/self-test.err"
code=$?
set -e
took_ms=$((($(date +%s%N) - started) / 1000000))
took=$((took_ms / 1000)).$(printf '%03d' $((took_ms % 1000)))
cat "$WORK/self-test.txt"
echo "(exit code $code, ${took} s)"
echo
[ "$code" -eq 0 ] || { echo "FAIL check: --self-test exited with $code"; fail=1; tail -n 30 "$WORK/self-test.err"; }
expect "self-test ran frozen" '^ok   app: .*frozen\)' "$WORK/self-test.txt"
expect "first-party plugins and the plugin beside the bundle" \
    '^ok   plugins: .*beside-check.*template-pack.*title-cards' "$WORK/self-test.txt"
expect "the bundled ffmpeg made the video" '^ok   video: .*ffmpeg-' "$WORK/self-test.txt"
expect "all checks passed" '^self-test passed' "$WORK/self-test.txt"

if [ "$fail" -eq 0 ]; then echo "check passed"; else echo "check FAILED"; fi
exit "$fail"
