"""What the project store hands out: versions, assets, messages and jobs as frozen records,
made from the database's rows (`studio.core.store` reads and writes the rows).
"""

from __future__ import annotations

import json
import mimetypes
import sqlite3
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class GenerationInfo:
    """What a model-made version records about how it was made."""

    provider: str | None = None
    model: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    ttft: float | None = None
    total_time: float | None = None


@dataclass(frozen=True)
class Version:
    id: int
    parent: int | None
    created: float
    kind: str
    prompt: str | None
    info: GenerationInfo
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """One line for lists: the prompt, or what made the version."""
        if self.prompt:
            return self.prompt.splitlines()[0][:80]
        return str(self.meta.get("label") or self.kind)


@dataclass(frozen=True)
class Asset:
    name: str
    blob: str
    kind: str
    mime: str
    size: int
    created: float
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    id: int
    created: float
    role: str
    content: str
    version: int | None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VideoJob:
    id: int
    provider: str
    remote_id: str | None
    params: dict[str, Any]
    status: str
    progress: float
    error: str | None
    result: list[str]
    created: float
    updated: float
    kind: str = "video"  # or "image": picture jobs share the table


def asset_kind(mime: str) -> str:
    return mime.split("/", 1)[0] if "/" in mime else "other"


def guess_mime(name: str) -> str:
    mime, _ = mimetypes.guess_type(name)
    return mime or "application/octet-stream"


# The columns the record readers take, in order: rows are read as plain tuples (no
# sqlite3.Row lookups by name), and a version's or asset's meta that is empty, as most
# are, is not decoded.
VERSION_COLUMNS = (
    "id, parent, created, kind, prompt, provider, model, tokens_in, tokens_out, ttft,"
    " total_time, meta"
)
ASSET_COLUMNS = "name, blob, kind, mime, size, created, meta"


def _meta(text: str) -> dict[str, Any]:
    return {} if text == "{}" else json.loads(text)


def version_from_row(r: tuple[Any, ...]) -> Version:
    """A version from a row of VERSION_COLUMNS."""
    return Version(r[0], r[1], r[2], r[3], r[4], GenerationInfo(*r[5:11]), _meta(r[11]))


def asset_from_row(r: tuple[Any, ...]) -> Asset:
    """An asset from a row of ASSET_COLUMNS."""
    return Asset(r[0], r[1], r[2], r[3], r[4], r[5], _meta(r[6]))


def message_from_row(r: sqlite3.Row) -> Message:
    return Message(
        r["id"], r["created"], r["role"], r["content"], r["version"], json.loads(r["meta"])
    )


def job_from_row(r: sqlite3.Row) -> VideoJob:
    return VideoJob(
        id=r["id"],
        provider=r["provider"],
        remote_id=r["remote_id"],
        params=json.loads(r["params"]),
        status=r["status"],
        progress=r["progress"],
        error=r["error"],
        result=json.loads(r["result"]),
        created=r["created"],
        updated=r["updated"],
        kind=r["kind"],
    )
