"""Cutting a figure out of its background without a model.

Four ways, one chosen by looking at the picture's border (or forced by name):

- `key`: the background is one saturated colour (a green screen, an image model's flat
  backdrop). Every pixel of that colour goes, holes the figure encloses included.
- `flood`: the background is one plain colour (white, grey): what the border reaches through
  pixels of that colour goes, so a white eye inside the figure stays.
- `paper`: a drawing photographed on paper. The light is made even first (the paper's
  brightness is estimated where there is no ink and divided out), small gaps in the pen's
  outline are closed, then the paper is flooded from the border; the inside of a closed
  outline stays, as paper-white.
- `grabcut`: a photo, the figure on a textured background: OpenCV's GrabCut, seeded with the
  border as background.

The mask is found on a copy at most WORK_SIDE pixels a side; its edge is then refined at full
size. Along the edge each pixel's coverage is estimated from the figure's and the
background's colours next to it, and the background's share is taken out of the pixel's
colour, so a cut-out put on another background has no fringe of the old one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
from PIL import Image

from studio.media.errors import PictureError
from studio.media.pictures.images import as_array, from_array

__all__ = [
    "METHODS",
    "Cutout",
    "Method",
    "choose_method",
    "cut_out",
    "cut_out_mask",
    "make_cutout",
]

Method = Literal["auto", "key", "flood", "paper", "grabcut"]
METHODS: tuple[str, ...] = ("key", "flood", "paper", "grabcut")

WORK_SIDE = 640  # masks are found at this size; edges are refined at full size
GRABCUT_ITERATIONS = 5
BORDER_COLOURS = 8  # k-means clusters of the border's colours that seed GrabCut
BORDER_SHARE = 0.03  # the strip along the edges that is taken to be background
UNIFORM_SHARE = 0.9  # a border this much of one colour is a flat background
UNIFORM_DISTANCE = 30.0  # "one colour": within this RGB distance of the border's median
CHROMA = 60  # max - min of a key colour's channels: saturated enough to key away
PAPER_BRIGHTNESS = 110  # a paper border is at least this bright on average
MIN_PART = 0.04  # parts of the figure smaller than this share of the largest are noise
MIN_HOLE = 0.005  # holes in a photo's figure smaller than this share of it are noise
ALPHA_CUT = 0.5  # coverage at which the hard mask says "figure"


@dataclass(frozen=True)
class Cutout:
    image: Image.Image  # RGBA: the figure, its edge colours freed of the old background
    mask: Image.Image  # L: the alpha alone
    method: str  # the method that made it ("alpha" when the picture was transparent)


def cut_out(image: Image.Image, *, method: Method = "auto") -> Image.Image:
    """The figure on a transparent background (RGBA)."""
    return make_cutout(image, method=method).image


def cut_out_mask(image: Image.Image, *, method: Method = "auto") -> Image.Image:
    """The figure's coverage as a greyscale picture: 255 figure, 0 background."""
    return make_cutout(image, method=method).mask


def make_cutout(image: Image.Image, *, method: Method = "auto") -> Cutout:
    """Cut the figure out with `method` (`auto` chooses by the border). A picture that is
    already transparent around its figure is returned as it is."""
    if method not in ("auto", *METHODS):
        raise PictureError(f"no cut-out method {method!r}: use auto, {', '.join(METHODS)}")
    if method == "auto" and _already_cut(image):
        rgba = image.convert("RGBA")
        return Cutout(rgba, rgba.getchannel("A"), "alpha")
    pixels = as_array(image, "RGB")
    small, factor = _work_copy(pixels)
    chosen = choose_method(image, _small=small) if method == "auto" else method
    colours = pixels
    if chosen == "paper":
        light = _paper_light(small)
        small = np.clip(small / light * 255.0, 0, 255)
        colours = _even_light(pixels, light)
    hard = _HARD_MASKS[chosen](small)
    if not hard.any():
        raise PictureError("no figure was found: the whole picture looks like background")
    alpha, colours = _refine_edges(colours, small, hard, factor)
    out = from_array(np.dstack([colours, alpha]))
    return Cutout(out, out.getchannel("A"), chosen)


def choose_method(image: Image.Image, *, _small: np.ndarray | None = None) -> str:
    """`key`, `flood`, `paper` or `grabcut`, by what the picture's border looks like."""
    small = _small if _small is not None else _work_copy(as_array(image, "RGB"))[0]
    border = _border(small)
    median = np.median(border, axis=0)
    if _uniform(border, median):
        return "key" if float(median.max() - median.min()) >= CHROMA else "flood"
    if float(border.mean()) >= PAPER_BRIGHTNESS and float(median.max() - median.min()) < CHROMA:
        even = _border(np.clip(small / _paper_light(small) * 255.0, 0, 255))
        if _uniform(even, np.median(even, axis=0)):
            return "paper"
    return "grabcut"


