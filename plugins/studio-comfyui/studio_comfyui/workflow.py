"""Workflows in ComfyUI's API format, with the inputs Studio fills marked by node title.

The API format is what ComfyUI's `POST /prompt` takes and what its editor writes with
"Export (API)": `{node_id: {"class_type": ..., "inputs": {...}, "_meta": {"title": ...}}}`,
an input being a value or a link `[source_node_id, output_index]` (ComfyUI's
docs, "Workflow JSON" / "Server routes", and `execution.validate_prompt`, which reads exactly
`class_type` and `inputs`). The editor's own format (`{"nodes": [...], "links": [...]}`) is
refused: ComfyUI's server cannot run it.

A node whose title (`_meta.title`, the name shown in the editor) is one of these receives
what the request says:

- `studio:prompt`, `studio:negative`: its `text` (a CLIP Text Encode);
- `studio:image`, `studio:last_frame`: its `image` (a Load Image), after uploading the
  picture; without one, the node and the links to it are dropped (such inputs are optional);
- `studio:seconds`, `studio:frames`: `length` in frames (seconds x fps, rounded to what the
  model takes), or `seconds` / `value`;
- `studio:size`, `studio:width`, `studio:height`: `width` and `height` (or `value`);
- `studio:seed`: `seed` or `noise_seed` (or `value`);
- `studio:count`: `batch_size` (pictures per request);
- `studio:fps`: nothing; its `fps` / `frame_rate` says the clip's frame rate.

Studio's own templates (in `templates/`) wrap a graph as `{"studio": {...}, "prompt": {...}}`;
the `studio` part says the model files, sizes, lengths and frame rate.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "MODEL_FOLDERS",
    "Inputs",
    "Workflow",
    "WorkflowError",
    "missing_requirements",
]

PREFIX = "studio:"
MARKS = (
    "prompt",
    "negative",
    "image",
    "last_frame",
    "seconds",
    "frames",
    "size",
    "width",
    "height",
    "seed",
    "fps",
    "count",
)
# The model folder each loader reads (ComfyUI's `folder_paths`), for saying where a missing
# file goes.
MODEL_FOLDERS = {
    "CheckpointLoaderSimple": "checkpoints",
    "UNETLoader": "diffusion_models",
    "CLIPLoader": "text_encoders",
    "DualCLIPLoader": "text_encoders",
    "VAELoader": "vae",
    "CLIPVisionLoader": "clip_vision",
    "LoraLoader": "loras",
    "LoraLoaderModelOnly": "loras",
}
# Latent video models take a length of step*n + 1 frames (Wan: 4n+1, LTX-Video: 8n+1).
_FRAME_STEPS = (("Wan", 4), ("LTXV", 8), ("Hunyuan", 4), ("Cosmos", 8))
_FPS_INPUTS = ("fps", "frame_rate")


class WorkflowError(ValueError):
    """A workflow Studio cannot use, with one sentence saying what to change."""


@dataclass(frozen=True)
class Inputs:
    """What a request puts into a workflow. `image` / `last_frame` are names of pictures
    already uploaded to the server's input folder."""

    prompt: str
    negative: str | None = None
    image: str | None = None
    last_frame: str | None = None
    seconds: float | None = None
    size: tuple[int, int] | None = None
    seed: int | None = None
    count: int | None = None


