"""The node classes the local ComfyUI server knows, with their inputs and outputs as ComfyUI's
`GET /object_info` describes them, and how it checks a prompt against them
(`execution.validate_prompt` / `validate_inputs`).

The classes are ComfyUI's own core nodes used by the common Wan 2.2, LTX-Video, SDXL and
FLUX workflows (`nodes.py`, `comfy_extras/nodes_wan.py`, `nodes_lt.py`, `nodes_video.py`,
`nodes_flux.py`, `nodes_custom_sampler.py`, `nodes_model_advanced.py`); the model lists are
the files of the server's (scriptable) model folders. Only what a workflow's shape needs is
described: input names, types, combo choices and whether an input is optional.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DEFAULT_MODELS",
    "NODES",
    "SYSTEM_STATS",
    "NodeClass",
    "latent_shape",
    "object_info",
    "run_order",
    "validate_prompt",
]

SAMPLERS = ["euler", "euler_ancestral", "dpmpp_2m", "dpmpp_2m_sde", "uni_pc", "lcm"]
SCHEDULERS = ["simple", "normal", "karras", "exponential", "sgm_uniform", "beta"]
CLIP_TYPES = ["stable_diffusion", "sd3", "flux", "ltxv", "wan", "hidream", "qwen_image"]

# The model files ComfyUI's own example workflows load (docs.comfy.org, the Wan 2.2, LTX-Video,
# SDXL and FLUX tutorials), each in its models/ folder.
DEFAULT_MODELS: dict[str, list[str]] = {
    "checkpoints": [
        "ltxv-2b-0.9.8-distilled.safetensors",
        "sd_xl_base_1.0.safetensors",
        "flux1-dev-fp8.safetensors",
    ],
    "diffusion_models": [
        "wan2.2_ti2v_5B_fp16.safetensors",
        "wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors",
        "wan2.2_i2v_low_noise_14B_fp8_scaled.safetensors",
    ],
    "text_encoders": ["umt5_xxl_fp8_e4m3fn_scaled.safetensors", "t5xxl_fp16.safetensors"],
    "vae": ["wan2.2_vae.safetensors", "wan_2.1_vae.safetensors"],
    "clip_vision": ["clip_vision_h.safetensors"],
}


@dataclass(frozen=True)
class NodeClass:
    """`required` / `optional`: input name -> a type ("MODEL", "INT", ...), a list of choices,
    or "@folder" (the files of a model folder; "@input" the uploaded pictures)."""

    required: Mapping[str, Any]
    outputs: tuple[str, ...] = ()
    optional: Mapping[str, Any] = field(default_factory=dict)
    output_node: bool = False
    category: str = "sampling"


_SIZE = {"width": "INT", "height": "INT", "length": "INT", "batch_size": "INT"}
_PAIR = {"positive": "CONDITIONING", "negative": "CONDITIONING", "vae": "VAE"}
_KSAMPLER = {
    "model": "MODEL",
    "seed": "INT",
    "steps": "INT",
    "cfg": "FLOAT",
    "sampler_name": SAMPLERS,
    "scheduler": SCHEDULERS,
    "positive": "CONDITIONING",
    "negative": "CONDITIONING",
    "latent_image": "LATENT",
    "denoise": "FLOAT",
}
_ADVANCED = {k: v for k, v in _KSAMPLER.items() if k not in ("seed", "denoise")} | {
    "add_noise": ["enable", "disable"],
    "noise_seed": "INT",
    "start_at_step": "INT",
    "end_at_step": "INT",
    "return_with_leftover_noise": ["disable", "enable"],
}

NODES: dict[str, NodeClass] = {
    "CheckpointLoaderSimple": NodeClass(
        {"ckpt_name": "@checkpoints"}, ("MODEL", "CLIP", "VAE"), category="loaders"
    ),
    "UNETLoader": NodeClass(
        {"unet_name": "@diffusion_models", "weight_dtype": ["default", "fp8_e4m3fn", "fp8_e5m2"]},
        ("MODEL",),
        category="advanced/loaders",
    ),
    "CLIPLoader": NodeClass(
        {"clip_name": "@text_encoders", "type": CLIP_TYPES},
        ("CLIP",),
        optional={"device": ["default", "cpu"]},
        category="advanced/loaders",
    ),
    "VAELoader": NodeClass({"vae_name": "@vae"}, ("VAE",), category="loaders"),
    "CLIPVisionLoader": NodeClass({"clip_name": "@clip_vision"}, ("CLIP_VISION",)),
    "CLIPTextEncode": NodeClass({"text": "STRING", "clip": "CLIP"}, ("CONDITIONING",)),
    "ModelSamplingSD3": NodeClass({"model": "MODEL", "shift": "FLOAT"}, ("MODEL",)),
    "FluxGuidance": NodeClass(
        {"conditioning": "CONDITIONING", "guidance": "FLOAT"}, ("CONDITIONING",)
    ),
    "KSampler": NodeClass(_KSAMPLER, ("LATENT",)),
    "KSamplerAdvanced": NodeClass(_ADVANCED, ("LATENT",)),
    "KSamplerSelect": NodeClass({"sampler_name": SAMPLERS}, ("SAMPLER",)),
    "LTXVScheduler": NodeClass(
        {
            "steps": "INT",
            "max_shift": "FLOAT",
            "base_shift": "FLOAT",
            "stretch": "BOOLEAN",
            "terminal": "FLOAT",
        },
        ("SIGMAS",),
        optional={"latent": "LATENT"},
    ),
    "SamplerCustom": NodeClass(
        {
            "model": "MODEL",
            "add_noise": "BOOLEAN",
            "noise_seed": "INT",
            "cfg": "FLOAT",
            "positive": "CONDITIONING",
            "negative": "CONDITIONING",
            "sampler": "SAMPLER",
            "sigmas": "SIGMAS",
            "latent_image": "LATENT",
        },
        ("LATENT", "LATENT"),
    ),
    "EmptyLatentImage": NodeClass(
        {"width": "INT", "height": "INT", "batch_size": "INT"}, ("LATENT",)
    ),
    "EmptySD3LatentImage": NodeClass(
        {"width": "INT", "height": "INT", "batch_size": "INT"}, ("LATENT",)
    ),
    "EmptyLTXVLatentVideo": NodeClass(_SIZE, ("LATENT",)),
    "LTXVImgToVideo": NodeClass(
        _PAIR | {"image": "IMAGE"} | _SIZE | {"strength": "FLOAT"},
        ("CONDITIONING", "CONDITIONING", "LATENT"),
    ),
    "LTXVConditioning": NodeClass(
        {"positive": "CONDITIONING", "negative": "CONDITIONING", "frame_rate": "FLOAT"},
        ("CONDITIONING", "CONDITIONING"),
    ),
    "Wan22ImageToVideoLatent": NodeClass(
        {"vae": "VAE"} | _SIZE, ("LATENT",), optional={"start_image": "IMAGE"}
    ),
    "WanImageToVideo": NodeClass(
        _PAIR | _SIZE,
        ("CONDITIONING", "CONDITIONING", "LATENT"),
        optional={"clip_vision_output": "CLIP_VISION_OUTPUT", "start_image": "IMAGE"},
    ),
    "WanFirstLastFrameToVideo": NodeClass(
        _PAIR | _SIZE,
        ("CONDITIONING", "CONDITIONING", "LATENT"),
        optional={
            "clip_vision_start_image": "CLIP_VISION_OUTPUT",
            "clip_vision_end_image": "CLIP_VISION_OUTPUT",
            "start_image": "IMAGE",
            "end_image": "IMAGE",
        },
    ),
    "VAEDecode": NodeClass({"samples": "LATENT", "vae": "VAE"}, ("IMAGE",), category="latent"),
    "VAEEncode": NodeClass({"pixels": "IMAGE", "vae": "VAE"}, ("LATENT",), category="latent"),
    "LoadImage": NodeClass({"image": "@input"}, ("IMAGE", "MASK"), category="image"),
    "SaveImage": NodeClass(
        {"images": "IMAGE", "filename_prefix": "STRING"}, output_node=True, category="image"
    ),
    "CreateVideo": NodeClass(
        {"images": "IMAGE", "fps": "FLOAT"},
        ("VIDEO",),
        optional={"audio": "AUDIO"},
        category="image/video",
    ),
    "SaveVideo": NodeClass(
        {
            "video": "VIDEO",
            "filename_prefix": "STRING",
            "format": ["auto", "mp4"],
            "codec": ["auto", "h264"],
        },
        output_node=True,
        category="image/video",
    ),
}


def _choices(spec: Any, models: Mapping[str, list[str]], uploads: list[str]) -> list[Any] | None:
    if isinstance(spec, list):
        return spec
    if isinstance(spec, str) and spec.startswith("@"):
        return list(uploads) if spec == "@input" else list(models.get(spec[1:], []))
    return None


def object_info(
    nodes: Mapping[str, NodeClass], models: Mapping[str, list[str]], uploads: list[str]
) -> dict[str, Any]:
    """`GET /object_info` (server.py `node_info`): per class its inputs (`[type, options]`,
    a combo's type being its list of choices), `input_order`, outputs and `output_node`."""

    def section(inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {
            name: [_choices(spec, models, uploads) or spec, {}] for name, spec in inputs.items()
        }

    info = {}
    for name, node in nodes.items():
        inputs = {"required": section(node.required)}
        if node.optional:
            inputs["optional"] = section(node.optional)
        info[name] = {
            "input": inputs,
            "input_order": {key: list(value) for key, value in inputs.items()},
            "output": list(node.outputs),
            "output_is_list": [False] * len(node.outputs),
            "output_name": list(node.outputs),
            "name": name,
            "display_name": name,
            "description": "",
            "python_module": "nodes",
            "category": node.category,
            "output_node": node.output_node,
        }
    return info


def _error(kind: str, message: str, details: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": extra}


def validate_prompt(
    prompt: Mapping[str, Any],
    nodes: Mapping[str, NodeClass],
    models: Mapping[str, list[str]],
    uploads: list[str],
) -> tuple[bool, dict[str, Any] | None, list[str], dict[str, Any]]:
    """(valid, error, outputs to run, node_errors), as `execution.validate_prompt` returns."""
    outputs = []
    for node_id, node in prompt.items():
        title = (node.get("_meta") or {}).get("title") if isinstance(node, Mapping) else None
        if not isinstance(node, Mapping) or "class_type" not in node:
            message = (
                f"Node '{title or f'ID #{node_id}'}' has no class_type. The workflow may be "
                "corrupted or a custom node is missing."
            )
            error = _error(
                "missing_node_type",
                message,
                f"Node ID '#{node_id}'",
                node_id=node_id,
                class_type=None,
                node_title=title,
            )
            return False, error, [], {}
        kind = node["class_type"]
        if kind not in nodes:
            message = f"Node '{title or kind}' not found. The custom node may not be installed."
            error = _error(
                "missing_node_type",
                message,
                f"Node ID '#{node_id}'",
                node_id=node_id,
                class_type=kind,
                node_title=title or kind,
            )
            return False, error, [], {}
        if nodes[kind].output_node:
            outputs.append(node_id)
    if not outputs:
        return False, _error("prompt_no_outputs", "Prompt has no outputs", ""), [], {}

    validated: dict[str, list[dict[str, Any]]] = {}
    node_errors: dict[str, Any] = {}
    good: list[str] = []
    for output in outputs:
        if _validate(prompt, output, nodes, models, uploads, validated):
            good.append(output)
            continue
        # As ComfyUI does: every node found wrong so far, with the outputs it keeps from running.
        for node_id, reasons in validated.items():
            if reasons:
                entry = node_errors.setdefault(
                    node_id,
                    {
                        "errors": reasons,
                        "dependent_outputs": [],
                        "class_type": prompt[node_id]["class_type"],
                    },
                )
                entry["dependent_outputs"].append(output)
    if not good:
        details = "\n".join(
            f"{r['message']}: {r['details']}"
            for info in node_errors.values()
            for r in info["errors"]
        )
        error = _error(
            "prompt_outputs_failed_validation", "Prompt outputs failed validation", details
        )
        return False, error, [], node_errors
    return True, None, good, node_errors


def _validate(
    prompt: Mapping[str, Any],
    node_id: str,
    nodes: Mapping[str, NodeClass],
    models: Mapping[str, list[str]],
    uploads: list[str],
    validated: dict[str, list[dict[str, Any]]],
) -> bool:
    """`execution.validate_inputs` for one node and, through its links, those before it."""
    if node_id in validated:
        return not validated[node_id]
    validated[node_id] = []
    node = prompt[node_id]
    spec = nodes[node["class_type"]]
    inputs = node.get("inputs") or {}
    errors: list[dict[str, Any]] = []
    upstream_ok = True
    for name, wanted in {**spec.required, **spec.optional}.items():
        if name not in inputs:
            if name in spec.required:
                errors.append(
                    _error(
                        "required_input_missing", "Required input is missing", name, input_name=name
                    )
                )
            continue
        value = inputs[name]
        if isinstance(value, list):
            source = str(value[0]) if len(value) == 2 else ""
            if source not in prompt:
                details = f"'{source}'" if len(value) == 2 else name
                kind = "exception_during_validation" if len(value) == 2 else "bad_linked_input"
                message = (
                    "Exception when validating node"
                    if len(value) == 2
                    else "Bad linked input, must be a length-2 list of [node_id, slot_index]"
                )
                errors.append(_error(kind, message, details, input_name=name))
                continue
            given = nodes.get(prompt[source].get("class_type"))
            received = given.outputs[value[1]] if given and value[1] < len(given.outputs) else None
            if isinstance(wanted, str) and not wanted.startswith("@") and received != wanted:
                details = f"{name}, received_type({received}) mismatch input_type({wanted})"
                errors.append(
                    _error(
                        "return_type_mismatch", "Return type mismatch between linked nodes", details
                    )
                )
                continue
            upstream_ok = (
                _validate(prompt, source, nodes, models, uploads, validated) and upstream_ok
            )
            continue
        choices = _choices(wanted, models, uploads)
        if wanted == "@input" and value not in uploads:
            # LoadImage checks its file itself (VALIDATE_INPUTS), not against the list.
            details = f"image - Invalid image file: {value}"
            errors.append(
                _error("custom_validation_failed", "Custom validation failed for node", details)
            )
        elif choices is not None and wanted != "@input" and value not in choices:
            shown = choices if len(choices) <= 8 else f"(list of length {len(choices)})"
            errors.append(
                _error(
                    "value_not_in_list",
                    "Value not in list",
                    f"{name}: '{value}' not in {shown}",
                    input_name=name,
                    received_value=value,
                )
            )
    validated[node_id] = errors
    return not errors and upstream_ok


def run_order(prompt: dict[str, Any], outputs: list[str]) -> list[str]:
    """The nodes the outputs need, each after those it links to."""
    seen: list[str] = []

    def visit(node_id: str) -> None:
        if node_id in seen:
            return
        for value in prompt[node_id].get("inputs", {}).values():
            if isinstance(value, list) and len(value) == 2 and str(value[0]) in prompt:
                visit(str(value[0]))
        seen.append(node_id)

    for output in outputs:
        visit(output)
    return seen


def latent_shape(prompt: dict[str, Any]) -> tuple[int, int, int]:
    """Width, height (small: these are test pictures) and batch of the latent node."""
    for node in prompt.values():
        inputs = node.get("inputs", {})
        if isinstance(inputs.get("width"), int) and isinstance(inputs.get("height"), int):
            batch = inputs.get("batch_size") if isinstance(inputs.get("batch_size"), int) else 1
            return min(inputs["width"], 128), min(inputs["height"], 128), max(1, min(batch, 4))
    return 64, 64, 1


# `GET /system_stats` of a ComfyUI on one NVIDIA GPU (server.py `system_stats`).
SYSTEM_STATS = {
    "system": {
        "os": "posix",
        "ram_total": 34359738368,
        "ram_free": 17179869184,
        "comfyui_version": "0.3.60",
        "python_version": "3.12.3",
        "pytorch_version": "2.8.0+cu128",
        "embedded_python": False,
        "argv": ["main.py", "--listen"],
    },
    "devices": [
        {
            "name": "cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync",
            "type": "cuda",
            "index": 0,
            "vram_total": 25393692672,
            "vram_free": 24000000000,
            "torch_vram_total": 0,
            "torch_vram_free": 0,
        }
    ],
}
