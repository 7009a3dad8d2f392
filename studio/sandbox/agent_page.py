"""Scripts an AI playtest puts into the game's page, beside the runtime (`studio.sandbox.runtime`).

- `seed_script(seed)` (the game's world, before its code runs): `Math.random` becomes a
  seeded generator, so a recorded play replays the same way.
- `clock_script(mode)` (the game's world, when the document is parsed): with mode "game",
  or "auto" and a game that has `window.studio.advance`, the runtime pauses the game's clock
  before its first frame; from then on only `advance` moves it (`ADVANCE_JS`).
- `AGENT_JS` (an isolated world the game cannot reach): counts the key, pointer and input
  events the page received, so an action waits until its events have arrived before the
  clock moves; `page()` lists the page as indexed text (the items a player can use, the
  visible words, the canvases), the shape Playwright MCP and Browser Use give a model;
  `item(i)` says where item i is now; `frame()` and `painted(n)` tell when the picture shows
  what the page did (so a screenshot after an action is of its result, not the frame before).

Nothing here is a protection: the sandbox's protections live in the browser process.
"""

from __future__ import annotations

import json

SEED_JS = """(() => {
  let a = __SEED__ >>> 0;
  // mulberry32: small, fast, and the same sequence for the same seed everywhere
  Math.random = function random() {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
})();"""

CLOCK_JS = """(() => {
  const mode = __MODE__;
  const s = window.studio;
  const stepped = !!(s && typeof s.advance === 'function');
  if (window.__studio && (mode === 'game' || (mode === 'auto' && stepped))) window.__studio.pause();
})();"""

# The game's world: is the clock paused, is there a state hook and an advance hook.
HOOKS_JS = """(() => {
  const s = window.studio;
  return JSON.stringify({
    paused: !!(window.__studio && window.__studio.paused()),
    state: !!(s && typeof s.state === 'function'),
    advance: !!(s && typeof s.advance === 'function'),
  });
})()"""

# The game's world: move the clock `__TICKS__` ticks of 1/60 s, one advance() call each.
ADVANCE_JS = """(() => {
  try {
    const s = window.studio;
    for (let i = 0; i < __TICKS__; i++) s.advance(1000 / 60);
    return '';
  } catch (e) { return String(e && e.stack || e); }
})()"""

