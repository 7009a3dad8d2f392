"""The page around an exported game: title, mute, fullscreen, touch hints; and the scripts
that run first inside the game.

Kept as Python strings (not files) so they ship with the package without package data.
Placeholders are `@@NAME@@`, filled with str.replace.
"""

from __future__ import annotations

# Network access is forbidden: everything the game needs is inside the file. 'self' is not
# needed (nothing is loaded by URL), and under file:// it would reach neighbouring files.
SINGLE_FILE_CSP = (
    "default-src 'none'; "
    "script-src 'unsafe-inline' 'unsafe-eval' blob: data:; "
    "style-src 'unsafe-inline' blob: data:; "
    "img-src blob: data:; media-src blob: data:; font-src blob: data:; "
    "connect-src blob: data:; worker-src blob: data:; "
    "frame-src blob: data:; child-src blob: data:; "
    "manifest-src 'none'; object-src 'none'; form-action 'none'; base-uri 'none'"
)

# The web folder loads its own files ('self'); nothing from other hosts.
WEB_FOLDER_CSP = (
    "default-src 'self' data: blob:; "
    "script-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:; "
    "style-src 'self' 'unsafe-inline' data: blob:; "
    "img-src 'self' data: blob:; media-src 'self' data: blob:; font-src 'self' data: blob:; "
    "connect-src 'self' data: blob:; worker-src 'self' data: blob:; "
    "frame-src 'self' data: blob:; child-src 'self' data: blob:; "
    "object-src 'none'; form-action 'none'; base-uri 'self'"
)


def csp_meta(policy: str) -> str:
    return f'<meta http-equiv="Content-Security-Policy" content="{policy}">'


