"""The OpenAI Images provider against a real local server, through the real openai client."""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from PIL import Image

from studio.ai.image_openai import OpenAIImageProvider, create_provider, picture_mime
from studio.ai.image_openai_models import LEGACY_MODELS
from studio.ai.image_provider import (
    ImageError,
    ImageProvider,
    ImageRequest,
    image_capabilities_of,
    make_image_provider,
)
from studio.plugins.host import PluginHost
from studio.testing.servers.image_paint import GROUND, png_bytes, prompt_colour
from studio.testing.servers.images import ImageServer

KEY = "sk-test-images-SECRET-7d21"

MakeProvider = Callable[..., OpenAIImageProvider]


@pytest.fixture
def server() -> Iterator[ImageServer]:
    with ImageServer(api_key=KEY) as server:
        yield server


@pytest.fixture
async def make(server: ImageServer) -> AsyncIterator[MakeProvider]:
    made: list[OpenAIImageProvider] = []

    def build(**kwargs: Any) -> OpenAIImageProvider:
        kwargs.setdefault("base_url", server.base_url)
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("max_retries", 0)
        provider = OpenAIImageProvider(**kwargs)
        made.append(provider)
        return provider

    yield build
    for provider in made:
        await provider.aclose()


def picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def near(pixel: tuple[int, ...], colour: tuple[int, ...], tolerance: int = 3) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=False))


def solid(colour: tuple[int, int, int], size: tuple[int, int] = (64, 64)) -> bytes:
    return png_bytes(Image.new("RGBA", size, (*colour, 255)))


# -- generating ------------------------------------------------------------------------------


async def test_generate_a_transparent_picture_as_b64_json(make, server) -> None:
    provider = make()
    assert isinstance(provider, ImageProvider)
    request = ImageRequest("a knight in red", size="1024x1536", transparent=True)
    (result,) = await provider.generate(request)

    (call,) = server.pictures_asked()
    assert call.path == "/v1/images/generations"
    assert call.headers["authorization"] == f"Bearer {KEY}"
    assert call.fields == {
        "prompt": "a knight in red",
        "model": "gpt-image-1.5",
        "size": "1024x1536",
        "quality": "medium",
        "background": "transparent",
        "output_format": "png",
    }
    assert result.mime == "image/png" and picture_mime(result.data) == "image/png"
    image = picture(result.data)
    assert image.size == (1024, 1536) and image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0  # nothing behind the figure
    # The figure stands on 1536 - 1536/16; its body is 8 units (of 768/16) above that.
    body = image.getpixel((512, 1440 - 8 * 48))
    assert near(body, (*prompt_colour("a knight in red"), 255))


async def test_opaque_pictures_several_at_once(make, server) -> None:
    results = await make(model="gpt-image-1-mini", quality="high").generate(
        ImageRequest("a coin", count=3)
    )
    assert len(results) == 3
    call = server.pictures_asked()[0]
    assert call.fields["n"] == 3 and call.fields["quality"] == "high"
    assert "background" not in call.fields
    assert near(picture(results[0].data).getpixel((0, 0)), (*GROUND, 255))


async def test_url_results_are_fetched_at_once_without_the_key(make, server) -> None:
    # dall-e-3, as a gateway may still serve it, answers a short-lived URL.
    provider = make(model="dall-e-3")
    (result,) = await provider.generate(ImageRequest("a castle", size="1792x1024"))
    assert picture(result.data).size == (1792, 1024)
    assert result.revised_prompt == "a castle."
    fetched = [c for c in server.requests if c.path.startswith("/files/")]
    assert len(fetched) == 1
    assert "authorization" not in fetched[0].headers  # the key goes to the API only
    assert "quality" in server.pictures_asked("/v1/images/generations")[0].fields
    assert server.pictures_asked("/v1/images/generations")[0].fields["quality"] == "standard"


async def test_response_format_is_sent_only_to_models_that_take_it(make, server) -> None:
    await make(model="dall-e-3", response_format="b64_json").generate(ImageRequest("a tree"))
    assert server.pictures_asked()[0].fields["response_format"] == "b64_json"
    # GPT image models refuse the field (they always answer b64_json): never sent.
    await make(response_format="url").generate(ImageRequest("a tree"))
    assert "response_format" not in server.pictures_asked()[1].fields


