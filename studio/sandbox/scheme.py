"""The `studio://` URL scheme that serves project files straight from the store.

URLs look like `studio://<origin>/<version>/<path>`: every project gets its own host, and so
its own origin, so one game cannot read another's storage.
"""

from __future__ import annotations

import mimetypes
import os
import secrets

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QUrl
from PySide6.QtWebEngineCore import (
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)

from studio.core.errors import StudioError
from studio.core.store import Project

SCHEME = b"studio"


def register_scheme() -> None:
    """Must run before QApplication exists (Qt reads scheme registrations at start-up)."""
    scheme = QWebEngineUrlScheme(SCHEME)
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    scheme.setFlags(
        QWebEngineUrlScheme.Flag.SecureScheme
        | QWebEngineUrlScheme.Flag.ContentSecurityPolicyIgnored
        | QWebEngineUrlScheme.Flag.CorsEnabled
    )
    QWebEngineUrlScheme.registerScheme(scheme)


def project_origin(project: Project) -> str:
    """A stable host name for a project, made once and kept in its database."""
    origin = project.get_meta("origin")
    if not origin:
        origin = "p" + secrets.token_hex(8)
        project.set_meta("origin", origin)
    return origin


def version_url(project: Project, version_id: int, path: str = "index.html") -> QUrl:
    return QUrl(f"{SCHEME.decode()}://{project_origin(project)}/{version_id}/{path}")


class ProjectSchemeHandler(QWebEngineUrlSchemeHandler):
    """Serves `studio://<origin>/<version>/<path>` for every mounted project."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._projects: dict[str, Project] = {}

    def mount(self, project: Project) -> str:
        origin = project_origin(project)
        self._projects[origin] = project
        return origin

    def unmount(self, project: Project) -> None:
        self._projects.pop(project_origin(project), None)

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:  # noqa: N802 (Qt API)
        url = job.requestUrl()
        project = self._projects.get(url.host())
        parts = url.path().lstrip("/").split("/", 1)
        if project is None or len(parts) != 2 or not parts[0].isdigit():
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        version_id, path = int(parts[0]), parts[1] or "index.html"
        try:
            data = project.read_file(version_id, path)
        except StudioError:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
        buffer = QBuffer(parent=job)
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        job.reply(mime.encode(), buffer)


def chromium_flags() -> str:
    """Chromium's sandbox stays on, except as root where Chromium refuses to start with it."""
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--no-sandbox" not in flags:
        flags = (flags + " --no-sandbox").strip()
    return flags
