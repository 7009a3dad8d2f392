"""Qt-free picture work on Pillow, numpy and OpenCV: cut-out without a model, pixel art
(pixelate, palette, outline, trim), sprite sheets (slice, regular grid, anchor at the feet)
and tiles (seam check, backgrounds that repeat). Failures raise PictureError (a MediaError),
whose message is meant for a person."""

from studio.media.pictures.cutout import (
    METHODS,
    Cutout,
    choose_method,
    cut_out,
    cut_out_mask,
    make_cutout,
)
from studio.media.pictures.images import (
    PictureError,
    open_picture,
    parse_size,
    picture_format,
    png_bytes,
)
from studio.media.pictures.pixel import (
    PALETTES,
    content_box,
    outline,
    parse_palette,
    pixelate,
    reduce_palette,
    to_sprite,
    trim,
)
from studio.media.pictures.sheets import (
    Sheet,
    SheetLayout,
    find_frames,
    frame_at,
    make_sheet,
    slice_sheet,
    split_frames,
)
from studio.media.pictures.tiles import SeamCheck, check_seams, make_repeating

__all__ = [
    "METHODS",
    "PALETTES",
    "Cutout",
    "PictureError",
    "SeamCheck",
    "Sheet",
    "SheetLayout",
    "check_seams",
    "choose_method",
    "content_box",
    "cut_out",
    "cut_out_mask",
    "find_frames",
    "frame_at",
    "make_cutout",
    "make_repeating",
    "make_sheet",
    "open_picture",
    "outline",
    "parse_palette",
    "parse_size",
    "picture_format",
    "pixelate",
    "png_bytes",
    "reduce_palette",
    "slice_sheet",
    "split_frames",
    "to_sprite",
    "trim",
]
