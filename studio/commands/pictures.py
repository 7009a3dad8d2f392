"""Picture commands: put me in the game (`hero`: offline, or drawn by an image service with
`--provider`), take a picture in as a game asset (`picture`, offline), and the project's
picture style (`style`). A picture that cannot be used raises PictureError, a StudioError:
one line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from studio.commands.image import add_service_options, hero_with_service
from studio.core.store import Project
from studio.errors import StudioError

if TYPE_CHECKING:
    from studio.core.pictures import Picture


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "hero",
        help="put me in the game: a photo or drawing becomes assets/hero.png (offline, or "
        "drawn by an image service with --provider)",
    )
    p.add_argument("path", type=Path, help="the project")
    p.add_argument("photo", type=Path, help="a photo or a drawing (PNG, JPEG, WebP)")
    _sprite_options(p)
    p.add_argument("--keep-photo", action="store_true", help="also keep the photo in the project")
    add_service_options(p)
    p.set_defaults(handler=cmd_hero)

    p = sub.add_parser("picture", help="take a picture in as a game asset (offline)")
    p.add_argument("path", type=Path, help="the project")
    p.add_argument("file", type=Path, help="the picture (PNG, JPEG, WebP)")
    p.add_argument("--kind", required=True, help="character, sprite_sheet, background, tile, ...")
    p.add_argument("--name", help="the asset's name (default: the file's)")
    p.add_argument("--cut", action=argparse.BooleanOptionalAction, help="cut out the figure")
    p.add_argument("--pixel", action=argparse.BooleanOptionalAction, help="make it pixel art")
    p.add_argument("--columns", type=int, help="a sprite sheet's columns, when known")
    p.add_argument("--rows", type=int, help="a sprite sheet's rows, when known")
    p.add_argument("--frames", type=int, help="a sprite sheet's frame count, when known")
    p.set_defaults(handler=cmd_picture)

    p = sub.add_parser("style", help="show or set the project's picture style")
    p.add_argument("path", type=Path, help="the project")
    p.add_argument("--look", help="e.g. 'pixel art', 'flat vector', 'watercolour'")
    p.add_argument("--sprite-size", help="e.g. 32 or 32x48")
    p.add_argument("--palette", help="pico-8, game-boy, sweetie-16, a count, or #rrggbb,...")
    p.set_defaults(handler=cmd_style)


def _sprite_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", help="sprite size, e.g. 32 or 32x48 (default: the project's)")
    p.add_argument(
        "--palette", help="pico-8, game-boy, a count, or #rrggbb,... (default: the project's)"
    )
    p.add_argument(
        "--method",
        default="auto",
        help="how to cut out: auto (default), key, flood, paper or grabcut",
    )
    p.add_argument("--no-outline", dest="outline", action="store_false", help="no outline")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise StudioError(f"cannot read {path}: {exc.strerror or exc}") from None


def describe_picture(pic: Picture) -> str:
    """One line for a picture just added."""
    note = f"{pic.width}x{pic.height} {pic.kind.replace('_', ' ')}"
    if pic.layout:
        layout = pic.layout
        note += f", {layout.frames} frames of {layout.frame_width}x{layout.frame_height}"
    if pic.meta.get("cutout"):
        note += f", cut out by {pic.meta['cutout']}"
    if pic.photo:
        note += f", photo kept as {pic.photo}"
    return f"added {pic.name} ({note})"


def cmd_hero(args: argparse.Namespace) -> int:
    from studio.media.pictures.layout import parse_size
    from studio.media.pictures.palettes import parse_palette
    from studio.operations.pictures import make_hero

    photo = _read(args.photo)
    with Project.open(args.path) as project:
        sprite = {
            "size": parse_size(args.size) if args.size else None,
            "palette": parse_palette(args.palette) if args.palette else None,
            "method": args.method,
            "outline": args.outline,
            "keep_photo": args.keep_photo,
        }
        if args.provider:
            hero = hero_with_service(project, photo, args, sprite)
        else:
            hero = make_hero(project, photo, **sprite)
        print(describe_picture(hero))
    return 0


def cmd_picture(args: argparse.Namespace) -> int:
    from studio.core.pictures import KINDS
    from studio.operations.pictures import import_picture

    if args.kind not in KINDS:
        raise StudioError(f"--kind must be one of {', '.join(KINDS)}, not {args.kind!r}")
    data = _read(args.file)
    with Project.open(args.path) as project:
        pic = import_picture(
            project,
            data,
            kind=args.kind,
            name=args.name or args.file.stem,
            cut=args.cut,
            pixel=args.pixel,
            columns=args.columns,
            rows=args.rows,
            frames=args.frames,
        )
        print(describe_picture(pic))
    return 0


def cmd_style(args: argparse.Namespace) -> int:
    from studio.core.pictures import picture_style, restyled, set_picture_style

    with Project.open(args.path) as project:
        style = picture_style(project)
        if args.look is not None or args.sprite_size is not None or args.palette is not None:
            changed = restyled(
                style, look=args.look, sprite_size=args.sprite_size, palette=args.palette
            )
            style = set_picture_style(project, changed)
        w, h = style.sprite_size
        print(f"look: {style.look}\nsprite size: {w}x{h}\npalette: {style.palette or 'any'}")
    return 0
