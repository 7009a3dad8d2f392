"""The connection to Runway that the video and picture providers share: the official
`runwayml` SDK's `AsyncRunwayML` client, made on a worker thread at first use, its errors in
Studio's words, pictures turned into inputs, and finished tasks' results fetched.

The SDK sends `Authorization: Bearer <key>` and the `X-Runway-Version` header the API
requires (`_client.py`); `base_url` is the API's root (its paths start with `/v1`), so tests
and proxies point it elsewhere.
"""

from __future__ import annotations

import base64
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from studio.ai.formats import PICTURE_SUFFIX, picture_mime
from studio.ai.http_download import stream_to_file
from studio.ai.sdk_client import SdkConnection
from studio.ai.services import ServiceError

if TYPE_CHECKING:
    import runwayml

__all__ = [
    "CONNECTION_OPTIONS",
    "DEFAULT_BASE_URL",
    "ENV_KEY",
    "RunwayConnection",
    "failure_text",
]

DEFAULT_BASE_URL = "https://api.dev.runwayml.com"
ENV_KEY = "RUNWAYML_API_SECRET"  # the variable the SDK itself reads
# A data URI must stay under 5 MB ("Inputs"); base64 adds a third. Bigger pictures go
# through an ephemeral upload (POST /v1/uploads) and are sent as its runway:// URI.
MAX_INLINE_BYTES = 3_000_000
# Runway asks clients not to expect a task to change more often than every five seconds
# (API reference, "Get task detail"); the SDK's own waiting polls every 6 s.
POLL_INTERVAL = 5.0

# The options a `RunwayConnection` takes (the rest of a provider's are its own).
CONNECTION_OPTIONS = frozenset(
    {
        "base_url",
        "api_key",
        "key_name",
        "timeout",
        "max_retries",
        "runway_version",
        "max_inline_bytes",
    }
)


class RunwayConnection(SdkConnection["runwayml.AsyncRunwayML"]):
    """Options: `base_url`, `api_key` (else the key stored for `key_name`, else
    RUNWAYML_API_SECRET), `timeout`, `max_retries` (the SDK's own retries of connection
    errors, 429 and 5xx), `runway_version`, `max_inline_bytes`."""

    service = "Runway"
    env_key = ENV_KEY
    default_base_url = DEFAULT_BASE_URL
    key_name = "runway"

    def __init__(
        self,
        *,
        runway_version: str | None = None,
        max_inline_bytes: int = MAX_INLINE_BYTES,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.max_inline_bytes = max_inline_bytes
        if runway_version:
            self.client_args["runway_version"] = runway_version

    def sdk(self) -> ModuleType:
        import runwayml

        return runwayml

    def make_client(self, key: str) -> runwayml.AsyncRunwayML:
        return self.sdk().AsyncRunwayML(api_key=key, base_url=self.base_url, **self.client_args)

    async def picture_uri(self, data: bytes, *, error: type[ServiceError]) -> str:
        """A picture as a Runway input: a data URI, or an upload's runway:// URI when big."""
        mime = picture_mime(data)
        if mime is None:
            raise error("bad_request", "Runway takes PNG, JPEG or WebP pictures; this is none.")
        if len(data) <= self.max_inline_bytes:
            return f"data:{mime};base64,{base64.b64encode(data).decode()}"
        upload = (f"studio-picture{PICTURE_SUFFIX[mime]}", data, mime)
        uploaded = await self.call(
            lambda c: c.uploads.create_ephemeral(file=upload), "upload", error=error
        )
        return uploaded.uri

    async def task(
        self, remote_id: str, action: str, *, error: type[ServiceError] = ServiceError
    ) -> Any:
        """The task's state (GET /v1/tasks/{id})."""
        return await self.call(
            lambda c: c.tasks.retrieve(remote_id), action, remote_id, error=error
        )

    async def output_url(self, remote_id: str, *, error: type[ServiceError] = ServiceError) -> str:
        """A finished task's first result, freshly signed: the task is fetched again, as its
        URLs expire within 24-48 hours and a fresh GET signs new ones
        (task_retrieve_response.py). Fetch the file at once."""
        task = await self.task(remote_id, "download", error=error)
        if task.status != "SUCCEEDED" or not getattr(task, "output", None):
            raise error("failed", f"Runway's task {remote_id} has no result ({task.status}).")
        return task.output[0]

    async def fetch_output(
        self, remote_id: str, dest: Path, *, error: type[ServiceError] = ServiceError
    ) -> Path:
        """Write a finished task's first result to `dest`, whole or not at all."""
        url = await self.output_url(remote_id, error=error)
        return await stream_to_file(url, dest, error=error)


def failure_text(code: str | None, failure: str | None, thing: str = "clip") -> str:
    """A failed task in a sentence, by its failure code ("Handle Task Failures")."""
    detail = (failure or "").strip().rstrip(".") or "no reason given"
    code = code or ""
    if code.startswith("SAFETY."):
        what = "picture" if "IMAGE" in code else "prompt" if "TEXT" in code else "request"
        return f"Runway refused the {what} (content moderation, {code}): change it and try again."
    if code.startswith("INTERNAL.BAD_OUTPUT"):
        return (
            f"Runway could not make a good {thing} ({code}): try again, perhaps without text or "
            "graphics in the picture."
        )
    if code.startswith("ASSET.") or code.startswith("INPUT_PREPROCESSING"):
        return f"Runway could not use an input ({code}): {detail}."
    return f"The {thing} failed on Runway: {detail}" + (f" ({code})." if code else ".")
