"""ComfyUI's HTTP API, through httpx2 (which Studio already depends on).

ComfyUI has no official Python SDK and no API key: its server (`server.py`, class
`PromptServer`) is the reference, and these are the routes used, with the bodies it takes
and gives:

- `POST /prompt` `{"prompt": graph, "client_id": id}` -> `{"prompt_id", "number",
  "node_errors"}`; 400 `{"error": {"type", "message", "details", "extra_info"},
  "node_errors": {id: {"class_type", "errors": [{"type", "message", "details"}],
  "dependent_outputs"}}}` (execution.validate_prompt).
- `GET /history/{prompt_id}` -> `{prompt_id: {"prompt": [...], "outputs": {node: {...}},
  "status": {"status_str", "completed", "messages"}}}`, or `{}` for an id it does not know.
- `GET /queue` -> `{"queue_running": [[number, prompt_id, graph, extra, outputs]],
  "queue_pending": [...]}`.
- `POST /interrupt` (`{"prompt_id"}`: newer servers stop only that prompt) and
  `POST /queue` `{"delete": [prompt_id]}` for one still waiting.
- `POST /upload/image` (multipart: `image`, `type`, `subfolder`, `overwrite`) ->
  `{"name", "subfolder", "type"}`.
- `GET /view?filename=&subfolder=&type=output` (the file), `GET /object_info` (every node
  class and its inputs), `GET /system_stats` (a cheap check that it is up).

A plain ComfyUI answers nobody 401/429; an auth proxy in front of it (or a hosted one) can,
so a token (option `api_key`) is sent as `Authorization: Bearer`, and 401/403/429 are mapped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx2

from studio.ai.errors import parse_retry_after
from studio.ai.formats import picture_mime
from studio.ai.sdk_client import error_detail, short_reason
from studio.ai.services import ServiceError

__all__ = ["ComfyClient", "OutputFile", "describe_node_errors", "http_url"]

DEFAULT_BASE_URL = "http://127.0.0.1:8188"
_MEDIA = {".mp4", ".webm", ".mov", ".mkv", ".gif", ".webp", ".png", ".jpg", ".jpeg"}


def http_url(base_url: str | None) -> str:
    """`base_url` without a trailing slash (or `/api`, which ComfyUI also serves)."""
    url = (base_url or DEFAULT_BASE_URL).strip().rstrip("/")
    if url.endswith("/api"):
        url = url[: -len("/api")]
    if "://" not in url:
        url = "http://" + url
    return url


class OutputFile(dict):
    """One file an output node saved: `{"filename", "subfolder", "type"}` as in /history."""

    @property
    def suffix(self) -> str:
        name = str(self.get("filename", ""))
        return name[name.rfind(".") :].lower() if "." in name else ""


class ComfyClient:
    """Calls to one ComfyUI server; every failure is raised as `error(kind, sentence)`."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        error: type[ServiceError] = ServiceError,
    ) -> None:
        self.base_url = http_url(base_url)
        parts = urlsplit(self.base_url)
        self.host = parts.netloc or self.base_url
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.error = error
        self._http = httpx2.AsyncClient(
            base_url=self.base_url, headers=self.headers, timeout=httpx2.Timeout(timeout)
        )
        self._object_info: dict[str, Any] | None = None

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def ws_url(self) -> str:
        return "ws" + self.base_url[len("http") :] + "/ws"

    def view_url(self, file: Mapping[str, Any]) -> str:
        query = urlencode(
            {
                "filename": file.get("filename", ""),
                "subfolder": file.get("subfolder", ""),
                "type": file.get("type", "output"),
            }
        )
        return f"{self.base_url}/view?{query}"

    # -- calls --------------------------------------------------------------------------

    async def queue_prompt(
        self, graph: Mapping[str, Any], client_id: str, titles: Mapping[str, str]
    ) -> str:
        response = await self._send(
            "POST", "/prompt", json={"prompt": graph, "client_id": client_id}
        )
        body = _json(response)
        if response.status_code == 400:
            raise self.error("bad_request", describe_node_errors(body, titles, self.host))
        self._raise_for(response, "take the workflow")
        prompt_id = body.get("prompt_id") if isinstance(body, Mapping) else None
        if not prompt_id:
            raise self.error("server", f"ComfyUI at {self.host} queued nothing (no prompt_id).")
        return str(prompt_id)

    async def history(self, prompt_id: str) -> dict[str, Any] | None:
        response = await self._send("GET", f"/history/{prompt_id}")
        self._raise_for(response, "tell how the job went")
        body = _json(response)
        entry = body.get(prompt_id) if isinstance(body, Mapping) else None
        return entry if isinstance(entry, dict) else None

    async def queue(self) -> tuple[list[list[Any]], list[list[Any]]]:
        """The running and the waiting items (`[number, prompt_id, graph, extra, ...]`)."""
        response = await self._send("GET", "/queue")
        self._raise_for(response, "show its queue")
        body = _json(response) or {}
        return list(body.get("queue_running") or []), list(body.get("queue_pending") or [])

    async def object_info(self) -> dict[str, Any]:
        if self._object_info is None:
            response = await self._send("GET", "/object_info")
            self._raise_for(response, "list its nodes")
            self._object_info = _json(response) or {}
        return self._object_info

    async def system_stats(self) -> dict[str, Any]:
        response = await self._send("GET", "/system_stats")
        self._raise_for(response, "answer")
        body = _json(response)
        if not isinstance(body, Mapping) or "system" not in body:
            raise self.error("unsupported", f"{self.host} answers, but it is not a ComfyUI server.")
        return dict(body)

    async def upload_image(self, data: bytes, name: str) -> str:
        """Put a picture into the server's input folder; the name a LoadImage takes."""
        files = {"image": (name, data, picture_mime(data) or "application/octet-stream")}
        fields = {"type": "input", "overwrite": "true"}
        response = await self._send("POST", "/upload/image", files=files, data=fields)
        self._raise_for(response, "take the picture")
        body = _json(response) or {}
        uploaded = str(body.get("name") or name)
        subfolder = str(body.get("subfolder") or "")
        return f"{subfolder}/{uploaded}" if subfolder else uploaded

    async def interrupt(self, prompt_id: str) -> None:
        response = await self._send("POST", "/interrupt", json={"prompt_id": prompt_id})
        self._raise_for(response, "stop the job")

    async def delete_queued(self, prompt_id: str) -> None:
        response = await self._send("POST", "/queue", json={"delete": [prompt_id]})
        self._raise_for(response, "drop the job from its queue")

    async def fetch(self, file: Mapping[str, Any]) -> bytes:
        """A small output (a picture) into memory; videos go through `stream_to_file`."""
        response = await self._send("GET", self.view_url(file))
        if response.status_code == 404:
            raise self.error(
                "expired", f"ComfyUI at {self.host} no longer has {file.get('filename')}."
            )
        self._raise_for(response, "hand out the result")
        return response.content

    # -- errors -------------------------------------------------------------------------

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx2.Response:
        try:
            return await self._http.request(method, url, **kwargs)
        except httpx2.TimeoutException:
            raise self.error(
                "unreachable", f"ComfyUI at {self.host} did not answer in time."
            ) from None
        except httpx2.HTTPError as exc:
            reason = short_reason(exc) if str(exc) else ""
            raise self.error(
                "unreachable",
                f"Cannot reach ComfyUI at {self.host}"
                + (f" ({reason})" if reason else "")
                + ": is it running, and is the address right?",
            ) from None

    def _raise_for(self, response: httpx2.Response, action: str) -> None:
        status = response.status_code
        if status < 400:
            return
        detail = _detail(response)
        if status in (401, 403):
            raise self.error(
                "auth",
                f"ComfyUI at {self.host} refused the request ({status}{detail}): if it sits "
                "behind a login, store its token for this provider in Settings.",
            )
        if status == 429:
            wait = parse_retry_after(response.headers.get("retry-after"))
            raise self.error(
                "rate_limited",
                f"ComfyUI at {self.host} is busy for now (429{detail}).",
                retry_after=wait,
            )
        if status >= 500:
            raise self.error("server", f"ComfyUI at {self.host} failed ({status}{detail}).")
        if status in (404, 405):
            raise self.error(
                "unsupported",
                f"{self.host} has no {response.request.url.path} ({status}): is this a "
                "ComfyUI server, and a recent one?",
            )
        raise self.error(
            "bad_request", f"ComfyUI at {self.host} would not {action} ({status}{detail})."
        )


