"""Following ComfyUI's progress websocket, `GET /ws?clientId=<id>`.

The library is `websockets` (the asyncio WebSocket client and server maintained by Aymeric
Augustin: RFC 6455 framing, pings and the closing handshake, pure Python with an optional
speed-up): Studio's providers are asyncio, so a socket read is one more awaitable beside the
HTTP calls. (`websocket-client`, which Studio's tests use, is thread-based.)

What ComfyUI sends (`server.py` `PromptServer.send_json`: `{"type": event, "data": {...}}`
as text; binary frames are preview pictures, a 4-byte big-endian type then the image, and
are skipped here), from `execution.py` and `main.py`:

- `status` `{"status": {"exec_info": {"queue_remaining": n}}, "sid": id}`: on connect and
  whenever the queue changes (to everyone);
- `execution_start` `{"prompt_id"}`, `execution_cached` `{"nodes": [...], "prompt_id"}`;
- `executing` `{"node", "display_node", "prompt_id"}` (older servers end with `node: null`);
- `progress` `{"value", "max", "prompt_id", "node"}` (sampler steps);
  `progress_state` `{"prompt_id", "nodes": {id: {"value", "max", "state"}}}` (newer);
- `executed` `{"node", "display_node", "output", "prompt_id"}`;
- `execution_success` `{"prompt_id"}`;
- `execution_error` `{"prompt_id", "node_id", "node_type", "exception_message",
  "exception_type", "traceback", ...}`; `execution_interrupted` `{"prompt_id", "node_id",
  "node_type"}`.

ComfyUI sends a prompt's events only to the client id that queued it (`extra_data
["client_id"]`), and a socket that connects with an id already in use takes its place
(`websocket_handler`: "Reusing existing session"). So a job remembers its client id, and a
resumed job reconnects with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ProgressFeed", "PromptEvents"]

log = logging.getLogger(__name__)

# After a server refused the websocket, seconds before trying it again.
RETRY_REFUSED = 30.0
# Seconds before reconnecting after a dropped connection, doubling up to the longest.
RECONNECT_FIRST = 0.25
RECONNECT_LONGEST = 8.0
# Sampler nodes do nearly all the work: they weigh this much more than other nodes.
_HEAVY = 10


@dataclass
class PromptEvents:
    """What the websocket said about one prompt."""

    started: bool = False
    node: str | None = None
    value: float = 0.0
    max: float = 0.0
    done: set[str] = field(default_factory=set)
    success: bool = False
    error: dict[str, Any] | None = None
    interrupted: bool = False
    version: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def finished(self) -> bool:
        return self.success or self.error is not None or self.interrupted

    def progress(self, graph: Mapping[str, Any] | None) -> float:
        """0..1: nodes done (samplers weigh more) plus the running node's own steps."""
        if not graph:
            return round(self.value / self.max, 3) if self.max else 0.0
        weights = {node_id: _weight(node) for node_id, node in graph.items()}
        total = sum(weights.values()) or 1
        done = sum(weights.get(node_id, 0) for node_id in self.done)
        if self.node and self.node not in self.done and self.max:
            done += weights.get(self.node, 1) * min(1.0, self.value / self.max)
        return round(min(0.99, done / total), 3)


def _weight(node: Any) -> int:
    kind = str(node.get("class_type", "")) if isinstance(node, Mapping) else ""
    return _HEAVY if "Sampler" in kind else 1


