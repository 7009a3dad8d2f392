"""Pictures in a project's asset library, the project's picture style, and the words an
image model gets.

A picture is one asset (PNG, JPEG or WebP) whose metadata (`Asset.meta`) says:

- `role`: "picture"; `kind`: character / sprite_sheet / background / tile / item / ui / hero;
- `width`, `height`: the picture's size in pixels;
- `layout` (sprite sheets): columns, rows, frame_width, frame_height, frames, anchor;
- `anchor`: the point [x, y] (of a frame, for a sheet) that stands on the ground;
- `prompt`, `model`: what made it, when an image model did; `source`: generated /
  imported / photo / drawing;
- `photo`: the asset name of the source photo when the person chose to keep it (that
  asset has `role` "source" and is never offered to the code model), else None.

The style (look, sprite size, palette) is kept in the project's meta as JSON, so every
picture of a game can be asked for in the same style.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from studio.ai.prompts import load_prompt, render
from studio.core.errors import NotFoundError
from studio.core.records import Asset
from studio.core.store import Project
from studio.errors import StudioError
from studio.media.errors import PictureError
from studio.media.pictures.layout import SheetLayout, parse_size
from studio.media.pictures.palettes import RGB, parse_palette

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "KINDS",
    "KIND_WORDS",
    "LOOKS",
    "PICTURE_ROLE",
    "SOURCE_ROLE",
    "Picture",
    "PictureStyle",
    "add_picture",
    "delete_picture",
    "image_prompt",
    "is_picture",
    "picture",
    "picture_facts",
    "picture_style",
    "pictures",
    "restyled",
    "set_picture_style",
]

KINDS = ("character", "sprite_sheet", "background", "tile", "item", "ui", "hero")
LOOKS = ("pixel art", "flat vector", "watercolour", "cartoon", "hand-drawn", "painterly")
PICTURE_ROLE = "picture"
SOURCE_ROLE = "source"  # a kept source photo: never offered to the code model
STYLE_KEY = "picture_style"  # the project meta key holding the style as JSON
_ADDING = threading.Lock()
_STORED_FORMATS = {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}
_MIMES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}

# What each kind of picture is, for the image model: one line each.
KIND_WORDS = {
    "character": "one game character, full body, standing, side view, centred, alone on a "
    "plain transparent background",
    "hero": "the player's hero: one full-body game character, side view, standing, centred, "
    "alone on a plain transparent background",
    "sprite_sheet": "a sprite sheet of one animation: {frames} frames of the same character "
    "in a grid of {columns} columns and {rows} rows, every frame the same size and scale, "
    "feet on one line in each row, empty space between frames, on a plain transparent "
    "background",
    "background": "a game background scene, wide, no characters and no text, its left and "
    "right edges alike so it can scroll",
    "tile": "one square texture tile seen from straight above, seamless: its opposite edges "
    "join without a seam",
    "item": "one game item or pickup, centred, alone on a plain transparent background, no text",
    "ui": "one game interface element (button, panel or icon) with clean edges, on a plain "
    "transparent background",
}


@dataclass(frozen=True)
class PictureStyle:
    """How a project's pictures look, so they match: a look (see LOOKS, or the person's own
    words), the sprite size in pixels, and a palette ("" for any colours; a name such as
    `pico-8`, a number of colours, or #rrggbb colours)."""

    look: str = "pixel art"
    sprite_size: tuple[int, int] = (32, 32)
    palette: str = ""

    @property
    def pixel_art(self) -> bool:
        return "pixel" in self.look.lower()

    def colours(self) -> tuple[RGB, ...] | int | None:
        """The palette for reduce_palette: colours, a count, or None (any colours)."""
        return parse_palette(self.palette) if self.palette.strip() else None

    def describe(self) -> str:
        """The style in words, for an image prompt."""
        parts = [self.look.strip() or "any style"]
        if self.pixel_art:
            w, h = self.sprite_size
            parts.append(f"crisp pixels for {w}x{h}-pixel sprites, no anti-aliasing, no blur")
        colours = self.colours()
        if isinstance(colours, int):
            parts.append(f"a limited palette of {colours} colours")
        elif colours:
            listed = ", ".join(f"#{r:02x}{g:02x}{b:02x}" for r, g, b in colours)
            parts.append(f"only these colours: {listed}")
        return "; ".join(parts)

    def to_meta(self) -> dict[str, Any]:
        w, h = self.sprite_size
        return {"look": self.look, "sprite_size": f"{w}x{h}", "palette": self.palette}

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> PictureStyle:
        """A style from stored or typed values; PictureError names what is wrong."""
        look = str(meta.get("look") or cls.look).strip()[:80]
        size = parse_size(meta.get("sprite_size") or "32x32")
        palette = str(meta.get("palette") or "").strip()
        style = cls(look, size, palette)
        style.colours()  # checks the palette
        return style


def picture_style(project: Project) -> PictureStyle:
    """The project's style; the default (pixel art, 32 px) when none was set or the stored
    one is damaged."""
    raw = project.get_meta(STYLE_KEY)
    if not raw:
        return PictureStyle()
    try:
        return PictureStyle.from_meta(json.loads(raw))
    except (ValueError, TypeError, AttributeError, PictureError):
        return PictureStyle()


def set_picture_style(project: Project, style: PictureStyle) -> PictureStyle:
    """Keep `style` in the project (checked first: a bad palette or size raises)."""
    checked = PictureStyle.from_meta(style.to_meta())
    project.set_meta(STYLE_KEY, json.dumps(checked.to_meta()))
    return checked


def image_prompt(
    kind: str,
    words: str,
    style: PictureStyle,
    *,
    frames: int = 8,
    columns: int = 4,
) -> str:
    """The prompt an image model gets: the person's words, what kind of picture it is, and
    the project's style (so the game's pictures match)."""
    if kind not in KIND_WORDS:
        raise StudioError(f"no picture kind {kind!r}: use {', '.join(KINDS)}")
    if not words.strip():
        raise StudioError("say what the picture should show")
    rows = -(-frames // max(1, columns))
    what = KIND_WORDS[kind].format(frames=frames, columns=columns, rows=rows)
    return render(load_prompt("image"), words=words.strip(), kind=what, style=style.describe())


@dataclass(frozen=True)
class Picture:
    """One picture of the library, as its metadata describes it."""

    name: str
    kind: str
    width: int
    height: int
    layout: SheetLayout | None
    anchor: tuple[int, int] | None
    prompt: str | None
    model: str | None
    source: str
    photo: str | None
    created: float
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def frames(self) -> int:
        return self.layout.frames if self.layout else 1

    @property
    def url(self) -> str:
        return f"assets/{self.name}"


def is_picture(asset: Asset) -> bool:
    return asset.meta.get("role") == PICTURE_ROLE


def _picture_of(asset: Asset) -> Picture:
    m = asset.meta
    layout = None
    if isinstance(m.get("layout"), Mapping):
        try:
            layout = SheetLayout.from_meta(m["layout"])
        except PictureError:
            layout = None  # a damaged layout: shown as a single picture
    anchor = m.get("anchor")
    return Picture(
        name=asset.name,
        kind=str(m.get("kind") or "item"),
        width=int(m.get("width") or 0),
        height=int(m.get("height") or 0),
        layout=layout,
        anchor=(int(anchor[0]), int(anchor[1])) if _is_point(anchor) else None,
        prompt=m.get("prompt"),
        model=m.get("model"),
        source=str(m.get("source") or "imported"),
        photo=m.get("photo"),
        created=asset.created,
        meta=m,
    )


def _is_point(value: object) -> bool:
    return (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) for v in value)
    )


