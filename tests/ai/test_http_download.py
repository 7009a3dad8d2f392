"""`stream_to_file` against a real HTTP server on 127.0.0.1: a whole file (with and without
Content-Length, through a redirect, with the headers given), headers never following a
redirect to another origin, the file written off the event loop's thread, a download cut
off halfway (nothing left behind, an older file kept), and each HTTP failure as its kind."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from studio.ai.http_download import key_for, stream_to_file
from studio.ai.services import ServiceError
from studio.ai.video_provider import VideoError
from studio.testing.servers.base import LocalHandler, LocalServer

BODY = os.urandom(3 * (1 << 20) + 123)  # over three of the downloader's 1 MiB chunks


class _Handler(LocalHandler):
    owner: FileServer

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        self.owner.seen.append({k.lower(): v for k, v in self.headers.items()})
        path = self.path
        if path == "/clip.mp4":
            self._send(BODY, length=len(BODY))
        elif path == "/chunked.mp4":  # no Content-Length: the end of the stream is the end
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(BODY), 65536):
                part = BODY[start : start + 65536]
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/cut.mp4":  # promises the whole file, sends half, hangs up
            self._send(BODY[: len(BODY) // 2], length=len(BODY))
            self.close_connection = True
        elif path == "/moved":
            self._redirect("/clip.mp4")
        elif path == "/elsewhere":  # to the other server: another port, another origin
            self._redirect(self.owner.other.url("/clip.mp4"))
        elif path == "/round-trip":  # there and back again
            self._redirect(self.owner.other.url("/back"))
        elif path == "/back":
            self._redirect(self.owner.other.url("/clip.mp4"))
        elif path.startswith("/status/"):
            self._send_json(int(path.rsplit("/", 1)[1]), {"error": {"message": "no"}})
        else:
            self._send_json(404, {"error": {"message": "unknown"}})

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, data: bytes, *, length: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(data)


class FileServer(LocalServer):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.seen: list[dict[str, str]] = []
        self.other: FileServer = self  # where /elsewhere and /back lead

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def server() -> Iterator[FileServer]:
    with FileServer() as server:
        yield server


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("path", ["/clip.mp4", "/chunked.mp4", "/moved"])
async def test_the_whole_file_arrives(server: FileServer, tmp_path: Path, path: str) -> None:
    dest = tmp_path / "out" / "clip.mp4"
    got = await stream_to_file(server.url(path), dest, headers={"Authorization": "Bearer k"})
    assert got == dest and dest.read_bytes() == BODY
    assert leftovers(dest.parent) == ["clip.mp4"]  # no temporary file left
    assert server.seen[-1]["authorization"] == "Bearer k"


@pytest.fixture
def two() -> Iterator[tuple[FileServer, FileServer]]:
    with FileServer() as first, FileServer() as second:
        first.other, second.other = second, first
        yield first, second


async def test_headers_given_never_follow_a_redirect_to_another_origin(
    two: tuple[FileServer, FileServer], tmp_path: Path
) -> None:
    first, second = two
    key = {"x-goog-api-key": "AIza-secret", "Authorization": "Bearer k"}
    await stream_to_file(first.url("/elsewhere"), tmp_path / "a.mp4", headers=key)
    assert (tmp_path / "a.mp4").read_bytes() == BODY
    assert first.seen[-1]["x-goog-api-key"] == "AIza-secret"
    assert "x-goog-api-key" not in second.seen[-1] and "authorization" not in second.seen[-1]

    # Once it has left, not even a redirect back to the first origin gets it.
    await stream_to_file(first.url("/round-trip"), tmp_path / "b.mp4", headers=key)
    asked, came_back = first.seen[-2:]
    assert asked["x-goog-api-key"] == "AIza-secret" and "x-goog-api-key" not in came_back
    assert "x-goog-api-key" not in second.seen[-1]


def test_a_key_goes_to_the_apis_own_https_origin_and_the_configured_one() -> None:
    key = {"x-goog-api-key": "k"}
    api, mine = "https://generativelanguage.googleapis.com/", "http://127.0.0.1:8080/v1"
    assert key_for("https://generativelanguage.googleapis.com/v1/files/a", key, api) == key
    assert key_for("https://generativelanguage.googleapis.com:443/f", key, api) == key
    assert key_for("http://generativelanguage.googleapis.com/f", key, api) == {}  # not http
    assert key_for("https://storage.googleapis.com/f", key, api) == {}
    assert key_for("https://generativelanguage.googleapis.com.evil.test/f", key, api) == {}
    assert key_for("http://127.0.0.1:8080/download/x", key, api, mine) == key
    assert key_for("http://127.0.0.1:8081/download/x", key, api, mine) == {}


async def test_the_file_is_written_and_synced_off_the_event_loops_thread(
    server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    real_fsync, real_fdopen = os.fsync, os.fdopen

    class Recording:
        def __init__(self, file: Any) -> None:
            self.file = file

        def write(self, data: bytes) -> int:
            threads.append(threading.current_thread().name)
            return self.file.write(data)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.file, name)

        def __enter__(self) -> Recording:
            return self

        def __exit__(self, *exc: object) -> None:
            self.file.close()

    def fsync(fd: int) -> None:
        threads.append(threading.current_thread().name)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "fdopen", lambda *a, **k: Recording(real_fdopen(*a, **k)))
    await stream_to_file(server.url("/clip.mp4"), tmp_path / "clip.mp4")
    assert (tmp_path / "clip.mp4").read_bytes() == BODY
    assert len(threads) >= 5  # four chunks and the sync
    assert threading.main_thread().name not in threads


async def test_a_download_cut_off_halfway_leaves_nothing(
    server: FileServer, tmp_path: Path
) -> None:
    dest = tmp_path / "clip.mp4"
    with pytest.raises(VideoError) as caught:
        await stream_to_file(server.url("/cut.mp4"), dest, error=VideoError)
    assert caught.value.kind == "unreachable" and caught.value.transient
    assert leftovers(tmp_path) == []
    # A file already there (an earlier download) is kept as it was.
    dest.write_bytes(b"the earlier clip")
    with pytest.raises(VideoError):
        await stream_to_file(server.url("/cut.mp4"), dest, error=VideoError)
    assert dest.read_bytes() == b"the earlier clip" and leftovers(tmp_path) == ["clip.mp4"]


@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [
        (401, "auth", "refused the key"),
        (403, "expired", "no longer on the service"),
        (404, "expired", "no longer on the service"),
        (410, "expired", "no longer on the service"),
        (500, "server", "HTTP 500"),
        (503, "server", "HTTP 503"),
        (400, "failed", "HTTP 400"),
    ],
)
async def test_each_failure_has_its_kind(
    server: FileServer, tmp_path: Path, status: int, kind: str, words: str
) -> None:
    with pytest.raises(ServiceError) as caught:
        await stream_to_file(server.url(f"/status/{status}"), tmp_path / "clip.mp4")
    assert caught.value.kind == kind and words in str(caught.value)
    assert leftovers(tmp_path) == []


async def test_a_server_that_is_not_there_is_unreachable(tmp_path: Path) -> None:
    with FileServer() as gone:
        url = gone.url("/clip.mp4")
    with pytest.raises(VideoError) as caught:
        await stream_to_file(url, tmp_path / "clip.mp4", error=VideoError)
    assert caught.value.kind == "unreachable" and "download failed" in str(caught.value)
    assert leftovers(tmp_path) == []
