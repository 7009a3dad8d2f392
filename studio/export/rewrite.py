"""Rewriting a game's HTML and CSS for export, leaving everything else byte for byte.

The HTML is scanned (not re-serialised): only the tags that need a change are replaced,
so a game's markup, scripts and whitespace stay exactly as written.

- The single file inlines scripts and stylesheets and turns every other reference to a
  project file into a token that the shell page replaces with a blob URL at start.
- Both exports put a Content-Security-Policy first in `<head>` and give each WebM video an
  MP4 `<source>` after it, for browsers without VP9.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import unquote

# Attributes that name a resource to load. `a href` is navigation, not a resource: kept.
URL_ATTRIBUTES = {"src", "poster", "data", "background", "xlink:href"}
HREF_TAGS = {"link", "image", "use", "feimage"}
MEDIA_TAGS = {"video", "audio"}
JS_TYPES = {"", "text/javascript", "application/javascript", "module", "text/ecmascript"}

# `<link rel=...>` for home screens and installed apps (icons, start-up pictures, the web
# app manifest): a page in the single file's frame has no use for them, so that file drops
# them and does not carry their files.
HOME_SCREEN_RELS = frozenset(
    {
        "icon",
        "shortcut",
        "apple-touch-icon",
        "apple-touch-icon-precomposed",
        "apple-touch-startup-image",
        "mask-icon",
        "manifest",
    }
)

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:|^//")
CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')]*?)\1\s*\)""", re.IGNORECASE)
# `@import url(x.css) conditions;` or `@import "x.css" conditions;`: the URL is group 2 or 4,
# the conditions (layer, supports, media queries) group 5.
CSS_IMPORT_RULE = re.compile(
    r"""@import\s+(?:url\(\s*(["']?)([^"')]*?)\1\s*\)|(["'])([^"']*)\3)\s*([^;{}]*);?""",
    re.IGNORECASE,
)
_CHARSET = re.compile(r"""^\ufeff?\s*@charset\s+["'][^"']*["']\s*;""", re.IGNORECASE)
_IMPORT_LAYER = re.compile(r"layer(?:\(\s*([^)]*?)\s*\))?\s*", re.IGNORECASE)
_IMPORT_SUPPORTS = re.compile(r"supports\(((?:[^()]|\([^()]*\))*)\)\s*", re.IGNORECASE)
_END_SCRIPT = re.compile(r"</(script)", re.IGNORECASE)
_END_STYLE = re.compile(r"</(style)", re.IGNORECASE)


def resolve(url: str, base_dir: str, files: dict[str, bytes] | set[str]) -> str | None:
    """The project file a relative URL names (from a file in `base_dir`), or None."""
    url = url.strip()
    if not url or url.startswith("#") or _SCHEME.match(url):
        return None
    path = unquote(re.split(r"[?#]", url, maxsplit=1)[0])
    joined = path.lstrip("/") if path.startswith("/") else posixpath.join(base_dir, path)
    normal = posixpath.normpath(joined)
    if normal.startswith("../") or normal == "..":
        return None
    return normal if normal in files else None


def swap_suffix(url: str, old: str, new: str) -> str:
    """`a/clip.webm?x` -> `a/clip.mp4?x`: the path's suffix only."""
    match = re.match(r"^([^?#]*)(.*)$", url, re.DOTALL)
    assert match is not None
    head, tail = match.group(1), match.group(2)
    if head.lower().endswith(old):
        head = head[: -len(old)] + new
    return head + tail


