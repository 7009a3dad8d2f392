"""The browser profile untrusted games run in, and the guard on every request it makes.

One off-the-record profile per trust level (`sandbox_profile("preview")`, `"playtest"`),
never Qt's default profile: nothing a game stores reaches the disk, and nothing Studio's
own web content (if any) holds is visible to a game. Each profile has:

- the `studio://` scheme handler serving project files;
- a request guard (URL request interceptor) that blocks every URL that is not the page's
  own `studio://` origin, `data:` or `blob:`: no network, no `file://`, no other project;
- settings that deny local files, remote URLs, windows, clipboard, plugins, screen capture,
  full screen, drag-and-drop navigation;
- the runtime script (`runtime.py`) injected into every page at document creation.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QObject, QUrl, Signal
from PySide6.QtWebEngineCore import (
    QWebEngineDownloadRequest,
    QWebEngineProfile,
    QWebEngineScript,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)

from studio.sandbox.runtime import BOOTSTRAP_JS
from studio.sandbox.scheme import SCHEME, SCHEME_NAME, ProjectSchemeHandler

log = logging.getLogger(__name__)

ALLOWED_SCHEMES = frozenset({"data", "blob"})

_DENIED = (
    "LocalContentCanAccessFileUrls",
    "LocalContentCanAccessRemoteUrls",
    "JavascriptCanOpenWindows",
    "JavascriptCanAccessClipboard",
    "JavascriptCanPaste",
    "AllowWindowActivationFromJavaScript",
    "AllowRunningInsecureContent",
    "AllowGeolocationOnInsecureOrigins",
    "PluginsEnabled",
    "PdfViewerEnabled",
    "FullScreenSupportEnabled",
    "ScreenCaptureEnabled",
    "DnsPrefetchEnabled",
    "HyperlinkAuditingEnabled",
    "NavigateOnDropEnabled",
    "ErrorPageEnabled",
    "AutoLoadIconsForPage",
    "TouchIconsEnabled",
    "XSSAuditingEnabled",
    "PlaybackRequiresUserGesture",  # games start their music without a click in the preview
    "SpatialNavigationEnabled",
)
_ALLOWED = (
    "JavascriptEnabled",
    "LocalStorageEnabled",
    "WebGLEnabled",
    "Accelerated2dCanvasEnabled",
    "ReadingFromCanvasEnabled",
    "FocusOnNavigationEnabled",
    "WebRTCPublicInterfacesOnly",
    "AutoLoadImages",
)


class RequestGuard(QWebEngineUrlRequestInterceptor):
    """Blocks every request that is not the page's own `studio://` origin, data: or blob:."""

    blocked = Signal(str, str)  # url, the page (first party) that asked

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.blocked_count = 0

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # noqa: N802
        url = info.requestUrl()
        if allowed(url, info.firstPartyUrl(), info.initiator(), info.resourceType()):
            return
        info.block(True)
        self.blocked_count += 1
        log.info("blocked %s (from %s)", url.toString(), info.firstPartyUrl().toString())
        self.blocked.emit(url.toString(), info.firstPartyUrl().toString())


def allowed(
    url: QUrl,
    first_party: QUrl,
    initiator: QUrl,
    resource_type: QWebEngineUrlRequestInfo.ResourceType,
) -> bool:
    scheme = url.scheme()
    if scheme in ALLOWED_SCHEMES:
        return True
    if scheme != SCHEME_NAME:
        return False
    main = resource_type == QWebEngineUrlRequestInfo.ResourceType.ResourceTypeMainFrame
    if main and (initiator.isEmpty() or not initiator.isValid()):
        return True  # Studio itself opening a game (the page refuses the game's own tries)
    for page in (first_party, initiator):
        if not page.isValid() or page.isEmpty() or page.scheme() in ALLOWED_SCHEMES:
            continue  # no page, or an opaque (data:, blob:) one inside the game
        if page.scheme() != SCHEME_NAME or page.host() != url.host():
            return False
    return True


class SandboxProfile(QWebEngineProfile):
    """An off-the-record profile for one trust level of untrusted game pages."""

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)  # no storage name: off the record, nothing persists
        assert self.isOffTheRecord()
        self.setObjectName(f"sandbox-{name}")
        self.kind = name
        self.handler = ProjectSchemeHandler(self)
        self.installUrlSchemeHandler(SCHEME, self.handler)
        self.guard = RequestGuard(self)
        self.setUrlRequestInterceptor(self.guard)
        self.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
        self.setPersistentCookiesPolicy(
            QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies
        )
        self.setPersistentPermissionsPolicy(
            QWebEngineProfile.PersistentPermissionsPolicy.AskEveryTime
        )
        self.setSpellCheckEnabled(False)
        self.setPushServiceEnabled(False)
        self.downloadRequested.connect(self._refuse_download)
        configure_settings(self.settings())
        script = QWebEngineScript()
        script.setName("studio-runtime")
        script.setSourceCode(BOOTSTRAP_JS)
        script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
        script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
        script.setRunsOnSubFrames(False)
        self.scripts().insert(script)

    @staticmethod
    def _refuse_download(download: QWebEngineDownloadRequest) -> None:
        log.info("refused a download of %s", download.url().toString())
        download.cancel()


def configure_settings(settings: QWebEngineSettings) -> None:
    attr = QWebEngineSettings.WebAttribute
    for name in _DENIED:
        settings.setAttribute(getattr(attr, name), False)
    for name in _ALLOWED:
        settings.setAttribute(getattr(attr, name), True)
    settings.setUnknownUrlSchemePolicy(
        QWebEngineSettings.UnknownUrlSchemePolicy.DisallowUnknownUrlSchemes
    )


_profiles: dict[str, SandboxProfile] = {}


def sandbox_profile(kind: str = "preview") -> SandboxProfile:
    """The shared profile for a trust level; it lives as long as the application.

    Owned by the application object so it outlives every page that uses it (Qt requires
    a profile's pages to be deleted first).
    """
    profile = _profiles.get(kind)
    if profile is None:
        app = QCoreApplication.instance()
        if app is None:
            raise RuntimeError("the sandbox needs a QApplication")
        profile = SandboxProfile(kind, app)
        _profiles[kind] = profile
        profile.destroyed.connect(lambda *_: _profiles.pop(kind, None))
    return profile
