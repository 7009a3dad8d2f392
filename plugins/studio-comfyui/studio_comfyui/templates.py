"""The workflow templates Studio ships (`templates/*.json`) and a person's own workflow.

A template's name is its file's stem; its `studio` part names the model files it loads (the
plugin README says where each comes from), its sizes, lengths and frame rate. A template
with `with_image` runs as that variant when the request brings a picture (LTX-Video and the
picture models need a different graph from a picture than from text); a variant
(`variant_of`) takes what it does not say from its parent and is not offered on its own.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from studio_comfyui.workflow import Workflow, WorkflowError

__all__ = ["CUSTOM", "load_template", "offer", "template_meta", "template_names"]

CUSTOM = "custom"  # the model name of a person's own workflow (option `workflow`)


@functools.cache
def _raw(name: str) -> dict[str, Any]:
    folder = resources.files("studio_comfyui") / "templates"
    try:
        return json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WorkflowError(f"Studio has no ComfyUI template named {name!r}.") from None


@functools.cache
def template_names(kind: str) -> tuple[str, ...]:
    """The templates offered for `kind` ("video" or "image"), variants left out."""
    folder = resources.files("studio_comfyui") / "templates"
    names = sorted(
        Path(entry.name).stem for entry in folder.iterdir() if entry.name.endswith(".json")
    )
    return tuple(
        name
        for name in names
        if _raw(name)["studio"].get("kind") == kind and not _raw(name)["studio"].get("variant_of")
    )


def template_meta(name: str) -> dict[str, Any]:
    """A template's `studio` part, a variant's completed from its parent's."""
    meta = dict(_raw(name)["studio"])
    parent = meta.get("variant_of")
    if parent:
        meta = {**{k: v for k, v in template_meta(parent).items() if k != "with_image"}, **meta}
    return meta


def load_template(name: str, *, with_image: bool = False) -> Workflow:
    """The template `name` (its picture variant when `with_image` and it has one)."""
    meta = template_meta(name)
    if with_image and meta.get("with_image"):
        name = str(meta["with_image"])
        meta = template_meta(name)
    return Workflow.from_data(_raw(name)["prompt"], name, meta)


def offer(workflow: Workflow, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """What a form may offer for `workflow`, from its marks; `defaults` gives the sizes and
    lengths (a template's `studio` part, or common ones for a person's own workflow)."""
    timed = workflow.marked("seconds") or workflow.marked("frames") or workflow.marked("size")
    sized = workflow.marked("size") or workflow.marked("width")
    return {
        "sizes": tuple(defaults.get("sizes") or ()) if sized else (),
        "durations": tuple(defaults.get("durations") or ()) if timed else (),
        "image": bool(workflow.marked("image") or defaults.get("with_image")),
        "last_frame": bool(workflow.marked("last_frame")),
        "negative": bool(workflow.marked("negative")),
        "seed": bool(workflow.marked("seed")),
    }
