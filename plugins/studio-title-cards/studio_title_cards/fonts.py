"""Which font file ffmpeg's `drawtext` gets.

drawtext needs a font *file*. The choice, in order:

1. the `font` option (a path), when the person set one;
2. the bundled DejaVu Sans Bold cut to Latin (52 KB, in `fonts/`), when it has every
   character of the card: the same look on every machine, and nothing to install;
3. a system font that has the characters: `fc-match` with the characters as a charset
   (checked against the font's real charset) where fontconfig exists, else well-known
   files with wide coverage on Windows and macOS;
4. otherwise the card cannot be drawn: a clear error says which characters are missing.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

FONT_DIR = Path(__file__).resolve().parent / "fonts"
BUNDLED_FONT = FONT_DIR / "DejaVuSans-Bold-Latin.ttf"
# The characters the bundled font was cut to (fonts/LICENSE-DejaVu.txt has the command).
BUNDLED_RANGES: tuple[tuple[int, int], ...] = (
    (0x0020, 0x007E),
    (0x00A0, 0x017F),
    (0x2013, 0x2014),
    (0x2018, 0x201E),
    (0x2022, 0x2022),
    (0x2026, 0x2026),
    (0x20AC, 0x20AC),
    (0x2122, 0x2122),
    (0x2190, 0x2193),
    (0x2605, 0x2606),
    (0x2660, 0x2667),
    (0x2713, 0x2714),
    (0x2717, 0x2717),
)

# Fonts with wide coverage, boldest first, by platform.
SYSTEM_FONTS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
    "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "/System/Library/Fonts/Helvetica.ttc",
)
WINDOWS_FONTS: tuple[str, ...] = ("arialbd.ttf", "segoeuib.ttf", "msyhbd.ttc", "arial.ttf")


class FontError(Exception):
    """No font can draw the text; the message says what to do."""


def in_ranges(code: int, ranges: Iterable[tuple[int, int]]) -> bool:
    return any(lo <= code <= hi for lo, hi in ranges)


def needed(text: str) -> set[int]:
    return {ord(c) for c in text if not c.isspace()}


def find_font(text: str, explicit: str | os.PathLike[str] | None = None) -> Path:
    """The font file to draw `text` with (see the module's docstring for the order)."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise FontError(f"The font file {path} (the font option) does not exist.")
        return path
    codes = needed(text)
    if all(in_ranges(c, BUNDLED_RANGES) for c in codes) and BUNDLED_FONT.is_file():
        return BUNDLED_FONT
    # In the order they appear, for the message.
    missing = list(dict.fromkeys(ord(c) for c in text if ord(c) in codes))
    missing = [c for c in missing if not in_ranges(c, BUNDLED_RANGES)]
    # Where fontconfig exists its answer is checked against the font's charset; elsewhere
    # (Windows, macOS) well-known fonts with wide coverage are taken on trust.
    has_fontconfig = shutil.which("fc-match") is not None
    found = fc_match(missing) if has_fontconfig else _first_existing(system_fonts())
    if found is None:
        chars = "".join(chr(c) for c in missing[:12])
        raise FontError(
            f"No font on this computer can draw {chars!r}: install a font that has these "
            "characters (for example Noto Sans) or set the title-cards font option to one."
        )
    return found


def system_fonts() -> list[Path]:
    paths = [Path(p) for p in SYSTEM_FONTS]
    if sys.platform == "win32":
        windir = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
        paths = [windir / name for name in WINDOWS_FONTS] + paths
    return paths


def _first_existing(paths: Iterable[Path]) -> Path | None:
    return next((p for p in paths if p.is_file()), None)


def fc_match(codes: list[int]) -> Path | None:
    """A bold sans font that has every character in `codes`, as fontconfig sees it."""
    if not codes:
        return None
    return _fc_match(" ".join(f"{c:x}" for c in codes[:200]))


@functools.lru_cache(maxsize=32)
def _fc_match(charset: str) -> Path | None:
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    try:
        done = subprocess.run(
            [exe, "-f", "%{file}|%{charset}", f"sans-serif:bold:charset={charset}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("fc-match could not run: %s", exc)
        return None
    file, _, ranges = done.stdout.partition("|")
    if done.returncode != 0 or not file or not Path(file).is_file():
        return None
    have = parse_charset(ranges)
    wanted = [int(c, 16) for c in charset.split()]
    if not all(in_ranges(c, have) for c in wanted):
        return None  # fontconfig's best match still lacks some characters
    return Path(file)


def parse_charset(text: str) -> list[tuple[int, int]]:
    """fontconfig's `20-7e a0-17f 2013` as ranges."""
    ranges = []
    for part in text.split():
        lo, _, hi = part.partition("-")
        try:
            ranges.append((int(lo, 16), int(hi or lo, 16)))
        except ValueError:
            continue
    return ranges