# -- looking at the picture ---------------------------------------------------------------


def _already_cut(image: Image.Image) -> bool:
    """A picture whose border is mostly transparent has been cut out already."""
    if "A" not in image.getbands():
        return False
    alpha = as_array(image.getchannel("A"), "L")[:, :, None]
    return float(np.mean(_border(alpha) < 16)) > 0.9


def _work_copy(pixels: np.ndarray) -> tuple[np.ndarray, float]:
    """A float copy at most WORK_SIDE a side, and how many full pixels one of its pixels is."""
    height, width = pixels.shape[:2]
    factor = max(1.0, max(height, width) / WORK_SIDE)
    if factor == 1.0:
        return pixels.astype(np.float32), 1.0
    size = (max(1, round(width / factor)), max(1, round(height / factor)))
    small = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
    return small.astype(np.float32), factor


def _strip(shape: tuple[int, ...]) -> int:
    return max(2, round(BORDER_SHARE * min(shape[:2])))


def _border(pixels: np.ndarray) -> np.ndarray:
    """The pixels of the strip along the four edges, as rows of channels."""
    m = _strip(pixels.shape)
    parts = [pixels[:m], pixels[-m:], pixels[m:-m, :m], pixels[m:-m, -m:]]
    return np.concatenate([p.reshape(-1, pixels.shape[2]) for p in parts])


def _distance(pixels: np.ndarray, colour: np.ndarray) -> np.ndarray:
    return np.sqrt(np.sum((pixels - colour) ** 2, axis=-1))


def _uniform(border: np.ndarray, colour: np.ndarray) -> bool:
    return float(np.mean(_distance(border, colour) < UNIFORM_DISTANCE)) >= UNIFORM_SHARE


def _tolerance(border: np.ndarray, colour: np.ndarray) -> float:
    """How far from the background colour a pixel may be and still be background: a few
    times the spread of the border's own noise."""
    spread = float(np.percentile(_distance(border, colour), 95))
    return float(np.clip(3.0 * spread, 18.0, 100.0))


