"""The helpers every service provider plugin shares (studio.ai.formats, sdk_client,
http_download): picture types and sizes, whose key is sent, the client made once on a
worker thread, error bodies, and results fetched whole or not at all."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from studio.ai.formats import nearest_aspect, parse_size, picture_mime, resolution_of
from studio.ai.http_download import fetch_bytes, write_whole
from studio.ai.sdk_client import LazyClient, error_detail, service_key
from studio.ai.services import ServiceError
from studio.config import keys
from studio.testing.pictures import png
from studio.testing.servers.base import LocalHandler, LocalServer

WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(20)


def test_picture_types_by_their_first_bytes() -> None:
    assert picture_mime(png(2, 2)) == "image/png"
    assert picture_mime(b"\xff\xd8\xff\xe0" + bytes(8)) == "image/jpeg"
    assert picture_mime(WEBP) == "image/webp"
    assert picture_mime(b"RIFF\x24\x00\x00\x00WAVEfmt ") is None  # a sound, not a picture
    assert picture_mime(b"GIF89a") is None and picture_mime(b"") is None


def test_sizes_as_a_services_shapes() -> None:
    assert parse_size("1920X1080") == (1920, 1080)
    assert parse_size("0x720") is None and parse_size("wide") is None and parse_size(None) is None
    assert nearest_aspect("1920x1080", ("1:1", "16:9", "9:16")) == "16:9"
    assert nearest_aspect("1000x1100", ("auto", "1:1", "16:9")) == "1:1"  # "auto" passed over
    assert nearest_aspect("1280x720", ("auto",)) is None
    assert resolution_of("720x1280", ("480p", "720p")) == "720p"
    assert resolution_of("1000x1000", ("720p",)) is None


def test_the_key_sent_to_a_service(monkeypatch: pytest.MonkeyPatch, config_dir, no_keyring) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-to-another-service")
    monkeypatch.delenv("SVC_KEY", raising=False)
    monkeypatch.delenv("MY_KEY", raising=False)
    assert service_key("svc", None, "SVC_KEY") is None  # never OPENAI_API_KEY
    monkeypatch.setenv("SVC_KEY", "from-the-service-variable")
    assert service_key("svc", None, ("OTHER", "SVC_KEY")) == "from-the-service-variable"
    keys.set_api_key("svc", "stored")
    assert service_key("svc", None, "SVC_KEY") == "stored"  # stored before the service's own
    monkeypatch.setenv("MY_KEY", " named ")
    assert service_key("svc", None, "SVC_KEY", named_env="MY_KEY") == "named"
    assert service_key("svc", "given", "SVC_KEY", named_env="MY_KEY") == "given"
    assert service_key(None, None) is None  # no name: nothing stored is looked up


class _Client:
    closed = False

    async def aclose(self) -> None:
        self.closed = True


async def test_a_lazy_client_is_made_once_on_a_worker_thread() -> None:
    threads: list[threading.Thread] = []

    def make() -> _Client:
        threads.append(threading.current_thread())
        return _Client()

    lazy = LazyClient(make, service="Test", error=ServiceError)
    assert not lazy.ready
    first, second = await asyncio.gather(lazy.get(), lazy.get())
    assert first is second and lazy.ready
    assert threads != [threading.main_thread()] and len(threads) == 1
    await lazy.aclose()
    assert first.closed and not lazy.ready


async def test_a_lazy_client_that_cannot_start_says_why_and_tries_again() -> None:
    attempts: list[int] = []

    def make() -> _Client:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("[Errno 2] no such file: /secret-token-1234/cert.pem")
        return _Client()

    closed: list[_Client] = []

    async def close(client: _Client) -> None:
        closed.append(client)

    lazy = LazyClient(
        make, service="Test", error=ServiceError, close=close, secrets=["secret-token-1234"]
    )
    with pytest.raises(ServiceError) as caught:
        await lazy.get()
    assert caught.value.kind == "unsupported"
    assert str(caught.value) == "The Test provider cannot start: no such file: /***/cert.pem."
    client = await lazy.get()
    await lazy.aclose()
    assert closed == [client]


def test_error_details_in_each_services_shape() -> None:
    assert error_detail({"error": "Bad ratio."}) == "Bad ratio."
    assert error_detail({"error": {"message": "Quota", "type": "x"}}) == "Quota"
    fastapi = [
        {"loc": ["body", "prompt"], "msg": "field required.", "type": "missing"},
        {"loc": ["body"], "msg": "", "type": "content_policy_violation"},
    ]
    assert error_detail({"detail": fastapi}) == "prompt: field required; content_policy_violation"
    assert error_detail(" plain words ") == "plain words" and error_detail(None) == ""


class _Files(LocalHandler):
    def _handle(self, method: str) -> None:
        data = png(32, 32)
        self.send_bytes(data, "image/png", cut=self.path == "/cut")


async def test_results_are_fetched_whole_or_not_at_all(tmp_path: Path) -> None:
    with LocalServer(_Files) as server:
        assert await fetch_bytes(f"{server.root}/whole") == png(32, 32)
        with pytest.raises(ServiceError) as caught:
            await fetch_bytes(f"{server.root}/cut")
    assert caught.value.kind == "unreachable" and "download" in str(caught.value)
    dest = write_whole(tmp_path / "deep" / "clip.mp4", b"whole")
    assert dest.read_bytes() == b"whole" and list(dest.parent.iterdir()) == [dest]