def rewrite_css(
    css: str,
    base_dir: str,
    files: dict[str, bytes],
    ref: Callable[[str], str],
    *,
    inline_imports: bool = False,
    missing: list[str] | None = None,
    inlined: set[str] | None = None,
    importing: tuple[str, ...] = (),
) -> str:
    """Replace `url(...)` and `@import` of project files with `ref(path)`.

    With `inline_imports` (the single file) an `@import`ed stylesheet of the game is put in
    place of its rule instead, wrapped in the rule's layer, supports and media conditions,
    and its own URLs and imports rewritten from its folder, at any depth: a stylesheet
    loaded from a blob URL could not resolve its relative URLs. An import that loops back
    is dropped, as browsers do. Relative URLs naming no file are added to `missing`, the
    stylesheets put in place to `inlined`."""
    blocks: list[str] = []

    def imported(match: re.Match[str]) -> str:
        url = match.group(2) if match.group(4) is None else match.group(4)
        path = resolve(url, base_dir, files)
        if path is None:
            _note_missing(url, base_dir, files, missing)
            return match.group(0)
        if not inline_imports:
            return f'@import "{ref(path)}"{" " + match.group(5).strip() if match.group(5) else ""};'
        if inlined is not None:
            inlined.add(path)
        if path in importing:
            text = ""
        else:
            text = _CHARSET.sub("", decode_text(files[path]), count=1)
            text = rewrite_css(
                text,
                posixpath.dirname(path),
                files,
                ref,
                inline_imports=True,
                missing=missing,
                inlined=inlined,
                importing=(*importing, path),
            )
        blocks.append(_wrap_import(f"/* {path} */\n{text}\n", match.group(5)))
        return f"\0{len(blocks) - 1}\0"

    def url(match: re.Match[str]) -> str:
        path = resolve(match.group(2), base_dir, files)
        if path is None:
            _note_missing(match.group(2), base_dir, files, missing)
            return match.group(0)
        return f'url("{ref(path)}")'

    out = CSS_URL.sub(url, CSS_IMPORT_RULE.sub(imported, css))
    return re.sub(r"\0(\d+)\0", lambda m: blocks[int(m.group(1))], out)


def _wrap_import(css: str, conditions: str | None) -> str:
    """`css` inside the blocks an `@import`'s conditions stand for: layer, supports, media."""
    rest = (conditions or "").strip()
    layer = supports = None
    if found := _IMPORT_LAYER.match(rest):
        layer, rest = (found.group(1) or ""), rest[found.end() :]
    if found := _IMPORT_SUPPORTS.match(rest):
        supports, rest = found.group(1).strip(), rest[found.end() :]
    if rest.strip():
        css = f"@media {rest.strip()} {{\n{css}}}\n"
    if supports is not None:
        wrapped = supports if supports.startswith("(") else f"({supports})"
        css = f"@supports {wrapped} {{\n{css}}}\n"
    if layer is not None:
        css = f"@layer {layer} {{\n{css}}}\n".replace("@layer  {", "@layer {")
    return css


def _note_missing(
    url: str | None, base_dir: str, files: dict[str, bytes], missing: list[str] | None
) -> None:
    """Add the game path a relative URL names to `missing` when no file has it."""
    text = (url or "").strip()
    if missing is None or not text or _SCHEME.match(text) or text.startswith("#"):
        return
    if resolve(text, base_dir, files) is None:
        path = unquote(re.split(r"[?#]", text, maxsplit=1)[0])
        named = posixpath.normpath(posixpath.join(base_dir, path.lstrip("/")))
        if named not in missing:
            missing.append(named)


def escape_script(js: str) -> str:
    """Script text safe inside `<script>`: `</script` cannot end it early."""
    return _END_SCRIPT.sub(r"<\\/\1", js).replace("<!--", "<\\!--")


def escape_style(css: str) -> str:
    return _END_STYLE.sub(r"<\\/\1", css)


def decode_text(data: bytes) -> str:
    return data.decode("utf-8-sig", errors="replace")


@dataclass
class Tag:
    start: int
    end: int
    name: str
    attrs: list[tuple[str, str | None]]
    self_closing: bool
    raw_end: int | None = None  # script/style: where the end tag finishes
    raw_start: int | None = None  # script/style: where its text starts (== end)
    raw_stop: int | None = None  # script/style: where its text stops

    def get(self, name: str) -> str | None:
        for key, value in self.attrs:
            if key == name:
                return value
        return None

    def has(self, name: str) -> bool:
        return any(key == name for key, _ in self.attrs)


def render_tag(name: str, attrs: list[tuple[str, str | None]], self_closing: bool = False) -> str:
    parts = [name]
    for key, value in attrs:
        parts.append(key if value is None else f'{key}="{html.escape(value, quote=True)}"')
    return "<" + " ".join(parts) + (" />" if self_closing else ">")


