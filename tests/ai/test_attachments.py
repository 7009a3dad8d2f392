"""What goes with a prompt (issue 17): pictures as image parts of the last message, what the
person pointed at described in the request, and what each costs in tokens."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from studio.ai.attachments import Attachment, Picture, image_tokens, picture_size
from studio.ai.context import PARTS, TokenBudget, build_messages
from studio.ai.providers import message_text


def png(width: int, height: int, colour: str = "#3366cc") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "#cc6633").save(out, "JPEG", exif=b"Exif\0\0" + b"x" * 900)
    return out.getvalue()


@pytest.mark.parametrize(
    ("size", "tokens"),
    [
        ((512, 512), 85 + 170),  # one tile
        ((1024, 768), 85 + 170 * 4),  # shorter side 768 already: 2 x 2 tiles
        ((1024, 1024), 85 + 170 * 4),  # to 768 x 768: 2 x 2 tiles
        ((4096, 2048), 85 + 170 * 6),  # to 2048 x 1024, then 1536 x 768: 3 x 2 tiles
        ((100, 60), 85 + 170),  # small pictures are never enlarged
    ],
)
def test_image_tokens_follow_openais_tile_rule(size, tokens) -> None:
    assert image_tokens(*size) == tokens
    assert image_tokens(*size, detail="low") == 85


def test_picture_size_reads_png_and_jpeg_headers() -> None:
    assert picture_size(png(321, 123)) == (321, 123)
    assert picture_size(jpeg(640, 480)) == (640, 480)  # past an EXIF block
    assert picture_size(b"GIF89a....") is None


FILES = {"index.html": '<button id="start">Play</button>\n<script>let speed = 2;</script>\n'}


def picture(width: int = 640, height: int = 480) -> Picture:
    return Picture(png(width, height), "image/png", width, height)


def test_pictures_go_as_image_parts_after_the_text() -> None:
    sketch = Attachment("picture", "level.png", picture=picture())
    element = Attachment(
        "element", "button#start", "The element the person picked: <button#start>",
        picture=picture(120, 40),
    )  # fmt: skip
    built = build_messages("make this bigger", FILES, attachments=[sketch, element])
    last = built.messages[-1]["content"]
    assert isinstance(last, list) and [p["type"] for p in last] == [
        "text",
        "image_url",
        "image_url",
    ]
    assert last[1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert last[1]["image_url"]["detail"] == "high"
    text = last[0]["text"]
    assert "make this bigger" in text and '<button id="start">' in text
    assert "Picture 1: a picture the person gave (level.png)" in text
    assert "<button#start>" in text and "(Picture 2 shows it.)" in text
    # The decoded picture is the one given.
    data = base64.b64decode(last[1]["image_url"]["url"].split(",", 1)[1])
    assert picture_size(data) == (640, 480)
    # The parts add up to the whole, pictures counted by the tile rule.
    assert set(built.parts) == set(PARTS)
    assert built.parts["pictures"] == image_tokens(640, 480) + image_tokens(120, 40)
    assert abs(sum(built.parts.values()) - built.estimated_tokens) <= 12


def test_without_pictures_the_words_go_alone() -> None:
    element = Attachment("element", "button#start", "picked <button#start>", picture=picture())
    built = build_messages("make this bigger", FILES, attachments=[element], pictures=False)
    last = built.messages[-1]["content"]
    assert isinstance(last, str) and "picked <button#start>" in last and "Picture" not in last
    assert built.parts["pictures"] == 0


def test_the_budget_counts_pictures_unscaled_and_text_scaled() -> None:
    message = {"role": "user", "content": [
        {"type": "text", "text": "word " * 100}, picture(1024, 1024).part(),
    ]}  # fmt: skip
    one, two = TokenBudget(scale=1.0), TokenBudget(scale=2.0)
    assert two.cost([message]) - one.cost([message]) == one.content_cost(message_text(message))
    assert one.content_cost([picture(1024, 1024).part()]) == 765


def test_attachments_are_kept_and_read_back() -> None:
    blobs: dict[str, bytes] = {}

    def put(data: bytes) -> str:
        blobs[str(len(blobs))] = data
        return str(len(blobs) - 1)

    original = Attachment(
        "region", "region 120×120 at 4,5", "A region…", picture(), {"box": [4, 5, 120, 120]}
    )
    record = original.to_meta(put(original.picture.data))
    again = Attachment.from_meta(record, blobs.__getitem__)
    assert again == original
