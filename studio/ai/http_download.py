"""Fetching a service's result from a URL to a file, streamed, whole or not at all.

Services hand finished media out as URLs that often live minutes, so a provider fetches at
once. The bytes go to a temporary file beside `dest`, renamed only when all of them came
(as many as Content-Length said): a download cut off halfway leaves nothing behind. Whether
the file is a playable video is checked after, when the queue imports it. A result that
came inside an answer (base64 in JSON) is written the same way, whole or not at all
(`write_whole`); a small one (a picture) is fetched into memory with `fetch_bytes`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import httpx2

from studio.ai.services import ServiceError

CHUNK = 1 << 20
TIMEOUT = httpx2.Timeout(60.0, connect=15.0)


async def stream_to_file(
    url: str,
    dest: Path,
    *,
    headers: Mapping[str, str] | None = None,
    client: httpx2.AsyncClient | None = None,
    error: type[ServiceError] = ServiceError,
) -> Path:
    """Download `url` to `dest`; raise `error` with kind "expired" (403/404/410: the service
    dropped or no longer signs it), "auth" (401), "server" (5xx) or "unreachable" (no
    connection, cut off)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    own = client is None
    client = client or httpx2.AsyncClient(timeout=TIMEOUT, follow_redirects=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            async with client.stream("GET", url, headers=dict(headers or {})) as response:
                _check_status(response.status_code, error)
                expected = response.headers.get("content-length")
                got = 0
                async for chunk in response.aiter_bytes(CHUNK):
                    out.write(chunk)
                    got += len(chunk)
            if expected is not None and expected.isdigit() and got != int(expected):
                raise error("unreachable", f"The download was cut off ({got} of {expected} bytes).")
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(dest)
        return dest
    except httpx2.HTTPError as exc:
        raise error("unreachable", f"The download failed: {exc or type(exc).__name__}.") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if own:
            await client.aclose()


async def fetch_bytes(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    error: type[ServiceError] = ServiceError,
) -> bytes:
    """A small result (a picture) in memory, fetched and checked as `stream_to_file` does."""
    with tempfile.TemporaryDirectory(prefix="studio-fetch-") as folder:
        path = await stream_to_file(url, Path(folder) / "result", headers=headers, error=error)
        return await asyncio.to_thread(path.read_bytes)


def write_whole(dest: Path, data: bytes) -> Path:
    """Write `data` to `dest` through a temporary file renamed at the end: whole or nothing
    (blocking: call it on a worker thread)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return dest


def _check_status(status: int, error: type[ServiceError]) -> None:
    if status < 400:
        return
    if status == 401:
        raise error("auth", "The service refused the key when fetching the result.")
    if status in (403, 404, 410):
        raise error("expired", "The result is no longer on the service (its link expired).")
    if status >= 500:
        raise error("server", f"The service failed to hand out the result (HTTP {status}).")
    raise error("failed", f"The service refused to hand out the result (HTTP {status}).")
