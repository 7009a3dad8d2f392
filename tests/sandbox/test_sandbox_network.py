"""No game reaches the network or the disk: a listener on 127.0.0.1 must hear nothing."""

from __future__ import annotations

import json
import urllib.request

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile

from studio.sandbox import profile as profile_module
from studio.sandbox import scheme as scheme_module
from studio.sandbox.scheme import project_origin
from tests.sandbox.conftest import wait_seconds

HOSTILE_NETWORK = """<!DOCTYPE html>
<html><head>
<style>
  @import url("{o}/css-import.css");
  body {{ background-image: url("{o}/css-url.png"); }}
</style>
<link rel="prefetch" href="{o}/prefetch">
<link rel="stylesheet" href="{o}/link-style.css">
<script src="{o}/script-src.js"></script>
</head><body>
<img src="{o}/img.png">
<iframe src="{o}/iframe"></iframe>
<script>
const O = "{o}";
const tries = [];
const attempt = (name, f) => {{ try {{ const r = f(); tries.push(name);
  if (r && r.then) r.then(() => console.log('LEAK ' + name), () => {{}}); }}
  catch (e) {{ tries.push(name + ':' + e.name); }} }};
attempt('fetch', () => fetch(O + '/fetch'));
attempt('fetch-no-cors', () => fetch(O + '/fetch2', {{mode: 'no-cors'}}));
attempt('xhr', () => {{ const x = new XMLHttpRequest(); x.open('GET', O + '/xhr');
  x.onload = () => console.log('LEAK xhr'); x.send(); }});
attempt('websocket', () => {{ const w = new WebSocket('ws://127.0.0.1:{port}/ws');
  w.onopen = () => console.log('LEAK ws'); }});
attempt('eventsource', () => {{ const s = new EventSource(O + '/events');
  s.onopen = () => console.log('LEAK es'); }});
attempt('beacon', () => navigator.sendBeacon(O + '/beacon', 'x'));
attempt('image', () => {{ const i = new Image(); i.src = O + '/image.png'; }});
attempt('worker', () => new Worker(O + '/worker.js'));
attempt('form', () => {{ const f = document.createElement('form'); f.method = 'POST';
  f.action = O + '/form'; document.body.append(f); f.submit(); }});
setTimeout(() => console.log('ATTEMPTED ' + tries.join(',')), 300);
</script></body></html>
"""


@pytest.mark.parametrize("layers", ["csp+guard", "csp-only", "guard-only", "network-only"])
def test_no_request_leaves_the_sandbox(preview, make_project, listener, qtbot, monkeypatch, layers):
    """Each layer alone holds: the CSP without the request guard, the guard without the CSP,
    and Chromium's network stack leading nowhere (`SANDBOX_NETWORK_SWITCHES`, on in this
    process) without either. The control, the same kind of page reaching a listener once the
    network defence is taken away, is in test_sandbox_no_socket.py (it needs a process of its
    own, since Chromium reads its flags once)."""
    if layers in ("csp-only", "network-only"):
        monkeypatch.setattr(profile_module, "allowed", lambda *args: True)
    if layers in ("guard-only", "network-only"):
        monkeypatch.delitem(scheme_module.RESPONSE_HEADERS, "Content-Security-Policy")
    guard = preview.pane.profile.guard
    blocked_before = guard.blocked_count
    page = HOSTILE_NETWORK.format(o=listener.origin, port=listener.port)
    project = make_project("hostile", {"index.html": page})
    preview.open(project)
    preview.wait_message("ATTEMPTED")
    wait_seconds(qtbot, 1.5)  # give late requests (beacon, prefetch, EventSource) time
    assert preview.pane.page.url().host() == project_origin(project)  # form did not navigate
    assert listener.connections == []
    assert not [m for m in preview.messages() if m.startswith("LEAK")]
    csp_reports = [e for e in preview.entries if e.kind == "blocked"]  # the CSP refused them
    if layers in ("guard-only", "network-only"):
        assert not csp_reports
    else:
        assert len(csp_reports) >= 8
    if layers == "guard-only":
        assert guard.blocked_count - blocked_before >= 8
    if layers == "network-only":
        assert guard.blocked_count == blocked_before