@dataclass
class Workflow:
    """An API-format graph and what is known about it (`meta`: a template's `studio` part)."""

    name: str
    graph: dict[str, dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: Any, name: str, meta: Mapping[str, Any] | None = None) -> Workflow:
        """A workflow from parsed JSON; `WorkflowError` for one Studio cannot run."""
        if isinstance(data, Mapping) and "prompt" in data and isinstance(data["prompt"], Mapping):
            meta = {**dict(data.get("studio") or {}), **dict(meta or {})}
            data = data["prompt"]
        if isinstance(data, Mapping) and isinstance(data.get("nodes"), list) and "links" in data:
            raise WorkflowError(
                f"{name} is in the ComfyUI editor's format, which the server cannot run: in "
                "ComfyUI use Workflow › Export (API) and give Studio that file."
            )
        if not isinstance(data, Mapping) or not data:
            raise WorkflowError(f"{name} is not a ComfyUI workflow in API format (no nodes).")
        graph: dict[str, dict[str, Any]] = {}
        for node_id, node in data.items():
            if not isinstance(node, Mapping) or not isinstance(node.get("inputs", {}), Mapping):
                raise WorkflowError(f"{name}: node {node_id} is not a node of the API format.")
            graph[str(node_id)] = copy.deepcopy(dict(node))
        workflow = cls(name, graph, dict(meta or {}))
        if not workflow.marked("prompt"):
            raise WorkflowError(
                f"{name} has no prompt input: in ComfyUI, give the text node that takes the "
                'prompt (a CLIP Text Encode) the title "studio:prompt", then export it again '
                "with Export (API)."
            )
        return workflow

    @classmethod
    def load(cls, path: Path, meta: Mapping[str, Any] | None = None) -> Workflow:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise WorkflowError(
                f"Cannot read the workflow {path}: {exc.strerror or exc}."
            ) from None
        except ValueError as exc:
            raise WorkflowError(f"The workflow {path} is not valid JSON: {exc}.") from None
        return cls.from_data(data, Path(path).name, meta)

    # -- what it offers ---------------------------------------------------------------

    def marked(self, mark: str) -> list[str]:
        """The ids of the nodes titled `studio:<mark>` (case and spaces forgiven)."""
        wanted = PREFIX + mark
        return [
            node_id
            for node_id, node in self.graph.items()
            if _title(node).replace(" ", "").lower() == wanted
        ]

    def title(self, node_id: str) -> str:
        return _title(self.graph.get(node_id, {}))

    @property
    def fps(self) -> float:
        if self.meta.get("fps"):
            return float(self.meta["fps"])
        for node_id in self.marked("fps") + list(self.graph):
            inputs = self.graph[node_id].get("inputs", {})
            for name in _FPS_INPUTS:
                if isinstance(inputs.get(name), int | float):
                    return float(inputs[name])
        return 16.0

    @property
    def frames_step(self) -> int:
        if self.meta.get("frames_step"):
            return int(self.meta["frames_step"])
        for node_id in self.marked("seconds") + self.marked("frames") + self.marked("size"):
            kind = str(self.graph[node_id].get("class_type", ""))
            for prefix, step in _FRAME_STEPS:
                if prefix in kind:
                    return step
        return 1

    def frames_for(self, seconds: float) -> int:
        """The length in frames closest to `seconds` that the model takes."""
        step = self.frames_step
        frames = max(1, round(seconds * self.fps))
        frames = step * max(1, round((frames - 1) / step)) + 1 if step > 1 else frames
        limit = int(self.meta.get("max_frames") or 0)
        if limit and frames > limit:
            frames = limit
        return frames

    def classes(self) -> set[str]:
        return {str(node.get("class_type")) for node in self.graph.values()}

    # -- filling it in -----------------------------------------------------------------

    def fill(self, inputs: Inputs) -> dict[str, dict[str, Any]]:
        """The graph to send, with the marked inputs set (the workflow itself is unchanged)."""
        graph = copy.deepcopy(self.graph)
        for node_id in self.marked("prompt"):
            graph[node_id]["inputs"]["text"] = inputs.prompt
        if inputs.negative is not None:
            for node_id in self.marked("negative"):
                graph[node_id]["inputs"]["text"] = inputs.negative
        for mark, picture in (("image", inputs.image), ("last_frame", inputs.last_frame)):
            for node_id in self.marked(mark):
                if picture:
                    graph[node_id]["inputs"]["image"] = picture
                else:
                    _drop(graph, node_id)
        if inputs.seconds:
            self._set_length(graph, inputs.seconds)
        if inputs.size:
            width, height = inputs.size
            for node_id in self.marked("size"):
                graph[node_id]["inputs"].update(width=width, height=height)
            for mark, value in (("width", width), ("height", height)):
                for node_id in self.marked(mark):
                    _set_first(graph[node_id]["inputs"], (mark, "value"), value)
        if inputs.seed is not None:
            for node_id in self.marked("seed"):
                _set_first(graph[node_id]["inputs"], ("seed", "noise_seed", "value"), inputs.seed)
        if inputs.count:
            counted = self.marked("count") or [
                n for n in self.marked("size") if "batch_size" in graph[n]["inputs"]
            ]
            for node_id in counted:
                _set_first(graph[node_id]["inputs"], ("batch_size", "value"), inputs.count)
        return graph

    def _set_length(self, graph: dict[str, dict[str, Any]], seconds: float) -> None:
        frames = self.frames_for(seconds)
        for node_id in self.marked("seconds"):
            inputs = graph[node_id]["inputs"]
            if {"length", "frames"} & set(inputs):
                _set_first(inputs, ("length", "frames"), frames)
            else:
                _set_first(inputs, ("seconds", "duration", "value"), seconds)
        for node_id in self.marked("frames"):
            _set_first(graph[node_id]["inputs"], ("length", "frames", "value"), frames)
        if not (self.marked("seconds") or self.marked("frames")):
            # Studio's templates mark the latent node studio:size; its `length` is the clip's.
            for node_id in self.marked("size"):
                if "length" in graph[node_id]["inputs"]:
                    graph[node_id]["inputs"]["length"] = frames


