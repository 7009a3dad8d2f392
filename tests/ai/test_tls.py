"""The shared TLS context: made once, verifying as httpx2's own default does."""

from __future__ import annotations

import asyncio
import ssl

from studio.ai.tls import http_client, tls_context


def test_the_context_is_made_once_and_verifies_certificates():
    context = tls_context()
    assert context is tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_clients_share_it():
    async def make() -> list:
        clients = [await http_client(timeout=5.0) for _ in range(2)]
        contexts = [c._transport._pool._ssl_context for c in clients]
        for c in clients:
            await c.aclose()
        return contexts

    first, second = asyncio.run(make())
    assert first is second is tls_context()
