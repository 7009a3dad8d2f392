"""The `studio://` URL scheme that serves project files straight from the store.

URLs look like `studio://<origin>/<version>/<path>`: every project gets its own host, and so
its own origin, so one game cannot read another's storage. A version's files are served
as stored; `assets/<name>` that the version lacks falls back to the project's asset library
so a clip just added can be previewed before a version uses it. Anything else is a 404.

A draft (`studio://<origin>/draft<N>/<path>`) is an answer still streaming, played before
it is saved: its files are held in memory, and any file it lacks is served from the
version it builds on, so its assets and untouched files resolve. It is never stored; it is
served until dropped, from the same origin with the same headers as the versions.

A version's own files never change, so they are sent cacheable ("immutable"): selecting a
version shown before in this session is then served from Chromium's memory (the sandbox
profiles are off the record: nothing reaches the disk), scripts compiled and images decoded
already. Drafts and the asset library's files may change under the same URL and are sent
`no-store`, as is every file of an origin that two copies of one project shared this
session (a copied project keeps its origin, and its version 5 may differ).

Range requests (media seeking) are answered by QtWebEngine itself: it reads the `Range`
header, seeks the device given to `reply()` and answers `206` with `Content-Range`. So the
handler always replies with the whole file; slicing it here would apply the range twice.
"""

from __future__ import annotations

import functools
import logging
import mimetypes
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QUrl, Signal
from PySide6.QtWebEngineCore import (
    QWebEngineUrlRequestJob,
    QWebEngineUrlSchemeHandler,
)

from studio.core.store import Project
from studio.errors import StudioError
from studio.qt.startup import SCHEME

log = logging.getLogger(__name__)

SCHEME_NAME = SCHEME.decode()
_DRAFT_KEY = re.compile(r"draft\d+")

# What a URL's first segment names: a version (its id) or a draft (its key, "draft<N>").
Shown = int | str

# Sent with every response. 'self' is the project's own origin only (another project's host
# is another origin); there are no remote hosts. Games need inline script and eval.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self' data: blob:",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:",
        "style-src 'self' 'unsafe-inline' data: blob:",
        "img-src 'self' data: blob:",
        "media-src 'self' data: blob:",
        "font-src 'self' data: blob:",
        "connect-src 'self'",
        "worker-src 'self' blob: data:",
        "frame-src 'self' data: blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'none'",
    ]
)

RESPONSE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Accept-Ranges": "bytes",
}
CACHE_IMMUTABLE = "private, max-age=31536000, immutable"  # a version's own files
CACHE_NEVER = "no-store"  # drafts, the asset library, an origin shared by two copies

# Types that mimetypes gets wrong or does not know on some systems.
_MIME_OVERRIDES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".webm": "video/webm",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
    ".css": "text/css",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
}
_TEXT_TYPES = ("text/", "application/json", "image/svg+xml")


def project_origin(project: Project) -> str:
    """A stable host name for a project, made once and kept in its database."""
    origin = project.get_meta("origin")
    if not origin:
        origin = "p" + secrets.token_hex(8)
        project.set_meta("origin", origin)
    return origin


def version_url(project: Project, version_id: int, path: str = "index.html") -> QUrl:
    return QUrl(f"{SCHEME_NAME}://{project_origin(project)}/{version_id}/{path}")


def draft_url(project: Project, key: str, path: str = "index.html") -> QUrl:
    return QUrl(f"{SCHEME_NAME}://{project_origin(project)}/{key}/{path}")


def _shown(segment: str) -> Shown | None:
    if segment.isdigit():
        return int(segment)
    return segment if _DRAFT_KEY.fullmatch(segment) else None


def split_url(url: QUrl) -> tuple[str, Shown, str] | None:
    """(origin, version id or draft key, path) of a `studio://` URL, or None when it is not
    one of ours."""
    if url.scheme() != SCHEME_NAME:
        return None
    parts = url.path().lstrip("/").split("/", 1)
    shown = _shown(parts[0]) if len(parts) == 2 else None
    if shown is None:
        return None
    return url.host(), shown, parts[1] or "index.html"


@dataclass(frozen=True)
class Draft:
    """Files of an answer not saved yet, over those of the version it builds on."""

    base: int | None
    files: Mapping[str, bytes]


@functools.lru_cache(maxsize=512)
def relative_source(source: str) -> str:
    """`studio://p1/3/js/game.js` → `js/game.js`, so errors name project files.

    Plain string work, cached: it runs for every console line a page writes."""
    if not source.startswith(SCHEME_NAME + "://"):
        return source
    _host, _, rest = source[len(SCHEME_NAME) + 3 :].partition("/")
    version, _, path = rest.partition("/")
    if _shown(version) is None:
        return source
    return path.split("?", 1)[0].split("#", 1)[0] or "index.html"