async def test_an_expired_url_is_an_expired_result(make, server) -> None:
    server.expired = True
    with pytest.raises(ImageError) as caught:
        await make(model="dall-e-3").generate(ImageRequest("a castle"))
    assert caught.value.kind == "expired"


# -- editing ---------------------------------------------------------------------------------


async def test_edit_with_several_pictures_and_a_mask(make, server) -> None:
    blue, green = solid((20, 40, 200)), solid((20, 200, 40))
    mask_image = Image.new("RGBA", (64, 64), (0, 0, 0, 255))
    mask_image.paste((0, 0, 0, 0), (0, 0, 32, 64))  # the left half may change
    mask = png_bytes(mask_image)
    request = ImageRequest("paint it orange", size="1024x1024", inputs=(blue, green), mask=mask)
    (result,) = await make().generate(request)

    (call,) = server.pictures_asked()
    assert call.path == "/v1/images/edits"
    assert call.headers["content-type"].startswith("multipart/form-data")
    images = call.fields["image[]"]  # how the package names several files
    assert [f["data"] for f in images] == [blue, green]
    assert [f["content_type"] for f in images] == ["image/png", "image/png"]
    assert call.fields["mask"]["data"] == mask
    assert call.fields["prompt"] == "paint it orange"
    image = picture(result.data)
    assert near(image.getpixel((1000, 500)), (20, 40, 200, 255))  # kept where the mask is opaque
    tinted = image.getpixel((20, 500))
    assert not near(tinted, (20, 40, 200, 255), 20)  # changed where it is transparent


async def test_edit_with_one_picture_sends_a_single_image_field(make, server) -> None:
    jpeg = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(jpeg, "JPEG")
    await make().generate(ImageRequest("a hero", inputs=(jpeg.getvalue(),), transparent=True))
    fields = server.pictures_asked()[0].fields
    assert fields["image"]["content_type"] == "image/jpeg"
    assert fields["image"]["filename"] == "input-1.jpg"
    assert fields["background"] == "transparent"


async def test_what_a_model_cannot_do_is_refused_before_sending(make, server) -> None:
    provider = make(model="dall-e-3")
    for request, words in (
        (ImageRequest("x", inputs=(solid((1, 2, 3)),)), "cannot change a picture"),
        (ImageRequest("x", transparent=True), "transparent background"),
        (ImageRequest("   "), "prompt is empty"),
    ):
        with pytest.raises(ImageError, match=words):
            await provider.generate(request)
    with pytest.raises(ImageError, match="at most 16"):
        await make().generate(ImageRequest("x", inputs=(solid((1, 2, 3)),) * 17))
    assert server.requests == []


# -- failures --------------------------------------------------------------------------------


async def test_a_refused_prompt(make, server) -> None:
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest("a violent battle"))
    assert caught.value.kind == "rejected"
    assert "rejected by the safety system" in str(caught.value)
    assert not caught.value.transient


async def test_rate_limit_says_how_long_to_wait(make, server) -> None:
    server.rate_limited, server.retry_after = 1, "7"
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest("a coin"))
    assert caught.value.kind == "rate_limited" and caught.value.transient
    assert caught.value.retry_after == pytest.approx(7.0)


async def test_the_clients_own_retry_honours_retry_after(make, server) -> None:
    server.rate_limited, server.retry_after = 1, "0.05"
    (result,) = await make(max_retries=1).generate(ImageRequest("a coin"))
    assert picture_mime(result.data) == "image/png"
    assert len(server.pictures_asked()) == 2


async def test_out_of_credit(make, server) -> None:
    server.quota_exhausted = True
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest("a coin"))
    assert caught.value.kind == "quota" and "billing" in str(caught.value)


async def test_a_size_the_model_does_not_make(make, server) -> None:
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest("a coin", size="1000x1000"))
    assert caught.value.kind == "bad_request"
    message = str(caught.value)
    assert "does not make that size" in message and "'1024x1536'" in message


async def test_a_model_that_was_shut_down(make, server) -> None:
    with pytest.raises(ImageError) as caught:
        await make(model="gpt-image-1").generate(ImageRequest("a coin"))
    assert caught.value.kind == "gone"
    assert "pick another model" in str(caught.value)


async def test_a_server_error_is_transient(make, server) -> None:
    server.fail_requests = 1
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest("a coin"))
    assert caught.value.kind == "server" and caught.value.transient