def test_python_connects_where_no_page_can(qtbot, listener):
    """The network defence is Chromium's alone: in this process (flags set as the app sets
    them) even a page in a plain profile, with no CSP and no guard, reaches nothing, while
    Studio's own connections (Python's: models, video services) reach the listener."""
    profile = QWebEngineProfile()
    page = QWebEnginePage(profile)
    loaded: list[bool] = []
    page.loadFinished.connect(loaded.append)
    try:
        html = f'<img src="{listener.origin}/img.png"><script>fetch("{listener.origin}/f")</script>'
        page.setHtml(html, QUrl(listener.origin + "/"))
        qtbot.waitUntil(lambda: bool(loaded), timeout=15_000)
        wait_seconds(qtbot, 1.0)
    finally:
        del page
    assert listener.connections == []
    with urllib.request.urlopen(listener.origin + "/studio-own", timeout=10) as answer:
        assert answer.read() == b"leaked"
    assert [c.split(b"\r\n")[0] for c in listener.connections] == [b"GET /studio-own HTTP/1.1"]


FILE_READER = """<!DOCTYPE html><html><body>
<iframe id="f" src="file:///etc/passwd"></iframe>
<script>
fetch('file:///etc/passwd').then(r => r.text())
  .then(t => console.log('READ fetch ' + t.slice(0, 20)), e => console.log('DENIED fetch'));
const x = new XMLHttpRequest();
try {
  x.open('GET', 'file:///etc/passwd');
  x.onload = () => console.log('READ xhr ' + x.responseText.slice(0,20));
  x.onerror = () => console.log('DENIED xhr'); x.send();
} catch (e) { console.log('DENIED xhr'); }
setTimeout(() => {
  let text = '';
  try { text = document.getElementById('f').contentDocument.body.innerText; } catch (e) {}
  if (text.includes('root:')) console.log('READ iframe ' + text.slice(0, 20));
  console.log('NAVIGATING');
  location.href = 'file:///etc/passwd';
}, 500);
</script></body></html>
"""


def test_no_file_urls_by_fetch_iframe_or_navigation(preview, make_project, qtbot):
    project = make_project("files", {"index.html": FILE_READER})
    preview.open(project)
    preview.wait_message("NAVIGATING")
    wait_seconds(qtbot, 1.0)
    assert not [m for m in preview.messages() if m.startswith("READ") or "root:" in m]
    assert "DENIED fetch" in preview.messages()
    url = preview.pane.page.url()
    assert url.scheme() == "studio" and url.host() == project.get_meta("origin")
    assert preview.js("1 + 1") == 2  # still the game's page, still alive


NAVIGATOR = """<!DOCTYPE html><html><body><script>
const targets = {targets};
let i = 0;
console.log('PAGE LOADED');
setTimeout(function next() {{
  if (i >= targets.length) {{ console.log('DONE'); return; }}
  const t = targets[i++];
  try {{ if (i % 2) location.href = t; else window.top.location.assign(t); }} catch (e) {{}}
  setTimeout(next, 150);
}}, 100);
</script></body></html>
"""


def test_navigation_away_is_refused(preview, make_project, listener, qtbot):
    other = make_project("other", {"index.html": "<script>console.log('OTHER GAME')</script>"})
    targets = [
        listener.origin + "/navigated",
        f"studio://{project_origin(other)}/1/index.html",
        "data:text/html,<script>console.log('DATA PAGE')</script>",
        "https://example.com/",
    ]
    script_safe = json.dumps(targets).replace("</", "<\\/")
    project = make_project("nav", {"index.html": NAVIGATOR.format(targets=script_safe)})
    preview.open(project)
    preview.wait_message("DONE")
    assert listener.connections == []
    assert "OTHER GAME" not in preview.messages() and "DATA PAGE" not in preview.messages()
    assert preview.pane.page.url().host() == project.get_meta("origin")
    assert preview.messages().count("PAGE LOADED") == 1  # never left, never reloaded
    refused = " ".join(preview.pane.page.refusals)
    assert listener.origin in refused and project_origin(other) in refused
    assert "example.com" in refused  # (Chromium itself refuses a top-level data: URL)


WEBRTC = """<!DOCTYPE html><html><body><script>
const pc = new RTCPeerConnection({{iceServers: [{{urls: 'stun:127.0.0.1:{port}'}},
  {{urls: 'turn:127.0.0.1:{port}', username: 'secret', credential: 'x'}}]}});
pc.createDataChannel('leak');
pc.createOffer().then(o => pc.setLocalDescription(o)).then(() => console.log('OFFERED'));
</script></body></html>"""


def test_webrtc_sends_no_udp(preview, make_project, listener, qtbot):
    """STUN and TURN pass neither the CSP nor the request guard; Chromium's WebRTC policy
    (chromium_flags) keeps them off UDP. Without it this listener got 10 packets."""
    project = make_project("rtc", {"index.html": WEBRTC.format(port=listener.port)})
    preview.open(project)
    preview.wait_message("OFFERED")
    wait_seconds(qtbot, 3.0)
    assert listener.heard == [], listener.summary()
