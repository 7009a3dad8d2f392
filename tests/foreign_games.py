"""Games as people find them online, not as Studio's templates make them (issue 19).

Each is a dict of project files, written the way open-source HTML5 games are: no
`window.studio` hooks, third-party scripts and analytics, web fonts pulled in through
`@import`, `setInterval` loops, start screens, `alert()` and reloads, pages with no
background, and the clutter of a repository (README, sources, build scripts).
"""

from __future__ import annotations

import io
import json

# -- a turn-based DOM puzzle with web fonts ----------------------------------------------

# Each glyph of the test fonts is one square `advance` units wide (of 1000), so the width of
# a line of text says whether the font loaded: 20 px Tiles text is 20 px a letter.
TILES_ADVANCE = 1000
HEAVY_ADVANCE = 1300
FONT_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "


def square_font(family: str, advance: int) -> bytes:
    """A WOFF font whose every glyph is a box `advance` units wide (fontTools, no files)."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    names = {c: (f"g{ord(c)}" if c != " " else "space") for c in FONT_CHARS}
    order = [".notdef", *names.values()]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap({ord(c): name for c, name in names.items()})
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        if name != "space":
            pen.moveTo((80, 0))
            pen.lineTo((80, 700))
            pen.lineTo((advance - 80, 700))
            pen.lineTo((advance - 80, 0))
            pen.closePath()
        glyphs[name] = pen.glyph()
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics({name: (advance, 80) for name in order})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": family, "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    builder.setupPost()
    builder.font.flavor = "woff"
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


SLIDE_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Slide 15</title>
<link rel="stylesheet" href="style.css">
<style>
  #board { background: #d8cfc0 url(img/board.svg) center / cover; }
</style>
</head>
<body>
<h1 id="title" style="background-image: url('img/stripe.svg')">SLIDE</h1>
<div id="board"></div>
<p><span id="moves">MOVES 0</span></p>
<script src="js/slide.js"></script>
</body>
</html>
"""
SLIDE_CSS = """@import url(fonts/tiles.css);
body { margin: 0; padding: 16px; background: #f6f1e7; color: #333;
  font: 20px Tiles, sans-serif; }
h1 { margin: 0 0 12px; font: 40px Heavy, sans-serif; background-repeat: repeat-x; }
#board { position: relative; width: 320px; height: 320px; border-radius: 6px; }
.tile { position: absolute; left: 0; top: 0; width: 76px; height: 76px; border-radius: 4px;
  background: #8f7a66; color: #fff; font: 40px/76px Tiles, sans-serif; text-align: center;
  transition: transform 300ms ease; }
"""
# Reached only through the @import in style.css, and itself importing another, for screens:
# every url() in them is relative to their own folder.
SLIDE_FONTS_CSS = """@import "heavy/heavy.css" screen;
@font-face { font-family: "Tiles"; src: url("Tiles.woff") format("woff"); }
"""
SLIDE_HEAVY_CSS = """@charset "utf-8";
@font-face { font-family: "Heavy"; src: url("../Heavy.woff") format("woff"); }
"""
SLIDE_JS = """'use strict';
// A 15-puzzle: arrows slide a tile into the gap (a 300 ms CSS transition); a click on a tile
// next to the gap slides it. Nothing moves until then.
const board = document.getElementById('board');
const movesText = document.getElementById('moves');
const cells = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0, 15];
const tiles = {};
let moves = 0;
for (const n of cells) {
  if (!n) continue;
  const tile = document.createElement('div');
  tile.className = 'tile';
  tile.textContent = String(n);
  tile.addEventListener('click', () => slideTile(cells.indexOf(n)));
  board.appendChild(tile);
  tiles[n] = tile;
}
function place() {
  cells.forEach((n, i) => {
    const x = (i % 4) * 80 + 2, y = Math.floor(i / 4) * 80 + 2;
    if (n) tiles[n].style.transform = `translate(${x}px, ${y}px)`;
  });
  movesText.textContent = 'MOVES ' + moves;
}
function slideTile(from) {
  const gap = cells.indexOf(0);
  const sameRow = Math.floor(from / 4) === Math.floor(gap / 4);
  const near = Math.abs(from - gap) === 4 || (Math.abs(from - gap) === 1 && sameRow);
  if (from < 0 || from > 15 || !near) return;
  cells[gap] = cells[from];
  cells[from] = 0;
  moves += 1;
  place();
}
const pushes = { ArrowLeft: 1, ArrowRight: -1, ArrowUp: 4, ArrowDown: -4 };
addEventListener('keydown', (e) => {
  if (!(e.key in pushes)) return;
  const gap = cells.indexOf(0), from = gap + pushes[e.key];
  if (Math.abs(pushes[e.key]) === 1 && Math.floor(from / 4) !== Math.floor(gap / 4)) return;
  slideTile(from);
  e.preventDefault();
});
place();
"""
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8">'
    '<rect width="8" height="8" fill="{colour}"/></svg>'
)


