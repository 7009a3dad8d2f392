"""A person's own ComfyUI workflow: what Studio reads from its marked inputs, and the clear
refusals (no prompt input, the editor's format, a picture it cannot take)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from studio_comfyui.templates import load_template
from studio_comfyui.video import ComfyVideoProvider
from studio_comfyui.workflow import Inputs, Workflow, WorkflowError

from studio.ai.video_provider import VideoError, VideoRequest
from studio.testing.pictures import png
from studio.testing.servers.comfyui import ComfyUIServer


def own_workflow() -> dict:
    """An LTX-Video graph as a person exports it: plain API format, their own titles, the
    length on a node of its own."""
    graph = load_template("ltxv-2b-0.9.8").graph
    graph["70"]["inputs"]["width"] = 640
    graph["72"]["_meta"]["title"] = "studio:seed"
    graph["7"]["_meta"]["title"] = "negative"  # not marked: the person keeps their own
    graph["70"]["_meta"]["title"] = "studio: frames"  # spaces and case are forgiven
    return graph


def test_marks_fill_a_person_s_own_workflow() -> None:
    workflow = Workflow.from_data(own_workflow(), "mine.json")
    graph = workflow.fill(Inputs("a lighthouse", negative="ignored", seconds=3, seed=42))
    assert graph["6"]["inputs"]["text"] == "a lighthouse"
    assert graph["7"]["inputs"]["text"].startswith("low quality")  # unmarked, untouched
    assert graph["70"]["inputs"]["length"] == 73  # 3 s at its 24 fps, LTX's 8n+1
    assert graph["72"]["inputs"]["noise_seed"] == 42
    assert workflow.graph["6"]["inputs"]["text"] == ""  # the workflow itself is unchanged


def test_lengths_snap_to_what_each_model_takes() -> None:
    wan = load_template("wan2.2-i2v-14b")
    assert [wan.frames_for(s) for s in (2, 3, 5, 9)] == [33, 49, 81, 81]  # 16 fps, 4n+1, <= 81
    ltx = load_template("ltxv-2b-0.9.8")
    assert [ltx.frames_for(s) for s in (2, 4, 10)] == [49, 97, 241]  # 24 fps, 8n+1


def test_a_workflow_without_a_prompt_input_is_refused() -> None:
    graph = own_workflow()
    graph["6"]["_meta"]["title"] = "Positive"
    with pytest.raises(WorkflowError, match='no prompt input.*"studio:prompt"'):
        Workflow.from_data(graph, "mine.json")


def test_the_editor_format_is_refused_with_what_to_do() -> None:
    editor = {"last_node_id": 9, "nodes": [{"id": 3, "type": "KSampler"}], "links": []}
    with pytest.raises(WorkflowError, match=r"Export \(API\)"):
        Workflow.from_data(editor, "ui.json")


async def test_a_custom_workflow_runs_and_offers_what_it_marks(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(own_workflow()))
    provider = ComfyVideoProvider(workflow=str(path), poll_wait=0.1)
    can = provider.capabilities
    assert provider.model == "custom" and "custom" in can.models
    assert not can.image_reference and not can.last_frame and not can.negative_prompt
    assert can.seed and can.durations and not can.sizes  # frames marked, size not
    with pytest.raises(
        VideoError, match='takes no first frame: mark a Load Image node "studio:image"'
    ):
        await provider.submit(VideoRequest("a cat", image=png(8, 8)))
    await provider.aclose()
    with ComfyUIServer() as server:
        provider = ComfyVideoProvider(base_url=server.base_url, workflow=str(path), poll_wait=0.1)
        remote_id = await provider.submit(VideoRequest("a lighthouse", seconds=2))
        sent = server.calls("POST", "/prompt")[0].body["prompt"]
        assert (
            sent["6"]["inputs"]["text"] == "a lighthouse" and sent["70"]["inputs"]["length"] == 49
        )
        async with asyncio.timeout(10):
            while not (status := await provider.poll(remote_id)).done:
                pass
        assert status.status == "completed"
    await provider.aclose()


def test_a_missing_custom_workflow_file_is_said_plainly(tmp_path: Path) -> None:
    provider = ComfyVideoProvider(workflow=str(tmp_path / "gone.json"))
    assert provider.capabilities.durations == ()  # nothing to offer, no exception
    with pytest.raises(VideoError, match="Cannot read the workflow"):
        provider.workflow("custom", with_image=False)
