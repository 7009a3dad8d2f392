"""Jobs on a ComfyUI server, shared by the video and the picture provider: send a filled-in
workflow, follow it (the websocket first, `/history` and `/queue` to confirm and as the
fallback), find its saved files, stop it.

A job's remote id is `<prompt_id>@<client_id>`: ComfyUI sends a prompt's progress only to
the client id that queued it, so a job resumed after Studio restarts reconnects with that id.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from studio.ai.formats import PICTURE_SUFFIX, picture_mime
from studio.ai.sdk_client import LazyClient, service_key
from studio.ai.services import ServiceError, ServiceErrorKind
from studio_comfyui.client import ComfyClient, OutputFile, media_files, node_name
from studio_comfyui.progress import ProgressFeed, PromptEvents
from studio_comfyui.workflow import Inputs, Workflow, missing_requirements

__all__ = ["ComfyJobs", "JobState", "split_remote_id"]

SEPARATOR = "@"
_QUOTA = re.compile(r"credits?\b|payment required|\b402\b|insufficient (funds|balance)", re.I)
_MEMORY = re.compile(r"out of memory|OutOfMemory|CUDA error: out of", re.I)


@dataclass(frozen=True)
class JobState:
    status: Literal["queued", "in_progress", "completed", "failed"]
    progress: float = 0.0
    error: str | None = None
    error_kind: ServiceErrorKind | None = None
    files: list[OutputFile] = field(default_factory=list)
    poll_after: float | None = None
    position: int | None = None

    @property
    def done(self) -> bool:
        return self.status in ("completed", "failed")


def split_remote_id(remote_id: str) -> tuple[str, str | None]:
    prompt_id, _, client_id = remote_id.partition(SEPARATOR)
    return prompt_id, client_id or None


class ComfyJobs:
    """Options: `base_url`, `api_key` (a token for a login in front of ComfyUI), `key_name`
    (the stored token's name), `timeout`, `poll_interval` (seconds between polls without
    the websocket), `poll_wait` (how long a poll waits on the websocket for news)."""

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None = None,
        key_name: str | None = None,
        timeout: float = 30.0,
        poll_interval: float = 1.0,
        poll_wait: float = 2.0,
        error: type[ServiceError] = ServiceError,
    ) -> None:
        self.base_url = base_url
        self.error = error
        self.poll_interval = poll_interval
        self.poll_wait = poll_wait
        self.client_id = f"studio-{uuid.uuid4().hex}"
        self._token_args = (api_key, key_name)
        self._timeout = timeout
        self._client: LazyClient[ComfyClient] = LazyClient(
            self._make_client, service="ComfyUI", error=error, secrets=[api_key]
        )
        self._feeds: dict[str, ProgressFeed] = {}
        self._graphs: dict[str, Mapping[str, Any]] = {}
        self._seen: dict[str, int] = {}

    def _make_client(self) -> ComfyClient:
        """The HTTP client, with the token given or stored for `key_name` (a plain ComfyUI
        needs none). Blocking (the keyring): on a worker thread."""
        token, key_name = self._token_args
        token = service_key(key_name, token)
        return ComfyClient(
            self.base_url or "", token=token, timeout=self._timeout, error=self.error
        )

    async def connect(self) -> ComfyClient:
        return await self._client.get()

    def _feed(self, client: ComfyClient, client_id: str) -> ProgressFeed:
        feed = self._feeds.get(client_id)
        if feed is None:
            feed = self._feeds[client_id] = ProgressFeed(client.ws_url, client_id, client.headers)
        feed.start()
        return feed

    async def aclose(self) -> None:
        feeds, self._feeds = list(self._feeds.values()), {}
        for feed in feeds:
            await feed.aclose()
        await self._client.aclose()

    # -- submit -------------------------------------------------------------------------

    async def submit(
        self,
        workflow: Workflow,
        inputs: Inputs,
        pictures: Mapping[str, bytes] | None = None,
    ) -> str:
        """Upload `pictures` (by mark: "image", "last_frame"), fill the workflow in, check
        the server has its nodes and models, queue it; the remote id."""
        client = await self.connect()
        pictures = {mark: data for mark, data in (pictures or {}).items() if data}
        names = {mark: _upload_name(data) for mark, data in pictures.items()}
        inputs = replace(inputs, image=names.get("image"), last_frame=names.get("last_frame"))
        problem = missing_requirements(
            workflow.fill(inputs), await client.object_info(), workflow.name, client.host
        )
        if problem:
            raise self.error("unsupported", problem)
        for mark, data in pictures.items():
            names[mark] = await client.upload_image(data, names[mark])
        inputs = replace(inputs, image=names.get("image"), last_frame=names.get("last_frame"))
        graph = workflow.fill(inputs)
        # Listen before queueing, so no event of this prompt is missed.
        await self._feed(client, self.client_id).started(timeout=5.0)
        titles = {node_id: workflow.title(node_id) for node_id in graph}
        prompt_id = await client.queue_prompt(graph, self.client_id, titles)
        self._graphs[prompt_id] = graph
        return f"{prompt_id}{SEPARATOR}{self.client_id}"

    # -- follow -------------------------------------------------------------------------

    async def status(self, remote_id: str) -> JobState:
        prompt_id, client_id = split_remote_id(remote_id)
        client = await self.connect()
        feed = self._feed(client, client_id or self.client_id)
        events = feed.events(prompt_id)
        if feed.connected.is_set() and not events.finished:
            await feed.wait(prompt_id, self._seen.get(prompt_id, 0), self.poll_wait)
        self._seen[prompt_id] = events.version
        if feed.connected.is_set() and events.started and not events.finished:
            # The socket is live and tells the progress: the next poll waits on it again.
            progress = events.progress(self._graphs.get(prompt_id))
            return JobState("in_progress", progress, poll_after=0.0)
        return await self._from_server(client, prompt_id, events)

    async def _from_server(
        self, client: ComfyClient, prompt_id: str, events: PromptEvents
    ) -> JobState:
        entry = await client.history(prompt_id)
        if entry is None:
            running, pending = await client.queue()
            for item in running:
                if len(item) > 2 and item[1] == prompt_id:
                    if isinstance(item[2], Mapping):
                        self._graphs.setdefault(prompt_id, item[2])
                    progress = events.progress(self._graphs.get(prompt_id))
                    return JobState("in_progress", progress, poll_after=self.poll_interval)
            for position, item in enumerate(pending):
                if len(item) > 1 and item[1] == prompt_id:
                    return JobState("queued", poll_after=self.poll_interval, position=position)
            # It may have moved from the queue to the history between the two calls.
            entry = await client.history(prompt_id)
        if entry is None:
            raise self.error(
                "not_found",
                f"ComfyUI at {client.host} no longer knows the job {prompt_id}: the server was "
                "probably restarted while it ran (ComfyUI keeps its queue in memory); "
                "generate it again.",
            )
        return self._from_history(client, entry)

    def _from_history(self, client: ComfyClient, entry: Mapping[str, Any]) -> JobState:
        status = entry.get("status") if isinstance(entry.get("status"), Mapping) else {}
        prompt = entry.get("prompt")
        graph = prompt[2] if isinstance(prompt, list) and len(prompt) > 2 else {}
        titles = {k: str((v.get("_meta") or {}).get("title") or "") for k, v in graph.items()}
        for message in status.get("messages") or []:
            if not isinstance(message, list | tuple) or len(message) != 2:
                continue
            kind, data = message
            if kind == "execution_error" and isinstance(data, Mapping):
                text, error_kind = _failure(data, titles, client.host)
                return JobState("failed", error=text, error_kind=error_kind)
            if kind == "execution_interrupted":
                return JobState(
                    "failed",
                    error=f"The job was stopped on the ComfyUI server at {client.host}.",
                    error_kind="failed",
                )
        if status.get("status_str") == "error":
            return JobState("failed", error=f"The job failed on ComfyUI at {client.host}.")
        files = media_files(entry.get("outputs") or {})
        if not files:
            return JobState(
                "failed",
                error="The workflow finished without saving a video or picture: it needs a "
                "Save Video (or Save Image) node.",
                error_kind="failed",
            )
        return JobState("completed", 1.0, files=files)

    async def files(self, remote_id: str) -> list[OutputFile]:
        """The saved files of a finished job."""
        prompt_id, _ = split_remote_id(remote_id)
        client = await self.connect()
        entry = await client.history(prompt_id)
        if entry is None:
            raise self.error(
                "expired",
                f"ComfyUI at {client.host} no longer has the result of {prompt_id} (its history "
                "was cleared or the server restarted); generate it again.",
            )
        state = self._from_history(client, entry)
        if state.status != "completed":
            raise self.error(state.error_kind or "failed", state.error or "The job failed.")
        return state.files

    async def cancel(self, remote_id: str) -> None:
        """Drop it from the queue if it waits; interrupt it if it runs (only this prompt)."""
        prompt_id, _ = split_remote_id(remote_id)
        client = await self.connect()
        running, pending = await client.queue()
        if any(len(item) > 1 and item[1] == prompt_id for item in pending):
            await client.delete_queued(prompt_id)
        elif any(len(item) > 1 and item[1] == prompt_id for item in running):
            await client.interrupt(prompt_id)

    async def wait(self, remote_id: str, timeout: float) -> JobState:
        """Follow a job until it is done (for pictures, which are made while Studio waits)."""
        async with asyncio.timeout(timeout):
            while True:
                state = await self.status(remote_id)
                if state.done:
                    return state
                await asyncio.sleep(state.poll_after or 0.0)

    async def check(self) -> None:
        client = await self.connect()
        await client.system_stats()


def _failure(
    data: Mapping[str, Any], titles: Mapping[str, str], host: str
) -> tuple[str, ServiceErrorKind]:
    """A sentence for an `execution_error`: which node, and ComfyUI's own reason."""
    name = node_name(str(data.get("node_id", "?")), str(data.get("node_type") or "?"), titles)
    reason = str(data.get("exception_message") or data.get("exception_type") or "no reason")
    reason = reason.strip().splitlines()[0].rstrip(".") if reason.strip() else "no reason"
    if _QUOTA.search(reason):
        return f"ComfyUI at {host} failed in {name}: {reason} (out of credits).", "quota"
    hint = ""
    if _MEMORY.search(reason):
        hint = " Try a smaller size or a shorter clip."
    return f"ComfyUI at {host} failed in {name}: {reason}.{hint}", "failed"


def _upload_name(data: bytes) -> str:
    """The same picture gets the same name, so ComfyUI keeps one copy of it."""
    suffix = PICTURE_SUFFIX.get(picture_mime(data) or "", ".png")
    return f"studio-{hashlib.sha256(data).hexdigest()[:16]}{suffix}"
