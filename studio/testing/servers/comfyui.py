"""A real HTTP + WebSocket server on 127.0.0.1 that answers as ComfyUI does, for tests.

Written from ComfyUI's `server.py` (class `PromptServer`: its routes, request and answer
bodies, the `/ws` handler) and `execution.py` (`validate_prompt`, the `PromptExecutor`'s
messages, `PromptQueue.task_done`'s history entries); ComfyUI serves every route under
`/api` too, and so does this server.

Routes: `POST /prompt` (validated as ComfyUI does: 400 with `error` and `node_errors`),
`GET /prompt`, `GET /queue`, `POST /queue` (`delete`, `clear`), `POST /interrupt` (optional
`prompt_id`), `GET /history`, `GET /history/{id}`, `POST /history` (`delete`, `clear`),
`POST /upload/image` (multipart), `GET /view`, `GET /object_info[/{class}]`,
`GET /system_stats`, and `GET /ws?clientId=` (RFC 6455, see `websocket.py`).

A worker thread runs one prompt at a time, in queue order, sending the prompt's events to
the client id that queued it: `execution_start`, `execution_cached`, `executing` per node,
`progress` per sampler step, `executed` for an output node, then `execution_success` (or
`execution_error` / `execution_interrupted`), and `status` to everyone when the queue
changes. Save Video writes a real H.264 MP4 (`server_clip`), Save Image a real PNG, both
served by `/view`.

Scripted failures (`studio.testing.servers.media`): `fail_nodes` (class -> exception
message: the run fails there), `hold` (a sampler pauses after its first step until
cleared), `fail_polls` (the next n `/history/{id}` answer 500), `rate_limited` (the next n
POST /prompt answer 429 with Retry-After `retry_after`, as a proxy in front of a shared
ComfyUI does), `api_key` (401 without `Authorization: Bearer <api_key>`, as a login in
front of ComfyUI does), `expired` (`/view` answers 404: outputs deleted), `cut_downloads`
(`/view` stops halfway), `restart()` (stopped and started again on the same port,
forgetting queue and history, as ComfyUI keeps them in memory), `nodes` / `models` (remove
one to make a workflow need what the server lacks).
"""

from __future__ import annotations

import contextlib
import copy
import json
import socket
import threading
import time
import uuid
from http.server import ThreadingHTTPServer
from typing import Any

from studio.testing.pictures import png
from studio.testing.servers.base import LocalHandler, Recorded
from studio.testing.servers.comfyui_nodes import (
    DEFAULT_MODELS,
    NODES,
    SYSTEM_STATS,
    latent_shape,
    object_info,
    run_order,
    validate_prompt,
)
from studio.testing.servers.media import MediaServer
from studio.testing.servers.video import server_clip
from studio.testing.servers.websocket import WebSocket, accept

__all__ = ["ComfyUIServer", "Recorded"]

SAMPLERS = {"KSampler", "KSamplerAdvanced", "SamplerCustom"}


