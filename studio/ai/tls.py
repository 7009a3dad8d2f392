"""One TLS context for the HTTP clients Studio makes for itself.

Building one reads the system's CA certificates (18 ms on the GUI thread, measured while an
answer streams: the longest block of a generation, made for every context-window probe). So
it is made once, in a worker thread, and shared: an `ssl.SSLContext` may serve many clients.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from typing import Any

import httpx2


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The context httpx2 would make for `verify=True` (it honours SSL_CERT_FILE/DIR)."""
    return httpx2.create_ssl_context()


async def http_client(**options: Any) -> httpx2.AsyncClient:
    """An `httpx2.AsyncClient(**options)` with the shared context, made off the event loop's
    thread the first time."""
    return httpx2.AsyncClient(verify=await asyncio.to_thread(tls_context), **options)
