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


def version_from_row(r: sqlite3.Row) -> Version:
    return Version(
        id=r["id"],
        parent=r["parent"],
        created=r["created"],
        kind=r["kind"],
        prompt=r["prompt"],
        info=GenerationInfo(
            r["provider"], r["model"], r["tokens_in"], r["tokens_out"], r["ttft"], r["total_time"]
        ),
        meta=json.loads(r["meta"]),
    )


def asset_from_row(r: sqlite3.Row) -> Asset:
    return Asset(
        r["name"], r["blob"], r["kind"], r["mime"], r["size"], r["created"], json.loads(r["meta"])
    )


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