class ComfyUIServer(MediaServer):
    """Start with `start()` (or `with`); `base_url` is `http://127.0.0.1:<port>`."""

    def __init__(self, clip: bytes | None = None, *, steps: int = 3) -> None:
        super().__init__(_Handler)
        self.clip = clip if clip is not None else server_clip()
        self.steps = steps
        self.nodes = dict(NODES)
        self.models = copy.deepcopy(DEFAULT_MODELS)
        self.fail_nodes: dict[str, str] = {}
        self.websocket = True  # False: /ws answers 404, as through a proxy without WebSockets
        self.interrupts = 0
        self._work = threading.Condition(self.lock)
        self._reset()
        self._port = 0

    def _reset(self) -> None:
        """What ComfyUI keeps in memory (gone after a restart); uploads stay, as files do."""
        self.pending: list[list[Any]] = []
        self.running: list[Any] | None = None
        self.history: dict[str, dict[str, Any]] = {}
        self.outputs: dict[tuple[str, str], bytes] = {}
        self.uploads: dict[str, bytes] = getattr(self, "uploads", {})
        self.sockets: dict[str, tuple[WebSocket, socket.socket]] = {}
        self.last_node: str | None = None  # of the running prompt
        self._number = 0
        self._counter = 0
        self._interrupt = threading.Event()
        self._alive = threading.Event()

    # -- life ---------------------------------------------------------------------------

    def start(self) -> ComfyUIServer:
        if self._port:  # a restart binds the same port again
            handler = type("Handler", (self._handler,), {"owner": self})
            self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
            self._httpd.daemon_threads = True
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        else:
            super().start()
            self._port = self.port
        self._alive.set()
        self._worker = threading.Thread(target=self._work_loop, daemon=True)
        self._worker.start()
        return self

    def stop(self) -> None:
        with self._work:
            self._alive.clear()
            self._interrupt.set()
            self._work.notify_all()
            sockets = list(self.sockets.values())
        for ws, connection in sockets:
            ws.close(1001)
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        super().stop()
        self._worker.join(timeout=5)

    def restart(self) -> None:
        """Stop, forget the queue and history (ComfyUI keeps them in memory), start again."""
        self.stop()
        with self.lock:
            self._reset()
        self.start()

    @property
    def base_url(self) -> str:
        return self.root

    # -- the queue (called with the lock held) -----------------------------------------

    def queue_remaining(self) -> int:
        return len(self.pending) + (1 if self.running else 0)

    def queue_prompt(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """`post_prompt`: validate, then queue `(number, prompt_id, prompt, extra, outputs)`."""
        prompt = body.get("prompt")
        if not isinstance(prompt, dict):
            error = {
                "type": "no_prompt",
                "message": "No prompt provided",
                "details": "No prompt provided",
                "extra_info": {},
            }
            return 400, {"error": error, "node_errors": {}}
        number = float(body["number"]) if "number" in body else self._number
        self._number += 1
        prompt_id = str(body.get("prompt_id") or uuid.uuid4())
        valid, error, outputs, node_errors = validate_prompt(
            prompt, self.nodes, self.models, sorted(self.uploads)
        )
        if not valid:
            return 400, {"error": error, "node_errors": node_errors}
        extra = dict(body.get("extra_data") or {})
        if "client_id" in body:
            extra["client_id"] = body["client_id"]
        self.pending.append([number, prompt_id, prompt, extra, outputs])
        self.pending.sort(key=lambda item: item[0])
        self._work.notify_all()
        self._broadcast_status()
        return 200, {"prompt_id": prompt_id, "number": number, "node_errors": node_errors}

    def _broadcast_status(self) -> None:
        for sid in list(self.sockets):
            self._send(
                sid,
                "status",
                {"status": {"exec_info": {"queue_remaining": self.queue_remaining()}}},
            )

    def _send(self, sid: str | None, event: str, data: dict[str, Any]) -> None:
        entry = self.sockets.get(sid or "")
        if entry is not None:
            entry[0].send_text(json.dumps({"type": event, "data": data}))

    # -- running prompts (the worker thread) ---------------------------------------------

    def _work_loop(self) -> None:
        while True:
            with self._work:
                while self._alive.is_set() and (not self.pending or self.running):
                    self._work.wait(0.1)
                if not self._alive.is_set():
                    return
                self.running = self.pending.pop(0)
                self._interrupt.clear()
                item = self.running
            outputs, messages, status = self._execute(item)
            with self._work:
                if not self._alive.is_set():
                    return  # stopped mid-run: a restart forgets it
                self.history[item[1]] = {
                    "prompt": item,
                    "outputs": outputs,
                    "status": {
                        "status_str": status,
                        "completed": status == "success",
                        "messages": messages,
                    },
                    "meta": {
                        n: {"node_id": n, "display_node": n, "parent_node": None, "real_node_id": n}
                        for n in outputs
                    },
                }
                self.running = None
                self._broadcast_status()

    def _execute(self, item: list[Any]) -> tuple[dict[str, Any], list[Any], str]:
        """`PromptExecutor.execute`: events to the client, ui outputs, status messages."""
        _, prompt_id, prompt, extra, to_run = item
        sid = extra.get("client_id")
        messages: list[Any] = []

        def add_message(event: str, data: dict[str, Any]) -> None:
            data = {**data, "timestamp": int(time.time() * 1000)}
            messages.append([event, data])
            with self.lock:
                self._send(sid, event, data)

        add_message("execution_start", {"prompt_id": prompt_id})
        add_message("execution_cached", {"nodes": [], "prompt_id": prompt_id})
        outputs: dict[str, Any] = {}
        executed: list[str] = []
        for node_id in run_order(prompt, to_run):
            kind = prompt[node_id]["class_type"]
            with self.lock:
                self.last_node = node_id
                self._send(
                    sid,
                    "executing",
                    {"node": node_id, "display_node": node_id, "prompt_id": prompt_id},
                )
            if kind in self.fail_nodes:
                add_message(
                    "execution_error",
                    {
                        "prompt_id": prompt_id,
                        "node_id": node_id,
                        "node_type": kind,
                        "executed": executed,
                        "exception_message": self.fail_nodes[kind],
                        "exception_type": "RuntimeError",
                        "traceback": ['  File "execution.py", line 496, in execute\n'],
                        "current_inputs": {},
                        "current_outputs": {},
                    },
                )
                return outputs, messages, "error"
            if kind in SAMPLERS and not self._sample(sid, prompt_id, node_id):
                add_message(
                    "execution_interrupted",
                    {
                        "prompt_id": prompt_id,
                        "node_id": node_id,
                        "node_type": kind,
                        "executed": executed,
                    },
                )
                return outputs, messages, "error"
            if self.nodes[kind].output_node:
                ui = self._save(kind, prompt)
                outputs[node_id] = ui
                with self.lock:
                    self._send(
                        sid,
                        "executed",
                        {
                            "node": node_id,
                            "display_node": node_id,
                            "output": ui,
                            "prompt_id": prompt_id,
                        },
                    )
            executed.append(node_id)
        add_message("execution_success", {"prompt_id": prompt_id})
        return outputs, messages, "success"

    def _sample(self, sid: str | None, prompt_id: str, node_id: str) -> bool:
        """The sampler's steps, each a `progress` event; False when interrupted."""
        for step in range(1, self.steps + 1):
            if self._interrupt.is_set():
                return False
            with self.lock:
                self._send(
                    sid,
                    "progress",
                    {"value": step, "max": self.steps, "prompt_id": prompt_id, "node": node_id},
                )
            while self.hold.is_set() and not self._interrupt.is_set():
                time.sleep(0.01)
        return not self._interrupt.is_set()

    def _save(self, kind: str, prompt: dict[str, Any]) -> dict[str, Any]:
        """What SaveVideo (`ui.PreviewVideo`) and SaveImage (one per picture of the batch)
        put in the history's outputs."""
        width, height, batch = latent_shape(prompt)
        files = []
        for _ in range(1 if kind == "SaveVideo" else batch):
            with self.lock:
                self._counter += 1
                counter = self._counter
            if kind == "SaveVideo":
                name, subfolder, data = f"studio_{counter:05}_.mp4", "video", self.clip
            else:
                name, subfolder = f"studio_{counter:05}_.png", "studio"
                data = png(width, height, (counter * 37 % 256, counter * 91 % 256, 160))
            with self.lock:
                self.outputs[(subfolder, name)] = data
            files.append({"filename": name, "subfolder": subfolder, "type": "output"})
        return {"images": files, "animated": [kind == "SaveVideo"]}


class _Handler(LocalHandler):
    owner: ComfyUIServer

    def _handle(self, method: str) -> None:
        url_path = self.path.split("?", 1)[0]
        path = url_path.removeprefix("/api") if url_path.startswith("/api/") else url_path
        raw = self._read_bytes() if method == "POST" else b""
        request = self.record(method, self._body(raw), path)  # ComfyUI serves /api/... too
        query, body = request.query, request.body
        server = self.owner
        if server.api_key and self.headers.get("Authorization") != f"Bearer {server.api_key}":
            self._send_json(401, {"error": "Unauthorized"})
            return
        if method == "GET" and path == "/ws" and server.websocket:
            self._websocket(query.get("clientId") or uuid.uuid4().hex)
            return
        handler = _ROUTES.get((method, path))
        if handler is None and method == "GET" and path.startswith("/history/"):
            handler = _Handler._history_one
        if handler is None and method == "GET" and path.startswith("/object_info/"):
            handler = _Handler._object_info_one
        if handler is None:
            self._send_json(404, {"error": f"no route {method} {path}"})
            return
        handler(self, path, query, body)

    def _body(self, raw: bytes) -> Any:
        """Form fields (an upload), else JSON whatever the Content-Type (aiohttp's
        `request.json()` does not look at it), else the bytes."""
        if self.headers.get("Content-Type", "").startswith("multipart/form-data"):
            return self._fields(raw)
        with contextlib.suppress(ValueError):
            return json.loads(raw) if raw else None
        return raw

    # -- routes -------------------------------------------------------------------------

    def _prompt_post(self, path: str, query: dict[str, str], body: Any) -> None:
        server = self.owner
        if server.take("rate_limited"):
            message = {"error": "Too many prompts queued; try again later"}
            self._send_json(429, message, server.retry_after_header())
            return
        if not isinstance(body, dict):
            self._send_json(400, {"error": "invalid JSON", "node_errors": {}})
            return
        with server.lock:
            status, answer = server.queue_prompt(body)
        self._send_json(status, answer)

    def _prompt_get(self, path: str, query: dict[str, str], body: Any) -> None:
        with self.owner.lock:
            self._send_json(200, {"exec_info": {"queue_remaining": self.owner.queue_remaining()}})

    def _queue_get(self, path: str, query: dict[str, str], body: Any) -> None:
        server = self.owner
        with server.lock:
            running = [server.running] if server.running else []
            self._send_json(200, {"queue_running": running, "queue_pending": list(server.pending)})

    def _queue_post(self, path: str, query: dict[str, str], body: Any) -> None:
        server = self.owner
        body = body if isinstance(body, dict) else {}
        with server.lock:
            if body.get("clear"):
                server.pending.clear()
            for prompt_id in body.get("delete") or []:
                server.pending = [item for item in server.pending if item[1] != prompt_id]
            server._broadcast_status()
        self.send_empty(200)

    def _interrupt(self, path: str, query: dict[str, str], body: Any) -> None:
        """Newer servers interrupt only the prompt named, if it is the one running."""
        server = self.owner
        wanted = body.get("prompt_id") if isinstance(body, dict) else None
        with server.lock:
            if server.running and (not wanted or server.running[1] == wanted):
                server._interrupt.set()
                server.interrupts += 1
        self.send_empty(200)

    def _history_all(self, path: str, query: dict[str, str], body: Any) -> None:
        with self.owner.lock:
            self._send_json(200, dict(self.owner.history))

    def _history_one(self, path: str, query: dict[str, str], body: Any) -> None:
        server = self.owner
        prompt_id = path.rsplit("/", 1)[-1]
        if server.take("fail_polls"):
            self._send_json(500, {"error": "Internal Server Error"})
            return
        with server.lock:
            entry = server.history.get(prompt_id)
            self._send_json(200, {prompt_id: entry} if entry else {})

    def _history_post(self, path: str, query: dict[str, str], body: Any) -> None:
        server = self.owner
        body = body if isinstance(body, dict) else {}
        with server.lock:
            if body.get("clear"):
                server.history.clear()
            for prompt_id in body.get("delete") or []:
                server.history.pop(prompt_id, None)
        self.send_empty(200)

    def _upload(self, path: str, query: dict[str, str], body: Any) -> None:
        """`image_upload`: the file goes to the input folder; a name in use by other bytes
        gets " (1)" unless `overwrite`; the answer names where it went."""
        image = body.get("image") if isinstance(body, dict) else None
        if not isinstance(image, dict) or not image["filename"]:
            self.send_empty(400)
            return
        name, data = image["filename"], image["data"]
        subfolder = str(body.get("subfolder") or "")
        server = self.owner
        with server.lock:
            key = f"{subfolder}/{name}" if subfolder else name
            stem, dot, suffix = name.rpartition(".")
            count = 1
            while (
                body.get("overwrite") not in ("true", "1") and server.uploads.get(key, data) != data
            ):
                name = f"{stem} ({count}){dot}{suffix}"
                key = f"{subfolder}/{name}" if subfolder else name
                count += 1
            server.uploads[key] = data
        self._send_json(
            200, {"name": name, "subfolder": subfolder, "type": body.get("type") or "input"}
        )

    def _view(self, path: str, query: dict[str, str], body: Any) -> None:
        server = self.owner
        name, subfolder = query.get("filename", ""), query.get("subfolder", "")
        if not name or name.startswith("/") or ".." in name or ".." in subfolder:
            self._send_json(400, {"error": "bad file name"})
            return
        with server.lock:
            if query.get("type", "output") == "input":
                data = server.uploads.get(f"{subfolder}/{name}" if subfolder else name)
            else:
                data = None if server.expired else server.outputs.get((subfolder, name))
        if data is None:
            self.send_empty(404)
            return
        mime = "video/mp4" if name.endswith(".mp4") else "image/png"
        disposition = {"Content-Disposition": f'filename="{name}"'}
        self.send_bytes(data, mime, cut=server.cut_downloads, headers=disposition)

    def _object_info(self, path: str, query: dict[str, str], body: Any) -> None:
        server = self.owner
        with server.lock:
            self._send_json(200, object_info(server.nodes, server.models, sorted(server.uploads)))

    def _object_info_one(self, path: str, query: dict[str, str], body: Any) -> None:
        server = self.owner
        name = path.rsplit("/", 1)[-1]
        with server.lock:
            nodes = {name: server.nodes[name]} if name in server.nodes else {}
            self._send_json(200, object_info(nodes, server.models, sorted(server.uploads)))

    def _system_stats(self, path: str, query: dict[str, str], body: Any) -> None:
        self._send_json(200, SYSTEM_STATS)

    def _websocket(self, sid: str) -> None:
        """`websocket_handler`: a reused client id takes over; `status` first; a client that
        says `feature_flags` first gets the server's flags back."""
        ws = accept(self)
        if ws is None:
            return
        server = self.owner
        with server.lock:
            server.sockets[sid] = (ws, self.connection)
            server._send(
                sid,
                "status",
                {
                    "status": {"exec_info": {"queue_remaining": server.queue_remaining()}},
                    "sid": sid,
                },
            )
            # "On reconnect if we are the currently executing client send the current node"
            running = server.running
            if running and running[3].get("client_id") == sid and server.last_node:
                node = server.last_node
                data = {"node": node, "display_node": node, "prompt_id": running[1]}
                server._send(sid, "executing", data)
        first = True
        try:
            while (message := ws.receive()) is not None:
                opcode, payload = message
                with contextlib.suppress(ValueError):
                    data = json.loads(payload) if opcode == 1 else None
                    if first and isinstance(data, dict) and data.get("type") == "feature_flags":
                        with server.lock:
                            server._send(sid, "feature_flags", {"supports_preview_metadata": True})
                first = False
        finally:
            with server.lock:
                if server.sockets.get(sid, (None,))[0] is ws:
                    del server.sockets[sid]


_ROUTES = {
    ("POST", "/prompt"): _Handler._prompt_post,
    ("GET", "/prompt"): _Handler._prompt_get,
    ("GET", "/queue"): _Handler._queue_get,
    ("POST", "/queue"): _Handler._queue_post,
    ("POST", "/interrupt"): _Handler._interrupt,
    ("GET", "/history"): _Handler._history_all,
    ("POST", "/history"): _Handler._history_post,
    ("POST", "/upload/image"): _Handler._upload,
    ("GET", "/view"): _Handler._view,
    ("GET", "/object_info"): _Handler._object_info,
    ("GET", "/system_stats"): _Handler._system_stats,
}