def pictures(project: Project) -> list[Picture]:
    """The library's pictures, oldest first."""
    return [_picture_of(a) for a in project.assets() if is_picture(a)]


def picture(project: Project, name: str) -> Picture:
    asset = project.asset(name)
    if not is_picture(asset):
        raise NotFoundError(f"{name} is not a picture")
    return _picture_of(asset)


def picture_facts(asset: Asset) -> dict[str, Any]:
    """What the code model is told about a picture beyond name, size and dimensions: its
    kind, and for a sheet its frames and layout; where it stands. Empty for other assets."""
    if not is_picture(asset):
        return {}
    pic = _picture_of(asset)
    facts: dict[str, Any] = {"picture": pic.kind}
    if pic.layout:
        facts["frames"] = pic.layout.frames
        layout = pic.layout.to_meta()
        layout.pop("frames")
        layout.pop("anchor")
        facts["layout"] = layout
    if pic.anchor:
        facts["anchor"] = list(pic.anchor)
    return facts


def _encoded(data: bytes | Image.Image) -> tuple[bytes, str, Image.Image]:
    """Bytes to store, their format, and the decoded picture. PNG, JPEG and WebP are kept
    as they came (checked by decoding them whole); anything else becomes PNG."""
    from PIL import Image  # late: the store reads picture metadata without Pillow

    from studio.media.pictures.images import open_picture, picture_format, png_bytes

    if isinstance(data, Image.Image):
        return png_bytes(data), "png", data
    image = open_picture(data)
    fmt = picture_format(data)
    if fmt in _STORED_FORMATS and not _turned(image, data):
        return data, fmt, image
    return png_bytes(image), "png", image


