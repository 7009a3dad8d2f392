"""The Gemini image provider (plugin studio-veo) through the real `google-genai` SDK against
the local Google server (studio.testing.servers.veo)."""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import studio_veo
from studio_veo.images import GeminiImageProvider

from studio.ai.image_provider import (
    ImageError,
    ImageRequest,
    image_capabilities_of,
    make_image_provider,
)
from studio.testing.pictures import png
from studio.testing.servers.veo import GoogleServer
from tests.services.conftest import GOOGLE_KEY

PHOTO = png(48, 48, (250, 200, 150))
MakeProvider = Callable[..., GeminiImageProvider]


@pytest.fixture
def server() -> Iterator[GoogleServer]:
    with GoogleServer(b"", api_key=GOOGLE_KEY) as server:
        yield server


@pytest.fixture
def make(pointed: Callable[..., Any], server: GoogleServer) -> MakeProvider:
    return lambda **options: pointed(GeminiImageProvider, server, **{"timeout": 10, **options})


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


async def test_pictures_from_a_prompt(make: MakeProvider, server: GoogleServer) -> None:
    results = await make().generate(
        ImageRequest("a knight, pixel art", size="1376x768", count=2, seed=5)
    )
    assert [png_size(r.data) for r in results] == [(1376, 768)] * 2
    assert {r.mime for r in results} == {"image/png"}
    assert results[0].data != results[1].data  # a seed each: 5 and 6

    calls = server.calls(":generateContent")
    assert {c.path for c in calls} == {"/v1/models/gemini-3.1-flash-image:generateContent"}
    assert {c.headers["x-goog-api-key"] for c in calls} == {GOOGLE_KEY}
    configs = sorted((c.body["generationConfig"] for c in calls), key=lambda g: g["seed"])
    assert configs[0] == {
        "responseModalities": ["IMAGE"],
        "imageConfig": {"aspectRatio": "16:9", "imageSize": "1K"},
        "seed": 5,
    }
    assert configs[1]["seed"] == 6
    assert calls[0].body["contents"] == [
        {"role": "user", "parts": [{"text": "a knight, pixel art"}]}
    ]


async def test_edit_sends_the_pictures(make: MakeProvider, server: GoogleServer) -> None:
    (result,) = await make(model="gemini-3-pro-image").generate(
        ImageRequest("this person as a 32-pixel hero", inputs=(PHOTO,), size="2048x2048")
    )
    assert png_size(result.data) == (2048, 2048)
    (call,) = server.calls(":generateContent")
    assert call.path == "/v1/models/gemini-3-pro-image:generateContent"
    text, picture = call.body["contents"][0]["parts"]
    assert text == {"text": "this person as a 32-pixel hero"}
    inline = picture["inlineData"]
    assert inline.get("mimeType", inline.get("mime_type")) == "image/png"  # proto3 takes both
    assert base64.urlsafe_b64decode(inline["data"]) == PHOTO
    assert call.body["generationConfig"]["imageConfig"] == {"aspectRatio": "1:1", "imageSize": "2K"}


async def test_agent_platform(make: MakeProvider, server: GoogleServer) -> None:
    (result,) = await make(platform="agent-platform").generate(ImageRequest("a castle"))
    assert png_size(result.data) == (1024, 1024)  # no size asked: the model's default
    (call,) = server.calls(":generateContent")
    assert call.path == "/v1beta1/publishers/google/models/gemini-3.1-flash-image:generateContent"


async def test_refusals(make: MakeProvider, server: GoogleServer) -> None:
    provider = make()
    with pytest.raises(ImageError) as prompt:
        await provider.generate(ImageRequest("a violent scene"))
    assert prompt.value.kind == "rejected" and "PROHIBITED_CONTENT" in str(prompt.value)
    with pytest.raises(ImageError) as picture:
        await provider.generate(ImageRequest("a [unsafe picture]"))
    assert picture.value.kind == "rejected" and "IMAGE_SAFETY" in str(picture.value)


@pytest.mark.parametrize(
    ("request_", "model", "kind", "words"),
    [
        (ImageRequest("x", mask=PHOTO, inputs=(PHOTO,)), None, "unsupported", "masks"),
        (ImageRequest("x", transparent=True), None, "unsupported", "transparent"),
        (ImageRequest("x", size="1000x1000"), None, "bad_request", "1024x1024"),
        (ImageRequest("x", count=5), None, "bad_request", "1 to 4"),
        (ImageRequest("x", inputs=(b"not a picture",)), None, "bad_request", "PNG"),
        (
            ImageRequest("x"),
            "imagen-4.0-generate-001",
            "gone",
            "2026-08-17; pick gemini-3.1-flash-image",
        ),
    ],
)
async def test_what_cannot_be_done_is_refused_before_sending(
    make: MakeProvider,
    server: GoogleServer,
    request_: ImageRequest,
    model: str | None,
    kind: str,
    words: str,
) -> None:
    with pytest.raises(ImageError) as caught:
        await make(model=model).generate(request_)
    assert caught.value.kind == kind and words in str(caught.value)
    assert server.requests == []


async def test_rate_limit_and_key(make: MakeProvider, server: GoogleServer) -> None:
    server.rate_limited = 1
    with pytest.raises(ImageError) as limited:
        await make().generate(ImageRequest("a cat"))
    assert limited.value.kind == "rate_limited" and limited.value.retry_after == 2.0
    with pytest.raises(ImageError) as refused:
        await make(api_key="AIza-wrong-0000").check()
    assert refused.value.kind == "auth" and "check the key in Google AI Studio" in str(
        refused.value
    )
    await make().check()
    assert server.requests[-1].path == "/v1/models/gemini-3.1-flash-image"


def test_capabilities_and_prices() -> None:
    provider = GeminiImageProvider(api_key=GOOGLE_KEY)
    caps = image_capabilities_of(provider)
    assert caps.models == ("gemini-3.1-flash-image", "gemini-3-pro-image")
    assert "1024x1024" in caps.sizes and caps.edit and caps.max_inputs == 14 and not caps.mask
    assert caps.prices["gemini-3.1-flash-image"].cost("1024x1024", 2) == pytest.approx(0.134)
    assert (
        image_capabilities_of(provider, "gemini-3-pro-image").prices[""].cost("4096x4096") == 0.24
    )


async def test_registered_through_the_plugin_host(server: GoogleServer, studio_plugin_host) -> None:
    host = studio_plugin_host(studio_veo)
    provider = make_image_provider(
        host, "gemini-image", {"base_url": server.base_url, "api_key": GOOGLE_KEY}
    )
    try:
        (result,) = await provider.generate(ImageRequest("a cat"))
        assert png_size(result.data) == (1024, 1024)
    finally:
        await provider.aclose()
