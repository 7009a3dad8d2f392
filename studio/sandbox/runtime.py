"""The script put into every game page before its own code runs.

A bootstrap injected at document creation (a QWebEngineScript in the main world) adds it
to the page as an inline script before the page's first script runs (see BOOTSTRAP_JS for
why), so it sees what the game sees:

- uncaught errors and unhandled rejections are reported through the console with a
  prefix, as JSON carrying file, line and column, and Chromium's own `Uncaught …` line is
  suppressed so each error arrives once;
- `requestAnimationFrame`, timers, `performance.now` and Web Audio can be paused and
  resumed (the game's clock skips the pause, so its next frame is not one long step);
- the first paint is reported once, for the "time to first frame" measure;
- the game's knobs (`window.studio.params`) are reported when Studio asks, at most
  MAX_PARAMS entries, and set one at a time (`setParam`), so the running game changes
  without a reload; Studio checks every value again (`studio.ai.knobs.clean_knobs`);
- `fetch` of a missing file answers 404 with an empty body (QtWebEngine alone would never
  end that body, and `await r.json()` would wait forever).

Nothing here is a protection: a hostile game may undo all of it. The sandbox's protections
live in the browser process (profile, request guard, scheme handler, page policy).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

PREFIX = "\u2063studio:"  # an invisible separator: games don't log it by accident
MAX_PARAMS = 200  # knob entries a page reports at most (of thousands, Studio shows 40)

RUNTIME_JS = r"""
(() => {
  'use strict';
  if (window.__studio) return;
  const PREFIX = '__PREFIX__';
  const report = console.info.bind(console);
  const send = (msg) => { try { report(PREFIX + JSON.stringify(msg)); } catch (e) {} };
  const text = (v) => {
    if (v instanceof Error) return v.name + ': ' + v.message;
    try { return typeof v === 'string' ? v : JSON.stringify(v); } catch (e) { return String(v); }
  };

  window.addEventListener('error', (e) => {
    if (!(e instanceof ErrorEvent)) return;  // resource errors are logged by Chromium
    send({t: 'error', message: e.message || text(e.error), source: e.filename || '',
          line: e.lineno || 0, col: e.colno || 0, stack: (e.error && e.error.stack) || ''});
    e.preventDefault();
  });
  window.addEventListener('unhandledrejection', (e) => {
    const r = e.reason;
    send({t: 'rejection', message: 'Unhandled promise rejection: ' + text(r),
          stack: (r && r.stack) || ''});
    e.preventDefault();
  });

  // QtWebEngine answers a missing studio: file with status 404 but never ends its body, so
  // `await r.json()` would wait forever. Such a response is handed on with the empty body
  // it stands for. (Wrapping fetch, not Response's readers: a promise rejected inside this
  // script would not raise the game's unhandledrejection event.)
  const nativeFetch = window.fetch;
  if (typeof nativeFetch === 'function') {
    window.fetch = function fetch(...args) {
      return nativeFetch.apply(this, args).then((r) =>
        r.status >= 400 && String(r.url).startsWith('studio:')
          ? new Response(null, {status: r.status, statusText: r.statusText, headers: r.headers})
          : r);
    };
  }

  // ---- pause / resume -------------------------------------------------------------------
  let paused = false, pausedAt = 0, pausedTotal = 0;
  const perf = performance;
  const realNow = perf.now.bind(perf);
  perf.now = () => (paused ? pausedAt : realNow()) - pausedTotal;
  const rAF = window.requestAnimationFrame.bind(window);
  const cAF = window.cancelAnimationFrame.bind(window);
  const nativeTimeout = window.setTimeout.bind(window);
  const nativeInterval = window.setInterval.bind(window);
  let nextId = 1, lastStamp = -1;
  let timedParam = null;  // {token, at}: the next frame after a timed setParam reports itself
  const live = new Map();
  window.requestAnimationFrame = function requestAnimationFrame(cb) {
    const id = nextId++;
    const run = (stamp) => {
      if (paused) { live.set(id, rAF(run)); return; }
      live.delete(id);
      if (timedParam && stamp !== lastStamp) {
        const {token, at} = timedParam; timedParam = null;
        nativeTimeout(() => send({t: 'paramFrame', token, ms: realNow() - at}), 0);
      }
      lastStamp = stamp;
      cb(stamp - pausedTotal);
    };
    live.set(id, rAF(run));
    return id;
  };
  window.cancelAnimationFrame = function cancelAnimationFrame(id) {
    const native = live.get(id);
    if (native !== undefined) { cAF(native); live.delete(id); }
  };
  const held = [];
  window.setTimeout = function setTimeout(cb, ms, ...args) {
    if (typeof cb !== 'function') return nativeTimeout(cb, ms, ...args);
    return nativeTimeout(function () {
      if (paused) held.push(() => cb.apply(this, args)); else cb.apply(this, args);
    }, ms);
  };
  window.setInterval = function setInterval(cb, ms, ...args) {
    if (typeof cb !== 'function') return nativeInterval(cb, ms, ...args);
    return nativeInterval(function () { if (!paused) cb.apply(this, args); }, ms);
  };

  const audio = new Set();
  for (const name of ['AudioContext', 'webkitAudioContext']) {
    const Base = window[name];
    if (typeof Base !== 'function') continue;
    const Tracked = class extends Base {
      constructor(...a) { super(...a); audio.add(this); }
    };
    Object.defineProperty(Tracked, 'name', {value: name});
    window[name] = Tracked;
  }
  let pausedMedia = [];

  // ---- knobs ------------------------------------------------------------------------------
  const MAX_PARAMS = __MAX_PARAMS__;
  const knobSource = () => {
    const s = window.studio;
    const p = s && typeof s === 'object' ? s.params : null;
    return p && typeof p === 'object' ? p : null;
  };
  const knobEntry = (p, name) =>
    Array.isArray(p) ? p.find((e) => e && typeof e === 'object' && e.name === name) : p[name];
  const clip = (v, n) => (typeof v === 'string' ? v.slice(0, n) : null);

  const control = {
    pause() {
      if (paused) return true;
      paused = true; pausedAt = realNow();
      for (const ctx of audio) { if (ctx.state === 'running') ctx.suspend(); }
      pausedMedia = [...document.querySelectorAll('audio, video')].filter((m) => !m.paused);
      for (const m of pausedMedia) m.pause();
      return true;
    },
    resume() {
      if (!paused) return false;
      pausedTotal += realNow() - pausedAt; paused = false;
      for (const ctx of audio) { if (ctx.state === 'suspended') ctx.resume(); }
      for (const m of pausedMedia) m.play().catch(() => {});
      pausedMedia = [];
      for (const run of held.splice(0)) {
        try { run(); } catch (e) { nativeTimeout(() => { throw e; }); }
      }
      return false;
    },
    paused: () => paused,
    params() {
      // What the game declares, as plain values; Studio decides what of it is a knob.
      let report;
      try {
        const p = knobSource();
        if (!p) { report = {t: 'params', list: null}; }
        else {
          const names = Array.isArray(p) ? null : Object.keys(p);
          const total = names ? names.length : p.length;
          const list = [];
          for (let i = 0; i < Math.min(total, MAX_PARAMS); i++) {
            try {  // one entry that throws costs only itself
              const e = names ? p[names[i]] : p[i];
              const ok = e && typeof e === 'object';
              list.push({
                name: clip(names ? names[i] : ok ? e.name : null, 80),
                value: ok ? e.value : null, min: ok ? e.min : null, max: ok ? e.max : null,
                step: ok ? e.step : null, label: ok ? clip(e.label, 200) : null,
              });
            } catch (err) { list.push({name: null}); }
          }
          report = {t: 'params', list, total};
        }
      } catch (e) { report = {t: 'params', list: null, error: String(e).slice(0, 200)}; }
      send(report);
      return true;
    },
    setParam(name, value, token) {
      try {
        const p = knobSource();
        const e = p && knobEntry(p, name);
        if (!e || typeof e !== 'object') return false;
        e.value = value;
        if (token) timedParam = {token, at: realNow()};
        return true;
      } catch (err) { return false; }
    },
    state() {
      const s = window.studio;
      if (!s || typeof s.state !== 'function') return null;
      try { return JSON.stringify(s.state()); }
      catch (e) { return JSON.stringify({error: String(e)}); }
    },
  };
  Object.defineProperty(window, '__studio', {value: Object.freeze(control)});

  let painted = false;
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (!painted && (e.name === 'first-paint' || e.name === 'first-contentful-paint')) {
          painted = true; send({t: 'paint', ms: e.startTime});
        }
      }
    }).observe({type: 'paint', buffered: true});
  } catch (e) {}
})();
""".replace("__PREFIX__", PREFIX).replace("__MAX_PARAMS__", str(MAX_PARAMS))

# The runtime runs as an inline script of the page, put there by this bootstrap (injected at
# document creation): code of an injected script counts as cross-origin, and a promise made
# there that rejects would never raise the game's unhandledrejection event. At document
# creation there is no element to put it in yet; the parser's first one is seen by a mutation
# observer, whose callback runs before any script of the page does (the parser performs a
# microtask checkpoint before it runs a script).
BOOTSTRAP_JS = (
    "(() => { const source = "
    + json.dumps(RUNTIME_JS)
    + """;
  const inject = () => {
    const s = document.createElement('script');
    s.textContent = source;
    (document.head || document.documentElement).appendChild(s);
    s.remove();
  };
  if (document.documentElement) { inject(); return; }
  const watch = new MutationObserver(() => {
    if (document.documentElement) { watch.disconnect(); inject(); }
  });
  watch.observe(document, {childList: true});
})();"""
)


@dataclass(frozen=True)
class RuntimeMessage:
    """A message the runtime script sent: `kind` is error, rejection, paint, params (the
    game's knobs) or paramFrame (the first frame after a timed knob change)."""

    kind: str
    data: dict[str, Any]


def parse_runtime_message(message: str) -> RuntimeMessage | None:
    """The runtime's message in a console line, or None for the game's own lines."""
    if not message.startswith(PREFIX):
        return None
    try:
        data = json.loads(message[len(PREFIX) :])
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), str):
        return None
    return RuntimeMessage(data["t"], data)
