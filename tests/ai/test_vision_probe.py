"""A gateway's model list says which models read images (OpenRouter's
`architecture.input_modalities`); a server that says nothing leaves the answer open."""

from __future__ import annotations

from studio.ai.vision_probe import server_reads_images
from studio.testing.servers.chat import ChatServer, _Handler


class _Gateway(_Handler):
    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        # OpenRouter's GET /api/v1/models: each model's `architecture` lists its inputs.
        data = [
            {"id": "vision/model", "architecture": {"input_modalities": ["text", "image"]}},
            {"id": "text/model", "architecture": {"input_modalities": ["text"]}},
        ]
        self._send_json(200, {"data": data})


class Gateway(ChatServer):
    def __init__(self) -> None:
        super().__init__()
        self._handler = _Gateway


async def test_a_gateways_model_list_says_which_models_read_images() -> None:
    with Gateway() as gateway:
        assert await server_reads_images(gateway.base_url, "vision/model") is True
        assert await server_reads_images(gateway.base_url, "text/model") is False
        assert await server_reads_images(gateway.base_url, "other/model") is None
    with ChatServer() as plain:  # lists models without saying what they take
        assert await server_reads_images(plain.base_url, "test-model") is None