async def test_a_refused_key_is_never_repeated(make, server) -> None:
    wrong = "sk-wrong-SECRET-0000"
    with pytest.raises(ImageError) as caught:
        await make(api_key=wrong).generate(ImageRequest("a coin"))
    assert caught.value.kind == "auth" and "refused the API key" in str(caught.value)
    assert wrong not in str(caught.value) and KEY not in str(caught.value)


async def test_no_server_is_unreachable(make) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    provider = make(base_url=f"http://127.0.0.1:{port}/v1", timeout=5)
    with pytest.raises(ImageError) as caught:
        await provider.generate(ImageRequest("a coin"))
    assert caught.value.kind == "unreachable" and f"127.0.0.1:{port}" in str(caught.value)


# -- test connection, capabilities, keys -----------------------------------------------------


async def test_check_is_one_cheap_call(make, server) -> None:
    await make().check()
    assert [c.path for c in server.requests] == ["/v1/models/gpt-image-1.5"]
    with pytest.raises(ImageError) as caught:
        await make(api_key="sk-nope").check()
    assert caught.value.kind == "auth"
    with pytest.raises(ImageError, match="does not offer the model"):
        await make(model="my-own-model").check()


def test_capabilities_follow_the_model() -> None:
    provider = OpenAIImageProvider(base_url="http://127.0.0.1:9/v1")
    gpt = provider.capabilities
    assert gpt.transparent and gpt.edit and gpt.mask and gpt.max_inputs == 16
    assert gpt.sizes == ("1024x1024", "1536x1024", "1024x1536") and gpt.max_count == 10
    assert gpt.prices[""].cost("1024x1024") == 0.034  # gpt-image-1.5, medium
    dalle = image_capabilities_of(provider, "dall-e-3")
    assert dalle.sizes == ("1024x1024", "1792x1024", "1024x1792")
    assert not dalle.transparent and not dalle.edit and dalle.max_count == 1
    assert dalle.prices[""].cost("1792x1024") == 0.08
    snapshot = image_capabilities_of(provider, "gpt-image-2-2026-04-21")
    assert snapshot.transparent and snapshot.prices == {}  # billed by tokens: no estimate
    cheap = OpenAIImageProvider(model="gpt-image-1-mini", quality="low").capabilities
    assert cheap.prices[""].cost("1536x1024", 4) == 0.024
    # OpenAI itself no longer serves the legacy models; a gateway may.
    official = OpenAIImageProvider(base_url="https://api.openai.com/v1")
    assert not set(LEGACY_MODELS) & set(official.capabilities.models)
    assert set(LEGACY_MODELS) <= set(provider.capabilities.models)


async def test_the_stored_key_is_looked_up_on_a_worker_thread(
    no_keyring, config_dir, server, monkeypatch
) -> None:
    from studio.config import keys

    keys.set_api_key("my-images", KEY)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    looked_up: list[str] = []
    real = keys.get_api_key

    def spy(name: str) -> str | None:
        looked_up.append(threading.current_thread().name)
        return real(name)

    monkeypatch.setattr(keys, "get_api_key", spy)
    provider = create_provider({"base_url": server.base_url, "key_name": "my-images"})
    assert looked_up == []  # making a provider does no I/O
    try:
        await provider.generate(ImageRequest("a coin"))
    finally:
        await provider.aclose()
    assert looked_up and looked_up[0] != threading.main_thread().name
    assert server.pictures_asked()[0].headers["authorization"] == f"Bearer {KEY}"


async def test_the_built_in_plugin_registers_it(server) -> None:
    host = PluginHost()
    host.load_all(entry_points=False)
    assert "image provider: openai" in host.plugins["builtin"].adds
    provider = make_image_provider(
        host, "openai", {"base_url": server.base_url, "api_key": KEY, "unknown": 1}
    )
    try:
        assert isinstance(provider, OpenAIImageProvider) and provider.name == "openai"
        (result,) = await provider.generate(ImageRequest("a coin"))
        assert picture_mime(result.data) == "image/png"
    finally:
        await provider.aclose()
    with pytest.raises(ImageError, match="no image provider named 'nope'"):
        make_image_provider(host, "nope")


def test_the_images_server_needs_no_qt() -> None:
    """Plugin authors' test runs (and a headless CI) load the server without PySide6."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import studio.testing.servers.images, studio.ai.image_openai\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')]\n"
        "sys.exit(f'Qt imported: {bad}' if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