AGENT_JS = r"""(() => {
  if (window.__agent) return;
  const counts = {keydown: 0, keyup: 0, pointerdown: 0, pointerup: 0, pointermove: 0, input: 0};
  for (const type of Object.keys(counts)) {
    window.addEventListener(type, () => { counts[type]++; }, true);
  }
  const ROLES = new Set(['button', 'link', 'checkbox', 'radio', 'tab', 'menuitem', 'option',
    'switch', 'slider', 'textbox', 'combobox']);
  const MAX_LINES = 160;
  let items = [];

  const words = (text, n) => String(text || '').replace(/\s+/g, ' ').trim().slice(0, n);
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return false;
    if (r.bottom < 0 || r.right < 0 || r.top > innerHeight || r.left > innerWidth) return false;
    const st = getComputedStyle(el);
    return st.visibility !== 'hidden' && Number(st.opacity) > 0.05;
  };
  const usable = (el) => {
    const tag = el.tagName;
    if (['BUTTON', 'SELECT', 'TEXTAREA', 'SUMMARY'].includes(tag)) return true;
    if (tag === 'INPUT') return el.type !== 'hidden';
    if (tag === 'A' && el.hasAttribute('href')) return true;
    if (ROLES.has(el.getAttribute('role'))) return true;
    if (el.hasAttribute('onclick') || el.isContentEditable) return true;
    if (el.tabIndex >= 0 && el.hasAttribute('tabindex')) return true;
    // A pointer cursor marks what a game made clickable; children inherit it, so only the
    // outermost element that has it counts.
    const parent = el.parentElement;
    return getComputedStyle(el).cursor === 'pointer' &&
      !(parent && getComputedStyle(parent).cursor === 'pointer');
  };
  const name = (el) => {
    const own = el.getAttribute('aria-label') || el.getAttribute('title') || el.getAttribute('alt');
    if (own) return words(own, 60);
    if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') {
      const label = el.labels && el.labels[0] ? el.labels[0].innerText : '';
      return words(label || el.placeholder || el.name || '', 60);
    }
    return words(el.innerText || el.textContent, 60);
  };
  const describe = (el) => {
    const tag = el.tagName.toLowerCase();
    const role = el.getAttribute('role');
    let kind = role || (tag === 'a' ? 'link' : tag);
    if (tag === 'input') kind = 'input ' + (el.type || 'text');
    let text = `${kind} "${name(el)}"`;
    if (tag === 'input' || tag === 'textarea' || tag === 'select') {
      if (el.type === 'checkbox' || el.type === 'radio') text += el.checked ? ' checked' : '';
      else text += ` value "${words(el.value, 40)}"`;
    }
    if (el.disabled) text += ' disabled';
    if (document.activeElement === el) text += ' focused';
    return text;
  };
  const ownText = (el) => {
    let text = '';
    for (const node of el.childNodes) if (node.nodeType === 3) text += node.textContent + ' ';
    return words(text, 100);
  };

  function page() {
    items = [];
    const lines = [];
    const body = document.body;
    if (body) {
      const walk = document.createTreeWalker(body, NodeFilter.SHOW_ELEMENT);
      let skipInside = null;
      for (let el = walk.currentNode; el && lines.length < MAX_LINES; el = walk.nextNode()) {
        if (skipInside && skipInside.contains(el)) continue;
        skipInside = null;
        const tag = el.tagName;
        if (['SCRIPT', 'STYLE', 'TEMPLATE'].includes(tag)) { skipInside = el; continue; }
        if (getComputedStyle(el).display === 'none') { skipInside = el; continue; }
        if (tag === 'CANVAS') {
          const r = el.getBoundingClientRect();
          if (r.width > 1 && r.height > 1) {
            lines.push(`canvas ${Math.round(r.width)}x${Math.round(r.height)} at ` +
              `${Math.round(r.left)},${Math.round(r.top)}`);
          }
          continue;
        }
        if (el !== body && usable(el) && shown(el)) {
          items.push(el);
          lines.push(`[${items.length}] ${describe(el)}`);
          skipInside = el;
          continue;
        }
        const text = ownText(el);
        if (text && shown(el)) lines.push(`"${text}"`);
      }
    }
    return JSON.stringify({
      title: words(document.title, 80),
      size: [innerWidth, innerHeight],
      lines,
      truncated: lines.length >= MAX_LINES,
    });
  }

  function item(i) {
    const el = items[i - 1];
    if (!el || !el.isConnected) return JSON.stringify(null);
    const r = el.getBoundingClientRect();
    return JSON.stringify({x: r.left + r.width / 2, y: r.top + r.height / 2, label: name(el)});
  }

  // Two frames from now the picture shows what the page did before this call: the first
  // frame's paint has reached the screen when the second one begins.
  let asked = 0, reached = 0;
  function frame() {
    const n = ++asked;
    requestAnimationFrame(() => requestAnimationFrame(() => { reached = Math.max(reached, n); }));
    return n;
  }
  const painted = (n) => reached >= n;

  function find(label) {
    page();
    const i = items.findIndex((el) => name(el) === label);
    return i < 0 ? 0 : i + 1;
  }

  Object.defineProperty(window, '__agent', {value: Object.freeze({
    counts: () => JSON.stringify(counts), page, item, find, frame, painted,
  })});
})();"""


def seed_script(seed: int) -> str:
    return SEED_JS.replace("__SEED__", str(int(seed) & 0xFFFFFFFF))


def clock_script(mode: str) -> str:
    if mode not in ("auto", "game", "real"):
        raise ValueError(mode)
    return CLOCK_JS.replace("__MODE__", json.dumps(mode))


def advance_script(ticks: int) -> str:
    return ADVANCE_JS.replace("__TICKS__", str(max(0, int(ticks))))
