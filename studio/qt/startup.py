"""Starting Qt: what Chromium and Qt read once, before QApplication exists, and the one way a
command runs its work on Qt's event loop with nothing shown.

The window (`studio.app.run_app`) and every command that needs QtWebEngine (playtest,
`generate --fix`, recording, bench, the self-test) start through here, so a rule about
start-up (a Chromium flag, the scheme) is written once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from PySide6.QtWebEngineCore import QWebEngineUrlScheme

from studio.qt.collector import application

log = logging.getLogger(__name__)

T = TypeVar("T")

# The URL scheme Studio serves games on (`studio.sandbox.scheme`): registered with Chromium
# before QApplication exists, so it is named here, below the sandbox that serves it.
SCHEME = b"studio"


def register_scheme() -> None:
    """Must run before QApplication exists (Qt reads scheme registrations at start-up).

    SecureScheme makes game pages a secure context; CorsEnabled and FetchApiAllowed let a
    game `fetch()` its own files. ContentSecurityPolicyIgnored is deliberately absent: with it
    a page could load another project's files past the CSP.
    """
    if QWebEngineUrlScheme.schemeByName(SCHEME).name() == SCHEME:
        return
    scheme = QWebEngineUrlScheme(SCHEME)
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    scheme.setFlags(
        QWebEngineUrlScheme.Flag.SecureScheme
        | QWebEngineUrlScheme.Flag.CorsEnabled
        | QWebEngineUrlScheme.Flag.FetchApiAllowed
    )
    QWebEngineUrlScheme.registerScheme(scheme)


# Games run in this process's QtWebEngine, and Studio puts nothing else in it (its own
# connections, to models and video services, are Python's), so Chromium's network stack as a
# whole is made to lead nowhere. The CSP and the request guard (`studio.sandbox`) never see
# resource hints, speculative loads or WebRTC; these switches stop every kind without having
# to recognise it:
# - every connection goes through a proxy whose name cannot resolve, loopback included
#   (`<-loopback>` takes back Chromium's implicit bypass of localhost and 127.0.0.1);
# - every name, IP literals too, resolves to nothing inside Chromium, so no lookup leaves
#   (`^NOTFOUND` is the sentinel of the Chromium in QtWebEngine 6.10, Chromium 140, which
#   looks `~NOTFOUND`, the older one, up as a name).
# tests/sandbox/test_sandbox_no_socket.py builds the flags without them to show they matter.
SANDBOX_NETWORK_SWITCHES: tuple[str, ...] = (
    "--proxy-server=http://studio-sandbox-has-no-network.invalid:9",
    "--proxy-bypass-list=<-loopback>",
    '"--host-resolver-rules=MAP * ^NOTFOUND"',
)
# WebRTC's STUN/TURN traffic passes neither the CSP nor the request guard: with this policy
# it may only go through the proxy above, so it has no UDP and no TCP at all.
WEBRTC_POLICY = "--force-webrtc-ip-handling-policy=disable_non_proxied_udp"
# Switches that would loosen the ones above; taken out of QTWEBENGINE_CHROMIUM_FLAGS.
_NETWORK_SWITCH_NAMES = (
    "--proxy-server",
    "--proxy-bypass-list",
    "--proxy-pac-url",
    "--proxy-auto-detect",
    "--no-proxy-server",
    "--host-resolver-rules",
    "--host-rules",
    "--force-webrtc-ip-handling-policy",
)
# One command-line token as QtWebEngine splits QTWEBENGINE_CHROMIUM_FLAGS (QProcess::
# splitCommand): runs of non-space characters and double-quoted parts.
_TOKEN = re.compile(r'(?:[^\s"]+|"[^"]*")+')


def chromium_flags() -> str:
    """Flags for Chromium, read once at start-up (QTWEBENGINE_CHROMIUM_FLAGS).

    Chromium's sandbox stays on, except as root where Chromium refuses to start with it.
    A game's JavaScript heap is bounded, so a runaway page dies (reported as a crash)
    instead of eating the machine's memory; the network stack leads nowhere
    (SANDBOX_NETWORK_SWITCHES), whatever the environment asked for.
    On Linux without a GPU device, Chromium's GPU thread is not started.
    """
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        if "--no-sandbox" not in flags:
            flags = (flags + " --no-sandbox").strip()
    elif "--no-sandbox" in flags or os.environ.get("QTWEBENGINE_DISABLE_SANDBOX"):
        log.warning("Chromium's sandbox was switched off by the environment")
    else:
        log.info("Chromium's sandbox is on for the Preview")
    if "--js-flags" not in flags:
        flags += " --js-flags=--max-old-space-size=512"
    kept = []
    for token in _TOKEN.findall(flags):
        if token.strip('"').split("=", 1)[0] in _NETWORK_SWITCH_NAMES:
            if token not in (*SANDBOX_NETWORK_SWITCHES, WEBRTC_POLICY):  # ours, from before
                log.warning("ignored %s: games get no network", token)
        else:
            kept.append(token)
    if "gpu" not in flags and not has_gpu_device():
        # Without one, the GPU thread (in the app's own process with QtWebEngine) finds only
        # software GL, where Chromium blocklists WebGL and composites in software anyway;
        # not starting it keeps ~25 MiB out of the app (benchmarks/bench_memory.py).
        kept.append("--disable-gpu")
    return " ".join([*kept, *SANDBOX_NETWORK_SWITCHES, WEBRTC_POLICY])


def has_gpu_device() -> bool:
    """Whether a GPU may be there: on Linux, a DRM device node; elsewhere, assumed."""
    if not sys.platform.startswith("linux"):
        return True
    try:
        return any(os.scandir("/dev/dri"))
    except OSError:
        return False


def prepare_environment() -> None:
    """Things Qt reads once at start-up, so they must be set before QApplication."""
    flags = chromium_flags()
    if "--no-sandbox" in flags:
        log.warning("running as root: Chromium's sandbox is switched off for the Preview")
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = flags
    register_scheme()


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_headless(make: Callable[[], Awaitable[T]]) -> T:
    """Start Qt with one asyncio loop on Qt's (qasync), run `make()` on it to the end, and
    return its result (its exceptions pass through). Nothing is meant to be shown: Qt runs
    offscreen where there is no display, and the views made here are hidden where there is."""
    if not has_display():
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    prepare_environment()
    import qasync
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWebEngineWidgets import QWebEngineView  # noqa: F401 (before QApplication)

    app = application()
    app.setQuitOnLastWindowClosed(False)  # a hidden view closing is no reason to quit
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            result = loop.run_until_complete(make())
            # Let hidden views and their pages go before their profiles do.
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            return result
    finally:
        asyncio.set_event_loop(None)