# Runs first in the single file's game document. Relative URLs set from script (img.src,
# fetch, new Audio, ...) are mapped to the blob URLs the shell made; the shell mutes the game
# through `__studioShell.setMuted`.
GAME_BOOTSTRAP = r"""<script>(function () {
  'use strict';
  var A = @@STUDIO_ASSET_MAP@@;
  var has = Object.prototype.hasOwnProperty;
  var ABSOLUTE = /^(?:[a-zA-Z][a-zA-Z0-9+.\-]*:|\/\/)/;
  function lookup(u) {
    if (u == null) return null;
    u = String(u).trim();
    if (!u || u.charAt(0) === '#' || ABSOLUTE.test(u)) return null;
    var p;
    try { p = decodeURIComponent(new URL(u, 'https://game.invalid/').pathname.slice(1)); }
    catch (e) { return null; }
    return has.call(A, p) ? A[p] : null;
  }
  function fix(u) { var r = lookup(u); return r === null ? u : r; }
  function fixCss(s) {
    if (typeof s !== 'string') return s;
    return s.replace(/url\(\s*(["']?)([^"')]*?)\1\s*\)/gi, function (m, q, u) {
      var r = lookup(u); return r === null ? m : 'url("' + r + '")';
    });
  }
  function fixMarkup(s) {
    if (typeof s !== 'string') return s;
    s = s.replace(/(\s(?:src|href|poster)\s*=\s*)(["'])([^"']*)\2/gi, function (m, a, q, u) {
      var r = lookup(u); return r === null ? m : a + q + r + q;
    });
    return fixCss(s);
  }
  function wrap(proto, name, f) {
    var d = proto && Object.getOwnPropertyDescriptor(proto, name);
    if (!d || !d.set) return;
    Object.defineProperty(proto, name, {
      configurable: true, enumerable: d.enumerable, get: d.get,
      set: function (v) { d.set.call(this, f(v)); }
    });
  }
  [window.HTMLImageElement, window.HTMLMediaElement, window.HTMLSourceElement,
   window.HTMLScriptElement, window.HTMLIFrameElement, window.HTMLEmbedElement,
   window.HTMLTrackElement, window.HTMLInputElement].forEach(function (C) {
    if (C) wrap(C.prototype, 'src', fix);
  });
  if (window.HTMLVideoElement) wrap(HTMLVideoElement.prototype, 'poster', fix);
  if (window.HTMLLinkElement) wrap(HTMLLinkElement.prototype, 'href', fix);
  wrap(Element.prototype, 'innerHTML', fixMarkup);
  wrap(Element.prototype, 'outerHTML', fixMarkup);
  var insertAdjacentHTML = Element.prototype.insertAdjacentHTML;
  Element.prototype.insertAdjacentHTML = function (where, markup) {
    return insertAdjacentHTML.call(this, where, fixMarkup(markup));
  };
  var setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    var n = String(name).toLowerCase();
    if (n === 'src' || n === 'href' || n === 'poster' || n === 'xlink:href') value = fix(value);
    else if (n === 'style') value = fixCss(value);
    return setAttribute.call(this, name, value);
  };
  if (window.CSSStyleDeclaration) {
    var css = CSSStyleDeclaration.prototype, setProperty = css.setProperty;
    wrap(css, 'cssText', fixCss);
    css.setProperty = function (n, v, p) { return setProperty.call(this, n, fixCss(v), p); };
    // Engines keep each CSS property on the style object itself, so `el.style.background =
    // "url(assets/x.png)"` is caught by handing out a thin proxy of the style object.
    var styled = new WeakMap();
    var styleProxy = function (real) {
      var p = styled.get(real);
      if (!p) {
        p = new Proxy(real, {
          get: function (t, k) {
            var v = Reflect.get(t, k, t);
            return typeof v === 'function' ? v.bind(t) : v;
          },
          set: function (t, k, v) {
            t[k] = (typeof v === 'string' && v.indexOf('url(') >= 0) ? fixCss(v) : v;
            return true;
          }
        });
        styled.set(real, p);
      }
      return p;
    };
    [window.HTMLElement, window.SVGElement].forEach(function (C) {
      var d = C && Object.getOwnPropertyDescriptor(C.prototype, 'style');
      if (!d || !d.get) return;
      Object.defineProperty(C.prototype, 'style', {
        configurable: true, enumerable: d.enumerable, set: d.set,
        get: function () { return styleProxy(d.get.call(this)); }
      });
    });
  }
  if (window.fetch) {
    var fetch0 = window.fetch;
    window.fetch = function (input, init) {
      if (typeof input === 'string' || (window.URL && input instanceof URL)) {
        input = fix(String(input));
      }
      return fetch0.call(this, input, init);
    };
  }
  if (window.XMLHttpRequest) {
    var open = XMLHttpRequest.prototype.open;
    XMLHttpRequest.prototype.open = function (method, url) {
      var args = Array.prototype.slice.call(arguments);
      args[1] = fix(url);
      return open.apply(this, args);
    };
  }
  function wrapConstructor(name) {
    var C = window[name];
    if (!C) return;
    var W = function () {
      var args = Array.prototype.slice.call(arguments);
      if (args.length) args[0] = fix(args[0]);
      return new (Function.prototype.bind.apply(C, [null].concat(args)))();
    };
    W.prototype = C.prototype;
    window[name] = W;
  }
  wrapConstructor('Audio');
  wrapConstructor('Worker');
  wrapConstructor('SharedWorker');

  // Mute: templates read window.studioMuted; Web Audio goes through one gain per context;
  // media elements are muted while the shell says so (and given back after).
  var muted = false, gains = [], media = [];
  function gainValue() { return muted ? 0 : 1; }
  var AC = window.AudioContext || window.webkitAudioContext;
  if (AC) {
    var proto = AC.prototype, d = null;
    while (proto && !(d = Object.getOwnPropertyDescriptor(proto, 'destination'))) {
      proto = Object.getPrototypeOf(proto);
    }
    if (d && d.get) {
      var routed = new WeakMap();
      Object.defineProperty(AC.prototype, 'destination', {
        configurable: true,
        get: function () {
          var real = d.get.call(this);
          var g = routed.get(this);
          if (!g) {
            g = this.createGain();
            g.gain.value = gainValue();
            g.connect(real);
            routed.set(this, g);
            gains.push(g);
          }
          return g;
        }
      });
    }
  }
  function muteMedia(el) {
    if (media.indexOf(el) < 0) media.push(el);
    if (muted && !el.muted) { el.muted = true; el.__studioShellMuted = true; }
    else if (!muted && el.__studioShellMuted) { el.muted = false; el.__studioShellMuted = false; }
  }
  if (window.HTMLMediaElement) {
    var play = HTMLMediaElement.prototype.play;
    HTMLMediaElement.prototype.play = function () {
      muteMedia(this);
      return play.apply(this, arguments);
    };
    document.addEventListener('play', function (e) {
      if (e.target && e.target instanceof HTMLMediaElement) muteMedia(e.target);
    }, true);
  }
  window.__studioShell = {
    setMuted: function (m) {
      muted = !!m;
      window.studioMuted = muted;
      gains.forEach(function (g) { g.gain.value = gainValue(); });
      media.forEach(muteMedia);
      Array.prototype.forEach.call(document.querySelectorAll('audio,video'), muteMedia);
    }
  };
})();</script>"""