def _odd(n: float) -> int:
    return max(3, int(n) // 2 * 2 + 1)


def _ellipse(size: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def _blend_mean(
    pixels: np.ndarray, weight: np.ndarray, sigma: float
) -> tuple[np.ndarray, np.ndarray]:
    """The weighted local mean of `pixels` (a normalised convolution) and the weight's own
    local mean, which says how much there was to average."""
    w = weight.astype(np.float32)
    total = cv2.GaussianBlur(pixels * w[:, :, None], (0, 0), sigma)
    amount = cv2.GaussianBlur(w, (0, 0), sigma)
    return total / np.maximum(amount, 1e-6)[:, :, None], amount


# -- the light on paper -------------------------------------------------------------------


def _paper_light(small: np.ndarray) -> np.ndarray:
    """The paper's colour under the light at each pixel: first the bright envelope of the
    picture (a closing wipes out thin dark ink), then the mean of the pixels that look like
    paper under it, which also fills in under larger inked areas."""
    side = min(small.shape[:2])
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, _ellipse(_odd(side / 15)))
    rough = np.maximum(cv2.GaussianBlur(closed, (0, 0), side / 30), 1.0)
    paper = _distance(small / rough * 255.0, np.float32(255.0)) < 45.0
    light, amount = _blend_mean(small, paper, side / 20)
    light = np.where(amount[:, :, None] > 0.05, light, rough)
    return np.maximum(light, 1.0)


def _even_light(pixels: np.ndarray, light_small: np.ndarray) -> np.ndarray:
    """The full-size picture with the paper's light divided out (paper becomes white)."""
    height, width = pixels.shape[:2]
    light = cv2.resize(light_small, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.clip(pixels.astype(np.float32) / light * 255.0 + 0.5, 0, 255).astype(np.uint8)


# -- hard masks, at the working size ------------------------------------------------------


def _keep_parts(figure: np.ndarray) -> np.ndarray:
    """The figure without specks: parts far smaller than the largest one go."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(figure.astype(np.uint8), 8)
    if count <= 1:
        return figure
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(count, bool)
    keep[1:] = areas >= MIN_PART * areas.max()
    return keep[labels]


def _fill_specks(figure: np.ndarray) -> np.ndarray:
    """Holes inside the figure far smaller than it (noise) filled; real openings stay."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats((~figure).astype(np.uint8), 4)
    small = np.zeros(count, bool)
    small[1:] = stats[1:, cv2.CC_STAT_AREA] < MIN_HOLE * max(1, int(figure.sum()))
    return figure | small[labels]


def _from_border(background_like: np.ndarray) -> np.ndarray:
    """The pixels of `background_like` that the picture's border reaches."""
    count, labels = cv2.connectedComponents(background_like.astype(np.uint8), connectivity=4)
    m = _strip(background_like.shape)
    edge = np.concatenate(
        [labels[:m].ravel(), labels[-m:].ravel(), labels[:, :m].ravel(), labels[:, -m:].ravel()]
    )
    reached = np.zeros(count, bool)
    reached[np.unique(edge)] = True
    reached[0] = False  # label 0 is "not background-like"
    return reached[labels]


def _key_mask(small: np.ndarray) -> np.ndarray:
    border = _border(small)
    colour = np.median(border, axis=0)
    figure = _distance(small, colour) >= _tolerance(border, colour)
    return _keep_parts(figure)


def _flood_mask(small: np.ndarray, close: int = 0) -> np.ndarray:
    """Flood the background from the border. With `close`, gaps in the figure's outline up
    to that many pixels hold the flood back; the corners the closing filled are given back
    to the background afterwards (the flood grows as far again into them)."""
    border = _border(small)
    colour = np.median(border, axis=0)
    background_like = _distance(small, colour) < _tolerance(border, colour)
    if not close:
        return _keep_parts(~_from_border(background_like))
    ink = cv2.morphologyEx((~background_like).astype(np.uint8), cv2.MORPH_CLOSE, _ellipse(close))
    reached = _from_border(ink == 0).astype(np.uint8)
    allowed = background_like.astype(np.uint8)
    for _ in range(close // 2 + 1):
        reached = cv2.dilate(reached, _CROSS) & allowed
    return _keep_parts(reached == 0)


def _paper_mask(small: np.ndarray) -> np.ndarray:
    # Gaps a pen skips are closed first, so the flood stays out of a closed outline.
    return _flood_mask(small, close=_odd(min(small.shape[:2]) / 70))


def _like_border(small: np.ndarray) -> np.ndarray:
    """Pixels close to one of the border's main colours (k-means clusters of the strip):
    probably background. A better start for GrabCut's colour models than taking all the
    inside for the figure: its first figure model is then mostly the figure's colours."""
    border = _border(small).astype(np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    cv2.setRNGSeed(0)  # k-means and GrabCut start from OpenCV's random numbers: the same
    _, labels, centres = cv2.kmeans(  # picture is cut the same way every time
        border, BORDER_COLOURS, None, criteria, 1, cv2.KMEANS_PP_CENTERS
    )
    spread = float(np.sqrt(np.median(np.sum((border - centres[labels.ravel()]) ** 2, axis=1))))
    nearest = np.min(np.stack([_distance(small, centre) for centre in centres]), axis=0)
    return nearest < max(10.0, 2.0 * spread)


def _grabcut_mask(small: np.ndarray) -> np.ndarray:
    """GrabCut seeded with the top and side strips as background, the bottom strip (a
    person is often cut off by the bottom edge) and the pixels in the border's colours as
    probably background, and the rest as probably figure."""
    m = _strip(small.shape)
    seeds = np.where(_like_border(small), cv2.GC_PR_BGD, cv2.GC_PR_FGD).astype(np.uint8)
    seeds[-m:] = cv2.GC_PR_BGD
    seeds[:m] = seeds[:, :m] = seeds[:, -m:] = cv2.GC_BGD
    models = (np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64))
    cv2.grabCut(
        np.ascontiguousarray(small.astype(np.uint8)),
        seeds,
        None,
        *models,
        GRABCUT_ITERATIONS,
        cv2.GC_INIT_WITH_MASK,
    )
    figure = (seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)
    return _fill_specks(_keep_parts(figure))


_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))

_HARD_MASKS = {
    "key": _key_mask,
    "flood": _flood_mask,
    "paper": _paper_mask,
    "grabcut": _grabcut_mask,
}


# -- the edge, at full size ---------------------------------------------------------------


def _refine_edges(
    colours: np.ndarray, small: np.ndarray, hard_small: np.ndarray, factor: float
) -> tuple[np.ndarray, np.ndarray]:
    """Alpha (uint8) and colours (uint8) at full size: inside the figure opaque, outside
    clear, and along the edge each pixel's coverage and its colour without the background.

    Next to each edge pixel the figure's colour F and the background's colour B are known
    from nearby pixels that are surely one or the other; the pixel's colour C lies between
    them, and its position on the line from B to F is its coverage. Its colour without the
    background is then (C - (1 - a) B) / a."""
    height, width = colours.shape[:2]
    hard = _upscale_mask(hard_small, (width, height))
    alpha = hard * np.uint8(255)
    radius = max(2.0, 1.5 * factor)
    ys, xs, signed = _edge_band(hard, radius)
    if ys.size == 0:
        return alpha, colours
    figure_colour, background_colour = _neighbour_colours(small, hard_small, ys, xs, factor)
    c = colours[ys, xs].astype(np.float32)
    span = figure_colour - background_colour
    length = np.sum(span * span, axis=1)
    coverage = np.sum((c - background_colour) * span, axis=1) / np.maximum(length, 1.0)
    off_line = background_colour + coverage[:, None] * span - c  # what the mix leaves unsaid
    explained = (length > 20.0**2) & (np.sum(off_line**2, axis=1) < 0.25 * length)
    coverage = np.where(explained, coverage, (signed > 0).astype(np.float32))
    d = signed / radius  # near the line of the hard mask anything goes; further
    coverage = np.clip(coverage, np.clip(d, 0, 1), np.clip(1 + d, 0, 1))  # out, less
    a = coverage[:, None]
    unmixed = np.clip((c - (1 - a) * background_colour) / np.maximum(a, 0.05), 0, 255)
    trust = np.clip((a - 0.1) / 0.4, 0, 1)  # a faint pixel's colour says little: lean on F
    cleaned = trust * unmixed + (1 - trust) * figure_colour
    out = colours.copy()
    out[ys, xs] = (cleaned + 0.5).astype(np.uint8)
    alpha[ys, xs] = (coverage * 255 + 0.5).astype(np.uint8)
    return alpha, out


def _edge_band(hard: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and signed distances (inside positive, the edge at 0) of the pixels
    within `radius` of the mask's edge. Worked out on the figure's box only: a figure
    in a 12-megapixel photo rarely fills it."""
    x, y, w, h = cv2.boundingRect(hard)
    if w == 0:
        return np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0, np.float32)
    pad = int(np.ceil(radius)) + 2
    top, left = max(0, y - pad), max(0, x - pad)
    box = hard[top : y + h + pad, left : x + w + pad]
    inside = cv2.distanceTransform(box, cv2.DIST_L2, 3)
    outside = cv2.distanceTransform(1 - box, cv2.DIST_L2, 3)
    signed = np.where(box > 0, inside - 0.5, 0.5 - outside)
    ys, xs = np.nonzero(np.abs(signed) < radius)
    return ys + top, xs + left, signed[ys, xs]


def _upscale_mask(hard_small: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The working-size mask at full size, its steps smoothed into curves."""
    mask = hard_small.astype(np.float32)
    if mask.shape[::-1] == size:
        return (mask >= ALPHA_CUT).astype(np.uint8)
    soft = cv2.GaussianBlur(mask, (0, 0), 0.7)
    big = cv2.resize(soft, size, interpolation=cv2.INTER_LINEAR)
    return (big >= ALPHA_CUT).astype(np.uint8)


def _neighbour_colours(
    small: np.ndarray, hard_small: np.ndarray, ys: np.ndarray, xs: np.ndarray, factor: float
) -> tuple[np.ndarray, np.ndarray]:
    """The figure's and the background's colour near each full-size pixel (ys, xs): means of
    the working-size pixels that are surely figure or surely background around it."""
    hard = hard_small.astype(np.uint8)
    where = np.stack([(xs + 0.5) / factor - 0.5, (ys + 0.5) / factor - 0.5], axis=1)
    return _local_mean(small, hard, where), _local_mean(small, 1 - hard, where)


def _local_mean(small: np.ndarray, side: np.ndarray, where: np.ndarray) -> np.ndarray:
    """The colour of one side of the edge near each point of `where` (x, y at working
    size): the mean of that side's pixels one to three pixels in from the edge (a pen line's
    ink, not the paper inside it), else of all its pixels further around, else of the whole
    side."""
    sure = cv2.erode(side, _ellipse(3))
    shell = sure & (1 - cv2.erode(side, _ellipse(7)))
    fallback = small[sure > 0].mean(axis=0) if sure.any() else small.reshape(-1, 3).mean(axis=0)
    result = np.broadcast_to(fallback, (len(where), 3)).astype(np.float32)
    filled = np.zeros(len(where), bool)
    for pixels, sigma in ((shell, 2.0), (sure, 8.0)):
        mean, amount = _blend_mean(small, pixels, sigma)
        sampled = _sample(mean, where)
        use = ~filled & (_sample(amount[:, :, None], where)[:, 0] > 0.02)
        result[use] = sampled[use]
        filled |= use
    return result


def _sample(field: np.ndarray, where: np.ndarray) -> np.ndarray:
    """`field` (height × width × channels) read between pixels at each (x, y) of `where`."""
    rows = -(-len(where) // 1024)  # remap's maps must stay under 32767 a side: fold them
    maps = np.zeros((rows * 1024, 2), np.float32)
    maps[: len(where)] = where
    mapx = maps[:, 0].reshape(rows, 1024)
    mapy = maps[:, 1].reshape(rows, 1024)
    out = cv2.remap(field, mapx, mapy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(rows * 1024, -1)[: len(where)]
