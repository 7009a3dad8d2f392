"""A game the scripted code model writes for a generated sprite sheet, and a way to see the
sheet's frames on a screen (the Preview's grab, a Chromium screenshot).

The local Images API server draws each frame of a sheet in its own colour
(`image_paint.frame_colour`), so which frame is on screen shows in the pixels: a game that
animates the sheet shows one frame colour after another.
"""

from __future__ import annotations

import io

from PIL import Image

from studio.media.pictures.layout import SheetLayout
from studio.testing.servers.image_paint import frame_colour

SCALE = 8  # each sprite pixel as 8x8 screen pixels, smoothing off
FPS = 4  # slow enough for a test that grabs a few pictures a second to see every frame
MIN_PIXELS = 3 * SCALE * SCALE  # a frame colour counts when this much of it is on screen
TOLERANCE = 48  # per channel: a pixel-art sheet is reduced to a palette of its own


def sheet_game(name: str, layout: SheetLayout) -> str:
    """A page that draws frame after frame of `assets/<name>`, as the layout says."""
    columns, width, height = layout.columns, layout.frame_width, layout.frame_height
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Fox run</title>
<style>html, body {{ margin: 0; height: 100%; background: #101820; }}
canvas {{ display: block; }}</style>
</head>
<body>
<canvas id="c" width="{40 + width * SCALE * 2}" height="{40 + height * SCALE}"></canvas>
<script>
const L = {{ columns: {columns}, width: {width}, height: {height}, frames: {layout.frames} }};
const sheet = new Image();
let frame = 0, loaded = false;
sheet.onload = () => {{ loaded = true; }};
sheet.src = "assets/{name}";
const canvas = document.getElementById("c");
const ctx = canvas.getContext("2d");
function draw(t) {{
  frame = Math.floor(t / {1000 // FPS}) % L.frames;
  ctx.fillStyle = "#101820";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (loaded) {{
    ctx.imageSmoothingEnabled = false;
    const sx = (frame % L.columns) * L.width, sy = Math.floor(frame / L.columns) * L.height;
    ctx.drawImage(sheet, sx, sy, L.width, L.height, 20, 20, L.width * {SCALE}, L.height * {SCALE});
  }}
  requestAnimationFrame(draw);
}}
requestAnimationFrame(draw);
window.studio = {{ state: () => ({{ scene: "playing", frame, loaded }}), advance() {{}} }};
</script>
</body>
</html>
"""


def answer(html: str) -> str:
    """The scripted model's answer that writes `html` as the game."""
    return f'Your fox runs now.\n<file path="index.html">\n{html}</file>\n'


def frames_on_screen(screen: Image.Image | bytes, frames: int) -> set[int]:
    """Which frames of a generated sheet show on `screen` (a picture, or PNG bytes)."""
    if isinstance(screen, bytes):
        screen = Image.open(io.BytesIO(screen))
    counts = screen.convert("RGB").getcolors(maxcolors=1 << 22) or []
    seen = set()
    for index in range(frames):
        target = frame_colour(index)
        near = sum(
            count
            for count, colour in counts
            if all(abs(a - b) <= TOLERANCE for a, b in zip(colour, target, strict=True))
        )
        if near >= MIN_PIXELS:
            seen.add(index)
    return seen