# Runs first in the web folder's pages when the game has WebM videos with MP4 fallbacks:
# a video source set from script gets the MP4 when the browser cannot play VP9.
FOLDER_BOOTSTRAP = r"""<script>(function () {
  'use strict';
  var F = @@FALLBACKS@@;
  var v = document.createElement('video');
  if (!v.canPlayType || v.canPlayType('video/webm; codecs="vp9"')) return;
  function fix(u) {
    if (typeof u !== 'string') return u;
    var m = /^([^?#]*)(.*)$/.exec(u), p;
    try { p = decodeURIComponent(new URL(m[1], 'https://game.invalid/').pathname.slice(1)); }
    catch (e) { return u; }
    return Object.prototype.hasOwnProperty.call(F, p) ? F[p] + m[2] : u;
  }
  [window.HTMLMediaElement, window.HTMLSourceElement].forEach(function (C) {
    var d = C && Object.getOwnPropertyDescriptor(C.prototype, 'src');
    if (!d || !d.set) return;
    Object.defineProperty(C.prototype, 'src', {
      configurable: true, enumerable: d.enumerable, get: d.get,
      set: function (x) { d.set.call(this, fix(x)); }
    });
  });
  var setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (n, x) {
    if (String(n).toLowerCase() === 'src' && this instanceof HTMLMediaElement) x = fix(x);
    return setAttribute.call(this, n, x);
  };
})();</script>"""

# Runs first in the web folder's pages when the game has small data files (story.json,
# levels.json...): opened by double-click (file://), a browser refuses fetch() of the
# page's own files, so those files travel in the page and fetch() answers from them there.
# Served over http(s) the page fetches its files as usual.
LOCAL_FETCH_BOOTSTRAP = r"""<script>(function () {
  'use strict';
  if (location.protocol !== 'file:' || !window.fetch) return;
  var D = @@DATA@@, root = new URL(@@ROOT@@, location.href).href, fetch0 = window.fetch;
  window.fetch = function (input, init) {
    var u = typeof input === 'string' ? input : (input && input.url) || String(input), p = null;
    try {
      var href = new URL(u, document.baseURI).href.replace(/[?#].*$/, '');
      if (href.indexOf(root) === 0) p = decodeURIComponent(href.slice(root.length));
    } catch (e) { p = null; }
    if (p !== null && Object.prototype.hasOwnProperty.call(D, p)) {
      return Promise.resolve(new Response(D[p][1], { headers: { 'Content-Type': D[p][0] } }));
    }
    return fetch0.apply(this, arguments);
  };
})();</script>"""

