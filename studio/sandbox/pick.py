"""Asking the game's page what is under a point, from Studio's side (the Preview's Pick).

Pick mode is Studio's, never the page's: Studio turns it on, takes the point from Qt's own
mouse event on a layer over the page (the page receives no event at all meanwhile), and
asks what is there. The question runs in an isolated JavaScript world
(`QWebEngineScript.ApplicationWorld`): it shares the page's DOM but none of its JavaScript,
so a game that replaces `document.elementFromPoint`, `getBoundingClientRect`, `JSON` or
`console` cannot change the answer; and the answer is `runJavaScript`'s result, handed to
Studio by Chromium, not a console line, which any page can write. A page can show whatever
it likes, and the words on it are what the pick reports, but it cannot put a selection
into a prompt without the person's click.

Points are CSS pixels of the page's viewport (the widget's pixels over the zoom factor).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineScript

__all__ = ["PICK_WORLD", "ask_hover", "ask_pick", "ask_state", "hover_script", "pick_script"]

PICK_WORLD = int(QWebEngineScript.ScriptWorldId.ApplicationWorld)
MAX_ANSWER = 64_000  # characters of an answer read at most (its texts are cut in the page)

_FIND = r"""
const el = document.elementFromPoint(__X__, __Y__);
const label = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
  (!e.id && e.classList.length ? '.' + [...e.classList].slice(0, 2).join('.') : '');
const box = (e) => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; };
"""

_HOVER = (
    "JSON.stringify((() => {"
    + _FIND
    + "return el ? [...box(el), label(el), el.tagName] : null; })())"
)

_PICK = (
    "JSON.stringify((() => {"
    + _FIND
    + r"""
if (!el) return null;
const path = [];
for (let e = el; e && e.nodeType === 1 && path.length < 8; e = e.parentElement) {
  let part = e.tagName.toLowerCase();
  if (e.id) { path.unshift(part + '#' + CSS.escape(e.id)); break; }
  const kin = e.parentElement ? [...e.parentElement.children] : [];
  const same = kin.filter((c) => c.tagName === e.tagName);
  if (same.length > 1) part += ':nth-of-type(' + (same.indexOf(e) + 1) + ')';
  path.unshift(part);
}
const attrs = [...el.attributes].slice(0, 12).map((a) =>
  ' ' + a.name + '="' + a.value.replace(/&/g, '&amp;').replace(/"/g, '&quot;') + '"').join('');
const text = (el.tagName === 'CANVAS' ? '' : (el.innerText || el.textContent || '')).trim();
return {
  tag: el.tagName.toLowerCase(), id: el.id || '', classes: [...el.classList].slice(0, 8),
  selector: path.join(' > '), text: text.slice(0, 400), open: ('<' + el.tagName.toLowerCase() +
  attrs + '>').slice(0, 400), box: box(el),
  viewport: [document.documentElement.clientWidth, document.documentElement.clientHeight],
};
})())"""
)


def _at(script: str, x: float, y: float) -> str:
    return script.replace("__X__", f"{x:.1f}").replace("__Y__", f"{y:.1f}")


def hover_script(x: float, y: float) -> str:
    return _at(_HOVER, x, y)


def pick_script(x: float, y: float) -> str:
    return _at(_PICK, x, y)


def _parsed(done: Callable[[Any], None]) -> Callable[[Any], None]:
    """Results come back as JSON text: PySide6 hands a JavaScript array or object over as ''."""

    def parse(text: Any) -> None:
        try:
            done(json.loads(text) if isinstance(text, str) and len(text) < MAX_ANSWER else None)
        except ValueError:
            done(None)

    return parse


def ask_hover(page: QWebEnginePage, x: float, y: float, done: Callable[[Any], None]) -> None:
    """`done([x, y, w, h, label, TAG] | None)`: the box of what is under (x, y)."""
    page.runJavaScript(hover_script(x, y), PICK_WORLD, _parsed(done))


def ask_pick(page: QWebEnginePage, x: float, y: float, done: Callable[[Any], None]) -> None:
    """`done(description | None)`: the element under (x, y) (`studio.operations.selections`
    checks every value of it)."""
    page.runJavaScript(pick_script(x, y), PICK_WORLD, _parsed(done))


def ask_state(page: QWebEnginePage, done: Callable[[str | None], None]) -> None:
    """`done(JSON text | None)`: the game's `window.studio.state()` now. It is the game's own
    function, so it runs in the page's world; what it returns is only data."""
    page.runJavaScript(
        "window.__studio ? window.__studio.state() : null",
        0,
        lambda value: done(value if isinstance(value, str) else None),
    )
