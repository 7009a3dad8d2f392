"""Which files of a game its pages can reach, so the single HTML file carries only those.

A folder imported from elsewhere holds more than the game: a README, `.scss` sources, build
scripts, a `package.json`. Starting at `index.html`, a file is reached when something
already reached names it:

- an HTML page: any attribute whose value names a project file (`src`, `href`, `srcset`,
  `poster`, `data-src` of a lazy loader, ...), its inline styles, and the string literals of
  its inline scripts;
- a stylesheet: its `url(...)` and `@import`s, except the font formats no browser of today
  picks when the same `@font-face` offers a WOFF, WOFF2, TTF or OTF (EOT, SVG fonts);
- a script or a data file (JSON, XML, SVG, text): its string literals. A literal naming a
  file counts (from the page or from the file itself, as modules resolve); so does one with
  a `/` that starts file paths (`'sprites/hero_' + n + '.png'`, `` `levels/${n}.json` ``),
  which keeps every file a built name could mean.

Links a page inside the single file's frame never loads are not followed: icons and
start-up pictures for home screens, the web app manifest.

What the analysis cannot see (a name put together from pieces without a `/`) is kept with
patterns (`fnmatch` globs on project paths, `*` crossing folders: `levels/*`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from studio.export.rewrite import (
    CSS_IMPORT_RULE,
    CSS_URL,
    HOME_SCREEN_RELS,
    decode_text,
    resolve,
    scan,
)

HTML_SUFFIXES = (".html", ".htm")
CSS_SUFFIXES = (".css",)
# Text whose string literals may name files: scripts and the data files games load.
TEXT_SUFFIXES = (
    ".js", ".mjs", ".cjs", ".json", ".xml", ".svg", ".txt", ".csv", ".tsv", ".tmx", ".tsx",
    ".tmj", ".tsj", ".atlas", ".fnt", ".plist", ".glsl", ".vert", ".frag", ".webmanifest",
)  # fmt: skip
_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}", re.IGNORECASE)
_MODERN_FONTS = (".woff2", ".woff", ".ttf", ".otf")
_OLD_FONTS = (".eot", ".svg")
# A quoted literal (no line breaks); a template literal's text before its first `${`.
_LITERAL = re.compile(r"""(["'])((?:\\.|(?!\1)[^\\\r\n])*)\1|`([^`$\\]*)(?:\$\{|`)""")


def reachable(
    files: dict[str, bytes], keep: Sequence[str] = (), entry: str = "index.html"
) -> set[str]:
    """The files `entry` reaches (itself included), and those `keep` patterns name."""
    names = sorted(files)
    reached = {entry} if entry in files else set()
    reached |= {p for p in names if any(fnmatchcase(p, pattern) for pattern in keep)}
    todo = sorted(reached)
    while todo:
        path = todo.pop()
        for found in _references(path, files, names):
            if found not in reached:
                reached.add(found)
                todo.append(found)
    return reached


def _references(path: str, files: dict[str, bytes], names: list[str]) -> Iterable[str]:
    lower = path.lower()
    if lower.endswith(HTML_SUFFIXES):
        return _html_references(path, files, names)
    if lower.endswith(CSS_SUFFIXES):
        return _css_references(decode_text(files[path]), posixpath.dirname(path), files)
    if lower.endswith(TEXT_SUFFIXES):
        return _literal_references(decode_text(files[path]), path, files, names)
    return ()


def _html_references(path: str, files: dict[str, bytes], names: list[str]) -> set[str]:
    text = decode_text(files[path])
    base = posixpath.dirname(path)
    found: set[str] = set()
    for tag in scan(text):
        if tag.name == "link" and HOME_SCREEN_RELS & set((tag.get("rel") or "").lower().split()):
            continue
        for key, value in tag.attrs:
            if not value:
                continue
            if key == "srcset":
                candidates = [part.split()[0] for part in value.split(",") if part.split()]
            elif key == "style":
                found |= _css_references(value, base, files)
                continue
            else:
                candidates = [value]
            found |= {p for c in candidates if (p := resolve(c, base, files)) is not None}
        if tag.raw_start is not None and tag.raw_stop is not None:
            inner = text[tag.raw_start : tag.raw_stop]
            if tag.name == "style":
                found |= _css_references(inner, base, files)
            else:
                found |= _literal_references(inner, path, files, names)
    return found


def _css_references(css: str, base: str, files: dict[str, bytes]) -> set[str]:
    found: set[str] = set()
    for face in _FONT_FACE.finditer(css):
        fonts = _urls(face.group(0), base, files)
        modern = any(p.lower().endswith(_MODERN_FONTS) for p in fonts)
        found |= {p for p in fonts if not (modern and p.lower().endswith(_OLD_FONTS))}
    rest = _FONT_FACE.sub("", css)
    imports = [m.group(4) for m in CSS_IMPORT_RULE.finditer(rest) if m.group(4)]
    return found | _urls(rest, base, files) | _resolved(imports, base, files)


def _urls(css: str, base: str, files: dict[str, bytes]) -> set[str]:
    return _resolved([m.group(2) for m in CSS_URL.finditer(css)], base, files)


def _resolved(urls: Iterable[str], base: str, files: dict[str, bytes]) -> set[str]:
    return {p for url in urls if (p := resolve(url, base, files)) is not None}


def _literal_references(
    text: str, path: str, files: dict[str, bytes], names: list[str]
) -> set[str]:
    """Files the string literals of a script or data file name, exactly or as a prefix.

    URLs in scripts resolve against the page (the game's root); module imports against
    the script itself: both are tried."""
    bases = {"", posixpath.dirname(path)}
    found: set[str] = set()
    for match in _LITERAL.finditer(text):
        literal = match.group(2) if match.group(3) is None else match.group(3)
        literal = literal.strip()
        if not literal or len(literal) > 300 or "\n" in literal:
            continue
        for base in bases:
            exact = resolve(literal, base, files)
            if exact is not None:
                found.add(exact)
            elif "/" in literal:
                found |= _prefixed(literal, base, names)
    return found


def _prefixed(literal: str, base: str, names: list[str]) -> set[str]:
    """Files whose path starts with `literal` (a folder, or the start of a built name)."""
    head = re.split(r"[?#]", literal, maxsplit=1)[0]
    if head.startswith(("http:", "https:", "data:", "blob:", "//")):
        return set()
    joined = head.lstrip("/") if head.startswith("/") else posixpath.join(base, head)
    prefix = posixpath.normpath(joined) + ("/" if head.endswith("/") else "")
    if prefix.startswith("..") or prefix in (".", "./", "/"):
        return set()
    return {name for name in names if name.startswith(prefix)}


# What a page loads as it opens, from anywhere: `<a href>` and `<link rel=preconnect>` are not
# loads, and home-screen links are never followed in the exports.
_LOADS = {"script": "src", "img": "src", "iframe": "src", "audio": "src", "video": "src",
          "source": "src", "embed": "src", "input": "src", "link": "href"}  # fmt: skip
_LOADED_LINKS = {"stylesheet", "preload", "modulepreload"}


def other_hosts(files: dict[str, bytes], reached: Iterable[str]) -> list[str]:
    """The hosts other than the game's own that its reached pages and stylesheets load from
    (ad and analytics scripts, web fonts, tracking pixels), first seen first: an export
    plays offline, and its browser refuses them."""
    urls: list[str] = []
    for path in sorted(reached):
        lower = path.lower()
        if lower.endswith(HTML_SUFFIXES):
            text = decode_text(files[path])
            for tag in scan(text):
                rels = set((tag.get("rel") or "").lower().split())
                if tag.name == "link" and not rels & _LOADED_LINKS:
                    continue
                if tag.name in _LOADS:
                    urls.append(tag.get(_LOADS[tag.name]) or "")
                urls += _css_urls(tag.get("style") or "")
                if tag.name == "style" and tag.raw_start is not None:
                    urls += _css_urls(text[tag.raw_start : tag.raw_stop])
        elif lower.endswith(CSS_SUFFIXES):
            urls += _css_urls(decode_text(files[path]))
    hosts = [
        urlsplit(url.strip()).hostname or ""
        for url in urls
        if url.strip().lower().startswith(("http:", "https:", "//"))
    ]
    return list(dict.fromkeys(h for h in hosts if h))


def _css_urls(css: str) -> list[str]:
    imports = [m.group(4) for m in CSS_IMPORT_RULE.finditer(css) if m.group(4)]
    return [m.group(2) for m in CSS_URL.finditer(css)] + imports


def other_hosts_note(hosts: Sequence[str]) -> str:
    return (
        f"the game loads from {len(hosts)} other {'host' if len(hosts) == 1 else 'hosts'}, "
        f"which the export does not reach (it plays offline): {', '.join(hosts)}"
    )


def left_out_note(left_out: Sequence[str], shown: int = 6) -> str:
    """One line naming what the single file left out, and how to keep it."""
    names = ", ".join(left_out[:shown])
    more = f" and {len(left_out) - shown} more" if len(left_out) > shown else ""
    files = "file" if len(left_out) == 1 else "files"
    return (
        f"left out {len(left_out)} {files} the game does not reach: {names}{more} "
        "(keep any with --keep PATTERN, or 'Also keep' in the Export dialog)"
    )
