"""Pictures as operations the CLI and the UI both call: "put me in the game" (a photo or a
drawing becomes the hero sprite `assets/hero.png`, offline), taking in any picture as a
game asset in the project's style (cut out, pixel art, sprite sheets sliced), and the
request that asks the code model to use a picture.

Everything here is synchronous and CPU-bound (a 12-megapixel photo takes about a second):
the UI runs it on a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from PIL import Image

from studio.core.assets import slug
from studio.core.pictures import Picture, PictureStyle, add_picture, picture_style
from studio.core.store import Project
from studio.media.pictures.cutout import Method, make_cutout
from studio.media.pictures.images import open_picture
from studio.media.pictures.layout import SheetLayout
from studio.media.pictures.palettes import RGB
from studio.media.pictures.pixel import (
    pixelate_frames,
    reduce_palette,
    to_sprite,
    trim,
)
from studio.media.pictures.sheets import make_sheet, slice_sheet, split_frames
from studio.media.pictures.tiles import check_seams

__all__ = [
    "HERO_NAME",
    "Prepared",
    "import_picture",
    "make_hero",
    "prepare_picture",
    "sprite_from",
    "use_picture_request",
]

HERO_NAME = "hero"
OUTLINE = (20, 16, 24)  # a near-black outline: softer than pure black next to dark colours
FREE_COLOURS = 16  # pixel art with no project palette still gets a small one
STANDING = ("character", "hero", "item")  # kinds that stand alone and are cut out


def _palette(style: PictureStyle, palette: tuple[RGB, ...] | int | None) -> tuple[RGB, ...] | int:
    """The palette asked for, else the project's, else a small one of its own."""
    if palette is not None:
        return palette
    return style.colours() or FREE_COLOURS


def _outline_colour(palette: tuple[RGB, ...] | int) -> RGB:
    """The palette's darkest colour (a sprite keeps to its palette), else near-black."""
    if isinstance(palette, int):
        return OUTLINE
    return min(palette, key=lambda c: 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2])


def sprite_from(
    image: Image.Image,
    style: PictureStyle,
    *,
    size: tuple[int, int] | None = None,
    palette: tuple[RGB, ...] | int | None = None,
    method: Method = "auto",
    outline: bool = True,
) -> tuple[Image.Image, str]:
    """A photo, drawing or generated picture as a game sprite of the style's sprite size (or
    `size`): cut out, pixelated with the feet at the bottom, reduced to the palette,
    outlined. Returns the sprite and the cut-out method used."""
    cut = make_cutout(image, method=method)
    sprite = _sprite(cut.image, cut.method, style, size=size, palette=palette, outline=outline)
    return sprite, cut.method


def _sprite(
    image: Image.Image,
    cut_method: str | None,
    style: PictureStyle,
    *,
    size: tuple[int, int] | None = None,
    palette: tuple[RGB, ...] | int | None = None,
    outline: bool = True,
) -> Image.Image:
    colours = _palette(style, palette)
    return to_sprite(
        image,
        size or style.sprite_size,
        palette=colours,
        outline_colour=_outline_colour(colours) if outline else None,
        bold_lines=cut_method == "paper",  # a pen's lines would be averaged away
    )


