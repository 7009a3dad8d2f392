"""Whether the AI playtester sends a model screenshots: the person's setting, else the model's
name; and which refusals mean the model cannot read images."""

from __future__ import annotations

import pytest

from studio.ai.errors import GenerationError
from studio.ai.vision import is_image_refusal, takes_images


@pytest.mark.parametrize(
    ("model", "images"),
    [
        ("gpt-4.1-mini", True),
        ("gpt-4o", True),
        ("claude-sonnet-4-5", True),
        ("gemini-2.5-flash", True),
        ("qwen2.5-vl-7b-instruct", True),
        ("llava:13b", True),
        ("llama-3.2-11b-vision-instruct", True),
        ("gpt-3.5-turbo", False),
        ("o3-mini", False),
        ("qwen2.5-coder:14b", False),
        ("deepseek-r1", False),
        ("test-model", False),
    ],
)
def test_auto_goes_by_the_name(model: str, images: bool) -> None:
    assert takes_images(model) is images
    assert takes_images(model, "yes") and not takes_images(model, "no")


@pytest.mark.parametrize(
    ("kind", "message", "refusal"),
    [
        (
            "bad_request",
            "api.openai.com rejected the request (400). It said: Invalid content type. "
            "image_url is only supported by certain models.",
            True,
        ),
        (
            "server",
            "localhost:8080 had a server error (500). It said: image input is not "
            "supported - hint: if this is unexpected, you may need to provide the mmproj",
            True,
        ),
        (
            "bad_request",
            "127.0.0.1:11434 rejected the request (400). It said: model does not support images",
            True,
        ),
        ("bad_request", "rejected the request (400). It said: temperature is too high", False),
        ("auth", "refused the API key (401). image_url is only supported", False),
    ],
)
def test_image_refusals(kind: str, message: str, refusal: bool) -> None:
    assert is_image_refusal(GenerationError(kind, message)) is refusal