def slide_game() -> dict[str, bytes | str]:
    """The DOM puzzle, with what its repository carries beside the game."""
    return {
        "index.html": SLIDE_HTML,
        "style.css": SLIDE_CSS,
        "fonts/tiles.css": SLIDE_FONTS_CSS,
        "fonts/heavy/heavy.css": SLIDE_HEAVY_CSS,
        "fonts/Tiles.woff": square_font("Tiles", TILES_ADVANCE),
        "fonts/Heavy.woff": square_font("Heavy", HEAVY_ADVANCE),
        "img/board.svg": SVG.format(colour="#c9bba8"),
        "img/stripe.svg": SVG.format(colour="#e8dcc8"),
        "js/slide.js": SLIDE_JS,
        # The repository's clutter: nothing in the game reaches these.
        "README.md": "# Slide 15\n\nA sliding puzzle.\n" + "Lorem ipsum dolor sit amet. " * 2000,
        "src/style.scss": "$tile: #8f7a66;\n.tile { background: $tile; }\n" * 200,
        "build.sh": "#!/bin/sh\nsass src/style.scss style.css\n",
        "package.json": json.dumps({"name": "slide-15", "scripts": {"build": "sh build.sh"}}),
        "docs/screenshot.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 400,
    }


SLIDE_CLUTTER = ("README.md", "build.sh", "docs/screenshot.png", "package.json", "src/style.scss")


# -- a canvas arcade game behind a start screen, with ads and analytics -----------------

BRICK_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Brick</title>
<link href="https://fonts.cdn.example/css?family=Press+Start" rel="stylesheet">
<script async src="https://tags.analytics.example/gtag/js?id=G-TEST"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag() { dataLayer.push(arguments); }
  gtag('js', new Date());
  gtag('config', 'G-TEST');
