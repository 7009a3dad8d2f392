"""The studio:// scheme: files from the store with the right types, ranges, 404s, assets,
a CSP on every response, and no reading across projects."""

from __future__ import annotations

import json
import shutil

import pytest
from PySide6.QtCore import QUrl

from studio.core.store import Project
from studio.qt import startup as startup_module
from studio.qt.startup import SANDBOX_NETWORK_SWITCHES, WEBRTC_POLICY, chromium_flags
from studio.sandbox import profile as profile_module
from studio.sandbox import scheme as scheme_module
from studio.sandbox.scheme import (
    mime_type,
    project_origin,
    relative_source,
    split_url,
)

BLOB = bytes(range(256)) * 16  # 4096 bytes, each offset's value is offset % 256

PROBE = """<!DOCTYPE html><html><head><title>Probe</title></head><body><script>
async function probe(url, headers) {
  try {
    const r = await fetch(url, {headers: headers || {}});
    const b = new Uint8Array(await r.arrayBuffer());
    return {status: r.status, type: r.headers.get('content-type'),
            range: r.headers.get('content-range'), csp: r.headers.get('content-security-policy'),
            cache: r.headers.get('cache-control'),
            length: b.length, first: b[0], last: b[b.length - 1]};
  } catch (e) { return {error: String(e)}; }
}
window.probe = probe;
console.log('PROBE READY');
</script></body></html>"""


def fetch(preview, url: str, headers: dict | None = None) -> dict:
    script = f"probe({json.dumps(url)}, {json.dumps(headers or {})}).then(r => JSON.stringify(r))"
    box: list[str] = []
    preview.pane.page.runJavaScript(
        f"{script}.then(t => console.log('RESULT ' + t))", 0, lambda _r: None
    )
    entry = preview.wait_message("RESULT ")
    preview.entries.remove(entry)
    box.append(entry.message[len("RESULT ") :])
    return json.loads(box[0])


