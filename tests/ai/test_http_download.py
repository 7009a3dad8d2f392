"""`stream_to_file` against a real HTTP server on 127.0.0.1: a whole file (with and without
Content-Length, through a redirect, with the headers given), a download cut off halfway
(nothing left behind, an older file kept), and each HTTP failure as its error kind."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.ai.http_download import stream_to_file
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
            self.send_response(302)
            self.send_header("Location", "/clip.mp4")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path.startswith("/status/"):
            self._send_json(int(path.rsplit("/", 1)[1]), {"error": {"message": "no"}})
        else:
            self._send_json(404, {"error": {"message": "unknown"}})

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
