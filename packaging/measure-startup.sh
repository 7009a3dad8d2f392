#!/usr/bin/env bash
# Time to window of a Studio executable, from its self-test: N runs, min / median / max.
#   packaging/measure-startup.sh [-n RUNS] [--cold] STUDIO_EXECUTABLE
# The self-test's first line measures from the process's start (kernel start time) to the
# main window being exposed. --cold drops the page cache before each run (root only).
# Offscreen unless DISPLAY is set (e.g. Xvfb :77 & DISPLAY=:77 packaging/measure-startup.sh …).
set -euo pipefail
runs=5 cold=no
while [ $# -gt 1 ]; do
    case "$1" in
        -n) runs=$2; shift 2 ;;
        --cold) cold=yes; shift ;;
        *) break ;;
    esac
done
exe=$1
times=()
for _ in $(seq "$runs"); do
    if [ "$cold" = yes ]; then sync; echo 3 > /proc/sys/vm/drop_caches; fi
    line=$("$exe" --self-test 2>/dev/null | grep -E '^(ok  |FAIL) app:' || true)
    t=$(printf '%s' "$line" | sed -n 's/.*window shown \([0-9.]*\) s after start.*/\1/p')
    [ -n "$t" ] || { echo "no time in: ${line:-no app line}" >&2; exit 1; }
    times+=("$t")
done
printf '%s\n' "${times[@]}" | sort -n | awk -v runs="$runs" -v exe="$exe" '
    { t[NR] = $1 }
    END { printf "%s: time to window over %d runs: min %.2f s, median %.2f s, max %.2f s\n",
          exe, runs, t[1], t[int((NR + 1) / 2)], t[NR] }'