def missing_requirements(
    graph: Mapping[str, Mapping[str, Any]], object_info: Mapping[str, Any], name: str, host: str
) -> str | None:
    """One sentence naming the nodes and model files `graph` needs that the server (its
    `GET /object_info`) lacks; None when it has them all."""
    missing_nodes = sorted({str(n.get("class_type")) for n in graph.values()} - set(object_info))
    missing_files: list[str] = []
    for node in graph.values():
        kind = str(node.get("class_type"))
        spec = object_info.get(kind)
        if not isinstance(spec, Mapping) or kind == "LoadImage":
            continue  # pictures are uploaded just before the prompt is sent
        for input_name, value in (node.get("inputs") or {}).items():
            options = _combo_options(spec, input_name)
            if options is None or not isinstance(value, str) or value in options:
                continue
            folder = MODEL_FOLDERS.get(kind)
            where = f" (models/{folder})" if folder else f" ({kind}.{input_name})"
            missing_files.append(f"{value}{where}")
    if not missing_nodes and not missing_files:
        return None
    parts = []
    if missing_nodes:
        parts.append(
            "the nodes " + ", ".join(missing_nodes) + " (update ComfyUI or install the custom "
            "nodes that provide them)"
        )
    if missing_files:
        parts.append("the model files " + ", ".join(sorted(set(missing_files))))
    return f"ComfyUI at {host} lacks what {name} needs: {'; and '.join(parts)}."


def _combo_options(spec: Mapping[str, Any], input_name: str) -> list[Any] | None:
    """A combo input's choices from `/object_info`: `[[...options], {...}]` (the classic
    form) or `["COMBO", {"options": [...]}]` (nodes written for ComfyUI's V3 schema)."""
    for section in ("required", "optional"):
        entry = (spec.get("input") or {}).get(section, {}).get(input_name)
        if not isinstance(entry, list | tuple) or not entry:
            continue
        if isinstance(entry[0], list | tuple):
            return list(entry[0])
        if entry[0] == "COMBO" and len(entry) > 1 and isinstance(entry[1], Mapping):
            return list(entry[1].get("options") or [])
    return None


def _title(node: Mapping[str, Any]) -> str:
    meta = node.get("_meta")
    return str(meta.get("title") or "") if isinstance(meta, Mapping) else ""


def _drop(graph: dict[str, dict[str, Any]], node_id: str) -> None:
    """Remove a node and every input linked to it (an optional picture left out)."""
    graph.pop(node_id, None)
    for node in graph.values():
        inputs = node.get("inputs", {})
        for name in [k for k, v in inputs.items() if _links_to(v, node_id)]:
            del inputs[name]


def _links_to(value: Any, node_id: str) -> bool:
    return isinstance(value, list) and len(value) == 2 and str(value[0]) == node_id


def _set_first(inputs: dict[str, Any], names: tuple[str, ...], value: Any) -> None:
    """Set the first of `names` the node has as a value (not a link); else the last name."""
    for name in names:
        if name in inputs and not _is_link(inputs[name]):
            inputs[name] = value
            return
    inputs[names[-1]] = value


def _is_link(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[1], int)
