"""The server side of a WebSocket (RFC 6455) over a `http.server` request, standard library
only, for the local test servers that push events (ComfyUI's `/ws`).

What is implemented, by section of RFC 6455: the opening handshake (4.2: `Upgrade`,
`Sec-WebSocket-Key`, the `Sec-WebSocket-Accept` answer), base framing (5.2) with client
masking (5.3, frames from a client must be masked), text and binary data frames (5.6),
ping/pong (5.5.2-3) and the closing handshake (5.5.1, 7). Messages from the client are read
whole (fragments are joined). No extensions (no permessage-deflate) are negotiated.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import struct
import threading
from http.server import BaseHTTPRequestHandler
from typing import BinaryIO

__all__ = ["WebSocket", "accept"]

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3
TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


class WebSocket:
    """One open connection. `send_*` may be called from any thread."""

    def __init__(self, rfile: BinaryIO, wfile: BinaryIO) -> None:
        self._rfile = rfile
        self._wfile = wfile
        self._lock = threading.Lock()
        self.closed = threading.Event()

    def send_text(self, text: str) -> bool:
        return self._send(TEXT, text.encode())

    def send_binary(self, data: bytes) -> bool:
        return self._send(BINARY, data)

    def close(self, code: int = 1000) -> None:
        """Send a close frame (once) and stop; the handler's `serve` then returns."""
        if not self.closed.is_set():
            self._send(CLOSE, struct.pack(">H", code))
            self.closed.set()

    def _send(self, opcode: int, payload: bytes) -> bool:
        """A server's frames are never masked (section 5.1). False when the peer is gone."""
        length = len(payload)
        if length < 126:
            header = struct.pack(">BB", 0x80 | opcode, length)
        elif length < 1 << 16:
            header = struct.pack(">BBH", 0x80 | opcode, 126, length)
        else:
            header = struct.pack(">BBQ", 0x80 | opcode, 127, length)
        with self._lock:
            if self.closed.is_set():
                return False
            try:
                self._wfile.write(header + payload)
                self._wfile.flush()
                return True
            except OSError:
                self.closed.set()
                return False

    def _read_exact(self, n: int) -> bytes:
        data = self._rfile.read(n)
        if data is None or len(data) < n:
            raise ConnectionError("the client went away")
        return data

    def _read_frame(self) -> tuple[bool, int, bytes]:
        first, second = self._read_exact(2)
        fin, opcode = bool(first & 0x80), first & 0x0F
        if not second & 0x80:
            raise ConnectionError("a client frame was not masked (RFC 6455 5.1)")
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack(">H", self._read_exact(2))
        elif length == 127:
            (length,) = struct.unpack(">Q", self._read_exact(8))
        mask = self._read_exact(4)
        data = self._read_exact(length)
        return fin, opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))

    def receive(self) -> tuple[int, bytes] | None:
        """The next whole message from the client as (opcode, payload); pings are answered
        here; None once the client closed (or went away)."""
        message, kind = b"", 0
        try:
            while True:
                fin, opcode, data = self._read_frame()
                if opcode == PING:
                    self._send(PONG, data)
                    continue
                if opcode == PONG:
                    continue
                if opcode == CLOSE:
                    self.close()  # echo the close (section 5.5.1)
                    return None
                if opcode in (TEXT, BINARY):
                    message, kind = data, opcode
                else:  # a continuation frame
                    message += data
                if fin:
                    return kind, message
        except (ConnectionError, OSError, ValueError):
            self.closed.set()
            return None


def accept(handler: BaseHTTPRequestHandler) -> WebSocket | None:
    """Answer the opening handshake of `handler`'s request (section 4.2.2); None (after a
    400) when it is not a WebSocket upgrade."""
    headers = handler.headers
    key = headers.get("Sec-WebSocket-Key", "")
    upgrade = headers.get("Upgrade", "").lower() == "websocket"
    connection = "upgrade" in headers.get("Connection", "").lower()
    if not (key and upgrade and connection and headers.get("Sec-WebSocket-Version") == "13"):
        body = b"Expected a WebSocket upgrade"
        handler.send_response(400)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        return None
    digest = hashlib.sha1((key + _GUID).encode()).digest()
    handler.send_response(101, "Switching Protocols")
    handler.send_header("Upgrade", "websocket")
    handler.send_header("Connection", "Upgrade")
    handler.send_header("Sec-WebSocket-Accept", base64.b64encode(digest).decode())
    handler.end_headers()
    with contextlib.suppress(OSError):
        handler.wfile.flush()
    handler.close_connection = True  # after the socket closes, the HTTP connection ends too
    return WebSocket(handler.rfile, handler.wfile)