def mime_type(path: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    mime = _MIME_OVERRIDES.get(ext) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    if mime.startswith(_TEXT_TYPES) and "charset" not in mime:
        mime += "; charset=utf-8"
    return mime


class ProjectSchemeHandler(QWebEngineUrlSchemeHandler):
    """Serves `studio://<origin>/<version or draft>/<path>` for every mounted project.

    Projects are mounted by the panes that show them (counted, so two panes may show one
    project); drafts are added and dropped by the pane that plays them. A request from a
    page of one origin for another origin's files is refused here as well as by the CSP and
    the request guard. `not_found` names each file a game asked for that does not exist
    (Chromium does not log those for custom schemes).
    """

    not_found = Signal(str)  # the URL

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._projects: dict[str, Project] = {}
        self._mounts: dict[str, int] = {}
        self._drafts: dict[tuple[str, str], Draft] = {}  # by (origin, key)
        self._made_drafts = 0
        self._origin_paths: dict[str, str] = {}  # the project file each origin came from
        self._shared_origins: set[str] = set()  # origins of two project copies: not cached
        self.served = 0  # responses given, for tests and benchmarks

    def mount(self, project: Project) -> str:
        origin = project_origin(project)
        if self._origin_paths.setdefault(origin, str(project.path)) != str(project.path):
            self._shared_origins.add(origin)
        self._projects[origin] = project
        self._mounts[origin] = self._mounts.get(origin, 0) + 1
        return origin

    def unmount(self, project: Project) -> None:
        try:
            origin = project_origin(project)
        except Exception:  # noqa: BLE001 (a closed project: find it by identity)
            origin = next((o for o, p in self._projects.items() if p is project), "")
        left = self._mounts.get(origin, 0) - 1
        if left > 0:
            self._mounts[origin] = left
        else:
            self._mounts.pop(origin, None)
            self._projects.pop(origin, None)
            for held in [k for k in self._drafts if k[0] == origin]:
                del self._drafts[held]

    def add_draft(self, project: Project, draft: Draft) -> str:
        """Serve `draft` for a mounted project; returns its key (new for every draft, so a
        page showing it loads it afresh)."""
        self._made_drafts += 1
        key = f"draft{self._made_drafts}"
        self._drafts[(project_origin(project), key)] = draft
        return key

    def drop_draft(self, project: Project, key: str) -> None:
        self._drafts.pop((project_origin(project), key), None)

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:  # noqa: N802 (Qt API)
        url = job.requestUrl()
        split = split_url(url)
        project = self._projects.get(split[0]) if split else None
        initiator = job.initiator()
        foreign = (
            initiator.isValid()
            and not initiator.isEmpty()
            and (initiator.scheme() != SCHEME_NAME or initiator.host() != url.host())
        )
        if split is None or project is None or foreign:
            if foreign:
                log.info("refused %s asked by %s", url.toString(), initiator.toString())
                job.fail(QWebEngineUrlRequestJob.Error.RequestDenied)
            else:
                job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        if job.requestMethod() not in (b"GET", b"HEAD"):
            job.fail(QWebEngineUrlRequestJob.Error.RequestDenied)
            return
        origin, shown, path = split
        source = self._drafts.get((origin, shown)) if isinstance(shown, str) else shown
        found = self._read(project, source, path) if source is not None else None
        if found is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            self.not_found.emit(url.toString())
            return
        data, versioned = found
        cacheable = versioned and isinstance(source, int) and origin not in self._shared_origins
        headers = {
            **RESPONSE_HEADERS,
            "Cache-Control": CACHE_IMMUTABLE if cacheable else CACHE_NEVER,
        }
        job.setAdditionalResponseHeaders(
            # PySide takes each value as a list (Qt's QMultiMap); a bare QByteArray would be
            # split into one header value per byte.
            {QByteArray(k.encode()): [QByteArray(v.encode())] for k, v in headers.items()}
        )
        buffer = QBuffer(parent=job)
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.served += 1
        job.reply(mime_type(path).encode(), buffer)

    @staticmethod
    def _read(project: Project, source: int | Draft, path: str) -> tuple[bytes, bool] | None:
        """A version's file (a draft's, else its base version's), else a library asset; and
        whether it is the version's own file (which never changes)."""
        version: int | None = source if isinstance(source, int) else source.base
        if isinstance(source, Draft) and path in source.files:
            return source.files[path], False
        try:
            if version is not None:
                return project.read_file(version, path), True
        except StudioError:
            pass
        except Exception as exc:  # noqa: BLE001 (a closed or damaged project must not crash Qt)
            log.warning("could not read %s of version %s: %s", path, version, exc)
            return None
        if path.startswith("assets/") and path.count("/") == 1:
            try:
                asset = project.asset(path.removeprefix("assets/"))
                return project.blobs.read(asset.blob), False
            except StudioError:
                return None
            except Exception as exc:  # noqa: BLE001
                log.warning("could not read asset %s: %s", path, exc)
        return None
