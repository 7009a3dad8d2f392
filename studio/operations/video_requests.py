"""A video request as a job keeps it, and back: so a job resumed after a restart sends
exactly the request it was queued with.

A job's `params` hold the request's fields under their own names; pictures (the first
frame `image`, the `last_frame`, the `references`) go into the project's blob store and
the params keep their hashes. Fields left at their default are not stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from studio.ai.video_provider import VideoRequest
from studio.core.blobs import BlobStore

__all__ = ["REQUEST_FIELDS", "params_of", "request_of"]

# Plain fields stored as they are (pictures are stored apart).
REQUEST_FIELDS = (
    "seconds",
    "size",
    "model",
    "aspect",
    "resolution",
    "audio",
    "negative_prompt",
    "seed",
)


def params_of(blobs: BlobStore, request: VideoRequest) -> dict[str, Any]:
    """What a generate job stores for `request` (its pictures put into `blobs`)."""
    params: dict[str, Any] = {"kind": "generate", "prompt": request.prompt.strip()}
    for key in REQUEST_FIELDS:
        value = getattr(request, key)
        if value is None or value == "":
            continue
        params[key] = value
    if request.image:
        params["image"] = blobs.put(request.image)
        params["image_name"] = request.image_name
    if request.last_frame:
        params["last_frame"] = blobs.put(request.last_frame)
    if request.references:
        params["references"] = [blobs.put(picture) for picture in request.references]
    if request.options:
        params["options"] = dict(request.options)
    return params


def request_of(blobs: BlobStore, params: Mapping[str, Any]) -> VideoRequest:
    """The request a generate job's `params` describe, pictures read back from `blobs`."""
    fields = {key: params[key] for key in REQUEST_FIELDS if params.get(key) is not None}
    return VideoRequest(
        prompt=str(params["prompt"]),
        image=blobs.read(params["image"]) if params.get("image") else None,
        image_name=str(params.get("image_name") or "reference.png"),
        last_frame=blobs.read(params["last_frame"]) if params.get("last_frame") else None,
        references=tuple(blobs.read(sha) for sha in params.get("references") or ()),
        options=dict(params.get("options") or {}),
        **fields,
    )