def _turned(image: Image.Image, data: bytes) -> bool:
    """Whether decoding turned the picture upright (EXIF): then the file as it came would
    show sideways in a browser that ignores EXIF, so it is stored anew."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as raw:
        return raw.size != image.size


def _stored_name(project: Project, name: str, suffix: str, replace_existing: bool) -> str:
    stem = PurePosixPath(name.replace("\\", "/")).name
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    wanted = f"{stem}{suffix}"
    return wanted if replace_existing else project.unique_asset_name(wanted)


def add_picture(
    project: Project,
    name: str,
    data: bytes | Image.Image,
    *,
    kind: str,
    layout: SheetLayout | None = None,
    anchor: tuple[int, int] | None = None,
    prompt: str | None = None,
    model: str | None = None,
    source: str = "imported",
    photo: bytes | None = None,
    keep_photo: bool = False,
    replace_existing: bool = False,
    meta: Mapping[str, Any] | None = None,
) -> Picture:
    """Add a picture to the library under `name` (its suffix follows the format: `hero`
    becomes `hero.png`). The name is made unique unless `replace_existing` (the hero
    replaces the last hero; versions keep their copies). The source `photo` is stored
    beside it only with `keep_photo`; a replaced picture's old photo goes."""
    if kind not in KINDS:
        raise StudioError(f"no picture kind {kind!r}: use {', '.join(KINDS)}")
    raw, fmt, image = _encoded(data)
    if layout is not None and (
        layout.columns * layout.frame_width > image.width
        or layout.rows * layout.frame_height > image.height
    ):
        raise PictureError("the sheet layout does not fit the picture")
    record: dict[str, Any] = {
        **dict(meta or {}),
        "role": PICTURE_ROLE,
        "kind": kind,
        "width": image.width,
        "height": image.height,
        "source": source,
    }
    if layout is not None:
        record["layout"] = layout.to_meta()
        anchor = anchor or layout.anchor
    if anchor is not None:
        record["anchor"] = list(anchor)
    if prompt:
        record["prompt"] = prompt
    if model:
        record["model"] = model
    kept = _encoded(photo) if photo is not None and keep_photo else None
    with _ADDING:  # one name chosen and taken at a time
        stored = _stored_name(project, name, _STORED_FORMATS[fmt], replace_existing)
        previous_photo = _previous_photo(project, stored)
        record["photo"] = None
        if kept is not None:
            record["photo"] = _photo_name(project, stored, _STORED_FORMATS[kept[1]], previous_photo)
            project.add_asset(
                record["photo"],
                kept[0],
                mime=_MIMES[kept[1]],
                meta={"role": SOURCE_ROLE, "picture": stored},
            )
        try:
            added = project.add_asset(stored, raw, mime=_MIMES[fmt], meta=record)
        except BaseException:
            if record["photo"] and record["photo"] != previous_photo:
                project.remove_asset(record["photo"])
            raise
        if previous_photo and previous_photo != record["photo"]:
            project.remove_asset(previous_photo)
    return _picture_of(added)


def _photo_name(project: Project, stored: str, suffix: str, previous: str | None) -> str:
    """`<stem>-photo.<ext>`, or a free name near it if another asset has that one."""
    wanted = f"{stored.rsplit('.', 1)[0]}-photo{suffix}"
    return wanted if wanted == previous else project.unique_asset_name(wanted)


def _previous_photo(project: Project, name: str) -> str | None:
    try:
        old = project.asset(name)
    except NotFoundError:
        return None
    return old.meta.get("photo") if is_picture(old) else None


def delete_picture(project: Project, name: str) -> list[str]:
    """Remove a picture and its kept photo from the library; versions keep their copies."""
    target = picture(project, name)
    removed = [target.name]
    project.remove_asset(target.name)
    if target.photo:
        project.remove_asset(target.photo)
        removed.append(target.photo)
    return removed


def restyled(style: PictureStyle, **changes: Any) -> PictureStyle:
    """`style` with some values changed from typed text (`sprite_size="24x32"`), checked."""
    values = style.to_meta()
    values.update({k: v for k, v in changes.items() if v is not None})
    return PictureStyle.from_meta(values)
