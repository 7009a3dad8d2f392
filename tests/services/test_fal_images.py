"""The fal plugin's image provider through the real `fal-client` against a local fal server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from studio_fal.images import FalImageProvider

from studio.ai.image_provider import ImageError, ImageProvider, ImageRequest
from studio.testing.pictures import png
from studio.testing.servers.fal import FalServer

PHOTO = png(12, 12, (250, 200, 10))
Make = Callable[..., FalImageProvider]


@pytest.fixture
def server(fal_server: FalServer) -> FalServer:
    fal_server.picture = png(6, 4, (1, 2, 3))
    fal_server.queue_ahead, fal_server.steps = 0, 1  # pictures come quickly
    return fal_server


@pytest.fixture
def make(pointed: Callable[..., Any], server: FalServer) -> Make:
    return lambda **options: pointed(FalImageProvider, server, **options)


def test_capabilities_and_prices() -> None:
    provider = FalImageProvider(api_key="k")
    assert isinstance(provider, ImageProvider)
    flux = provider.capabilities  # FLUX.1 [dev]: $0.025 a megapixel
    assert flux.prices["fal-ai/flux-1/dev"].cost("1280x720", 2) == pytest.approx(0.046)
    banana = provider.capabilities_for("google/nano-banana-2.1")
    assert banana.edit and banana.max_inputs == 14
    cutout = provider.capabilities_for("fal-ai/bria/background/remove")
    assert cutout.transparent and cutout.max_inputs == 1


async def test_flux_makes_pictures_of_the_size_asked(make: Make, server: FalServer) -> None:
    pictures = await make().generate(
        ImageRequest("a pixel-art castle", size="1280x720", count=2, seed=5)
    )
    assert [p.data for p in pictures] == [server.picture] * 2
    assert {p.mime for p in pictures} == {"image/png"}
    request = server.only()
    assert request.endpoint == "fal-ai/flux-1/dev"
    assert request.arguments == {
        "prompt": "a pixel-art castle",
        "num_images": 2,
        "seed": 5,
        "image_size": {"width": 1280, "height": 720},
    }


async def test_gemini_image_edits_uploaded_pictures(make: Make, server: FalServer) -> None:
    second = png(5, 5, (9, 9, 9))
    banana = "google/nano-banana-2.1"
    request = ImageRequest("a hat on it", model=banana, size="720x1280", inputs=(PHOTO, second))
    (picture,) = await make().generate(request)
    assert picture.data == server.picture
    sent = server.only()
    assert sent.endpoint == "google/nano-banana-2.1/edit"
    assert sent.images == {"image_urls": [PHOTO, second]}
    assert sent.arguments["aspect_ratio"] == "9:16"


async def test_background_removal(make: Make, server: FalServer) -> None:
    request = ImageRequest("", model="fal-ai/bria/background/remove", inputs=(PHOTO,))
    (picture,) = await make().generate(request)
    assert picture.data == server.picture
    sent = server.only()
    assert sent.images == {"image_url": [PHOTO]} and "prompt" not in sent.arguments


async def test_what_a_model_cannot_do_is_refused(make: Make, server: FalServer) -> None:
    provider = make()
    cases = [
        (ImageRequest("x", transparent=True), "unsupported", "bria/background/remove"),
        (ImageRequest("x", inputs=(PHOTO,), mask=PHOTO), "unsupported", "mask"),
        (ImageRequest("x", inputs=(PHOTO,)), "unsupported", "at most 0 input"),
        (ImageRequest("x", count=5), "bad_request", "at most 4"),
        (ImageRequest("x", model="fal-ai/bria/background/remove"), "bad_request", "picture"),
    ]
    for request, kind, words in cases:
        with pytest.raises(ImageError) as caught:
            await provider.generate(request)
        assert caught.value.kind == kind and words in str(caught.value)
    assert server.requests == []


async def test_a_refused_prompt(make: Make, server: FalServer) -> None:
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest("a violent castle"))
    assert caught.value.kind == "rejected"
    assert str(caught.value).startswith("fal refused the request: The content was flagged")


async def test_passing_troubles_are_waited_out_and_lasting_ones_reported(
    make: Make, server: FalServer
) -> None:
    server.fail_polls = 2
    assert len(await make().generate(ImageRequest("a castle"))) == 1
    server.fail_polls = 10
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest("a castle"))
    assert caught.value.kind == "server"


async def test_a_slow_request_is_cancelled_on_fal(make: Make, server: FalServer) -> None:
    server.hold.set()
    with pytest.raises(ImageError) as caught:
        await make(wait=0.6).generate(ImageRequest("a slow castle"))
    assert caught.value.kind == "unreachable" and "0.6 seconds" in str(caught.value)
    assert server.only().cancelled


async def test_a_cancelled_generate_cancels_on_fal(make: Make, server: FalServer) -> None:
    server.hold.set()
    task = asyncio.ensure_future(make().generate(ImageRequest("a castle")))
    while not server.jobs:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert server.only().cancelled


async def test_no_credit_and_expired_pictures(make: Make, server: FalServer) -> None:
    server.quota_exhausted = True
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest("a castle"))
    assert caught.value.kind == "quota"
    server.quota_exhausted = False
    server.expired = True
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest("a castle"))
    assert caught.value.kind == "expired"