SHELL_CSS = r"""
:root { color-scheme: dark; --bar: 44px; --fg: #f2f2f7; --dim: #a1a1aa; --bg: #0b0b10; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html, body { margin: 0; height: 100%; background: var(--bg); color: var(--fg);
  font: 15px/1.3 system-ui, -apple-system, "Segoe UI", Roboto, Ubuntu, sans-serif; }
body { display: flex; flex-direction: column; height: 100vh; height: 100dvh; overflow: hidden;
  padding: env(safe-area-inset-top) env(safe-area-inset-right) 0 env(safe-area-inset-left); }
#bar { flex: 0 0 var(--bar); display: flex; align-items: center; gap: 6px; padding: 0 6px 0 14px;
  background: #16161d; border-bottom: 1px solid #26262f; min-width: 0; }
#title { flex: 1 1 auto; min-width: 0; margin: 0; font-size: 16px; font-weight: 600;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#bar button { flex: 0 0 auto; width: 36px; height: 36px; display: grid; place-items: center;
  padding: 0; border: 0; border-radius: 8px; background: transparent; color: var(--fg);
  cursor: pointer; -webkit-tap-highlight-color: transparent; }
#bar button:hover { background: #2a2a35; }
#bar button:focus-visible { outline: 2px solid #7c83ff; outline-offset: 1px; }
#bar svg { width: 22px; height: 22px; fill: none; stroke: currentColor; stroke-width: 2;
  stroke-linecap: round; stroke-linejoin: round; }
#bar .on { display: none; }
#bar [aria-pressed="true"] .on { display: inline; }
#bar [aria-pressed="true"] .off { display: none; }
#stage { position: relative; flex: 1 1 auto; min-height: 0; background: #000; }
#studio-frame { position: absolute; inset: 0; width: 100%; height: 100%; border: 0; display: block;
  background: #000; }
#hint { position: absolute; left: 16px; right: 16px;
  bottom: calc(16px + env(safe-area-inset-bottom)); width: fit-content;
  max-width: calc(100% - 32px); margin: 0 auto; padding: 8px 14px;
  border-radius: 999px; background: rgba(20, 20, 28, .82); color: var(--fg); font-size: 14px;
  text-align: center; pointer-events: none; transition: opacity .6s; }
#hint.gone { opacity: 0; }
#notice { position: absolute; inset: 0; display: grid; place-items: center; padding: 24px;
  color: var(--dim); text-align: center; pointer-events: none; }
body.immersive #bar { display: none; }
body.immersive { padding: 0; }
@media (max-height: 420px) {
  /* A phone on its side: every pixel goes to the game; the buttons float in a corner. */
  #bar { position: absolute; top: env(safe-area-inset-top); right: env(safe-area-inset-right);
    z-index: 2; padding: 2px; gap: 0; background: rgba(20, 20, 28, .45); opacity: .75;
    border: 0; border-radius: 0 0 0 10px; }
  #bar button { width: 32px; height: 32px; }
  #bar svg { width: 18px; height: 18px; }
  #title { display: none; }
  body { padding-top: 0; }
}
"""

SHELL_JS = r"""(function () {
  'use strict';
  var frame = document.getElementById('studio-frame');
  var stage = document.getElementById('stage');
  var notice = document.getElementById('notice');
  var hint = document.getElementById('hint');
  var muteButton = document.getElementById('mute');
  var fullButton = document.getElementById('fullscreen');

  function decode(b64) {
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(b64);
    var s = atob(b64), n = s.length, a = new Uint8Array(n);
    for (var i = 0; i < n; i++) a[i] = s.charCodeAt(i);
    return a;
  }

  function start() {
    var holder = document.getElementById('studio-assets');
    var assets = JSON.parse(holder.textContent);
    holder.textContent = '';
    var probe = document.createElement('video');
    var vp9 = !!(probe.canPlayType && probe.canPlayType('video/webm; codecs="vp9"'));
    var mp4Of = {};
    assets.forEach(function (a) { if (a.fallbackFor) mp4Of[a.fallbackFor] = a.path; });
    var urls = {};
    // Only what this browser plays is decoded: the WebM where VP9 plays, else its MP4.
    assets.forEach(function (a) {
      if (a.fallbackFor && vp9) return;
      if (!vp9 && mp4Of[a.path]) return;
      urls[a.path] = URL.createObjectURL(new Blob([decode(a.data)], { type: a.type }));
      a.data = null;
    });
    assets.forEach(function (a) {
      if (a.fallbackFor && vp9) urls[a.path] = urls[a.fallbackFor];
      if (!vp9 && mp4Of[a.path]) urls[a.path] = urls[mp4Of[a.path]];
      a.data = null;  // the base64 text is not needed any more
    });
    var holderGame = document.getElementById('studio-game');
    var html = JSON.parse(holderGame.textContent);
    holderGame.textContent = '';
    html = html.replace(/__studio_asset_(\d+)__/g, function (m, i) {
      var a = assets[Number(i)];
      return (a && urls[a.path]) || '';
    });
    var map = JSON.stringify(urls).replace(/</g, '\\u003c');
    html = html.replace('@@STUDIO_ASSET_MAP@@', function () { return map; });
    frame.addEventListener('load', ready, { once: true });
    frame.srcdoc = html;
  }

  var muted = false;
  function game() { try { return frame.contentWindow; } catch (e) { return null; } }
  function focusGame() {
    try { frame.focus(); var w = game(); if (w) w.focus(); } catch (e) { /* not ready */ }
  }
  function applyMute() {
    muteButton.setAttribute('aria-pressed', String(muted));
    muteButton.title = muted ? 'Sound on' : 'Mute';
    var w = game();
    try { if (w && w.__studioShell) w.__studioShell.setMuted(muted); } catch (e) { /* gone */ }
  }

  function ready() {
    notice.hidden = true;
    applyMute();
    focusGame();
    var w = game();
    var touch = window.matchMedia && matchMedia('(pointer: coarse)').matches;
    if (touch || ('ontouchstart' in window && navigator.maxTouchPoints > 0)) {
      hint.hidden = false;
      var hide = function () { hint.classList.add('gone'); };
      setTimeout(hide, 6000);
      try { w.addEventListener('pointerdown', hide, { once: true, capture: true }); }
      catch (e) { /* the game is gone */ }
    }
  }

  // Buttons must not keep the keyboard: the game listens for keys in its own document.
  [muteButton, fullButton].forEach(function (b) {
    b.addEventListener('mousedown', function (e) { e.preventDefault(); });
  });
  muteButton.addEventListener('click', function () { muted = !muted; applyMute(); focusGame(); });

  var root = document.documentElement;
  var canFull = !!(stage.requestFullscreen || stage.webkitRequestFullscreen);
  function inFull() {
    return !!(document.fullscreenElement || document.webkitFullscreenElement) ||
      document.body.classList.contains('immersive');
  }
  function setFull(on) {
    if (canFull) {
      if (on) (stage.requestFullscreen || stage.webkitRequestFullscreen).call(stage);
      else (document.exitFullscreen || document.webkitExitFullscreen).call(document);
    } else {
      // iPhone Safari has no fullscreen for pages: hide the bar instead.
      document.body.classList.toggle('immersive', on);
      syncFull();
    }
  }
  function syncFull() { fullButton.setAttribute('aria-pressed', String(inFull())); focusGame(); }
  fullButton.addEventListener('click', function () {
    try { setFull(!inFull()); }
    catch (e) { document.body.classList.toggle('immersive'); syncFull(); }
  });
  document.addEventListener('fullscreenchange', syncFull);
  document.addEventListener('webkitfullscreenchange', syncFull);
  document.body.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && document.body.classList.contains('immersive')) setFull(false);
  });
  window.addEventListener('focus', focusGame);
  stage.addEventListener('pointerdown', focusGame);
  root.addEventListener('click', function (e) {
    if (e.target === root || e.target === document.body) focusGame();
  });

  // A moment first, so that "Loading…" shows while large assets are decoded.
  setTimeout(function () {
    try { start(); } catch (e) {
      notice.textContent = 'This game could not start: ' + e.message;
      throw e;
    }
  }, 16);
})();"""