</script>
<script src="https://ads.adnet.example/show.js"></script>
<style>html, body { margin: 0; height: 100%; background: #111; overflow: hidden; }
canvas { display: block; width: 100%; height: 100%; }</style>
</head>
<body>
<canvas id="game" width="800" height="600"></canvas>
<img src="https://pixel.tracker.example/p.gif" width="1" height="1" alt="">
<script src="game.js"></script>
</body>
</html>
"""
BRICK_JS = """'use strict';
// The title screen waits for Enter; then the ball flies on its own (it bounces off every
// wall, so it never waits for the player) and the arrows move the paddle.
const canvas = document.getElementById('game'), g = canvas.getContext('2d');
let scene = 'title', paddle = 350, last = 0;
const ball = { x: 400, y: 300, vx: 240, vy: -180 }, held = {};
function track(name) {
  fetch('https://collect.analytics.example/e?n=' + name, { method: 'POST' }).catch(() => {});
  if (navigator.sendBeacon) navigator.sendBeacon('https://beacon.stats.example/b', name);
}
addEventListener('keydown', (e) => {
  held[e.key] = true;
  if (scene === 'title' && e.key === 'Enter') { scene = 'play'; START_HOOK track('start'); }
});
addEventListener('keyup', (e) => { held[e.key] = false; });
function frame(now) {
  const dt = Math.min(0.25, last ? (now - last) / 1000 : 0);  // time-based, even at 4 fps
  last = now;
  g.fillStyle = '#111';
  g.fillRect(0, 0, 800, 600);
  g.fillStyle = '#fff';
  if (scene === 'title') {
    g.font = '64px monospace'; g.fillText('BRICK', 300, 250);
    g.font = '24px monospace'; g.fillText('PRESS ENTER TO START', 255, 330);
  } else {
    if (held.ArrowLeft) paddle = Math.max(0, paddle - 420 * dt);
    if (held.ArrowRight) paddle = Math.min(700, paddle + 420 * dt);
    ball.x += ball.vx * dt; ball.y += ball.vy * dt;
    if (ball.x < 8 || ball.x > 792) ball.vx = -ball.vx;
    if (ball.y < 8 || ball.y > 592) ball.vy = -ball.vy;
    for (let i = 0; i < 8; i++) {
      g.fillStyle = `hsl(${i * 40}, 70%, 55%)`;
      g.fillRect(i * 100 + 4, 40, 92, 24);
    }
    g.fillStyle = '#eee'; g.fillRect(paddle, 560, 100, 14);
    g.beginPath(); g.arc(ball.x, ball.y, 8, 0, 7); g.fill();
  }
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
"""
BRICK_HOSTS = (
    "fonts.cdn.example",
    "tags.analytics.example",
    "ads.adnet.example",
    "pixel.tracker.example",
    "collect.analytics.example",
    "beacon.stats.example",
)


def brick_game(*, uses_the_ad_script: bool = False) -> dict[str, str]:
    """The arcade game; with `uses_the_ad_script`, starting it calls the blocked ad script's
    object, so the game's own code fails because of the block."""
    hook = "AdNet.showBanner('top');" if uses_the_ad_script else ""
    return {"index.html": BRICK_HTML, "game.js": BRICK_JS.replace("START_HOOK ", hook)}


# -- a lesson-style canvas game driven by setInterval ------------------------------------

ORBIT_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Orbit</title></head>
<body style="margin:0;background:#000">
<canvas id="c" width="400" height="300"></canvas>
<script>
var ctx = document.getElementById('c').getContext('2d');
var angle = 0;
function step() {
  angle += 0.08;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, 400, 300);
  ctx.fillStyle = '#fc0';
  ctx.beginPath();
  ctx.arc(200 + Math.cos(angle) * 100, 150 + Math.sin(angle) * 100, 12, 0, 7);
  ctx.fill();
}
setInterval(step, 40);
</script>
</body></html>
"""

# -- a game that says "game over" with alert(), asks with confirm() and reloads itself ----

AGAIN_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Again</title></head>
<body style="margin:0;background:#123">
<canvas id="c" width="400" height="300"></canvas>
<script>
var ctx = document.getElementById('c').getContext('2d');
var round = Number(sessionStorage.getItem('round') || 1);
function frame(t) {
  ctx.fillStyle = '#123'; ctx.fillRect(0, 0, 400, 300);
  ctx.fillStyle = round > 1 ? '#6f6' : '#f66';
  ctx.fillRect((t / 4) % 400, 120, 40, 40);
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
if (round === 1) {
  setTimeout(function () {
    alert('Game over! Score: 3');
    var again = confirm('Play again?');
    sessionStorage.setItem('round', '2');
    location.reload();
  }, 700);
}
</script>
</body></html>
"""

# -- a page that sets no background (a browser shows it on white) ------------------------

PLAIN_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Plain</title></head>
<body style="margin:0">
<div style="position:absolute;left:40px;top:40px;width:160px;height:90px;background:#c33"></div>
<div style="position:absolute;left:260px;top:150px;width:120px;height:120px;
  border-radius:60px;background:#2a6"></div>
</body></html>
"""

# -- a canvas game behind a Play button, away from the centre -----------------------------

LAUNCH_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Launch</title>
<style>html, body { margin: 0; height: 100%; background: #0b1d33; overflow: hidden; }
canvas { display: block; }
#menu { position: absolute; left: 40px; bottom: 40px; }
#menu button { font: 24px sans-serif; padding: 12px 40px; margin-right: 12px; }</style>
</head><body>
<canvas id="c" width="800" height="600"></canvas>
<div id="menu"><button id="play">Play</button><button id="help">?</button></div>
<script>
// Nothing moves and no key counts until the Play button is clicked; then a rocket climbs
// on its own and the arrows steer it.
var g = document.getElementById('c').getContext('2d');
var playing = false, x = 400, y = 560, held = {};
document.getElementById('play').onclick = function () {
  playing = true;
  document.getElementById('menu').style.display = 'none';
};
addEventListener('keydown', function (e) { held[e.key] = true; });
addEventListener('keyup', function (e) { held[e.key] = false; });
function draw() {
  g.fillStyle = '#0b1d33'; g.fillRect(0, 0, 800, 600);
  if (playing) {
    y = y < -20 ? 600 : y - 3;
    if (held.ArrowLeft) x = Math.max(10, x - 6);
    if (held.ArrowRight) x = Math.min(790, x + 6);
  } else {
    g.fillStyle = '#fff'; g.font = '48px sans-serif'; g.fillText('LAUNCH', 310, 200);
  }
  g.fillStyle = '#f84'; g.fillRect(x - 10, y - 20, 20, 40);
  requestAnimationFrame(draw);
}
requestAnimationFrame(draw);
</script>
</body></html>
"""