def describe_node_errors(body: Any, titles: Mapping[str, str], host: str) -> str:
    """One sentence for a refused workflow: which node (id, class, title) and why."""
    if not isinstance(body, Mapping):
        return f"ComfyUI at {host} refused the workflow (400)."
    error = body.get("error") if isinstance(body.get("error"), Mapping) else {}
    problems: list[str] = []
    for node_id, info in (body.get("node_errors") or {}).items():
        if not isinstance(info, Mapping):
            continue
        reasons = []
        for reason in info.get("errors") or []:
            message = str(reason.get("message") or reason.get("type") or "invalid")
            details = str(reason.get("details") or "").strip()
            reasons.append(f"{message} ({details})" if details and details != message else message)
        name = node_name(str(node_id), str(info.get("class_type") or "?"), titles)
        problems.append(f"{name}: {'; '.join(reasons) or 'invalid'}")
    extra = error.get("extra_info") if isinstance(error.get("extra_info"), Mapping) else {}
    if not problems and extra.get("node_id") is not None:
        node_id = str(extra["node_id"])
        name = node_name(node_id, str(extra.get("class_type") or "?"), titles)
        problems.append(f"{name}: {str(error.get('message') or 'invalid').rstrip('.')}")
    if not problems:
        what = str(error.get("message") or error.get("type") or body.get("error") or "invalid")
        return f"ComfyUI at {host} refused the workflow: {what.rstrip('.')}."
    return f"ComfyUI at {host} refused the workflow: {'. '.join(problems)}."