def make_hero(
    project: Project,
    photo: bytes,
    *,
    picture: bytes | None = None,
    size: tuple[int, int] | None = None,
    palette: tuple[RGB, ...] | int | None = None,
    method: Method = "auto",
    outline: bool = True,
    keep_photo: bool = False,
    prompt: str | None = None,
    model: str | None = None,
) -> Picture:
    """Put the person in the game: their photo or drawing becomes `assets/hero.png`, a
    sprite of the project's sprite size (or `size`) in its palette (or `palette`),
    replacing the last hero. With `picture` (what an image model made from the photo) that
    picture is turned into the sprite instead, and `prompt` and `model` are recorded. The
    photo itself is stored only with `keep_photo`."""
    style = picture_style(project)
    source = open_picture(picture if picture is not None else photo)
    sprite, used = sprite_from(
        source, style, size=size, palette=palette, method=method, outline=outline
    )
    return add_picture(
        project,
        HERO_NAME,
        sprite,
        kind="hero",
        anchor=(sprite.width // 2, sprite.height),
        prompt=prompt,
        model=model,
        source="generated" if picture is not None else ("drawing" if used == "paper" else "photo"),
        photo=photo,
        keep_photo=keep_photo,
        replace_existing=True,
        meta={"cutout": used},
    )


@dataclass(frozen=True)
class Prepared:
    """A picture made ready for a game, and what was done to it."""

    image: Image.Image
    layout: SheetLayout | None = None
    anchor: tuple[int, int] | None = None
    cutout: str | None = None  # the cut-out method, when it was cut out
    seamless: bool | None = None  # for tiles: whether it repeats without a seam


def prepare_picture(
    image: Image.Image,
    kind: str,
    style: PictureStyle,
    *,
    cut: bool | None = None,
    pixel: bool | None = None,
    columns: int | None = None,
    rows: int | None = None,
    frames: int | None = None,
) -> Prepared:
    """Make a picture ready for the game by its kind and the project's style.

    Characters, heroes and items are cut out (`cut`) and, in a pixel-art project
    (`pixel`), become sprites of the sprite size. A sprite sheet is cut out and sliced
    (`columns`, `rows`, `frames` when known) into a regular sheet; in pixel art every frame
    is pixelated at one scale. A tile in pixel art becomes one sprite size square. A
    background and UI pictures are kept as they are unless `cut` says otherwise."""
    cut = kind in (*STANDING, "sprite_sheet") if cut is None else cut
    pixel = style.pixel_art if pixel is None else pixel
    palette = _palette(style, None) if pixel else None
    method = None
    if cut:
        result = make_cutout(image)
        image, method = result.image, result.method
    if kind == "sprite_sheet":
        sheet = slice_sheet(image, columns=columns, rows=rows, frames=frames)
        if pixel:
            cells = pixelate_frames(split_frames(sheet.image, sheet.layout), style.sprite_size)
            sheet = make_sheet(cells, columns=sheet.layout.columns)
        picture = reduce_palette(sheet.image, palette) if palette is not None else sheet.image
        return Prepared(picture, sheet.layout, sheet.layout.anchor, method)
    if kind == "tile":
        if pixel:
            image = image.convert("RGBA").resize(style.sprite_size, Image.Resampling.BOX)
            image = reduce_palette(image, palette) if palette is not None else image
        return Prepared(image, cutout=method, seamless=check_seams(image).tiles)
    if kind in STANDING:
        if pixel:
            sprite = _sprite(image, method, style)
            return Prepared(sprite, anchor=(sprite.width // 2, sprite.height), cutout=method)
        image = trim(image) if cut else image
        return Prepared(image, anchor=(image.width // 2, image.height), cutout=method)
    return Prepared(trim(image) if cut else image, cutout=method)


def import_picture(
    project: Project,
    data: bytes,
    *,
    kind: str,
    name: str | None = None,
    cut: bool | None = None,
    pixel: bool | None = None,
    columns: int | None = None,
    rows: int | None = None,
    frames: int | None = None,
    prompt: str | None = None,
    model: str | None = None,
    source: str = "imported",
) -> Picture:
    """Take a picture into the library as a game asset of `kind`, made ready by the
    project's style (see `prepare_picture`); named after `name`, else the prompt, else
    the kind, made unique."""
    original = open_picture(data)
    prepared = prepare_picture(
        original,
        kind,
        picture_style(project),
        cut=cut,
        pixel=pixel,
        columns=columns,
        rows=rows,
        frames=frames,
    )
    meta: dict[str, object] = {}
    if prepared.cutout:
        meta["cutout"] = prepared.cutout
    if prepared.seamless is not None:
        meta["seamless"] = prepared.seamless
    return add_picture(
        project,
        slug(PurePosixPath(name).stem if name else prompt or kind.replace("_", "-"), kind),
        data if prepared.image is original else prepared.image,  # untouched: as it came
        kind=kind,
        layout=prepared.layout,
        anchor=prepared.anchor,
        prompt=prompt,
        model=model,
        source=source,
        meta=meta,
    )


_PURPOSES = {
    "player": "as the player's character, in place of the shape that is drawn for it now",
    "enemy": "for the enemies, in place of the shapes drawn for them now",
    "background": "as the game's background, behind everything",
}


def use_picture_request(pic: Picture, purpose: str | None = None) -> str:
    """The request that asks the code model to use a picture (Chat's "use as the player",
    an asset's "Use in game…")."""
    how = _PURPOSES.get(purpose or "", purpose or "in the game where it fits best")
    extra = ""
    if pic.layout:
        extra = f" It is a sprite sheet of {pic.layout.frames} frames: animate it."
    elif pic.kind == "background":
        extra = " Let it scroll if the game scrolls."
    return f"Use the picture {pic.url} {how}.{extra} Keep everything else as it is."
