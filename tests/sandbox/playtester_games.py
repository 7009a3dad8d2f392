"""Small games for the AI playtester's tests, each with or without a known bug.

`climb(bug)`: a canvas platformer with `window.studio.state()` and `advance(ms)`. The player
starts on the ground at x 40; Right/Left walk at 220 px/s, Space or ArrowUp jumps; a coin
at x 150 gives a point; landing on the platform (x 330-480, 80 px up) wins. Held inputs
that work on the good game: Right for 1 s picks the coin up (score 1); then Right + Space
for 0.7 s jumps onto the platform (won). The bugs:

- "unreachable": the jump is too low to reach the platform;
- "no_score": the coin disappears but the score stays 0;
- "dead_key": ArrowLeft does nothing;
- "freeze": at 10 s of game time the game enters an endless loop.

`counter(bug)`: a DOM game without a canvas or state hook: a name field, a Start button,
then a "+1" button; "Score: N" is shown and "You win" at 3. Bug "no_score": +1 does nothing.
"""

from __future__ import annotations

CLIMB = """<!DOCTYPE html><html><head><title>Climb</title>
<style>html,body{margin:0;height:100%;overflow:hidden;background:#123}canvas{display:block}</style>
</head><body><canvas id=c width=800 height=600></canvas><script>
const BUG = '__BUG__';
const c = document.getElementById('c'), g = c.getContext('2d');
const GROUND = 500, W = 30, SPEED = 220, GRAVITY = 1400;
const JUMP = BUG === 'unreachable' ? 380 : 520;
const PLATFORM = {x: 330, w: 150, y: 420};
const COIN = {x: 150};
const keys = new Set();
let p, score, won, time, coin;
function reset() {
  p = {x: 40, y: GROUND, vy: 0, ground: true}; score = 0; won = false; time = 0; coin = true;
}
reset();
addEventListener('keydown', (e) => {
  if (BUG === 'dead_key' && e.key === 'ArrowLeft') return;
  keys.add(e.key);
  if ((e.key === ' ' || e.key === 'ArrowUp') && p.ground) { p.vy = -JUMP; p.ground = false; }
});
addEventListener('keyup', (e) => keys.delete(e.key));
addEventListener('pointerdown', () => { if (p.ground) { p.vy = -JUMP; p.ground = false; } });
function update(dt) {
  time += dt;
  if (BUG === 'freeze' && time >= 10) { for (;;) {} }
  const dir = (keys.has('ArrowRight') ? 1 : 0) - (keys.has('ArrowLeft') ? 1 : 0);
  p.x = Math.max(0, Math.min(770, p.x + dir * SPEED * dt));
  const wasAbove = p.y <= PLATFORM.y;
  p.vy += GRAVITY * dt; p.y += p.vy * dt;
  const over = p.x + W > PLATFORM.x && p.x < PLATFORM.x + PLATFORM.w;
  if (over && wasAbove && p.y >= PLATFORM.y && p.vy > 0) {
    p.y = PLATFORM.y; p.vy = 0; p.ground = true; won = true;
  }
  else if (p.y >= GROUND) { p.y = GROUND; p.vy = 0; p.ground = true; }
  else if (!(over && p.y === PLATFORM.y)) p.ground = p.y >= GROUND;
  if (coin && Math.abs(p.x + W / 2 - COIN.x) < 20 && p.y > GROUND - 40) {
    coin = false; if (BUG !== 'no_score') score += 1;
  }
}
function render() {
  g.fillStyle = '#123'; g.fillRect(0, 0, 800, 600);
  g.fillStyle = '#6a4'; g.fillRect(0, GROUND, 800, 100);
  g.fillStyle = '#ca6'; g.fillRect(PLATFORM.x, PLATFORM.y, PLATFORM.w, 12);
  if (coin) { g.fillStyle = '#fd0'; g.beginPath(); g.arc(COIN.x, GROUND - 15, 8, 0, 7); g.fill(); }
  g.fillStyle = won ? '#4f4' : '#f84'; g.fillRect(p.x, p.y - 40, W, 40);
  g.fillStyle = '#fff'; g.font = '20px sans-serif';
  g.fillText('Score ' + score + (won ? '  You win!' : ''), 10, 30);
}
let last = 0, acc = 0, rest = 0;
const STEP = 1000 / 60;
function frame(t) { if (!last) last = t; acc += Math.min(250, t - last); last = t;
  while (acc >= STEP) { update(STEP / 1000); acc -= STEP; }
  render(); requestAnimationFrame(frame); }
requestAnimationFrame(frame);
window.studio = {
  state: () => ({x: Math.round(p.x), y: Math.round(p.y), onGround: p.ground, score, won,
                 time: Math.round(time * 1000) / 1000, coin}),
  advance(ms) { const total = ms + rest; const n = Math.floor(total / STEP + 1e-6);
    rest = total - n * STEP; for (let i = 0; i < n; i++) update(STEP / 1000); render(); },
};
render();
</script></body></html>"""

COUNTER = """<!DOCTYPE html><html><head><title>Counter</title>
<style>body{font:18px sans-serif;margin:40px}button{font-size:18px;margin:6px}</style>
</head><body>
<h1>Counter</h1>
<label>Your name <input id=name placeholder="name"></label>
<button id=start>Start</button>
<div id=play hidden><p id=hello></p><p id=score>Score: 0</p><button id=plus>+1</button></div>
<p id=win hidden>You win</p>
<script>
const BUG = '__BUG__';
let score = 0;
const $ = (id) => document.getElementById(id);
$('start').onclick = () => {
  $('start').hidden = true; $('play').hidden = false;
  $('hello').textContent = 'Hello ' + ($('name').value || 'player');
};
$('plus').onclick = () => {
  if (BUG !== 'no_score') score += 1;
  $('score').textContent = 'Score: ' + score;
  if (score >= 3) $('win').hidden = false;
};
</script></body></html>"""


def climb(bug: str = "") -> str:
    return CLIMB.replace("__BUG__", bug)


def counter(bug: str = "") -> str:
    return COUNTER.replace("__BUG__", bug)