class ProgressFeed:
    """One websocket to a ComfyUI as `client_id`, kept open (and reopened) by a task."""

    def __init__(self, ws_url: str, client_id: str, headers: Mapping[str, str]) -> None:
        self.url = f"{ws_url}?clientId={client_id}"
        self.client_id = client_id
        self.headers = dict(headers)
        self.prompts: dict[str, PromptEvents] = {}
        self.queue_remaining: int | None = None
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._refused_at: float | None = None

    def start(self) -> None:
        """Keep the socket open; after a server that refused it (no WebSocket there), try
        again only after `RETRY_REFUSED` seconds: polling /history works meanwhile."""
        if self._task is not None and not self._task.done():
            return
        loop = asyncio.get_running_loop()
        if self._refused_at is not None and loop.time() - self._refused_at < RETRY_REFUSED:
            return
        self._task = asyncio.ensure_future(self._run())

    async def started(self, timeout: float) -> bool:
        """Start, and wait up to `timeout` for the socket to open (or be refused)."""
        self.start()
        if self._task is not None and not self.connected.is_set():
            opened = asyncio.ensure_future(self.connected.wait())
            await asyncio.wait({self._task, opened}, timeout=timeout, return_when="FIRST_COMPLETED")
            opened.cancel()
        return self.connected.is_set()

    def events(self, prompt_id: str) -> PromptEvents:
        return self.prompts.setdefault(prompt_id, PromptEvents())

    async def wait(self, prompt_id: str, seen: int, timeout: float) -> None:
        """Return when something new about `prompt_id` came (after version `seen`), the
        socket closed, or `timeout` passed."""
        events = self.events(prompt_id)
        while events.version <= seen and self.connected.is_set():
            events.changed.clear()
            try:
                await asyncio.wait_for(events.changed.wait(), timeout)
            except TimeoutError:
                return

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.connected.clear()

    async def _run(self) -> None:
        """Connect, read, and connect again with back-off when the connection drops or is
        refused (a server restarting); stop when the server answers the handshake with a
        4xx (a proxy that does not pass WebSockets), `start` tries again later."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

        delay = RECONNECT_FIRST
        while True:
            try:
                async with connect(
                    self.url, additional_headers=self.headers, open_timeout=10, max_size=2**24
                ) as socket:
                    self.connected.set()
                    delay = RECONNECT_FIRST
                    try:
                        async for message in socket:
                            if isinstance(message, str):
                                self._handle(message)
                    finally:
                        self.connected.clear()
                        self._forget_running()
            except ConnectionClosed:
                pass
            except InvalidStatus as exc:
                if exc.response.status_code < 500:
                    log.info("no progress websocket at %s (%s); polling instead", self.url, exc)
                    self._refused_at = asyncio.get_running_loop().time()
                    return
            except (InvalidHandshake, OSError, TimeoutError) as exc:
                log.debug("progress websocket at %s: %s", self.url, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_LONGEST)

    def _forget_running(self) -> None:
        """After a dropped connection, what was running is not known to run any more (the
        server may have restarted and lost it): polls ask `/queue` and `/history` until the
        socket speaks of it again."""
        for events in self.prompts.values():
            if not events.finished:
                events.started = False
            events.changed.set()

    def _handle(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            return
        if not isinstance(message, Mapping) or not isinstance(message.get("data"), Mapping):
            return
        kind, data = message.get("type"), message["data"]
        if kind == "status":
            info = (data.get("status") or {}).get("exec_info") or {}
            if isinstance(info.get("queue_remaining"), int):
                self.queue_remaining = info["queue_remaining"]
            return
        prompt_id = data.get("prompt_id")
        if not prompt_id:
            return
        events = self.events(str(prompt_id))
        _apply(events, str(kind), data)
        events.version += 1
        events.changed.set()


def _apply(events: PromptEvents, kind: str, data: Mapping[str, Any]) -> None:
    node = data.get("node")
    if kind == "execution_start":
        events.started = True
    elif kind == "execution_cached":
        events.started = True
        events.done.update(str(n) for n in data.get("nodes") or [])
    elif kind == "executing":
        events.started = True
        if events.node is not None:
            events.done.add(events.node)
        events.node = None if node is None else str(node)
        events.value = events.max = 0.0
        if node is None:
            events.success = events.success or events.error is None
    elif kind == "progress":
        events.node = str(node) if node is not None else events.node
        events.value, events.max = float(data.get("value") or 0), float(data.get("max") or 0)
    elif kind == "progress_state":
        nodes = data.get("nodes") or {}
        for node_id, state in nodes.items():
            if isinstance(state, Mapping) and state.get("state") == "finished":
                events.done.add(str(node_id))
            elif isinstance(state, Mapping) and state.get("state") == "running":
                events.node = str(node_id)
                events.value = float(state.get("value") or 0)
                events.max = float(state.get("max") or 0)
    elif kind == "executed" and node is not None:
        events.done.add(str(node))
    elif kind == "execution_success":
        events.success = True
    elif kind == "execution_error":
        events.error = dict(data)
    elif kind == "execution_interrupted":
        events.interrupted = True