@pytest.fixture
def probed(preview, make_project):
    project = make_project(
        "scheme",
        {
            "index.html": PROBE,
            "assets/clip.bin": BLOB,
            "js/game.js": "console.log(1)",
            "style.css": "body{}",
            "data/level.json": "{}",
            "assets/sprite.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        },
    )
    preview.open(project)
    preview.wait_message("PROBE READY")
    return project


def test_range_requests_get_206_with_the_right_bytes(preview, probed):
    whole = fetch(preview, "assets/clip.bin")
    assert (whole["status"], whole["length"]) == (200, 4096)
    part = fetch(preview, "assets/clip.bin", {"Range": "bytes=1000-1999"})
    assert part["status"] == 206
    assert part["range"] == "bytes 1000-1999/4096"
    assert (part["length"], part["first"], part["last"]) == (1000, 1000 % 256, 1999 % 256)
    tail = fetch(preview, "assets/clip.bin", {"Range": "bytes=4000-"})
    assert (tail["status"], tail["length"], tail["first"]) == (206, 96, 4000 % 256)
    assert tail["range"] == "bytes 4000-4095/4096"


def test_files_have_their_mime_types_and_a_csp(preview, probed):
    expected = {
        "index.html": "text/html",
        "js/game.js": "text/javascript",
        "style.css": "text/css",
        "data/level.json": "application/json",
        "assets/sprite.svg": "image/svg+xml",
        "assets/clip.bin": "application/octet-stream",
    }
    for path, mime in expected.items():
        result = fetch(preview, path)
        assert result["status"] == 200, path
        assert result["type"].split(";")[0] == mime, path
        assert "default-src 'self'" in result["csp"], path
        assert "connect-src 'self'" in result["csp"], path


def test_only_a_versions_own_files_are_cacheable(preview, probed):
    """A version's files never change: sent "immutable", so a version shown again comes from
    Chromium's memory. The asset library's files and drafts may change under one URL."""
    assert fetch(preview, "js/game.js")["cache"] == scheme_module.CACHE_IMMUTABLE
    assert fetch(preview, "assets/clip.bin")["cache"] == scheme_module.CACHE_IMMUTABLE
    probed.add_asset("fresh.bin", b"just added")
    assert fetch(preview, "assets/fresh.bin")["cache"] == "no-store"
    preview.entries.clear()
    preview.pane.show_draft({"index.html": PROBE.encode()}, probed.head)
    preview.wait_message("PROBE READY")
    assert fetch(preview, "index.html")["cache"] == "no-store"
    assert fetch(preview, "js/game.js")["cache"] == "no-store"  # the base version's, in a draft


def test_a_copied_project_is_never_cached(preview, make_project, tmp_path):
    """A copy keeps its origin and its version ids, and may commit other files under them:
    once two copies used one origin this session, none of its files is cacheable."""
    original = make_project("original", {"index.html": PROBE, "level.txt": "one"})
    preview.open(original)
    preview.wait_message("PROBE READY")
    assert fetch(preview, "level.txt")["cache"] == scheme_module.CACHE_IMMUTABLE
    shutil.copytree(original.path, tmp_path / "copy")
    copy = Project.open(tmp_path / "copy")
    try:
        assert project_origin(copy) == project_origin(original)
        preview.open(copy)
        preview.wait_message("PROBE READY")
        assert fetch(preview, "level.txt")["cache"] == "no-store"
    finally:
        preview.session.close()
        copy.close()


def test_missing_files_are_404_and_reported(preview, probed):
    # (reading the body finishes too: QtWebEngine alone would never end it)
    missing = fetch(preview, "nope.js")
    assert (missing["status"], missing["length"]) == (404, 0)
    assert fetch(preview, "assets/nope.png")["status"] == 404
    assert fetch(preview, "../../etc/passwd")["status"] == 404
    preview.qtbot.waitUntil(lambda: len(preview.pane.errors()) >= 2)
    errors = preview.pane.errors()
    assert {
        "message": "File not found: nope.js",
        "source": "nope.js",
        "line": 0,
        "kind": "resource",
    } in errors


def test_assets_fall_back_to_the_project_library(preview, probed):
    probed.add_asset("fresh.bin", b"just added")
    result = fetch(preview, "assets/fresh.bin")
    assert (result["status"], result["length"]) == (200, len(b"just added"))
    # A version's own copy wins over the library's.
    probed.add_asset("clip.bin", b"library copy")
    assert fetch(preview, "assets/clip.bin")["length"] == 4096


def test_a_draft_is_served_over_its_base_version_then_dropped(preview, probed):
    """A draft's own files, else its base version's (assets too), else the library; a file
    none has is a 404 named in the console; with the same CSP; gone once it ends."""
    base = probed.head
    draft = {"index.html": PROBE.replace("Probe<", "Draft<").encode(), "extra.txt": b"draft only"}
    preview.entries.clear()
    key = preview.pane.show_draft(draft, base)
    preview.wait_message("PROBE READY")
    assert preview.wait_state("running") == "running"
    assert (preview.pane.draft, preview.pane.version_id) == (key, None)
    assert preview.js("document.title") == "Draft"
    assert preview.pane.title.text().startswith("Draft")
    own = fetch(preview, "extra.txt")
    assert (own["status"], own["length"]) == (200, len(b"draft only"))
    assert "default-src 'self'" in own["csp"]
    assert (fetch(preview, "js/game.js")["status"], fetch(preview, "style.css")["status"]) == (
        200,
        200,
    )
    assert fetch(preview, "assets/clip.bin")["length"] == 4096  # the base version's asset
    probed.add_asset("fresh.bin", b"just added")
    assert fetch(preview, "assets/fresh.bin")["length"] == len(b"just added")
    assert fetch(preview, "nope.js")["status"] == 404
    assert fetch(preview, f"studio://{project_origin(probed)}/draft999/extra.txt")["status"] == 404
    preview.qtbot.waitUntil(lambda: preview.pane.errors() != [])
    assert {"message": "File not found: nope.js", "source": "nope.js", "line": 0} in [
        {k: e[k] for k in ("message", "source", "line")} for e in preview.pane.errors()
    ]
    assert probed.versions()[-1].id == base  # nothing stored

    preview.entries.clear()
    preview.pane.end_draft(base)
    preview.wait_message("PROBE READY")
    assert (preview.pane.draft, preview.pane.version_id) == (None, base)
    assert preview.js("document.title") == "Probe"
    gone = fetch(preview, f"studio://{project_origin(probed)}/{key}/extra.txt")
    assert "error" in gone or gone["status"] == 404
    assert fetch(preview, "extra.txt")["status"] == 404  # the version never had it


def test_a_draft_of_a_project_without_versions_ends_in_the_empty_state(preview, make_project):
    project = make_project("fresh")
    preview.session.open(project)
    assert preview.pane.state == "empty"
    preview.pane.show_draft({"index.html": PROBE.encode()}, None)
    preview.wait_message("PROBE READY")
    assert fetch(preview, "index.html")["status"] == 200
    assert fetch(preview, "assets/none.png")["status"] == 404
    preview.pane.end_draft(None)
    assert preview.pane.state == "empty" and preview.pane.draft is None
    assert preview.pane.title.text() == "No game"


def test_draft_urls_are_read_like_version_urls():
    assert split_url(QUrl("studio://p1/draft7/js/a.js")) == ("p1", "draft7", "js/a.js")
    assert split_url(QUrl("studio://p1/3/index.html")) == ("p1", 3, "index.html")
    assert split_url(QUrl("studio://p1/drafty/index.html")) is None
    assert relative_source("studio://p1/draft7/js/a.js?x=1") == "js/a.js"


def test_a_missing_index_is_reported(preview, make_project):
    project = make_project("empty", {"readme.txt": "no game here"})
    preview.open(project)
    assert preview.pane.state == "failed"
    assert "index.html" in preview.pane.stage.overlay.text.text()


@pytest.mark.parametrize("layers", ["all", "handler-only", "handler-only, cached"])
def test_a_game_cannot_read_another_projects_files(preview, make_project, monkeypatch, layers):
    """With the CSP and the request guard out of the way the scheme handler still refuses
    a page of one origin reading another's files (and its control: same-origin works), also
    when the other's files were shown in this page before (held in Chromium's cache)."""
    if layers.startswith("handler-only"):
        monkeypatch.delitem(scheme_module.RESPONSE_HEADERS, "Content-Security-Policy")
        monkeypatch.setattr(profile_module, "allowed", lambda *args: True)
    secret = make_project("secret", {"index.html": PROBE, "secret.txt": "top secret"})
    if layers.endswith("cached"):
        preview.open(secret)
        preview.wait_message("PROBE READY")
        shown = fetch(preview, "secret.txt")
        assert (shown["status"], shown["cache"]) == (200, scheme_module.CACHE_IMMUTABLE)
        preview.session.close()  # closes it
        secret = make_project.reopen(secret)
    preview.pane.handler.mount(secret)  # as if another pane showed it
    try:
        project = make_project("thief", {"index.html": PROBE})
        preview.open(project)
        preview.wait_message("PROBE READY")
        stolen = fetch(preview, f"studio://{project_origin(secret)}/1/secret.txt")
        assert "error" in stolen or stolen["status"] >= 400
        own = fetch(preview, f"studio://{project_origin(project)}/1/index.html")
        assert own["status"] == 200
    finally:
        preview.pane.handler.unmount(secret)


def test_mime_types():
    assert mime_type("a.html") == "text/html; charset=utf-8"
    assert mime_type("a.JS") == "text/javascript; charset=utf-8"
    assert mime_type("x.webm") == "video/webm"
    assert mime_type("x.wasm") == "application/wasm"
    assert mime_type("x.png") == "image/png"
    assert mime_type("noext") == "application/octet-stream"


def test_chromium_flags_cap_the_js_heap_and_keep_the_sandbox_unless_root(monkeypatch):
    monkeypatch.delenv("QTWEBENGINE_CHROMIUM_FLAGS", raising=False)
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    flags = chromium_flags()
    assert "--no-sandbox" not in flags
    assert "--js-flags=--max-old-space-size=512" in flags
    assert "--force-webrtc-ip-handling-policy=disable_non_proxied_udp" in flags
    monkeypatch.setattr("os.geteuid", lambda: 0)
    assert "--no-sandbox" in chromium_flags()


def test_chromium_flags_keep_the_network_defence_whatever_the_environment_says(monkeypatch):
    """A proxy or resolver rule from QTWEBENGINE_CHROMIUM_FLAGS would reopen the network to
    games; it is dropped, and the sandbox's own switches always come last."""
    monkeypatch.setenv(
        "QTWEBENGINE_CHROMIUM_FLAGS",
        '--log-net-log=/tmp/n.json "--proxy-server=direct://" --no-proxy-server '
        '--host-resolver-rules="MAP * 127.0.0.1" --force-webrtc-ip-handling-policy=default',
    )
    flags = chromium_flags()
    assert flags.startswith("--log-net-log=/tmp/n.json ")
    assert "direct://" not in flags and "--no-proxy-server" not in flags
    assert "127.0.0.1" not in flags and "=default" not in flags
    assert flags.endswith(" ".join([*SANDBOX_NETWORK_SWITCHES, WEBRTC_POLICY]))


def test_the_gpu_thread_is_not_started_without_a_gpu_device(monkeypatch):
    monkeypatch.delenv("QTWEBENGINE_CHROMIUM_FLAGS", raising=False)
    monkeypatch.setattr(startup_module, "has_gpu_device", lambda: False)
    assert "--disable-gpu" in chromium_flags().split()
    monkeypatch.setattr(startup_module, "has_gpu_device", lambda: True)
    assert "--disable-gpu" not in chromium_flags().split()
    monkeypatch.setattr(startup_module, "has_gpu_device", lambda: False)
    monkeypatch.setenv("QTWEBENGINE_CHROMIUM_FLAGS", "--ignore-gpu-blocklist")
    assert "--disable-gpu" not in chromium_flags().split()  # the person chose their own
