"""A real headless Chromium driven over the DevTools protocol, for opening exported games.

One browser process per test module; each test opens its own page (a CDP target) on it.
Only the local DevTools socket is used: the browser is told not to reach the network.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    env = os.environ.get("STUDIO_CHROMIUM")
    if env:
        return env
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


class CDPError(RuntimeError):
    pass


@dataclass
class ConsoleEntry:
    kind: str  # "exception", "console", "log"
    text: str


@dataclass
class Page:
    """One tab: commands go to its session; its console errors are collected."""

    browser: Browser
    target_id: str
    session_id: str
    errors: list[ConsoleEntry] = field(default_factory=list)
    messages: list[ConsoleEntry] = field(default_factory=list)
    _loaded: threading.Event = field(default_factory=threading.Event)

    def send(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30) -> Any:
        return self.browser.send(method, params, session_id=self.session_id, timeout=timeout)

    def _event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text", "")
            self.errors.append(ConsoleEntry("exception", text))
        elif method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            entry = ConsoleEntry("console", f"{params['type']}: {text}")
            self.messages.append(entry)
            if params["type"] in ("error", "assert"):
                self.errors.append(entry)
        elif method == "Log.entryAdded":
            e = params["entry"]
            entry = ConsoleEntry(
                "log", f"{e['level']} {e.get('source')}: {e['text']} {e.get('url', '')}"
            )
            self.messages.append(entry)
            if e["level"] == "error":
                self.errors.append(entry)
        elif method == "Page.loadEventFired":
            self._loaded.set()

    def goto(self, url: str, timeout: float = 30) -> None:
        self._loaded.clear()
        result = self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise CDPError(f"navigation to {url} failed: {result['errorText']}")
        if not self._loaded.wait(timeout):
            raise CDPError(f"{url} did not finish loading in {timeout} s")

    def evaluate(self, expression: str, timeout: float = 30) -> Any:
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CDPError(f"evaluating {expression[:60]!r} raised: {text}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 15, interval: float = 0.1) -> Any:
        """Poll until the expression is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise CDPError(f"timed out waiting for {expression!r} (last value {value!r})")
            time.sleep(interval)

    def screenshot(self) -> bytes:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        return base64.b64decode(data)

    def press(self, key: str = " ", code: str = "Space", key_code: int = 32) -> None:
        common = {"key": key, "code": code, "windowsVirtualKeyCode": key_code}
        text = {"text": key} if len(key) == 1 else {}
        self.send("Input.dispatchKeyEvent", {"type": "keyDown", **common, **text})
        self.send("Input.dispatchKeyEvent", {"type": "keyUp", **common})

    def tap(self, x: float, y: float) -> None:
        point = [{"x": x, "y": y}]
        self.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": point})
        self.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    def set_viewport(self, width: int, height: int, *, mobile: bool = False, scale: float = 1):
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile},
        )
        self.send("Emulation.setTouchEmulationEnabled", {"enabled": mobile, "maxTouchPoints": 5})
        if mobile:
            self.send("Emulation.setEmitTouchEventsForMouse", {"enabled": True})

    def close(self) -> None:
        self.browser.close_page(self)


class Browser:
    """A headless Chromium with its DevTools websocket, started and stopped by this object."""

    def __init__(self, executable: str | None = None) -> None:
        exe = executable or find_chromium()
        if exe is None:
            raise CDPError("no Chromium found (set STUDIO_CHROMIUM)")
        self.profile = Path(tempfile.mkdtemp(prefix="studio-chromium-"))
        args = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-extensions",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            "--mute-audio",
            "--autoplay-policy=no-user-gesture-required",
            "--remote-debugging-port=0",
            f"--user-data-dir={self.profile}",
            "about:blank",
        ]
        self.process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            ws_url = self._devtools_url()
            self.ws = websocket.create_connection(ws_url, timeout=None, suppress_origin=True)
        except BaseException:
            self.quit()
            raise
        self._ids = itertools.count(1)
        self._pending: dict[int, queue.Queue] = {}
        self._pages: dict[str, Page] = {}
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _devtools_url(self, timeout: float = 20) -> str:
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = (
                    self.process.stderr.read().decode(errors="replace")
                    if self.process.stderr
                    else ""
                )
                raise CDPError(f"Chromium exited with {self.process.returncode}: {err[-2000:]}")
            try:
                lines = port_file.read_text().split()
            except FileNotFoundError:
                lines = []
            if len(lines) >= 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            time.sleep(0.05)
        raise CDPError("Chromium did not open its DevTools port")

    def _read(self) -> None:
        while True:
            try:
                message = json.loads(self.ws.recv())
            except Exception:  # socket closed: wake every waiter
                for q in list(self._pending.values()):
                    q.put({"error": {"message": "connection closed"}})
                return
            if "id" in message:
                q = self._pending.pop(message["id"], None)
                if q is not None:
                    q.put(message)
            else:
                page = self._pages.get(message.get("sessionId", ""))
                if page is not None:
                    page._event(message["method"], message.get("params", {}))

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session_id: str | None = None,
        timeout: float = 30,
    ) -> Any:
        msg_id = next(self._ids)
        q: queue.Queue = queue.Queue()
        self._pending[msg_id] = q
        message: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        with self._lock:
            self.ws.send(json.dumps(message))
        try:
            reply = q.get(timeout=timeout)
        except queue.Empty:
            self._pending.pop(msg_id, None)
            raise CDPError(f"{method} got no answer in {timeout} s") from None
        if "error" in reply:
            raise CDPError(f"{method}: {reply['error'].get('message')}")
        return reply.get("result", {})

    def new_page(self, width: int = 960, height: int = 640) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, target, session)
        self._pages[session] = page
        for domain in ("Page", "Runtime", "Log"):
            page.send(f"{domain}.enable")
        page.send("Emulation.setFocusEmulationEnabled", {"enabled": True})
        page.set_viewport(width, height)
        return page

    def close_page(self, page: Page) -> None:
        try:
            self.send("Target.closeTarget", {"targetId": page.target_id})
        finally:
            self._pages.pop(page.session_id, None)

    def quit(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            with contextlib.suppress(Exception):
                self.send("Browser.close", timeout=5)
            ws.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)


def pictures_differ(a: bytes, b: bytes) -> bool:
    """Two PNG screenshots show different pictures (PNG bytes are deterministic per picture)."""
    return a != b


def wait_until(check: Callable[[], bool], timeout: float = 10, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()