class _Scanner(HTMLParser):
    """Finds start tags (with their offsets) and the text of scripts and styles."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self.text = text
        self.tags: list[Tag] = []
        self._line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
        self._open_raw: Tag | None = None

    def _offset(self) -> int:
        line, col = self.getpos()
        return self._line_starts[line - 1] + col

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], closing: bool) -> None:
        start = self._offset()
        raw = self.get_starttag_text() or ""
        # The parser's offsets count characters; guard against any drift (e.g. `\r`).
        if self.text[start : start + len(raw)] != raw:
            found = self.text.find(raw, start)
            if found < 0:
                return
            start = found
        item = Tag(start, start + len(raw), tag, attrs, closing)
        self.tags.append(item)
        if tag in ("script", "style") and not closing:
            item.raw_start = item.end
            self._open_raw = item

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, True)

    def handle_endtag(self, tag: str) -> None:
        raw = self._open_raw
        if raw is not None and tag == raw.name:
            start = self.text.lower().find(f"</{tag}", raw.end)
            if start >= 0:
                close = self.text.find(">", start)
                raw.raw_stop = start
                raw.raw_end = (close + 1) if close >= 0 else len(self.text)
            self._open_raw = None


def scan(text: str) -> list[Tag]:
    scanner = _Scanner(text)
    scanner.feed(text)
    scanner.close()
    return scanner.tags


@dataclass
class HtmlRewrite:
    """How to rewrite one HTML file of the game.

    `ref(path)` gives the URL text for a project file (a token in the single file, the
    original relative URL in the web folder: None keeps the attribute as written).
    `inline` inlines scripts and stylesheets (single file only).
    """

    files: dict[str, bytes]
    fallbacks: dict[str, str]  # webm path -> mp4 path
    head: str  # inserted first in <head>: the CSP meta (and a bootstrap script)
    ref: Callable[[str], str] | None = None
    inline: bool = False
    inlined: set[str] = field(default_factory=set)  # files that went into the page text
    missing: list[str] = field(default_factory=list)  # relative URLs naming no file

    def apply(self, text: str, path: str) -> str:
        base_dir = posixpath.dirname(path)
        edits: list[tuple[int, int, str]] = []
        tags = scan(text)
        for tag in tags:
            edit = self._tag(text, tag, base_dir)
            if edit is not None:
                edits.append(edit)
        edits.append(self._head_insert(text, tags))
        out = text
        for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
            out = out[:start] + replacement + out[end:]
        return out

    # -- one tag -------------------------------------------------------------------------

    def _url(self, path: str, original: str) -> str:
        return original if self.ref is None else self.ref(path)

    def _tag(self, text: str, tag: Tag, base_dir: str) -> tuple[int, int, str] | None:
        name = tag.name
        if name == "script":
            return self._script(text, tag, base_dir)
        if name == "style" and self.ref is not None and tag.raw_stop is not None:
            css = text[tag.raw_start : tag.raw_stop]
            new = escape_style(self._css(css, base_dir))
            return None if new == css else (tag.raw_start, tag.raw_stop, new)
        if name == "link":
            rel = (tag.get("rel") or "").lower().split()
            if self.inline and HOME_SCREEN_RELS & set(rel):
                return (tag.start, tag.end, "")
            href = tag.get("href") or ""
            path = resolve(href, base_dir, self.files)
            if "stylesheet" in rel and path is not None and self.inline:
                css = self._css(decode_text(self.files[path]), posixpath.dirname(path))
                self.inlined.add(path)
                keep = [(k, v) for k, v in tag.attrs if k in ("media", "id", "title", "nonce")]
                return (
                    tag.start,
                    tag.end,
                    render_tag("style", keep) + escape_style(css) + "</style>",
                )
        if name in MEDIA_TAGS or name == "source":
            media = self._media(tag, base_dir)
            if media is not None:
                return media
        return self._attributes(tag, base_dir)

    def _css(self, css: str, base_dir: str) -> str:
        assert self.ref is not None
        return rewrite_css(
            css,
            base_dir,
            self.files,
            self.ref,
            inline_imports=self.inline,
            missing=self.missing,
            inlined=self.inlined,
        )

    def _script(self, text: str, tag: Tag, base_dir: str) -> tuple[int, int, str] | None:
        kind = (tag.get("type") or "").strip().lower()
        src = tag.get("src")
        if src is None:
            return None
        path = resolve(src, base_dir, self.files)
        if path is None:
            _note_missing(src, base_dir, self.files, self.missing)
            return None
        if not self.inline or kind not in JS_TYPES or tag.raw_end is None:
            return self._attributes(tag, base_dir)
        self.inlined.add(path)
        attrs = [(k, v) for k, v in tag.attrs if k not in ("src", "async", "defer", "integrity")]
        if kind != "module" and tag.has("defer"):
            # An inline classic script cannot be deferred: run it once the page is parsed.
            js = "document.addEventListener('DOMContentLoaded', function () {\n"
            js += decode_text(self.files[path]) + "\n});"
        else:
            js = decode_text(self.files[path])
        return (
            tag.start,
            tag.raw_end,
            render_tag("script", attrs) + escape_script(js) + "</script>",
        )

    def _attributes(self, tag: Tag, base_dir: str) -> tuple[int, int, str] | None:
        changed = False
        attrs: list[tuple[str, str | None]] = []
        for key, value in tag.attrs:
            is_url = key in URL_ATTRIBUTES or (key == "href" and tag.name in HREF_TAGS)
            if value is not None and is_url:
                path = resolve(value, base_dir, self.files)
                if path is None:
                    _note_missing(value, base_dir, self.files, self.missing)
                elif self.ref is not None:
                    value, changed = self.ref(path), True
            elif value is not None and key == "srcset" and self.ref is not None:
                new = self._srcset(value, base_dir)
                value, changed = new, changed or new != value
            elif value is not None and key == "style" and self.ref is not None:
                new = self._css(value, base_dir)
                value, changed = new, changed or new != value
            attrs.append((key, value))
        if not changed:
            return None
        return (tag.start, tag.end, render_tag(tag.name, attrs, tag.self_closing))

    def _srcset(self, value: str, base_dir: str) -> str:
        out = []
        for candidate in value.split(","):
            parts = candidate.strip().split(None, 1)
            if parts:
                path = resolve(parts[0], base_dir, self.files)
                if path is not None and self.ref is not None:
                    parts[0] = self.ref(path)
            out.append(" ".join(parts))
        return ", ".join(out)

    def _media(self, tag: Tag, base_dir: str) -> tuple[int, int, str] | None:
        """A WebM with a fallback: `<source>` for the WebM, then one for the MP4."""
        src = tag.get("src")
        path = resolve(src, base_dir, self.files) if src else None
        if path is None or path not in self.fallbacks:
            return None
        mp4 = self.fallbacks[path]
        webm_url = self._url(path, src or "")
        mp4_url = self._url(mp4, swap_suffix(src or "", ".webm", ".mp4"))
        rest = [(k, v) for k, v in tag.attrs if k not in ("src", "type")]
        if tag.name == "source":
            # Keep the given type when it names codecs; the MP4 gets its own.
            webm_type = tag.get("type") or "video/webm"
            first = render_tag("source", [("src", webm_url), ("type", webm_type), *rest])
            second = render_tag("source", [("src", mp4_url), ("type", "video/mp4"), *rest])
            return (tag.start, tag.end, first + second)
        fixed = self._attributes(Tag(0, 0, tag.name, rest, False), base_dir)
        opening = fixed[2] if fixed else render_tag(tag.name, rest)
        sources = render_tag("source", [("src", webm_url), ("type", "video/webm")])
        sources += render_tag("source", [("src", mp4_url), ("type", "video/mp4")])
        if tag.self_closing:  # `<video src=... />` is not self-closing in HTML; still close it
            return (tag.start, tag.end, opening + sources + f"</{tag.name}>")
        return (tag.start, tag.end, opening + sources)

    # -- head ------------------------------------------------------------------------

    def _head_insert(self, text: str, tags: list[Tag]) -> tuple[int, int, str]:
        """Put `head` as early as possible, but after `<meta charset>` (which must come first)."""
        for tag in tags:
            if tag.name == "meta" and (
                tag.has("charset") or (tag.get("http-equiv") or "").lower() == "content-type"
            ):
                return (tag.end, tag.end, self.head)
        for tag in tags:
            if tag.name == "head":
                return (tag.end, tag.end, self.head)
        for tag in tags:
            if tag.name == "html":
                return (tag.end, tag.end, self.head)
        doctype = re.match(r"\s*<!doctype[^>]*>", text, re.IGNORECASE)
        at = doctype.end() if doctype else 0
        return (at, at, self.head)