ICON_SOUND = (
    '<svg class="off" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 9h4l5-4v14l-5-4H4z"/>'
    '<path d="M16.5 8.5a5 5 0 0 1 0 7M19 6a8.5 8.5 0 0 1 0 12"/></svg>'
    '<svg class="on" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 9h4l5-4v14l-5-4H4z"/>'
    '<path d="M17 9.5l5 5M22 9.5l-5 5"/></svg>'
)
ICON_FULLSCREEN = (
    '<svg class="off" viewBox="0 0 24 24" aria-hidden="true">'
    '<path d="M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5"/></svg>'
    '<svg class="on" viewBox="0 0 24 24" aria-hidden="true">'
    '<path d="M9 4v5H4M20 9h-5V4M15 20v-5h5M4 15h5v5"/></svg>'
)

SHELL_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
@@CSP@@
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="generator" content="@@GENERATOR@@">
<title>@@TITLE@@</title>
<style>@@CSS@@</style>
</head>
<body>
<header id="bar">
<h1 id="title">@@TITLE@@</h1>
<button id="mute" type="button" aria-pressed="false" title="Mute" aria-label="Mute">
@@ICON_SOUND@@</button>
<button id="fullscreen" type="button" aria-pressed="false" title="Fullscreen"
 aria-label="Fullscreen">@@ICON_FULLSCREEN@@</button>
</header>
<main id="stage">
<iframe id="studio-frame" title="@@TITLE@@" allow="fullscreen; autoplay; gamepad"></iframe>
<div id="notice">Loading…<noscript> This game needs JavaScript.</noscript></div>
<div id="hint" hidden>Tap to start, then tap or drag to play</div>
</main>
<script type="application/json" id="studio-game">@@GAME@@</script>
<script type="application/json" id="studio-assets">@@ASSET_DATA@@</script>
<script>@@JS@@</script>
</body>
</html>
"""
