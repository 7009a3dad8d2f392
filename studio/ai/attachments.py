"""What travels with a prompt besides its words, and what it costs in tokens. Qt-free.

An attachment is a picture the person gave (dropped or pasted into the prompt box), the
game's frame with their marks on it, or something they pointed at in the running game: an
element of the page (its selector, text, box and the source lines that made it) or a region
of the frame (with the game's state at that moment). Each has a few words for the model
(`note`) and may carry a picture.

Pictures go to the model as image parts of a user message's content array, as the chat
completions API defines them (OpenAI API reference, "Create chat completion", messages ›
user message › content › image content part: `{"type": "image_url", "image_url": {"url":
"data:image/png;base64,…", "detail": "high"}}`). Their tokens follow OpenAI's published rule
for its tile-based vision models (the vision guide, "Calculating costs"): at detail "high"
a picture is fitted into 2048×2048, then its shorter side brought down to 768 px, and costs
85 tokens plus 170 for each 512 px tile it covers; at "low", 85. Other services count
pictures their own way: the meter says "about".
"""

from __future__ import annotations

import base64
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from studio.ai.providers import ContentPart, ImagePart

__all__ = [
    "KINDS",
    "Attachment",
    "Picture",
    "attachment_request",
    "image_parts",
    "image_tokens",
    "part_tokens",
    "picture_size",
]

KINDS = ("picture", "annotation", "element", "region")
DETAIL = "high"
BASE_TOKENS, TILE_TOKENS, TILE = 85, 170, 512


def image_tokens(width: int, height: int, detail: str = DETAIL) -> int:
    """Tokens a `width`×`height` picture costs by OpenAI's tile rule (see the module doc)."""
    if detail == "low" or width <= 0 or height <= 0:
        return BASE_TOKENS
    w, h = float(width), float(height)
    if max(w, h) > 2048:
        w, h = w * 2048 / max(w, h), h * 2048 / max(w, h)
    if min(w, h) > 768:
        w, h = w * 768 / min(w, h), h * 768 / min(w, h)
    return BASE_TOKENS + TILE_TOKENS * math.ceil(w / TILE) * math.ceil(h / TILE)


def picture_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's or JPEG's header (the two formats Studio sends)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if not data.startswith(b"\xff\xd8"):
        return None
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            at += 2
            continue
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        # Start-of-frame markers hold the size; C4 (Huffman), C8 and CC (arithmetic) do not.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return width, height
        at += 2 + length
    return None


@dataclass(frozen=True)
class Picture:
    """A picture made ready to send (fitted and encoded: `studio.media.pictures.for_model`)."""

    data: bytes
    mime: str  # image/png or image/jpeg
    width: int
    height: int

    @property
    def tokens(self) -> int:
        return image_tokens(self.width, self.height)

    def data_url(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"

    def part(self) -> ImagePart:
        return {"type": "image_url", "image_url": {"url": self.data_url(), "detail": DETAIL}}


@lru_cache(maxsize=64)
def _url_tokens(url: str, detail: str) -> int:
    head, _, payload = url.partition(",")
    size = None
    if head.startswith("data:") and head.endswith(";base64"):
        try:  # the header is in the first bytes; a JPEG's may come after its EXIF
            size = picture_size(base64.b64decode(payload[:262_144] + "=" * 3, validate=False))
        except ValueError:
            size = None
    return image_tokens(*size, detail) if size else image_tokens(1024, 1024, detail)


def part_tokens(part: ContentPart, count_text: Any) -> int:
    """Tokens of one part of a message's content: text by `count_text`, a picture by the
    tile rule (a picture Studio cannot measure counts as a 1024×1024 one)."""
    if part.get("type") == "image_url":
        image = part["image_url"]  # type: ignore[typeddict-item]
        return _url_tokens(str(image.get("url", "")), str(image.get("detail") or DETAIL))
    return int(count_text(str(part.get("text", ""))))


@dataclass(frozen=True)
class Attachment:
    """One thing that goes with a prompt (see the module doc). `kind` is one of KINDS."""

    kind: str
    label: str  # what the chip in the prompt box says
    note: str = ""  # what the model reads about it
    picture: Picture | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)  # e.g. the element's selector

    @property
    def picture_is_the_point(self) -> bool:
        """A picture the person gave, or their marks on the frame: without the picture there
        is nothing to send. A pick's crop only helps: its words go without it."""
        return self.kind in ("picture", "annotation")

    def to_meta(self, picture_blob: str | None) -> dict[str, Any]:
        """What the conversation keeps of it (the picture itself in the blob store)."""
        record: dict[str, Any] = {"kind": self.kind, "label": self.label, "note": self.note}
        if self.meta:
            record["meta"] = dict(self.meta)
        if self.picture is not None and picture_blob:
            p = self.picture
            record["picture"] = {"blob": picture_blob, "mime": p.mime, "size": [p.width, p.height]}
        return record

    @classmethod
    def from_meta(cls, record: Mapping[str, Any], read_blob: Any) -> Attachment:
        picture = None
        stored = record.get("picture")
        if isinstance(stored, Mapping) and stored.get("blob"):
            width, height = stored.get("size") or (0, 0)
            data = read_blob(str(stored["blob"]))
            picture = Picture(data, str(stored.get("mime") or "image/png"), width, height)
        kind = str(record.get("kind") or "picture")
        return cls(
            kind if kind in KINDS else "picture",
            str(record.get("label") or ""),
            str(record.get("note") or ""),
            picture,
            dict(record.get("meta") or {}),
        )


_WHAT = {
    "picture": "a picture the person gave",
    "annotation": "the game's frame with the person's marks on it (arrows, circles, words)",
}


def attachment_request(
    prompt: str, attachments: Sequence[Attachment], *, with_pictures: bool
) -> str:
    """The prompt with what goes with it described for the model: pictures numbered in the
    order their image parts follow the text; a crop left out is said to be."""
    if not attachments:
        return prompt
    lines = []
    number = 0
    for a in attachments:
        sent = with_pictures and a.picture is not None
        if sent:
            number += 1
        if a.picture_is_the_point:
            if sent:
                lines.append(f"- Picture {number}: {_WHAT[a.kind]} ({a.label}).")
            continue
        text = a.note.strip() or a.label
        if sent:
            text += f"\n  (Picture {number} shows it.)"
        lines.append("- " + text.replace("\n", "\n  "))
    if not lines:
        return prompt
    return f"{prompt.strip()}\n\nWith this request the person showed:\n" + "\n".join(lines)


def image_parts(attachments: Sequence[Attachment]) -> list[ContentPart]:
    return [a.picture.part() for a in attachments if a.picture is not None]