def node_name(node_id: str, class_type: str, titles: Mapping[str, str]) -> str:
    """'node 4 CheckpointLoaderSimple "Load Checkpoint"', the way the editor shows it."""
    title = titles.get(node_id) or ""
    shown = f' "{title}"' if title and title != class_type else ""
    return f"node {node_id} {class_type}{shown}"


def media_files(outputs: Mapping[str, Any], suffixes: set[str] | None = None) -> list[OutputFile]:
    """The saved files in a history entry's `outputs`, in node order: `images` (SaveImage,
    SaveVideo and SaveAnimatedWEBP put theirs there), `gifs` (VideoHelperSuite's
    VHS_VideoCombine), `videos`; temporary previews left out."""
    found: list[OutputFile] = []
    for node_output in outputs.values():
        if not isinstance(node_output, Mapping):
            continue
        for key in ("images", "gifs", "videos"):
            for item in node_output.get(key) or []:
                if not isinstance(item, Mapping) or item.get("type", "output") != "output":
                    continue
                file = OutputFile(item)
                if file.suffix in (suffixes or _MEDIA):
                    found.append(file)
    return found


def _json(response: httpx2.Response) -> Any:
    with contextlib.suppress(ValueError):
        return response.json()
    return None


def _detail(response: httpx2.Response) -> str:
    """ ": <the server's reason>" for an error message, or "" when it gave none (a page of
    HTML from a proxy is no reason)."""
    body = _json(response)
    if not isinstance(body, Mapping):
        short = response.text and len(response.text) < 200 and "<" not in response.text
        body = response.text if short else ""
    text = error_detail(body).rstrip(".")
    return f": {text}" if text else ""
